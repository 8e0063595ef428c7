"""The durable local store: one JSON file, replaced atomically on every change.

The file holds the local threads (``LocalThread``), the current-thread pointer,
the ID aliases (former ID -> current ID) and the outbox. Each change is written
to a temporary file in the same directory, flushed and fsynced, renamed over the
old file with ``os.replace`` and the directory fsynced, so a crash at any moment
leaves either the old file or the new one, never a mix. Opening the same path
again (a "page reload") sees every change that was committed.

One store file belongs to one process at a time.
"""

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


class Store:
    """The local store at ``path``, loaded on open and rewritten on each transaction."""

    def __init__(self, path: str | os.PathLike[str], *, durable: bool = True) -> None:
        self.path = Path(path)
        self._durable = durable
        self._lock = threading.RLock()
        self._working: StoreState | None = None
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._remove_stale_temporaries()
        if self.path.exists():
            self._state = decode(self.path, self.path.read_bytes())
        else:
            self._state = StoreState()
            write_atomically(self.path, encode(self._state), durable=durable)

    def _remove_stale_temporaries(self) -> None:
        """Temporary files a crash left behind; never part of the committed state."""
        for stale in self.path.parent.glob(f".{self.path.name}.*.tmp"):
            with suppress(OSError):
                stale.unlink()

    def snapshot(self) -> StoreState:
        """A private copy of the committed state."""
        with self._lock:
            return self._state.model_copy(deep=True)

    @contextmanager
    def transaction(self) -> Iterator[StoreState]:
        """Change a copy of the state; on normal exit write it atomically and commit.

        If the block raises, or the write fails, nothing changes, in memory or on
        disk. Transactions nest: only the outermost one writes.
        """
        with self._lock:
            if self._working is not None:
                yield self._working
                return
            working = self._state.model_copy(deep=True)
            self._working = working
            try:
                yield working
                write_atomically(self.path, encode(working), durable=self._durable)
                self._state = working
            finally:
                self._working = None
