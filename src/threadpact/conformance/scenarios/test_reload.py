"""Page reloads: a new client on the same store keeps everything the old one had (the
threads, their messages, the current-thread pointer, the aliases) and resumes its
outbox with the same keys, whenever the reload comes."""

from typing import Any

from threadpact.client.adapter import ClientUnderTest
from threadpact.conformance.faults import THREAD_CREATE
from threadpact.conformance.lab import Lab, expect, only_thread
from threadpact.conformance.scenarios.common import (
    THREAD,
    contents,
    keys_agree,
    keys_of,
    message_keys_agree,
    thread_summary,
)

RULE = "reload-keeps-everything"


def snapshot(client: ClientUnderTest) -> dict[str, Any]:
    """What a reload must keep: each thread by ID, and the current-thread pointer."""
    return {
        "threads": {t.id: thread_summary(t) for t in client.threads()},
        "current": client.current_thread_id(),
    }


def expect_kept(before: dict[str, Any], client: ClientUnderTest, when: str) -> None:
    """Fail naming reload-keeps-everything with the first thing the reload changed."""
    after = snapshot(client)
    old, new = before["threads"], after["threads"]
    expect(
        set(new) == set(old),
        RULE,
        f"after a reload {when} the client shows threads {sorted(new)}, before it showed "
        f"{sorted(old)}",
    )
    for thread_id, was in old.items():
        now = new[thread_id]
        for name, value in was.items():
            expect(
                now[name] == value,
                RULE,
                f"after a reload {when} thread {thread_id} has {name} {now[name]!r}, before "
                f"it had {value!r}",
            )
    expect(
        after["current"] == before["current"],
        RULE,
        f"after a reload {when} the current thread is {after['current']}, before it was "
        f"{before['current']}",
    )


def test_reload_keeps_the_synced_thread(lab: Lab) -> None:
    """Seed 2: a new client on the same store sees the thread, synced, under the same ID."""
    client = lab.open()
    temporary = client.create_thread(title="Kept across reloads", **THREAD)
    client.send_message(temporary, role="user", content="Still here after a reload?")
    client.sync()
    before = only_thread(client)

    reloaded = lab.open()
    after = only_thread(reloaded)
    expect(
        after.id == before.id,
        "reload-resumes",
        f"after a reload the thread is {after.id}, before it was {before.id}",
    )
    expect(
        after.syncStatus == "synced",
        "reload-resumes",
        f"after a reload the thread is {after.syncStatus}, it was synced",
    )
    expect(
        contents(after) == contents(before),
        "nothing-deleted",
        f"after a reload the messages are {contents(after)}",
    )
    lab.check_synced(reloaded, temporary_ids={temporary}, creations=1)


def test_reload_resumes_the_outbox(lab: Lab) -> None:
    """A create queued by one process is sent by the next process on the same store."""
    lab.transport.offline = True
    client = lab.open()
    temporary = client.create_thread(title="Queued before a reload", **THREAD)
    client.send_message(temporary, role="user", content="typed offline")
    client.sync_once()

    lab.transport.offline = False
    reloaded = lab.open()
    thread = only_thread(reloaded)
    expect(
        thread.id == temporary and thread.syncStatus == "pending",
        "reload-resumes",
        f"after a reload the unsent thread is {thread.id} ({thread.syncStatus}), "
        f"expected {temporary} (pending)",
    )
    reloaded.sync()
    keys_agree(lab, temporary)
    lab.check_synced(reloaded, temporary_ids={temporary}, creations=1)


def two_threads(client: ClientUnderTest) -> tuple[list[str], list[str]]:
    """Two new threads with messages, the first one current: their IDs and message IDs."""
    first = client.create_thread(title="First, with two messages", **THREAD)
    second = client.create_thread(title="Second, with one", **THREAD)
    messages = [
        client.send_message(first, role="user", content="one"),
        client.send_message(first, role="assistant", content="two"),
        client.send_message(second, role="user", content="three"),
    ]
    client.select_thread(first)
    return [first, second], messages


def same_keys_after_reload(lab: Lab, temporaries: list[str], messages: list[str]) -> None:
    """Every create and message the client sent used the key it had before the reload."""
    creates = keys_of(lab.transport.thread_creates())
    expect(
        set(creates) <= set(temporaries),
        RULE,
        f"after a reload the creates sent keys {creates}; the threads' keys are {temporaries}",
    )
    message_keys_agree(lab, set(messages), rule=RULE)


def test_reload_before_any_sync_keeps_everything(lab: Lab) -> None:
    """A reload before anything was sent keeps the threads, messages and pointer."""
    client = lab.open()
    temporaries, messages = two_threads(client)
    before = snapshot(client)

    reloaded = lab.open()
    expect_kept(before, reloaded, "before any sync")
    reloaded.sync()
    same_keys_after_reload(lab, temporaries, messages)
    lab.check_synced(reloaded, temporary_ids=set(temporaries), creations=2)


def test_reload_with_a_create_in_flight_keeps_everything(lab: Lab) -> None:
    """A create reached the server but its answer never came back, and the network went
    down with it: a reload keeps everything, and the next sync makes no second thread."""
    client = lab.open()
    temporaries, messages = two_threads(client)

    def network_goes_down(request: object) -> None:
        del request
        lab.transport.offline = True

    lab.transport.lose_response("POST", THREAD_CREATE)
    lab.transport.before("POST", THREAD_CREATE, network_goes_down)
    client.sync()
    expect(
        len(lab.server().threads) == 1,
        "no-duplicates",
        f"the lost create made {len(lab.server().threads)} server thread(s), expected 1",
    )
    before = snapshot(client)

    lab.transport.offline = False
    reloaded = lab.open()
    expect_kept(before, reloaded, "with a create's answer lost")
    reloaded.sync()
    same_keys_after_reload(lab, temporaries, messages)
    for temporary in temporaries:
        sent = [s for s in lab.transport.thread_creates() if s.key == temporary]
        expect(
            bool(sent) and sent[-1].status == 201,
            RULE,
            f"after a reload the create with key {temporary} ended "
            f"{[(s.status, s.fault) for s in sent]}",
        )
    lab.check_synced(reloaded, temporary_ids=set(temporaries), creations=2)


def test_reload_after_the_swap_keeps_everything(lab: Lab) -> None:
    """After the swap, a reload keeps the server IDs, the aliases, the pointer and the
    changes still queued."""
    client = lab.open()
    temporaries, messages = two_threads(client)
    client.sync()
    lab.transport.offline = True
    first = client.current_thread_id()
    assert first is not None, "the client has no current thread"
    messages.append(client.send_message(first, role="user", content="four, offline"))
    client.rename_thread(first, "First, renamed offline")
    client.sync_once()
    before = snapshot(client)

    lab.transport.offline = False
    reloaded = lab.open()
    expect_kept(before, reloaded, "after the swap")
    reloaded.sync()
    same_keys_after_reload(lab, temporaries, messages)
    threads = lab.check_synced(reloaded, temporary_ids=set(temporaries), creations=2)
    titles = sorted(t.title for t in lab.server().threads)
    expect(
        titles == sorted(t.title for t in threads),
        RULE,
        f"after a reload the server's titles are {titles}, the client's "
        f"{sorted(t.title for t in threads)}",
    )
