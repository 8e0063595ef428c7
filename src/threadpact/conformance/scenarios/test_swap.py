"""The ID swap: a create takes the server's ID, its temporary ID stays usable, and the
thread is shown once, pending, while its create is on the wire."""

from threadpact.conformance.faults import MESSAGE_CREATE, THREAD_CREATE
from threadpact.conformance.lab import Lab, expect, only_thread
from threadpact.conformance.scenarios.common import (
    THREAD,
    attempt,
    contents,
    keys_of,
    message_keys_agree,
    server_contents,
    while_in_flight,
)
from threadpact.models import LocalThread
from threadpact.names import Role


def test_create_takes_the_server_id(lab: Lab) -> None:
    """Seed 1: after a create, the local ID is the server's and the server has one thread."""
    client = lab.open()
    temporary = client.create_thread(title="Refund for order 1042", **THREAD)
    client.select_thread(temporary)
    client.sync()

    creates = lab.transport.thread_creates()
    expect(bool(creates), "no-unsynced", "the client never sent POST /threads")
    expect(
        creates[0].key == temporary,
        "key-is-temporary-id",
        f"the create sent Idempotency-Key {creates[0].key}, the thread's temporary id "
        f"is {temporary}",
    )
    view = lab.server()
    expect(
        len(view.threads) == 1,
        "no-duplicates",
        f"one create made {len(view.threads)} server threads",
    )
    thread = only_thread(client)
    server_id = str(view.threads[0].id)
    expect(
        thread.id != temporary,
        "swap",
        f"local id {thread.id} is still the temporary id after a successful create "
        f"(the server's id is {server_id})",
    )
    expect(
        thread.id == server_id,
        "swap",
        f"local id {thread.id} is not the server's id {server_id}",
    )
    expect(
        temporary in thread.aliases,
        "alias",
        f"the temporary id {temporary} is not among the aliases {thread.aliases}",
    )
    expect(
        client.current_thread_id() == server_id,
        "current-follows",
        f"the current thread is {client.current_thread_id()}, not the server id {server_id}",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_three_rapid_creates(lab: Lab) -> None:
    """Seed 5: three creates in a row make three server threads, no duplicates."""
    client = lab.open()
    temporaries = [client.create_thread(title=f"Rapid {n}", **THREAD) for n in range(1, 4)]
    expect(
        len(set(temporaries)) == 3,
        "no-duplicates",
        f"three creates got the temporary ids {temporaries}",
    )
    client.sync()

    keys = keys_of(lab.transport.thread_creates())
    expect(
        set(keys) == set(temporaries),
        "key-is-temporary-id",
        f"the creates sent keys {keys}, the temporary ids are {temporaries}",
    )
    threads = lab.check_synced(client, temporary_ids=set(temporaries), creations=3)
    expect(
        len({t.id for t in threads}) == 3,
        "no-duplicates",
        f"three creates ended as {[t.id for t in threads]}",
    )


def test_messages_sent_during_the_create_arrive_in_order(lab: Lab) -> None:
    """Seed 6: messages typed while the create is in flight follow it, in order."""
    client = lab.open()
    typed: list[tuple[Role, str]] = [
        ("user", "Where is my refund?"),
        ("assistant", "Let me check order 1042."),
        ("user", "Thanks!"),
    ]
    temporary = client.create_thread(title="Typed while creating", **THREAD)

    def type_messages() -> list[str]:
        return [client.send_message(temporary, role=r, content=c) for r, c in typed]

    action, typing = while_in_flight(type_messages)
    lab.transport.before("POST", THREAD_CREATE, action)
    client.sync()

    expect(typing.finished.is_set(), "pending-while-offline", "the client did not send the create")
    sent_ids = typing.result("pending-while-offline", "send_message during the create")
    [thread] = lab.check_synced(client, temporary_ids={temporary}, creations=1)
    keys = keys_of(lab.transport.message_creates())
    expect(
        keys == sent_ids,
        "message-key",
        f"the message creates sent keys {keys}, the messages' ids are {sent_ids}",
    )
    texts = [(m.role, m.content) for m in thread.messages]
    expect(
        texts == typed,
        "messages-match",
        f"the thread's messages are {texts}, typed were {typed}",
    )
    expect(
        [m.clientId for m in thread.messages] == sent_ids,
        "messages-match",
        "each synced message should keep its own id as clientId",
    )


def test_the_temporary_id_still_works_after_the_swap(lab: Lab) -> None:
    """After the swap the temporary ID selects the thread, takes messages and retries it."""
    client = lab.open()
    temporary = client.create_thread(title="Old links keep working", **THREAD)
    client.sync()
    [server] = lab.server().threads
    server_id = str(server.id)
    expect(
        only_thread(client).id == server_id,
        "swap",
        f"local id {only_thread(client).id} is not the server's id {server_id}",
    )
    other = client.create_thread(title="Somewhere else", **THREAD)
    client.select_thread(other)

    rule = "temporary-id-usable"
    attempt(
        rule, f"select_thread({temporary}) after the swap", lambda: client.select_thread(temporary)
    )
    expect(
        client.current_thread_id() == server_id,
        rule,
        f"select_thread({temporary}) after the swap made {client.current_thread_id()} the "
        f"current thread, not the thread's server id {server_id}",
    )
    message_id = attempt(
        rule,
        f"send_message({temporary}) after the swap",
        lambda: client.send_message(temporary, role="user", content="sent to the old id"),
    )
    thread = next((t for t in client.threads() if t.id == server_id), None)
    expect(
        contents(thread) == ["sent to the old id"],
        rule,
        f"a message sent to the temporary id {temporary} after the swap is not in thread "
        f"{server_id}: it shows {contents(thread)}",
    )
    client.sync()
    on_server = server_contents(lab.observer.iter_messages(server_id))
    expect(
        on_server == ["sent to the old id"],
        rule,
        f"a message sent to the temporary id after the swap reached the server as {on_server}",
    )

    lab.transport.answer(422, "POST", MESSAGE_CREATE)
    failing = client.send_message(temporary, role="user", content="refused once")
    client.sync()
    refused = [s for s in lab.transport.message_creates() if s.key == failing]
    expect(
        [s.status for s in refused] == [422],
        "stop-on-permanent",
        f"the message answered 422 was sent {len(refused)} time(s): {[s.status for s in refused]}",
    )
    attempt(rule, f"retry({temporary}) after the swap", lambda: client.retry(temporary))
    client.sync()
    message_keys_agree(lab, {message_id, failing})
    resent = [s for s in lab.transport.message_creates() if s.key == failing]
    expect(
        len(resent) == 2 and resent[-1].status == 201,
        rule,
        f"retry({temporary}) did not re-send the failed message: its creates were answered "
        f"{[s.status for s in resent]}",
    )
    lab.check_synced(client, temporary_ids={temporary, other}, creations=2)


def test_a_thread_in_flight_is_shown_once_and_usable(lab: Lab) -> None:
    """While its create is on the wire, the thread is shown once, pending, under its
    temporary ID; it is the current thread, and takes messages and a rename."""
    client = lab.open()
    temporary = client.create_thread(title="On the wire", **THREAD)
    client.select_thread(temporary)

    def look() -> tuple[list[LocalThread], str | None, str]:
        shown = client.threads()
        current = client.current_thread_id()
        message_id = client.send_message(temporary, role="user", content="typed meanwhile")
        client.rename_thread(temporary, "Renamed on the wire")
        return shown, current, message_id

    action, seen = while_in_flight(look)
    lab.transport.before("POST", THREAD_CREATE, action)
    client.sync()

    rule = "in-flight-view"
    expect(seen.finished.is_set(), rule, "the client never sent the create")
    shown, current, message_id = seen.result(
        rule, "threads, current_thread_id, send_message, rename_thread"
    )
    mine = [t for t in shown if t.id == temporary or temporary in t.aliases]
    expect(
        len(mine) == 1,
        rule,
        f"while its create was in flight the thread was shown {len(mine)} time(s) "
        f"(ids {[t.id for t in shown]})",
    )
    expect(
        mine[0].id == temporary,
        rule,
        f"while its create was in flight the thread was shown as {mine[0].id}, not under "
        f"its temporary id {temporary}",
    )
    expect(
        mine[0].syncStatus == "pending",
        rule,
        f"while its create was in flight the thread was {mine[0].syncStatus}, not pending",
    )
    expect(
        current == temporary,
        rule,
        f"while its create was in flight the current thread was {current}, not {temporary}",
    )
    [thread] = lab.check_synced(client, temporary_ids={temporary}, creations=1)
    expect(
        [(m.clientId or m.id, m.content) for m in thread.messages]
        == [(message_id, "typed meanwhile")],
        rule,
        f"the message sent while the create was in flight ended as "
        f"{[(m.clientId or m.id, m.content) for m in thread.messages]}",
    )
    titles = [t.title for t in lab.server().threads]
    expect(
        thread.title == "Renamed on the wire" and titles == ["Renamed on the wire"],
        rule,
        f"the rename made while the create was in flight ended as {thread.title!r} locally "
        f"and {titles} on the server",
    )
