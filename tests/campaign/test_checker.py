"""The campaign's history model and checker, on hand-built histories and final states.

Each rule of :mod:`threadpact.campaign.checker` is broken once on a clean run and
must be reported exactly once, with the right kind; the clean run reports nothing.
"""

import uuid
from collections.abc import Callable
from datetime import UTC, datetime

import pytest

from threadpact.campaign.checker import KINDS, Anomaly, check, report
from threadpact.campaign.history import Action, Fault, Final, History, origin_of
from threadpact.models import LocalMessage, LocalThread, Message, ServerThread

T0 = datetime(2030, 1, 1, tzinfo=UTC)
NS = uuid.UUID("6f1c9a51-0d3e-4c55-9a2b-3a8e4f1d2c70")

# -- builders -------------------------------------------------------------------------------


def uid(name: str) -> uuid.UUID:
    """A stable server ID for a thread (by origin) or a message (by content)."""
    return uuid.uuid5(NS, name)


def server_thread(title: str, thread_id: uuid.UUID | None = None) -> ServerThread:
    return ServerThread(
        id=thread_id or uid(origin_of(title)),
        title=title,
        agent_id="campaign",
        model="m",
        provider="p",
        created_at=T0,
        updated_at=T0,
    )


def message(thread: ServerThread, content: str) -> Message:
    return Message(
        id=uid(content), thread_id=thread.id, role="user", content=content, created_at=T0
    )


def local_message(
    content: str, *, status: str = "synced", local_id: str | None = None
) -> LocalMessage:
    return LocalMessage.model_validate(
        {
            "id": local_id or str(uid(content)),
            "role": "user",
            "content": content,
            "createdAt": 0,
            "syncStatus": status,
        }
    )


def local_thread(
    title: str,
    contents: list[str],
    *,
    thread_id: str | None = None,
    status: str = "synced",
    error: str | None = None,
) -> LocalThread:
    return LocalThread.model_validate(
        {
            "id": thread_id or str(uid(origin_of(title))),
            "title": title,
            "agentId": "campaign",
            "model": "m",
            "provider": "p",
            "messages": [local_message(c) for c in contents],
            "createdAt": 0,
            "updatedAt": 0,
            "syncStatus": status,
            "syncError": error,
        }
    )


def side(threads: dict[str, list[str]], stores: tuple[str, ...]) -> Final:
    """A consistent final state: each title with its messages, on the server and in
    every store."""
    server = []
    for title, contents in threads.items():
        thread = server_thread(title)
        server.append((thread, [message(thread, c) for c in contents]))
    return Final(
        server=server,
        stores={name: [local_thread(t, cs) for t, cs in threads.items()] for name in stores},
    )


def clean_run() -> tuple[History, dict[str, Final]]:
    """Two users; alice on two tabs of one store, bob on one; creates, sends, renames,
    a delete, faults; everything synced as it should be."""
    h = History()
    h.act("alice", "create", "c1", "c1")
    h.act("alice", "send", "c1", "c1 m1")
    h.act("alice", "send", "c1", "c1 m2", tab=1)
    h.act("alice", "rename", "c1", "c1 r1", tab=1)
    h.act("bob", "create", "c2", "c2")
    h.fault("lost answer", "POST /threads", user="bob")
    h.act("bob", "send", "c2", "c2 m3")
    h.act("alice", "create", "c3", "c3")
    h.act("alice", "send", "c3", "c3 m4")
    h.act("alice", "delete", "c3", tab=1)
    h.fault("killed", "mid POST /threads")
    h.act("bob", "rename", "c2", "c2 r2")
    h.act("bob", "rename", "c2", "c2 r3")
    h.act("alice", "create", "c10", "c10")
    for op in ("online", "sync", "pull"):
        h.act("alice", op)
        h.act("bob", op)
    finals = {
        "alice": side({"c1 r1": ["c1 m1", "c1 m2"], "c10": []}, ("alice-tab0", "alice-tab1")),
        "bob": side({"c2 r3": ["c2 m3"]}, ("bob-tab0",)),
    }
    return h, finals


def found(anomalies: list[Anomaly]) -> list[tuple[str, str, str]]:
    return [(a.kind, a.user, a.origin) for a in anomalies]


def one(anomalies: list[Anomaly], kind: str, user: str, origin: str) -> Anomaly:
    assert found(anomalies) == [(kind, user, origin)], "\n".join(map(str, anomalies))
    return anomalies[0]


def entry(final: Final, origin: str) -> int:
    return next(i for i, (t, _) in enumerate(final.server) if origin_of(t.title) == origin)


def edit_server(
    final: Final, origin: str, *, title: str | None = None, contents: list[str] | None = None
) -> None:
    i = entry(final, origin)
    thread, messages = final.server[i]
    if title is not None:
        thread = thread.model_copy(update={"title": title})
    if contents is not None:
        messages = [message(thread, c) for c in contents]
    final.server[i] = (thread, messages)


def drop_server(final: Final, origin: str) -> None:
    del final.server[entry(final, origin)]


def edit_local(
    final: Final, store: str, origin: str, contents: list[str] | None = None, **update: object
) -> None:
    threads = final.stores[store]
    i = next(i for i, t in enumerate(threads) if origin_of(t.title) == origin)
    if contents is not None:
        update["messages"] = [local_message(c) for c in contents]
    threads[i] = threads[i].model_copy(update=update)


def drop_local(final: Final, store: str, origin: str) -> None:
    final.stores[store][:] = [t for t in final.stores[store] if origin_of(t.title) != origin]


def alice_stores(finals: dict[str, Final]) -> list[str]:
    return sorted(finals["alice"].stores)


# -- a clean run ----------------------------------------------------------------------------


def test_a_clean_run_has_no_anomaly() -> None:
    history, finals = clean_run()
    assert check(history, finals) == []
    assert report(history, []) == "no anomaly"


def test_every_user_of_the_history_needs_a_final_state() -> None:
    history, finals = clean_run()
    del finals["bob"]
    with pytest.raises(ValueError, match="no final state for bob"):
        check(history, finals)


def test_a_user_with_no_store_is_checked_on_the_server_side_only() -> None:
    history, finals = clean_run()
    finals["alice"].stores.clear()
    assert check(history, finals) == []
    drop_server(finals["alice"], "c1")
    one(check(history, finals), "lost", "alice", "c1")


# -- lost -----------------------------------------------------------------------------------


def test_an_expected_thread_missing_on_the_server_is_lost_once() -> None:
    history, finals = clean_run()
    drop_server(finals["alice"], "c1")
    anomaly = one(check(history, finals), "lost", "alice", "c1")
    # the stores' copies now match no server thread: that is the same problem
    assert anomaly.detail == "thread c1 (created at step 1) is missing from the server"
    for store in alice_stores(finals):
        edit_local(finals["alice"], store, "c1", syncStatus="pending")
    assert check(history, finals) == [anomaly]  # and so is their being unsynced


def test_an_expected_thread_missing_in_a_store_is_lost() -> None:
    history, finals = clean_run()
    drop_local(finals["alice"], "alice-tab1", "c1")
    anomaly = one(check(history, finals), "lost", "alice", "c1")
    assert anomaly.detail == "thread c1 (created at step 1) is missing from store alice-tab1"


def test_a_thread_missing_everywhere_is_one_anomaly_naming_every_place() -> None:
    history, finals = clean_run()
    drop_server(finals["alice"], "c10")
    for store in alice_stores(finals):
        drop_local(finals["alice"], store, "c10")
    anomaly = one(check(history, finals), "lost", "alice", "c10")
    assert anomaly.detail == (
        "thread c10 (created at step 14) is missing from the server, store alice-tab0 "
        "and store alice-tab1"
    )


def test_a_completed_message_missing_on_the_server_is_lost() -> None:
    history, finals = clean_run()
    edit_server(finals["alice"], "c1", contents=["c1 m1"])
    anomaly = one(check(history, finals), "lost", "alice", "c1")
    # the stores still show it: that difference is not reported again
    assert anomaly.detail == (
        'message "c1 m2" (sent at step 3) is missing from thread c1 on the server'
    )


def test_a_completed_message_missing_in_a_store_is_lost() -> None:
    history, finals = clean_run()
    edit_local(finals["alice"], "alice-tab0", "c1", contents=["c1 m2"])
    anomaly = one(check(history, finals), "lost", "alice", "c1")
    assert anomaly.detail == (
        'message "c1 m1" (sent at step 2) is missing from thread c1 on store alice-tab0'
    )


def test_an_acknowledged_create_cut_short_must_exist() -> None:
    history, finals = clean_run()
    history.act("alice", "create", "c20", "c20", completed=False)
    assert check(history, finals) == []  # not acknowledged: it may not exist
    anomaly = one(check(history, finals, {"alice": {"c20"}}), "lost", "alice", "c20")
    assert "cut short after the server's 201" in anomaly.detail
    assert "the server, store alice-tab0 and store alice-tab1" in anomaly.detail


def test_an_acknowledged_message_must_exist() -> None:
    history, finals = clean_run()
    history.act("alice", "send", "c1", "c1 m30", completed=False)
    assert check(history, finals) == []
    anomalies = check(history, finals, {"alice": {"c1 m30"}})
    assert found(anomalies) == [("lost", "alice", "c1")]
    assert anomalies[0].detail == (
        'message "c1 m30" (acknowledged by a 201) is missing from thread c1 on the server, '
        "store alice-tab0 and store alice-tab1"
    )


def test_an_acknowledged_message_makes_its_thread_expected() -> None:
    history, finals = clean_run()
    history.act("alice", "create", "c20", "c20", completed=False)
    history.act("alice", "send", "c20", "c20 m31", completed=False)
    assert check(history, finals) == []
    one(check(history, finals, {"alice": {"c20 m31"}}), "lost", "alice", "c20")


def test_an_acknowledged_thread_deleted_for_good_is_not_lost() -> None:
    history, finals = clean_run()
    assert check(history, finals, {"alice": {"c3", "c3 m4"}}) == []


def test_an_optional_thread_on_the_server_must_reach_every_store() -> None:
    history, finals = clean_run()
    history.act("alice", "create", "c20", "c20", completed=False)
    finals["alice"].server.append((server_thread("c20"), []))
    finals["alice"].stores["alice-tab0"].append(local_thread("c20", []))
    anomaly = one(check(history, finals), "lost", "alice", "c20")
    assert "missing from store alice-tab1" in anomaly.detail


# -- duplicated -----------------------------------------------------------------------------


def test_two_server_threads_of_one_create_are_duplicated() -> None:
    history, finals = clean_run()
    finals["alice"].server.append((server_thread("c1 r1", uid("another c1")), []))
    anomaly = one(check(history, finals), "duplicated", "alice", "c1")
    assert anomaly.detail.startswith("thread c1 is on the server 2 times: ")
    # the copy no store shows is part of the same problem, not an orphan


def test_a_message_twice_on_the_server_is_duplicated() -> None:
    history, finals = clean_run()
    edit_server(finals["alice"], "c1", contents=["c1 m1", "c1 m2", "c1 m2"])
    anomaly = one(check(history, finals), "duplicated", "alice", "c1")
    assert anomaly.detail == 'message "c1 m2" is in thread c1 more than once: the server (2 times)'


def test_a_message_twice_in_a_store_is_duplicated() -> None:
    history, finals = clean_run()
    for store in alice_stores(finals):
        edit_local(finals["alice"], store, "c1", contents=["c1 m1", "c1 m1", "c1 m2"])
    anomaly = one(check(history, finals), "duplicated", "alice", "c1")
    assert anomaly.detail == (
        'message "c1 m1" is in thread c1 more than once: store alice-tab0 (2 times) '
        "and store alice-tab1 (2 times)"
    )


def test_two_local_threads_of_one_create_in_a_store_are_duplicated() -> None:
    history, finals = clean_run()
    extra = local_thread("c1", [], thread_id="temporary-c1", status="pending")
    finals["alice"].stores["alice-tab0"].append(extra)
    anomaly = one(check(history, finals), "duplicated", "alice", "c1")
    assert anomaly.detail == "thread c1 is shown more than once in store alice-tab0 (2 times)"


# -- orphaned -------------------------------------------------------------------------------


def test_a_server_thread_no_store_shows_is_orphaned() -> None:
    history, finals = clean_run()
    history.act("alice", "create", "c20", "c20", completed=False)
    finals["alice"].server.append((server_thread("c20"), []))
    anomaly = one(check(history, finals), "orphaned", "alice", "c20")
    assert anomaly.detail == (
        f"server thread c20 ({uid('c20')}) is shown by no store "
        "(its create at step 21 was cut short)"
    )


def test_a_synced_local_thread_under_another_id_than_the_server_is_orphaned() -> None:
    history, finals = clean_run()
    for store in alice_stores(finals):
        edit_local(finals["alice"], store, "c10", id="temporary-c10")
    anomaly = one(check(history, finals), "orphaned", "alice", "c10")
    assert anomaly.detail == (
        f"thread c10 is held as temporary-c10, synced, but not its server thread {uid('c10')}: "
        "store alice-tab0 and store alice-tab1"
    )


def test_a_synced_local_thread_with_no_server_twin_is_orphaned() -> None:
    history, finals = clean_run()
    history.act("alice", "create", "c20", "c20", completed=False)
    finals["alice"].stores["alice-tab0"].append(local_thread("c20", []))
    anomaly = one(check(history, finals), "orphaned", "alice", "c20")
    assert anomaly.detail == (
        f"thread c20 is held as {uid('c20')}, synced, but the server has no such thread: "
        "store alice-tab0"
    )


def test_a_thread_no_create_made_is_orphaned() -> None:
    history, finals = clean_run()
    finals["bob"].server.append((server_thread("New chat"), []))
    finals["bob"].stores["bob-tab0"].append(local_thread("New chat", []))
    anomaly = one(check(history, finals), "orphaned", "bob", "New")
    assert anomaly.detail == (
        "thread New was made by no create of any user, yet is on the server and store bob-tab0"
    )


def test_a_message_nobody_sent_is_orphaned() -> None:
    history, finals = clean_run()
    edit_server(finals["bob"], "c2", contents=["c2 m3", "c2 m99"])
    edit_local(finals["bob"], "bob-tab0", "c2", contents=["c2 m3", "c2 m99"])
    anomaly = one(check(history, finals), "orphaned", "bob", "c2")
    assert anomaly.detail == (
        'message "c2 m99" in thread c2 was never sent: the server and store bob-tab0'
    )


def test_a_message_filed_under_another_thread_is_orphaned_and_lost_from_its_own() -> None:
    history, finals = clean_run()
    edit_server(finals["alice"], "c1", contents=["c1 m1"])
    edit_server(finals["alice"], "c10", contents=["c1 m2"])
    for store in alice_stores(finals):
        edit_local(finals["alice"], store, "c1", contents=["c1 m1"])
        edit_local(finals["alice"], store, "c10", contents=["c1 m2"])
    anomalies = check(history, finals)
    assert found(anomalies) == [("lost", "alice", "c1"), ("orphaned", "alice", "c1")]
    assert anomalies[1].detail == (
        'message "c1 m2" of thread c1 is filed under thread c10 on the server, '
        "store alice-tab0 and store alice-tab1"
    )


def test_local_message_ids_that_never_took_the_servers_are_orphaned() -> None:
    history, finals = clean_run()
    messages = [local_message("c1 m1"), local_message("c1 m2", local_id="local-m2")]
    edit_local(finals["alice"], "alice-tab1", "c1", messages=messages)
    anomaly = one(check(history, finals), "orphaned", "alice", "c1")
    assert anomaly.detail == (
        "thread c1 keeps local IDs for its messages on store alice-tab1 "
        f'("c1 m2" is local-m2, not {uid("c1 m2")})'
    )


# -- stale ----------------------------------------------------------------------------------


def test_a_deleted_thread_still_on_the_server_is_stale() -> None:
    history, finals = clean_run()
    thread = server_thread("c3")
    finals["alice"].server.append((thread, [message(thread, "c3 m4")]))
    anomaly = one(check(history, finals), "stale", "alice", "c3")
    assert anomaly.detail == "thread c3 was deleted at step 10, yet is still on the server"


def test_a_deleted_thread_still_in_a_store_is_stale() -> None:
    history, finals = clean_run()
    finals["alice"].stores["alice-tab1"].append(local_thread("c3", ["c3 m4"]))
    anomaly = one(check(history, finals), "stale", "alice", "c3")
    assert anomaly.detail == "thread c3 was deleted at step 10, yet is still on store alice-tab1"


def test_a_server_title_that_is_not_the_last_rename_is_stale() -> None:
    history, finals = clean_run()
    edit_server(finals["bob"], "c2", title="c2 r2")
    edit_local(finals["bob"], "bob-tab0", "c2", title="c2 r2")
    anomaly = one(check(history, finals), "stale", "bob", "c2")
    assert anomaly.detail == (
        'the server\'s title of thread c2 is "c2 r2", not "c2 r3" (renamed at step 13)'
    )


def test_a_never_renamed_thread_keeps_its_create_title() -> None:
    history, finals = clean_run()
    edit_server(finals["alice"], "c10", title="c10 r9")
    for store in alice_stores(finals):
        edit_local(finals["alice"], store, "c10", title="c10 r9")
    anomaly = one(check(history, finals), "stale", "alice", "c10")
    assert anomaly.detail.endswith('not "c10" (created at step 14)')


def test_a_store_title_that_is_not_the_servers_is_stale() -> None:
    history, finals = clean_run()
    edit_local(finals["bob"], "bob-tab0", "c2", title="c2 r2")
    anomaly = one(check(history, finals), "stale", "bob", "c2")
    assert anomaly.detail == 'thread c2 is titled "c2 r2" on store bob-tab0, "c2 r3" on the server'


def test_a_pending_local_thread_after_the_final_sync_is_stale() -> None:
    history, finals = clean_run()
    edit_local(finals["bob"], "bob-tab0", "c2", syncStatus="failed", syncError="HTTP 422")
    anomaly = one(check(history, finals), "stale", "bob", "c2")
    assert anomaly.detail == (
        "thread c2 is not synced after the final sync: store bob-tab0 (thread failed: HTTP 422)"
    )


def test_a_pending_local_message_after_the_final_sync_is_stale() -> None:
    history, finals = clean_run()
    messages = [local_message("c2 m3", status="pending")]
    edit_local(finals["bob"], "bob-tab0", "c2", messages=messages)
    anomaly = one(check(history, finals), "stale", "bob", "c2")
    assert anomaly.detail == (
        'thread c2 is not synced after the final sync: store bob-tab0 ("c2 m3" pending)'
    )


def test_a_local_thread_that_never_reached_the_server_is_stale() -> None:
    history, finals = clean_run()
    history.act("alice", "create", "c20", "c20", completed=False)
    for store in alice_stores(finals):
        pending = local_thread("c20", [], thread_id="temporary-c20", status="pending")
        finals["alice"].stores[store].append(pending)
    anomaly = one(check(history, finals), "stale", "alice", "c20")
    assert anomaly.detail == (
        "thread c20 never reached the server: store alice-tab0 (temporary-c20, pending) "
        "and store alice-tab1 (temporary-c20, pending)"
    )


def test_a_local_thread_never_swapped_to_its_server_thread_is_stale() -> None:
    history, finals = clean_run()
    edit_local(finals["alice"], "alice-tab0", "c10", id="temporary-c10", syncStatus="pending")
    anomaly = one(check(history, finals), "stale", "alice", "c10")
    assert anomaly.detail == (
        f"thread c10 was never swapped to its server thread {uid('c10')}: "
        "store alice-tab0 (temporary-c10, pending)"
    )


def test_store_messages_diverging_from_the_server_are_stale() -> None:
    history, finals = clean_run()
    edit_local(finals["alice"], "alice-tab0", "c1", contents=["c1 m2", "c1 m1"])
    anomaly = one(check(history, finals), "stale", "alice", "c1")
    assert anomaly.detail == (
        'the messages of thread c1 are ["c1 m1", "c1 m2"] on the server, but differ on '
        'store alice-tab0: ["c1 m2", "c1 m1"]'
    )


def test_a_message_cut_short_on_one_side_only_is_stale() -> None:
    history, finals = clean_run()
    history.act("bob", "send", "c2", "c2 m40", completed=False)
    edit_server(finals["bob"], "c2", contents=["c2 m3", "c2 m40"])
    assert found(check(history, finals)) == [("stale", "bob", "c2")]
    edit_local(finals["bob"], "bob-tab0", "c2", contents=["c2 m3", "c2 m40"])
    assert check(history, finals) == []


# -- wrong-owner ----------------------------------------------------------------------------


def test_another_users_thread_in_the_listing_is_wrong_owner() -> None:
    history, finals = clean_run()
    thread = server_thread("c2 r3")
    finals["alice"].server.append((thread, [message(thread, "c2 m3")]))
    anomaly = one(check(history, finals), "wrong-owner", "alice", "c2")
    assert anomaly.detail == "bob's thread c2 is visible to alice: the server"


def test_another_users_thread_in_a_store_is_wrong_owner() -> None:
    history, finals = clean_run()
    finals["alice"].stores["alice-tab1"].append(local_thread("c2 r3", ["c2 m3"]))
    anomaly = one(check(history, finals), "wrong-owner", "alice", "c2")
    assert anomaly.detail == "bob's thread c2 is visible to alice: store alice-tab1"


def test_another_users_thread_readable_by_id_is_wrong_owner() -> None:
    history, finals = clean_run()
    finals["bob"].foreign.append(server_thread("c1 r1"))
    anomaly = one(check(history, finals), "wrong-owner", "bob", "c1")
    assert anomaly.detail == f"alice's thread c1 is visible to bob: GET /threads/{uid('c1')}"


def test_a_leak_seen_in_several_places_is_one_anomaly() -> None:
    history, finals = clean_run()
    leaked = server_thread("c2 r3")
    finals["alice"].server.append((leaked, []))
    finals["alice"].foreign.append(leaked)
    finals["alice"].stores["alice-tab0"].append(local_thread("c2 r3", []))
    anomaly = one(check(history, finals), "wrong-owner", "alice", "c2")
    assert anomaly.detail == (
        f"bob's thread c2 is visible to alice: GET /threads/{uid('c2')}, the server "
        "and store alice-tab0"
    )


def test_another_users_message_in_a_thread_is_wrong_owner() -> None:
    history, finals = clean_run()
    edit_server(finals["alice"], "c10", contents=["c2 m3"])
    anomaly = one(check(history, finals), "wrong-owner", "alice", "c2")
    assert anomaly.detail == 'message "c2 m3" of bob\'s thread c2 is in thread c10 on the server'


def test_a_message_another_user_sent_into_a_thread_is_wrong_owner() -> None:
    history, finals = clean_run()
    history.act("bob", "send", "c10", "c10 m50")  # bob's client saw alice's thread
    edit_server(finals["alice"], "c10", contents=["c10 m50"])
    for store in alice_stores(finals):
        edit_local(finals["alice"], store, "c10", contents=["c10 m50"])
    anomaly = one(check(history, finals), "wrong-owner", "alice", "c10")
    assert anomaly.detail.startswith('message "c10 m50", sent by bob at step 21, is in thread')


def test_a_title_another_user_gave_is_wrong_owner() -> None:
    history, finals = clean_run()
    history.act("bob", "rename", "c10", "c10 r60")
    edit_server(finals["alice"], "c10", title="c10 r60")
    for store in alice_stores(finals):
        edit_local(finals["alice"], store, "c10", title="c10 r60")
    anomaly = one(check(history, finals), "wrong-owner", "alice", "c10")
    assert anomaly.detail == 'thread c10 has the title "c10 r60", given by bob at step 21'


# -- actions cut short ----------------------------------------------------------------------


def test_a_create_cut_short_may_exist_or_not_but_never_twice() -> None:
    history, finals = clean_run()
    history.act("bob", "create", "c20", "c20", completed=False)
    assert check(history, finals) == []
    finals["bob"].server.append((server_thread("c20"), []))
    finals["bob"].stores["bob-tab0"].append(local_thread("c20", []))
    assert check(history, finals) == []
    finals["bob"].server.append((server_thread("c20", uid("second c20")), []))
    one(check(history, finals), "duplicated", "bob", "c20")


def test_a_rename_cut_short_leaves_either_title() -> None:
    history, finals = clean_run()
    history.act("bob", "rename", "c2", "c2 r70", completed=False)
    assert check(history, finals) == []
    edit_server(finals["bob"], "c2", title="c2 r70")
    edit_local(finals["bob"], "bob-tab0", "c2", title="c2 r70")
    assert check(history, finals) == []
    edit_server(finals["bob"], "c2", title="c2 r2")
    edit_local(finals["bob"], "bob-tab0", "c2", title="c2 r2")
    anomaly = one(check(history, finals), "stale", "bob", "c2")
    assert "(renamed at step 13, or a rename cut short after it)" in anomaly.detail


def test_a_rename_cut_short_before_the_last_completed_one_does_not_count() -> None:
    history, finals = clean_run()
    history.act("bob", "rename", "c2", "c2 r70", completed=False)
    history.act("bob", "rename", "c2", "c2 r71")
    edit_server(finals["bob"], "c2", title="c2 r70")
    edit_local(finals["bob"], "bob-tab0", "c2", title="c2 r70")
    one(check(history, finals), "stale", "bob", "c2")
    edit_server(finals["bob"], "c2", title="c2 r71")
    edit_local(finals["bob"], "bob-tab0", "c2", title="c2 r71")
    assert check(history, finals) == []


def test_a_delete_cut_short_may_have_happened_or_not() -> None:
    history, finals = clean_run()
    history.act("bob", "delete", "c2", completed=False)
    assert check(history, finals) == []
    drop_server(finals["bob"], "c2")
    drop_local(finals["bob"], "bob-tab0", "c2")
    assert check(history, finals) == []


def test_a_delete_cut_short_then_completed_is_final() -> None:
    history, finals = clean_run()
    history.act("bob", "delete", "c2", completed=False)
    history.act("bob", "delete", "c2")
    one(check(history, finals), "stale", "bob", "c2")


def test_a_send_cut_short_may_have_happened_or_not_but_never_twice() -> None:
    history, finals = clean_run()
    history.act("alice", "send", "c10", "c10 m80", completed=False)
    assert check(history, finals) == []
    edit_server(finals["alice"], "c10", contents=["c10 m80"])
    for store in alice_stores(finals):
        edit_local(finals["alice"], store, "c10", contents=["c10 m80"])
    assert check(history, finals) == []
    edit_server(finals["alice"], "c10", contents=["c10 m80", "c10 m80"])
    one(check(history, finals), "duplicated", "alice", "c10")


# -- order and report -----------------------------------------------------------------------


def test_anomalies_are_sorted_by_user_then_origin_then_kind() -> None:
    history, finals = clean_run()
    drop_server(finals["alice"], "c10")  # lost
    edit_server(finals["alice"], "c1", title="c1")  # stale (the stores disagree too)
    finals["alice"].server.append((server_thread("c2 r3"), []))  # wrong-owner
    drop_local(finals["bob"], "bob-tab0", "c2")  # lost
    thread = server_thread("c10", uid("other c10"))
    finals["alice"].server.append((thread, []))  # c10 is back, under an ID no store shows
    anomalies = check(history, finals)
    assert found(anomalies) == [
        ("stale", "alice", "c1"),
        ("stale", "alice", "c1"),
        ("wrong-owner", "alice", "c2"),
        ("orphaned", "alice", "c10"),
        ("lost", "bob", "c2"),
    ]
    assert str(anomalies[-1]) == (
        "lost (bob, c2): thread c2 (created at step 5) is missing from store bob-tab0"
    )
    text = report(history, anomalies)
    assert text.startswith("5 anomalies:\n  stale (alice, c1): ")
    assert "\nhistory (the actions on those threads, and every fault):\n" in text
    assert ' 4. alice/tab1 rename c1 -> "c1 r1"' in text
    assert "c3" not in text.split("history")[1]  # nothing was wrong with c3
    assert KINDS == ("lost", "duplicated", "orphaned", "stale", "wrong-owner")


# -- the history ----------------------------------------------------------------------------


def test_describe_renders_the_run_as_a_numbered_script() -> None:
    history, _ = clean_run()
    history.act("alice", "send", "c1", 'c1 m5 "quoted"', completed=False)
    history.act("alice", "advance", value="600", tab=1)
    history.act("alice", "fault", detail="client killed between two actions", tab=1)
    assert history.describe().splitlines()[:16] == [
        ' 1. alice/tab0 create "c1"',
        ' 2. alice/tab0 send c1 <- "c1 m1"',
        ' 3. alice/tab1 send c1 <- "c1 m2"',
        ' 4. alice/tab1 rename c1 -> "c1 r1"',
        ' 5. bob/tab0 create "c2"',
        " 6. fault: bob lost answer POST /threads",
        ' 7. bob/tab0 send c2 <- "c2 m3"',
        ' 8. alice/tab0 create "c3"',
        ' 9. alice/tab0 send c3 <- "c3 m4"',
        "10. alice/tab1 delete c3",
        "11. fault: provider killed mid POST /threads",
        '12. bob/tab0 rename c2 -> "c2 r2"',
        '13. bob/tab0 rename c2 -> "c2 r3"',
        '14. alice/tab0 create "c10"',
        "15. alice/tab0 online",
        "16. bob/tab0 online",
    ]
    assert history.describe().splitlines()[-3:] == [
        '21. alice/tab0 send c1 <- "c1 m5 \\"quoted\\"" [no answer: killed mid-operation]',
        "22. alice/tab1 advance 600",
        "23. alice/tab1 fault: client killed between two actions",
    ]


def test_describe_can_keep_to_some_threads() -> None:
    history, _ = clean_run()
    lines = history.describe({"c2"}).splitlines()
    assert lines[:4] == [
        ' 5. bob/tab0 create "c2"',
        " 6. fault: bob lost answer POST /threads",
        ' 7. bob/tab0 send c2 <- "c2 m3"',
        "11. fault: provider killed mid POST /threads",
    ]
    assert all("c1" not in line and "c3" not in line for line in lines)
    assert lines[-1] == "20. bob/tab0 pull"
    assert History().describe() == ""


def test_the_history_indexes_owners_users_actions_and_faults() -> None:
    history, _ = clean_run()
    assert history.owners() == {"c1": "alice", "c2": "bob", "c3": "alice", "c10": "alice"}
    assert history.owner("c2") == "bob"
    assert history.owner("c99") is None
    assert history.users() == ["alice", "bob"]
    assert len(history) == 20
    assert len(history.actions) == 18
    assert history.faults == [
        Fault(6, "bob", "lost answer", "POST /threads"),
        Fault(11, None, "killed", "mid POST /threads"),
    ]
    assert history.entries[0] == Action(1, "alice", 0, "create", "c1", "c1")
    assert history.next_step() == 21
    assert Fault(3, "alice", "offline").describe() == "fault: alice offline"


def test_entries_recorded_elsewhere_keep_their_steps() -> None:
    history = History()
    history.record(Action(0, "alice", 2, "create", "c1", "c1", completed=False))
    history.record(Fault(1, "alice", "killed", "mid POST /threads"))
    assert history.next_step() == 2
    assert History(list(history)).entries == history.entries
    settled = history.settle(0, completed=True)
    assert settled.completed
    assert history.actions == [settled]
    with pytest.raises(KeyError):
        history.settle(1, completed=True)  # a fault, not an action
    with pytest.raises(ValueError, match="steps must increase"):
        history.record(Action(1, "alice", 0, "sync"))


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Action(1, "a", 0, "teleport"), "unknown operation"),  # type: ignore[arg-type]
        (lambda: Action(1, "a", 0, "send", None, "c1 m1"), "needs the thread's origin"),
        (lambda: Action(1, "a", 0, "rename", "c1"), "needs its value"),
        (lambda: Action(1, "a", 0, "send", "c1", "c2 m1"), "does not start with"),
        (lambda: Action(1, "a", 0, "delete", "c1 r1"), "is not one word"),
    ],
)
def test_malformed_actions_are_refused(make: Callable[[], Action], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        make()


def test_reused_origins_and_values_are_refused() -> None:
    history = History()
    history.act("alice", "create", "c1", "c1")
    with pytest.raises(ValueError, match="created twice"):
        history.act("bob", "create", "c1", "c1")
    history.act("alice", "send", "c1", "c1 m1")
    with pytest.raises(ValueError, match="reused"):
        history.act("alice", "send", "c1", "c1 m1", tab=1)
    history.act("alice", "rename", "c1", "c1 r2")
    with pytest.raises(ValueError, match="reused"):
        history.act("alice", "rename", "c1", "c1 r2")
    # an action on a thread no create made is recorded: the checker reports the thread
    history.act("alice", "select", "x9")
    assert history.owner("x9") is None


def test_origin_of_takes_the_first_word() -> None:
    assert origin_of("c7") == "c7"
    assert origin_of("c7 r3") == "c7"
    assert origin_of("c7 m12 and more") == "c7"
    assert origin_of("") == ""
