"""The durable local store: one JSON file, replaced atomically on every change.

The file holds the local threads (``LocalThread``), the current-thread pointer,
the ID aliases (former ID -> current ID), the last ETag seen of each thread and
the outbox. Each change is written to a temporary file in the same directory,
flushed and fsynced, renamed over the old file with ``os.replace`` and the
directory fsynced, so a crash at any moment leaves either the old file or the new
one, never a mix. Opening the same path again (a "page reload") sees every change
that was committed.

Several instances (tabs, processes) may use one store file at once, as browser
tabs share localStorage. Every transaction holds an exclusive lock on the file
``<store>.lock`` (``flock``: released by the kernel if its holder dies) and starts
from the file as it is then, re-read if another instance replaced it, so no
instance loses another's write. Reads re-read a replaced file too. Sending is one
instance's job at a time: :meth:`Store.sync_lock` is a second, non-blocking lock.
"""

import fcntl
import json
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any, Final, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from threadpact.client.outbox import OutboxEntry
from threadpact.models import LocalThread

FORMAT: Final = "threadpact-client-store"
VERSION: Final = 1


class StoreError(Exception):
    """The store file cannot be used."""


class StoreCorrupt(StoreError):
    """The file is not a readable store; it is left untouched."""


class StoreVersionError(StoreError):
    """The file was written by a newer client with a format this one does not know."""


class StoreState(BaseModel):
    """Everything in the store file (format version 1)."""

    model_config = ConfigDict(extra="forbid")

    format: Literal["threadpact-client-store"] = FORMAT
    version: Literal[1] = VERSION
    threads: list[LocalThread] = Field(default_factory=list)
    currentThreadId: str | None = None
    aliases: dict[str, str] = Field(default_factory=dict)
    """Former thread ID (temporary or legacy) -> the thread's current ID."""
    outbox: list[OutboxEntry] = Field(default_factory=list)
    etags: dict[str, str] = Field(default_factory=dict)
    """Thread ID -> the last ``ETag`` the server sent for it (a rename's ``If-Match``)."""

    def resolve(self, thread_id: str) -> str:
        """The current ID for ``thread_id``, following aliases (itself if none)."""
        seen: set[str] = set()
        while thread_id in self.aliases and thread_id not in seen:
            seen.add(thread_id)
            thread_id = self.aliases[thread_id]
        return thread_id

    def thread(self, thread_id: str) -> LocalThread | None:
        """The thread with this ID or former ID."""
        wanted = self.resolve(thread_id)
        return next((t for t in self.threads if t.id == wanted), None)

    def entry(self, entry_id: str) -> OutboxEntry | None:
        """The outbox entry with this ID."""
        return next((e for e in self.outbox if e.id == entry_id), None)


def fsync_directory(directory: Path) -> None:
    """Make a rename in ``directory`` durable (a no-op where directories cannot be opened)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def write_atomically(path: Path, data: bytes, *, durable: bool = True) -> None:
    """Replace ``path`` with ``data`` so that readers see all of it or none of it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            if durable:
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    if durable:
        fsync_directory(path.parent)


def encode(state: StoreState) -> bytes:
    """The file's bytes for ``state``."""
    return state.model_dump_json(indent=2).encode() + b"\n"


def decode(path: Path, raw: bytes) -> StoreState:
    """Parse a store file, or say precisely why it is not one."""
    try:
        data: Any = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise StoreCorrupt(f"{path}: not JSON ({exc})") from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        hint = " (legacy data? see threadpact.client.legacy)" if isinstance(data, dict) else ""
        raise StoreCorrupt(f"{path}: not a {FORMAT} file{hint}")
    version = data.get("version")
    if not isinstance(version, int) or isinstance(version, bool):
        raise StoreCorrupt(f"{path}: format version {version!r} is not a number")
    if version > VERSION:
        raise StoreVersionError(
            f"{path}: format version {version} is newer than this client knows ({VERSION})"
        )
    try:
        return StoreState.model_validate(data)
    except ValidationError as exc:
        raise StoreCorrupt(f"{path}: {exc.error_count()} invalid field(s): {exc}") from exc


Signature = tuple[int, int, int]
"""A store file's (inode, mtime in ns, size): every replace gives a new inode."""


def signature(stat: os.stat_result) -> Signature:
    """What tells one version of the file from the next."""
    return (stat.st_ino, stat.st_mtime_ns, stat.st_size)


class Store:
    """The local store at ``path``, shared safely by every instance opened on it."""

    def __init__(self, path: str | os.PathLike[str], *, durable: bool = True) -> None:
        self.path = Path(path)
        self._durable = durable
        self._lock = threading.RLock()
        self._working: StoreState | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._file_lock = os.open(self._sidecar("lock"), os.O_RDWR | os.O_CREAT, 0o600)
        self._sender_lock = os.open(self._sidecar("sync.lock"), os.O_RDWR | os.O_CREAT, 0o600)
        self._state = StoreState()
        self._signature: Signature | None = None
        with self._exclusive():
            self._remove_stale_temporaries()
            if self.path.exists():
                self._refresh()
            else:
                self._write(self._state)

    def _sidecar(self, suffix: str) -> Path:
        return self.path.with_name(f"{self.path.name}.{suffix}")

    def close(self) -> None:
        """Release the lock files (the instance must not be used afterwards)."""
        for fd in (self._file_lock, self._sender_lock):
            with suppress(OSError):
                os.close(fd)

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the store's write lock (waits for another instance's transaction)."""
        fcntl.flock(self._file_lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(self._file_lock, fcntl.LOCK_UN)

    def _remove_stale_temporaries(self) -> None:
        """Temporary files a crash left behind; never part of the committed state."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            with suppress(OSError):
                stale.unlink()

    def _refresh(self) -> None:
        """Load the file if another instance replaced it since this one last read it."""
        with self.path.open("rb") as handle:
            current = signature(os.fstat(handle.fileno()))
            if current == self._signature:
                return
            raw = handle.read()
        self._state = decode(self.path, raw)
        self._signature = current

    def _write(self, state: StoreState) -> None:
        write_atomically(self.path, encode(state), durable=self._durable)
        self._signature = signature(self.path.stat())
        self._state = state

    def snapshot(self) -> StoreState:
        """A private copy of the committed state, as the file holds it now."""
        with self._lock:
            if self._working is None:
                self._refresh()
            return self._state.model_copy(deep=True)

    @contextmanager
    def transaction(self) -> Iterator[StoreState]:
        """Change a copy of the state; on normal exit write it atomically and commit.

        The copy is taken under the store's lock from the file as it is now, so
        every instance's committed writes are kept. If the block raises, or the
        write fails, nothing changes, in memory or on disk. Transactions nest: only
        the outermost one writes.
        """
        with self._lock:
            if self._working is not None:
                yield self._working
                return
            with self._exclusive():
                self._refresh()
                working = self._state.model_copy(deep=True)
                self._working = working
                try:
                    yield working
                    self._write(working)
                finally:
                    self._working = None

    @contextmanager
    def sync_lock(self) -> Iterator[bool]:
        """Try to become the instance that sends: True if it did, False if another holds it.

        Not waiting: while another instance sends, this one leaves the outbox to it.
        """
        try:
            fcntl.flock(self._sender_lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            yield False
            return
        try:
            yield True
        finally:
            fcntl.flock(self._sender_lock, fcntl.LOCK_UN)
