"""The local store: one JSON file, atomic replacement, survives crashes and reloads."""

import json
import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from threadpact.client import store as store_module
from threadpact.client.outbox import OutboxEntry
from threadpact.client.store import (
    FORMAT,
    VERSION,
    Store,
    StoreCorrupt,
    StoreVersionError,
)
from threadpact.models import LocalThread

ROOT = Path(__file__).resolve().parents[2]


def a_thread(thread_id: str = "t-1", title: str = "Hello") -> LocalThread:
    return LocalThread(
        id=thread_id,
        title=title,
        agentId="a",
        model="m",
        provider="p",
        messages=[],
        createdAt=1,
        updatedAt=1,
        syncStatus="pending",
    )


def temporaries(path: Path) -> list[Path]:
    return list(path.parent.glob(f".{path.name}.*.tmp"))


def test_a_new_store_is_written_with_its_format_and_version(tmp_path: Path) -> None:
    path = tmp_path / "nested" / "store.json"
    Store(path)
    data = json.loads(path.read_text())
    assert data["format"] == FORMAT
    assert data["version"] == VERSION == 1
    assert data["threads"] == []
    assert data["outbox"] == []
    assert data["aliases"] == {}
    assert data["currentThreadId"] is None


def test_a_committed_change_is_there_after_a_reload(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = Store(path)
    with store.transaction() as state:
        state.threads.append(a_thread())
        state.currentThreadId = "t-1"
        state.aliases["old"] = "t-1"
        state.outbox.append(OutboxEntry(id="e-1", kind="createThread", threadId="t-1", key="t-1"))
    reloaded = Store(path).snapshot()
    assert reloaded == store.snapshot()
    assert reloaded.thread("old") == a_thread()
    assert reloaded.outbox[0].key == "t-1"


def test_a_transaction_that_raises_changes_nothing(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = Store(path)
    before = path.read_bytes()

    def interrupted() -> None:
        with store.transaction() as state:
            state.threads.append(a_thread())
            raise RuntimeError("the user closed the tab")

    with pytest.raises(RuntimeError, match="closed the tab"):
        interrupted()
    assert store.snapshot().threads == []
    assert path.read_bytes() == before


def test_nested_transactions_write_once(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    store = Store(tmp_path / "store.json")
    writes: list[int] = []
    real = store_module.write_atomically
    monkeypatch.setattr(
        store_module, "write_atomically", lambda *a, **k: (writes.append(1), real(*a, **k))
    )
    with store.transaction() as outer:
        outer.threads.append(a_thread("a"))
        with store.transaction() as inner:
            assert inner is outer
            inner.threads.append(a_thread("b"))
    assert len(writes) == 1
    assert [t.id for t in Store(tmp_path / "store.json").snapshot().threads] == ["a", "b"]


def test_a_crash_before_the_rename_keeps_the_old_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "store.json"
    store = Store(path)
    with store.transaction() as state:
        state.threads.append(a_thread("kept"))
    before = path.read_bytes()

    def crash(*args: object) -> None:
        raise OSError("power cut")

    monkeypatch.setattr(os, "replace", crash)

    def write() -> None:
        with store.transaction() as state:
            state.threads.clear()

    with pytest.raises(OSError, match="power cut"):
        write()
    monkeypatch.undo()

    assert path.read_bytes() == before
    assert [t.id for t in store.snapshot().threads] == ["kept"]
    assert temporaries(path) == []
    assert [t.id for t in Store(path).snapshot().threads] == ["kept"]


def test_a_half_written_temporary_from_a_crash_is_ignored_and_removed(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = Store(path)
    with store.transaction() as state:
        state.threads.append(a_thread("kept"))
    full = path.read_bytes()
    leftover = path.parent / f".{path.name}.abc123.tmp"
    leftover.write_bytes(full[: len(full) // 2])  # the crash hit mid-write

    reopened = Store(path)
    assert [t.id for t in reopened.snapshot().threads] == ["kept"]
    assert not leftover.exists()


def test_writes_are_flushed_and_the_directory_synced(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = Store(tmp_path / "store.json")
    synced: list[int] = []
    real = os.fsync
    monkeypatch.setattr(os, "fsync", lambda fd: (synced.append(fd), real(fd)))
    with store.transaction() as state:
        state.currentThreadId = "x"
    assert len(synced) == 2  # the temporary file, then the directory


CHILD = textwrap.dedent(
    """
    import sys
    from threadpact.client.store import Store
    from threadpact.models import LocalMessage, LocalThread

    store = Store(sys.argv[1])
    payload = "x" * 2000
    n = 0
    while True:
        n += 1
        with store.transaction() as state:
            state.currentThreadId = str(n)
            state.threads = [
                LocalThread(
                    id=f"t-{n}", title="t", agentId="a", model="m", provider="p",
                    messages=[
                        LocalMessage(id=f"m-{i}", role="user", content=payload,
                                     createdAt=n, syncStatus="pending")
                        for i in range(150)
                    ],
                    createdAt=n, updatedAt=n, syncStatus="pending",
                )
            ]
        print(n, flush=True)
    """
)


@pytest.mark.parametrize("run", range(3))
def test_a_process_killed_mid_write_leaves_a_whole_store(tmp_path: Path, run: int) -> None:
    path = tmp_path / "store.json"
    script = tmp_path / "writer.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), str(path)],
        stdout=subprocess.PIPE,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT / "generated")},
    )
    try:
        assert child.stdout is not None
        first = child.stdout.readline()
        assert first.strip() == b"1", first
        time.sleep(random.Random(run).uniform(0.05, 0.4))
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait()
    printed = [int(line) for line in [first, *child.stdout.read().splitlines()] if line.strip()]

    state = Store(path).snapshot()  # must parse: old or new, never a mix
    committed = int(state.currentThreadId or 0)
    assert committed in (printed[-1], printed[-1] + 1)
    [thread] = state.threads
    assert thread.id == f"t-{committed}"
    assert len(thread.messages) == 150
    assert all(m.createdAt == committed for m in thread.messages)
    assert temporaries(path) == []


def test_a_file_that_is_not_json_is_reported_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_text('{"format": "threadpact-client-store", "vers')
    with pytest.raises(StoreCorrupt, match="not JSON"):
        Store(path)
    assert path.read_text().endswith('"vers')


def test_a_newer_format_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_text(json.dumps({"format": FORMAT, "version": VERSION + 1, "threads": []}))
    with pytest.raises(StoreVersionError, match="newer"):
        Store(path)


def test_legacy_data_is_not_mistaken_for_a_store(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_text(json.dumps({"threads": [], "currentThreadId": None}))
    with pytest.raises(StoreCorrupt, match="legacy"):
        Store(path)


def test_an_invalid_thread_is_reported(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    path.write_text(json.dumps({"format": FORMAT, "version": 1, "threads": [{"id": "x"}]}))
    with pytest.raises(StoreCorrupt, match="invalid field"):
        Store(path)


def test_aliases_resolve_through_chains_and_stop_on_loops(tmp_path: Path) -> None:
    store = Store(tmp_path / "store.json")
    with store.transaction() as state:
        state.threads.append(a_thread("server"))
        state.aliases.update(
            {"legacy": "temp", "temp": "server", "loop-a": "loop-b", "loop-b": "loop-a"}
        )
    snapshot = store.snapshot()
    assert snapshot.resolve("legacy") == "server"
    assert snapshot.thread("legacy") is not None
    assert snapshot.resolve("unknown") == "unknown"
    assert snapshot.resolve("loop-a") in {"loop-a", "loop-b"}


def test_the_file_is_private(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    store = Store(path)
    with store.transaction() as state:
        state.currentThreadId = "x"
    assert path.stat().st_mode & 0o077 == 0


TAB = textwrap.dedent(
    """
    import sys
    from threadpact.client.store import Store
    from threadpact.models import LocalThread

    store = Store(sys.argv[1], durable=False)
    name = sys.argv[2]
    for n in range(40):
        with store.transaction() as state:
            state.threads.append(
                LocalThread(id=f"{name}-{n}", title=name, agentId="a", model="m",
                            provider="p", messages=[], createdAt=n, updatedAt=n,
                            syncStatus="pending")
            )
    """
)


def test_two_processes_on_one_store_lose_none_of_each_others_writes(tmp_path: Path) -> None:
    path = tmp_path / "store.json"
    script = tmp_path / "tab.py"
    script.write_text(TAB)
    Store(path)
    env = {**os.environ, "PYTHONPATH": str(ROOT / "src") + os.pathsep + str(ROOT / "generated")}
    tabs = [
        subprocess.Popen([sys.executable, str(script), str(path), name], cwd=ROOT, env=env)
        for name in ("left", "right")
    ]
    assert [tab.wait(timeout=60) for tab in tabs] == [0, 0]
    ids = {t.id for t in Store(path).snapshot().threads}
    assert ids == {f"{name}-{n}" for name in ("left", "right") for n in range(40)}


def test_a_store_sees_another_instances_commits_without_reopening(tmp_path: Path) -> None:
    left, right = Store(tmp_path / "store.json"), Store(tmp_path / "store.json")
    with left.transaction() as state:
        state.threads.append(a_thread("from-left"))
    assert [t.id for t in right.snapshot().threads] == ["from-left"]
    with right.transaction() as state:
        state.threads.append(a_thread("from-right"))
    assert [t.id for t in left.snapshot().threads] == ["from-left", "from-right"]


def test_only_one_instance_holds_the_sender_lock(tmp_path: Path) -> None:
    left, right = Store(tmp_path / "store.json"), Store(tmp_path / "store.json")
    with left.sync_lock() as granted:
        assert granted
        with right.sync_lock() as other:
            assert not other
    with right.sync_lock() as granted:
        assert granted
