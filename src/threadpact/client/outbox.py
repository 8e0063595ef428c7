"""The durable queue of changes the server has not confirmed yet.

Entries of one thread form a chain, sent strictly in order (its create first,
then its messages and renames as they were queued); chains of different threads
do not wait for each other. An entry that failed for good blocks its chain until
a manual retry. Only a permanent answer fails an entry: no answer, a 5xx, a 409
or a 429 leaves it queued, however long that lasts.
"""

from collections.abc import Collection, Iterable, Iterator
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

EntryKind = Literal["createThread", "createMessage", "updateThread", "deleteThread"]


class OutboxEntry(BaseModel):
    """One queued request."""

    model_config = ConfigDict(extra="forbid")

    id: str = Field(min_length=1)
    """The entry's own ID."""
    kind: EntryKind
    threadId: str = Field(min_length=1)
    """The thread's current local ID; moves with the ID swap."""
    messageId: str | None = None
    """For createMessage: the local message's ID."""
    key: str | None = None
    """The Idempotency-Key; fixed when queued and never changed."""
    body: dict[str, Any] = Field(default_factory=dict)
    """The JSON body, fixed when queued so every retry sends the same bytes."""
    attempts: int = Field(default=0, ge=0)
    """Attempts started since queued or manually retried; counted before each send."""
    everSent: bool = False
    """True once any attempt started; never reset, as the server may have bound the key."""
    uncertain: bool = False
    """True once an attempt ended without a clear answer (it may have been applied)."""
    notBefore: float = 0.0
    """Seconds since the epoch before which the entry must not be sent."""
    retryAfterUntil: float = 0.0
    """Seconds since the epoch: the server's ``Retry-After``; holds even when back online."""
    adopt: bool = False
    """For a legacy createThread: the old client may have made the thread already;
    look for it on the server (and adopt it) before creating."""
    state: Literal["queued", "failed"] = "queued"
    lastError: str | None = None
    lastStatus: int | None = None
    """HTTP status of the last failure; None when no answer arrived."""
    queuedAt: int = Field(default=0, ge=0)
    """Unix milliseconds."""


def chain_heads(entries: Iterable[OutboxEntry]) -> Iterator[OutboxEntry]:
    """The first entry of each thread's chain, in queue order."""
    seen: set[str] = set()
    for entry in entries:
        if entry.threadId not in seen:
            seen.add(entry.threadId)
            yield entry


def due(entries: Iterable[OutboxEntry], now: float) -> list[OutboxEntry]:
    """Chain heads that may be sent at ``now``."""
    return [e for e in chain_heads(entries) if e.state == "queued" and e.notBefore <= now]


def next_deadline(entries: Iterable[OutboxEntry], resting: Collection[str] = ()) -> float | None:
    """When the earliest waiting chain head becomes due; None if every chain is blocked
    (failed, or its head is one of the ``resting`` entry IDs)."""
    times = [
        e.notBefore for e in chain_heads(entries) if e.state == "queued" and e.id not in resting
    ]
    return min(times) if times else None
