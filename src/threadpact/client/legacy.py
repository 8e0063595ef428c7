"""Migrate the old client's local data into the store and queue it for the server.

The old client kept its threads in ``localStorage`` under IDs it made itself
(``crypto.randomUUID()``, or ``Date.now()`` strings in its oldest builds), never
learned the server's IDs and had no sync status. A dump looks like::

    {"threads": [{"id": "...", "title": "...", "agentId": "...", "model": "...",
                  "provider": "...", "artifactId": null,
                  "createdAt": 1717000000000, "updatedAt": 1717000000000,
                  "messages": [{"id": "...", "role": "user", "content": "...",
                                "timestamp": 1717000000000}]}],
     "currentThreadId": "..."}

optionally wrapped as ``{"state": {...}, "version": 0}`` (the persist wrapper).
Times are Unix milliseconds or ISO 8601 strings. Each thread becomes a pending
``LocalThread`` whose create is queued with its old ID as the Idempotency-Key
(so a crash halfway through the first sync cannot make it twice), followed by
its messages, each keyed by its old ID. The old client had already posted most of
its threads (without an ID, never reading the answer), so each create is marked
``adopt``: before creating, the sync looks for that server thread and adopts it
(the rule: :func:`threadpact.client.pull.find_twin`), so the server keeps one copy.
Old IDs that cannot be keys, or that repeat, get fresh ones; the old ID stays an
alias. Running the migration again adds nothing twice. The legacy source is never modified.
"""

import json
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from threadpact.client.clock import Clock, SystemClock, millis
from threadpact.client.mapping import datetime_to_ms
from threadpact.client.outbox import OutboxEntry
from threadpact.client.store import Store, StoreState
from threadpact.models import LocalMessage, LocalThread, MessageCreate, ThreadCreate
from threadpact.names import TITLE_MAX_LENGTH, Role, is_valid_idempotency_key

CONTROL = re.compile(r"[\x00-\x1f\x7f]")
ROLES: dict[str, Role] = {
    "user": "user",
    "human": "user",
    "assistant": "assistant",
    "ai": "assistant",
    "bot": "assistant",
    "system": "system",
}
MAX_NAME = 100


class LegacyMessage(BaseModel):
    """A message as the old client saved it."""

    model_config = ConfigDict(extra="ignore")
    id: str | int | None = None
    role: str = "user"
    content: str | None = None
    timestamp: int | float | str | None = None


class LegacyThread(BaseModel):
    """A thread as the old client saved it."""

    model_config = ConfigDict(extra="ignore")
    id: str | int
    title: str | None = None
    messages: list[LegacyMessage] = []
    createdAt: int | float | str | None = None
    updatedAt: int | float | str | None = None
    agentId: str | None = None
    model: str | None = None
    provider: str | None = None
    artifactId: str | None = None


class LegacyDump(BaseModel):
    """The old client's whole local state."""

    model_config = ConfigDict(extra="ignore")
    threads: list[LegacyThread] = []
    currentThreadId: str | int | None = None


@dataclass(frozen=True)
class LegacyDefaults:
    """What to use where the old data has no agent, model or provider."""

    agent_id: str = "default"
    model: str = "unknown"
    provider: str = "unknown"
    title: str = "New thread"


@dataclass
class MigrationReport:
    """What the migration did."""

    threads: int = 0
    messages: int = 0
    already_migrated: int = 0
    notes: list[str] = field(default_factory=list)
    """One line per thing that was changed or left out, for the user or a log."""


def parse_dump(data: Any) -> LegacyDump:
    """Read a legacy dump (bare, or inside the ``{"state": ...}`` persist wrapper)."""
    if isinstance(data, dict) and isinstance(data.get("state"), dict):
        data = data["state"]
    try:
        return LegacyDump.model_validate(data)
    except ValidationError as exc:
        raise ValueError(f"not legacy thread data: {exc}") from exc


def to_ms(value: int | float | str | None) -> int | None:
    """A legacy time (Unix ms, or an ISO 8601 string) as Unix ms."""
    if value is None or isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return max(int(value), 0)
    text = value.strip()
    if text.isdigit():
        return int(text)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(datetime_to_ms(moment), 0)


def clean(text: str | None, limit: int, fallback: str) -> str:
    """Text the server accepts: no control characters, at most ``limit`` characters."""
    cleaned = CONTROL.sub(" ", text or "").strip()[:limit].strip()
    return cleaned or fallback


class _Migration:
    """One run of the migration against one store state."""

    def __init__(
        self,
        state: StoreState,
        defaults: LegacyDefaults,
        now: int,
        ids: Callable[[], str],
        *,
        adopt: bool,
    ) -> None:
        self.state = state
        self.defaults = defaults
        self.now = now
        self.ids = ids
        self.adopt = adopt
        self.report = MigrationReport()
        self.used_keys: set[str] = {e.key for e in state.outbox if e.key} | {
            m.clientId or m.id for t in state.threads for m in t.messages
        }

    def key_for(self, old: str | int | None, what: str) -> tuple[str, str | None]:
        """A key for an old ID: the old ID itself when it can be one; else a fresh one."""
        text = None if old is None else str(old)
        if text is not None and is_valid_idempotency_key(text) and text not in self.used_keys:
            self.used_keys.add(text)
            return text, None
        fresh = self.ids()
        self.used_keys.add(fresh)
        self.report.notes.append(f"{what} {text!r}: new key {fresh} (old ID unusable or repeated)")
        return fresh, text

    def thread(self, legacy: LegacyThread) -> None:
        old_id = str(legacy.id)
        if old_id in self.state.aliases or self.state.thread(old_id) is not None:
            self.report.already_migrated += 1
            return
        thread_id, alias = self.key_for(old_id, "thread")
        body = ThreadCreate(
            agent_id=clean(legacy.agentId, MAX_NAME, self.defaults.agent_id),
            model=clean(legacy.model, MAX_NAME, self.defaults.model),
            provider=clean(legacy.provider, MAX_NAME, self.defaults.provider),
            title=clean(legacy.title, TITLE_MAX_LENGTH, self.defaults.title),
        )
        messages = [m for m in (self.message(old_id, m) for m in legacy.messages) if m]
        first_message = min((m.createdAt for m in messages), default=None)
        created = to_ms(legacy.createdAt) or first_message or self.now
        updated = max(to_ms(legacy.updatedAt) or created, created)
        self.state.threads.append(
            LocalThread(
                id=thread_id,
                title=body.title,
                agentId=body.agent_id,
                model=body.model,
                provider=body.provider,
                messages=messages,
                createdAt=created,
                updatedAt=updated,
                artifactId=legacy.artifactId,
                syncStatus="pending",
                aliases=[alias] if alias else [],
            )
        )
        if alias:
            self.state.aliases[alias] = thread_id
        self.queue("createThread", thread_id, thread_id, body.model_dump(mode="json"))
        for message in messages:
            self.queue(
                "createMessage",
                thread_id,
                message.id,
                MessageCreate.model_construct(
                    role=message.role, content=message.content
                ).model_dump(mode="json"),
                message_id=message.id,
            )
        self.report.threads += 1
        self.report.messages += len(messages)

    def message(self, thread_id: str, legacy: LegacyMessage) -> LocalMessage | None:
        role = ROLES.get(legacy.role.strip().lower())
        content = (legacy.content or "").replace("\x00", "")
        where = f"thread {thread_id!r} message {legacy.id!r}"
        if role is None:
            self.report.notes.append(f"{where}: left out (unknown role {legacy.role!r})")
            return None
        if not content.strip():
            self.report.notes.append(f"{where}: left out (no content)")
            return None
        key, _ = self.key_for(legacy.id, "message")
        return LocalMessage(
            id=key,
            role=role,
            content=content,
            createdAt=to_ms(legacy.timestamp) or self.now,
            syncStatus="pending",
        )

    def queue(
        self,
        kind: str,
        thread_id: str,
        key: str,
        body: dict[str, Any],
        message_id: str | None = None,
    ) -> None:
        adopt = self.adopt and kind == "createThread"
        self.state.outbox.append(
            OutboxEntry.model_validate(
                {
                    "id": self.ids(),
                    "kind": kind,
                    "threadId": thread_id,
                    "messageId": message_id,
                    "key": key,
                    "body": body,
                    "queuedAt": self.now,
                    "adopt": adopt,
                }
            )
        )


def merge_repeats(threads: list[LegacyThread], report: MigrationReport) -> list[LegacyThread]:
    """One thread per old ID: a repeat's new messages join the first copy."""
    merged: dict[str, LegacyThread] = {}
    for legacy in threads:
        first = merged.get(str(legacy.id))
        if first is None:
            merged[str(legacy.id)] = legacy.model_copy(deep=True)
            continue
        known = {m.id for m in first.messages if m.id is not None}
        extra = [m for m in legacy.messages if m.id is None or m.id not in known]
        first.messages.extend(extra)
        report.notes.append(
            f"thread {str(legacy.id)!r}: saved twice; merged ({len(extra)} more message(s))"
        )
    return list(merged.values())


def created_or(now: int) -> Callable[[LegacyThread], int]:
    """Sort key: a legacy thread's creation time, ``now`` when it has none."""
    return lambda thread: to_ms(thread.createdAt) or now


def migrate_legacy(
    data: Any,
    store: Store,
    *,
    defaults: LegacyDefaults | None = None,
    clock: Clock | None = None,
    ids: Callable[[], str] = lambda: str(uuid.uuid4()),
    adopt: bool = True,
) -> MigrationReport:
    """Move a legacy dump into ``store`` in one atomic write and queue it for sync.

    With ``adopt`` (the default) each thread's create is marked to adopt the server
    thread the old client already made, if the sync finds one, instead of copying it.
    """
    dump = parse_dump(data)
    now = millis(clock or SystemClock())
    with store.transaction() as state:
        run = _Migration(state, defaults or LegacyDefaults(), now, ids, adopt=adopt)
        for legacy in sorted(merge_repeats(dump.threads, run.report), key=created_or(now)):
            run.thread(legacy)
        if dump.currentThreadId is not None and state.currentThreadId is None:
            current = state.thread(str(dump.currentThreadId))
            state.currentThreadId = current.id if current else None
        return run.report


def migrate_legacy_file(path: str | Path, store: Store, **options: Any) -> MigrationReport:
    """Read a legacy JSON dump from ``path`` and migrate it (see :func:`migrate_legacy`)."""
    with Path(path).open(encoding="utf-8") as handle:
        return migrate_legacy(json.load(handle), store, **options)
