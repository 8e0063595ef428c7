"""Migration of the old client's data, unit by unit and end to end on a real provider."""

import json
from pathlib import Path
from typing import Any

import pytest

from threadpact.client.api import ThreadsApi
from threadpact.client.clock import VirtualClock
from threadpact.client.invariants import check_synced, server_view
from threadpact.client.legacy import migrate_legacy, migrate_legacy_file, parse_dump, to_ms
from threadpact.client.store import Store
from threadpact.client.sync import SyncEngine
from threadpact.conformance.fixtures import Live
from threadpact.models import ThreadCreate

FIXTURE = Path(__file__).parent / "fixtures" / "legacy_store.json"
REFUND = "3f2c8a1e-6b4d-4e2a-9c1f-7d8e5b6a4c3b"
TRIP = "thread-1712844000000"
REPORT = "e8d7c6b5-a493-4281-9f0e-1d2c3b4a5968"
DRAFT = "brouillon n°4"
NOW = 1_800_000_000.0


def legacy() -> Any:
    return json.loads(FIXTURE.read_text())


@pytest.fixture
def store(tmp_path: Path) -> Store:
    return Store(tmp_path / "store.json")


def test_the_fixture_migrates_into_pending_threads_under_their_old_ids(store: Store) -> None:
    report = migrate_legacy(legacy(), store, clock=VirtualClock(NOW))
    state = store.snapshot()
    by_old = {t.id: t for t in state.threads}

    assert report.threads == 4
    assert report.messages == 4 + 3 + 2
    assert [t.id for t in state.threads][:3] == [TRIP, REFUND, REPORT]  # oldest first
    assert all(t.syncStatus == "pending" for t in state.threads)
    assert all(m.syncStatus == "pending" for t in state.threads for m in t.messages)

    refund = by_old[REFUND]
    assert [m.content for m in refund.messages][-2:] == [
        "Thanks!",
        "You're welcome! Anything else?",
    ]  # the copy saved twice was merged, nothing repeated
    assert (refund.createdAt, refund.updatedAt) == (1717405200000, 1717405385000)

    trip = by_old[TRIP]
    assert trip.title == "Trip plan (Lisbon)"  # the control character is gone
    assert (trip.model, trip.provider) == ("unknown", "unknown")
    assert [m.role for m in trip.messages] == ["system", "user", "assistant"]
    assert trip.createdAt == to_ms("2024-04-11T14:00:00.000Z") == 1712844000000
    assert any("no content" in note for note in report.notes)

    report_thread = by_old[REPORT]
    assert report_thread.artifactId == "artifact-q2-report"
    assert [m.id for m in trip.messages] == ["1", "2", "3"]
    repeated = [m.id for m in report_thread.messages]
    assert "1" not in repeated
    assert "2" not in repeated

    [draft] = [t for t in state.threads if DRAFT in t.aliases]
    assert draft.id != DRAFT
    assert draft.title == "New thread"
    assert state.aliases[DRAFT] == draft.id
    assert state.currentThreadId == TRIP


def test_each_thread_is_queued_with_its_old_id_as_the_key_then_its_messages(
    store: Store,
) -> None:
    migrate_legacy(legacy(), store, clock=VirtualClock(NOW))
    state = store.snapshot()
    for thread in state.threads:
        chain = [e for e in state.outbox if e.threadId == thread.id]
        assert chain[0].kind == "createThread"
        assert chain[0].key == thread.id
        assert chain[0].body["title"] == thread.title
        assert [e.kind for e in chain[1:]] == ["createMessage"] * len(thread.messages)
        assert [e.key for e in chain[1:]] == [m.id for m in thread.messages]
        assert [e.body["content"] for e in chain[1:]] == [m.content for m in thread.messages]
    keys = [e.key for e in state.outbox]
    assert len(keys) == len(set(keys))


def test_migrating_twice_adds_nothing(store: Store) -> None:
    migrate_legacy(legacy(), store)
    again = migrate_legacy(legacy(), store)
    assert (again.threads, again.already_migrated) == (0, 4)
    assert len(store.snapshot().threads) == 4


def test_a_bare_dump_and_odd_values_are_accepted(store: Store) -> None:
    dump = {
        "threads": [
            {
                "id": 17,
                "title": None,
                "createdAt": None,
                "messages": [
                    {"role": "narrator", "content": "?"},
                    {"role": "user", "content": "nul\x00byte", "timestamp": "not a date"},
                ],
            },
        ],
        "currentThreadId": 17,
    }
    report = migrate_legacy(dump, store, clock=VirtualClock(NOW))
    [thread] = store.snapshot().threads
    assert thread.id == "17"
    assert thread.title == "New thread"
    assert [m.content for m in thread.messages] == ["nulbyte"]
    assert thread.messages[0].createdAt == int(NOW * 1000)
    assert any("unknown role" in note for note in report.notes)
    assert store.snapshot().currentThreadId == "17"


def test_not_legacy_data_is_refused(store: Store) -> None:
    with pytest.raises(ValueError, match="not legacy thread data"):
        parse_dump({"threads": "nope"})


def test_the_legacy_fixture_syncs_end_to_end(live: Live, token: str, tmp_path: Path) -> None:
    store = Store(tmp_path / "store.json")
    report = migrate_legacy_file(FIXTURE, store)
    old_ids = {t.id for t in store.snapshot().threads}
    local_before = {
        t.id: [(m.role, m.content) for m in t.messages] for t in store.snapshot().threads
    }
    api = ThreadsApi(live.server.base_url, token)
    engine = SyncEngine(store, api, clock=VirtualClock())
    try:
        engine.drain()
        threads = engine.threads()
        violations = check_synced(
            threads, server_view(api), temporary_ids=old_ids, creations=report.threads
        )
        assert not violations, "\n".join(map(str, violations))
        for old_id, messages in local_before.items():
            thread = engine.thread(old_id)  # the old id still leads to the thread
            assert thread is not None
            assert old_id in thread.aliases
            assert [(m.role, m.content) for m in thread.messages] == messages
        assert engine.current_thread_id() == engine.resolve(TRIP)

        # The server made each thread under the old id as key: a replay finds it.
        refund = engine.thread(REFUND)
        assert refund is not None
        replay = api.create_thread(
            ThreadCreate(
                agent_id=refund.agentId,
                model=refund.model,
                provider=refund.provider,
                title=refund.title,
            ),
            idempotency_key=REFUND,
        )
        assert replay.replayed
        assert str(replay.value.id) == refund.id

        # A reload, and running the migration again, change nothing.
        again = migrate_legacy_file(FIXTURE, Store(tmp_path / "store.json"))
        assert again.threads == 0
    finally:
        api.close()
