"""The network down, answers lost or late, and the network back: nothing fails for
being offline, nothing is made twice, and everything pending goes out when the
network returns."""

import time

from threadpact.conformance.faults import MESSAGE_CREATE, THREAD_CREATE
from threadpact.conformance.fixtures import KEY_RETENTION_SECONDS, PURGE_INTERVAL_SECONDS
from threadpact.conformance.lab import Lab, expect, only_thread
from threadpact.conformance.scenarios.common import (
    THREAD,
    contents,
    create_keys_within,
    keys_agree,
    keys_of,
    message_keys_agree,
    server_contents,
)

HOUR = 3600.0
DAY = 24 * HOUR


def test_offline_create_stays_pending_then_syncs(lab: Lab) -> None:
    """Seed 3: offline, the thread is pending and usable; back online, it swaps."""
    lab.transport.offline = True
    client = lab.open()
    temporary = client.create_thread(title="Written on a train", **THREAD)
    client.select_thread(temporary)
    client.send_message(temporary, role="user", content="first, offline")
    client.sync_once()

    thread = only_thread(client)
    expect(
        thread.id == temporary,
        "pending-while-offline",
        f"offline, the thread changed id to {thread.id}",
    )
    expect(
        thread.syncStatus == "pending",
        "pending-while-offline",
        f"offline after one attempt, the thread is {thread.syncStatus}, not pending",
    )
    client.send_message(temporary, role="assistant", content="second, still offline")
    expect(
        contents(only_thread(client)) == ["first, offline", "second, still offline"],
        "pending-while-offline",
        "messages typed offline are not all kept",
    )
    expect(not lab.server().threads, "no-orphans", "the server has a thread while offline")

    lab.transport.offline = False
    client.sync()
    thread = only_thread(client)
    expect(
        thread.id != temporary,
        "swap",
        f"local id {thread.id} is still the temporary id after a successful create",
    )
    expect(
        client.current_thread_id() == thread.id,
        "current-follows",
        f"the current thread is {client.current_thread_id()}, the thread is now {thread.id}",
    )
    keys_agree(lab, temporary)
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_offline_for_hours_never_fails(lab: Lab) -> None:
    """However long the network is down, and however often the client tries, nothing is
    marked failed: a new thread, a message and a rename all stay pending, then sync."""
    client = lab.open()
    earlier = client.create_thread(title="Synced before the outage", **THREAD)
    client.sync()
    lab.transport.offline = True
    temporary = client.create_thread(title="Written in a tunnel", **THREAD)
    client.send_message(temporary, role="user", content="typed offline")
    client.send_message(earlier, role="user", content="added offline")
    client.rename_thread(earlier, "Renamed offline")

    rule = "offline-never-fails"
    hours = 0.0
    for _ in range(4):
        client.sync()
        client.advance(3 * HOUR)
        hours += 3
        client.sync_once()
        tried = len([s for s in lab.transport.sent if s.fault == "offline"])
        for thread in client.threads():
            expect(
                thread.syncStatus != "failed",
                rule,
                f"after {hours:g} h offline ({tried} attempts) thread {thread.id} "
                f"({thread.title!r}) is failed: {thread.syncError!r}",
            )
            expect(
                thread.syncStatus == "pending",
                rule,
                f"after {hours:g} h offline thread {thread.id} ({thread.title!r}) is "
                f"{thread.syncStatus}, but it has changes the server never got",
            )
            for message in thread.messages:
                expect(
                    message.syncStatus != "failed",
                    rule,
                    f"after {hours:g} h offline message {message.id} ({message.content!r}) "
                    "is failed",
                )
    expect(
        len(client.threads()) == 2
        and contents(next(t for t in client.threads() if t.title == "Written in a tunnel"))
        == ["typed offline"],
        "nothing-deleted",
        f"after hours offline the client shows "
        f"{[(t.title, contents(t)) for t in client.threads()]}",
    )

    lab.transport.offline = False
    client.sync()
    create_keys_within(lab, {temporary, earlier})
    threads = lab.check_synced(client, temporary_ids={temporary, earlier}, creations=2)
    titles = sorted(t.title for t in lab.server().threads)
    expect(
        titles == ["Renamed offline", "Written in a tunnel"],
        "no-unsynced",
        f"after the outage the server's titles are {titles}",
    )
    expect(
        sorted(contents(t) for t in threads) == [["added offline"], ["typed offline"]],
        "nothing-deleted",
        f"after the outage the threads' messages are {[contents(t) for t in threads]}",
    )


def test_online_sends_everything_pending_at_once(lab: Lab) -> None:
    """When the network comes back, one ``online()`` sends every pending change, each
    with its own key, before it returns: no sync call, no waiting for a backoff timer."""
    client = lab.open()
    earlier = client.create_thread(title="Synced before the outage", **THREAD)
    client.sync()
    lab.transport.offline = True
    message_ids = [client.send_message(earlier, role="user", content="to the old thread")]
    temporaries = []
    for n in range(1, 4):
        temporary = client.create_thread(title=f"Offline {n}", **THREAD)
        temporaries.append(temporary)
        for m in range(1, n + 1):
            text = f"offline {n}.{m}"
            message_ids.append(client.send_message(temporary, role="user", content=text))
    client.sync()  # tries each change its per-sync number of times; timers now wait

    lab.transport.offline = False
    offline_attempts = len(lab.transport.sent)
    client.online()

    rule = "online-retries-all"
    view = lab.server()
    expect(
        len(view.threads) == 4,
        rule,
        f"after online() (and no sync) the server has {len(view.threads)} of the 4 threads",
    )
    for thread in client.threads():
        expect(
            thread.syncStatus == "synced",
            rule,
            f"after online() (and no sync) thread {thread.id} ({thread.title!r}) is "
            f"{thread.syncStatus}",
        )
    texts = sorted(
        text for messages in view.messages.values() for text in server_contents(messages)
    )
    wanted = sorted(
        ["to the old thread"] + [f"offline {n}.{m}" for n in range(1, 4) for m in range(1, n + 1)]
    )
    expect(
        texts == wanted,
        rule,
        f"after online() (and no sync) the server has the messages {texts}, expected {wanted}",
    )
    after = lab.transport.sent[offline_attempts:]
    create_keys = [s.key for s in after if s.method == "POST" and THREAD_CREATE.fullmatch(s.path)]
    expect(
        sorted(str(k) for k in create_keys) == sorted(temporaries),
        rule,
        f"online() sent the creates with keys {create_keys}; each thread's key is its "
        f"temporary id {temporaries}",
    )
    message_keys = [s.key for s in after if s.method == "POST" and MESSAGE_CREATE.fullmatch(s.path)]
    expect(
        sorted(str(k) for k in message_keys) == sorted(message_ids),
        rule,
        f"online() sent the messages with keys {message_keys}; each message's key is its "
        f"id {message_ids}",
    )
    message_keys_agree(lab, set(message_ids))
    lab.check_synced(client, temporary_ids={earlier, *temporaries}, creations=4)


def test_a_create_retried_past_the_key_retention_makes_one_thread(lab: Lab) -> None:
    """A create whose answer was lost, retried a day later (past the server's key
    retention), finds the thread it made: the server keeps a key while its thread lives."""
    lab.transport.lose_response("POST", THREAD_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="Answer lost before a long outage", **THREAD)
    client.send_message(temporary, role="user", content="still one thread?")
    client.sync_once()
    expect(
        [s.fault for s in lab.transport.thread_creates()] == ["lost"],
        "pending-while-offline",
        f"the client sent {len(lab.transport.thread_creates())} create(s) in one sync_once",
    )

    time.sleep(KEY_RETENTION_SECONDS + PURGE_INTERVAL_SECONDS + 0.5)  # the provider purges
    client.advance(DAY)
    client.sync()
    view = lab.server()
    keys = keys_of(lab.transport.thread_creates())
    expect(
        len(view.threads) == 1,
        "key-past-retention",
        f"a create retried a day later, past the server's key retention of "
        f"{KEY_RETENTION_SECONDS:g} s, made {len(view.threads)} server threads; the creates "
        f"sent keys {keys}",
    )
    keys_agree(lab, temporary, rule="key-past-retention")
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_lost_response_makes_no_duplicate(lab: Lab) -> None:
    """Seed 4: the server commits, the answer is lost; the retry finds the same thread."""
    lab.transport.lose_response("POST", THREAD_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="The answer got lost", **THREAD)
    client.sync()

    creates = lab.transport.thread_creates()
    expect(
        len(creates) >= 2,
        "pending-while-offline",
        f"after a lost answer the client sent {len(creates)} create(s) and never retried",
    )
    keys_agree(lab, creates[0].key)
    view = lab.server()
    expect(
        len(view.threads) == 1,
        "no-duplicates",
        f"a retried create made {len(view.threads)} server threads",
    )
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_lost_message_response_makes_no_duplicate(lab: Lab) -> None:
    """A message whose answer was lost is retried with its key and appears once."""
    lab.transport.lose_response("POST", MESSAGE_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="Message answer lost", **THREAD)
    message_id = client.send_message(temporary, role="user", content="only once, please")
    client.sync()

    message_keys_agree(lab, {message_id})
    lab.check_synced(client, temporary_ids={temporary}, creations=1)


def test_slow_answers_make_no_duplicate(lab: Lab) -> None:
    """A create and a message answered late are each made once, with their own keys."""
    lab.transport.delay(0.5, "POST", THREAD_CREATE)
    lab.transport.delay(0.5, "POST", MESSAGE_CREATE)
    client = lab.open()
    temporary = client.create_thread(title="A slow network", **THREAD)
    message_id = client.send_message(temporary, role="user", content="patience")
    client.sync()

    keys_agree(lab, temporary)
    keys = {s.key for s in lab.transport.message_creates()}
    expect(
        keys == {message_id},
        "message-key",
        f"the message creates sent keys {sorted(str(k) for k in keys)}, its id is {message_id}",
    )
    [thread] = lab.check_synced(client, temporary_ids={temporary}, creations=1)
    expect(
        contents(thread) == ["patience"],
        "no-duplicates",
        f"a slow message ended as {contents(thread)}",
    )
