"""Two tabs of one browser: two clients open at once on one store. Neither loses the
other's writes, a change is never on the wire from both, and what a closed tab left
pending is sent by the tab that syncs next."""

from itertools import combinations

from threadpact.client.adapter import ClientUnderTest
from threadpact.conformance.faults import THREAD_CREATE, Sent
from threadpact.conformance.lab import Lab, expect
from threadpact.conformance.scenarios.common import (
    THREAD,
    contents,
    keys_agree,
    keys_of,
    thread_of,
    while_in_flight,
)


def expect_shows(tab: ClientUnderTest, name: str, wanted: dict[str, tuple[str, list[str]]]) -> None:
    """Fail naming tabs-share-writes unless ``tab`` shows each thread with its title and
    messages (``wanted``: any ID of the thread -> title, message texts)."""
    shown = {t.id: (t.title, contents(t)) for t in tab.threads()}
    for thread_id, (title, texts) in wanted.items():
        thread = thread_of(tab, thread_id)
        expect(
            thread is not None,
            "tabs-share-writes",
            f"tab {name} does not show thread {thread_id} ({title!r}); it shows {shown}",
        )
        assert thread is not None
        expect(
            (thread.title, contents(thread)) == (title, texts),
            "tabs-share-writes",
            f"tab {name} shows thread {thread_id} as {(thread.title, contents(thread))}, "
            f"expected {(title, texts)}",
        )
    expect(
        len(shown) == len(wanted),
        "tabs-share-writes",
        f"tab {name} shows {len(shown)} threads, expected {len(wanted)}: {shown}",
    )


def test_two_tabs_see_each_others_writes(lab: Lab) -> None:
    """Creates, messages and renames from two open tabs, interleaved: each tab sees the
    other's at once (no reload), none is lost, and after a sync all are on the server."""
    a = lab.open()
    b = lab.open_tab()
    first = a.create_thread(title="Made in tab A", **THREAD)
    expect_shows(b, "B", {first: ("Made in tab A", [])})
    second = b.create_thread(title="Made in tab B", **THREAD)
    expect_shows(a, "A", {first: ("Made in tab A", []), second: ("Made in tab B", [])})
    a.send_message(second, role="user", content="A writes in B's thread")
    b.send_message(first, role="user", content="B writes in A's thread")
    b.rename_thread(first, "A's thread, renamed in B")
    a.send_message(first, role="assistant", content="A answers")
    third = a.create_thread(title="Second from A", **THREAD)
    a.rename_thread(second, "B's thread, renamed in A")
    wanted = {
        first: ("A's thread, renamed in B", ["B writes in A's thread", "A answers"]),
        second: ("B's thread, renamed in A", ["A writes in B's thread"]),
        third: ("Second from A", []),
    }
    expect_shows(a, "A", wanted)
    expect_shows(b, "B", wanted)

    a.sync()
    b.sync()
    temporaries = {first, second, third}
    lab.check_synced(a, temporary_ids=temporaries, creations=3)
    lab.check_synced(b, temporary_ids=temporaries, creations=3)
    expect_shows(b, "B", wanted)
    titles = sorted(t.title for t in lab.server().threads)
    expect(
        titles == sorted(title for title, _ in wanted.values()),
        "tabs-share-writes",
        f"after the tabs synced, the server's titles are {titles}",
    )


def overlapping(sent: list[Sent]) -> list[tuple[Sent, Sent]]:
    """Pairs of requests that were on the wire at the same time."""
    return [(x, y) for x, y in combinations(sent, 2) if x.began < y.ended and y.began < x.ended]


def test_a_change_is_sent_by_one_tab_at_a_time(lab: Lab) -> None:
    """While tab A's create is on the wire, tab B's sync does not send it too."""
    a = lab.open()
    b = lab.open_tab()
    temporary = a.create_thread(title="Whose create is it?", **THREAD)
    a.send_message(temporary, role="user", content="sent once")

    action, b_synced = while_in_flight(b.sync_once)
    lab.transport.before("POST", THREAD_CREATE, action)
    a.sync()
    b_synced.finished.wait(30)
    rule = "tabs-one-send"
    if b_synced.finished.is_set():
        b_synced.result(rule, "tab B's sync_once while tab A's create was in flight")
    b.sync()

    for kind, sent in (
        ("POST /threads", lab.transport.thread_creates()),
        ("POST /threads/{id}/messages", lab.transport.message_creates()),
    ):
        for x, y in overlapping(sent):
            expect(
                x.key != y.key,
                rule,
                f"two {kind} with key {x.key} were on the wire at once "
                f"({x.began:.3f}-{x.ended:.3f} and {y.began:.3f}-{y.ended:.3f} s): "
                "both tabs sent the same change",
            )
    keys_agree(lab, temporary)
    view = lab.server()
    expect(
        len(view.threads) == 1,
        "no-duplicates",
        f"one create, sent from two tabs, made {len(view.threads)} server threads",
    )
    lab.check_synced(a, temporary_ids={temporary}, creations=1)
    lab.check_synced(b, temporary_ids={temporary}, creations=1)


def test_a_closed_tabs_changes_are_sent_by_the_next_tab(lab: Lab) -> None:
    """Tab A creates offline and is closed; tab B comes online and syncs: A's thread and
    message reach the server with the keys A gave them."""
    b = lab.open()
    lab.transport.offline = True
    a = lab.open_tab()
    temporary = a.create_thread(title="Left behind by a closed tab", **THREAD)
    message_id = a.send_message(temporary, role="user", content="typed in the closed tab")
    a.sync_once()
    lab.close_tab(a)

    lab.transport.offline = False
    b.online()
    b.sync()
    rule = "tab-recovery"
    view = lab.server()
    creates = [s for s in lab.transport.thread_creates() if s.fault != "offline"]
    expect(
        len(view.threads) == 1,
        rule,
        f"tab B came online and synced, but the server has {len(view.threads)} threads for "
        f"the one tab A created offline (creates sent after A closed: {keys_of(creates)})",
    )
    keys_agree(lab, temporary, rule=rule)
    messages = [s for s in lab.transport.message_creates() if s.status == 201]
    expect(
        keys_of(messages) == [message_id],
        rule,
        f"tab B sent tab A's message with keys {keys_of(messages)}; A gave it {message_id}",
    )
    lab.check_synced(b, temporary_ids={temporary}, creations=1)
