"""Idempotent creates: one row per (principal, operation, key), enforced by the database.

The key row and the resource are inserted together, both or neither (one transaction
on SQLite, one statement on PostgreSQL). A concurrent request with the same key hits
the primary key: PostgreSQL makes it wait until the first request's statement ends,
SQLite's single writer does the same, and the loser then reads the winner's stored
answer and replays it. Nothing here relies on a process lock, so the rule holds
across processes that share one database.

A key lives as long as what it created: its row names the thread it made (or made a
message in) and has no expiry. Deleting that thread starts the retention window of its
key and of its messages' keys, in the delete's own transaction
(:func:`threadpact.provider.service.threads.delete_thread`); when the window ends the
purge deletes the rows, and only then may the key create anew.
"""

import asyncio
import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass

from fastapi import Request
from pydantic import BaseModel

from threadpact.names import (
    IDEMPOTENCY_KEY,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    is_valid_idempotency_key,
)
from threadpact.provider import queries
from threadpact.provider.problems import ProblemError
from threadpact.provider.storage.base import (
    ClaimedInsert,
    Database,
    IntegrityViolation,
    Row,
    Statement,
)

ATTEMPTS = 4
PURGE_BATCH = 1000


@dataclass(frozen=True)
class StoredResponse:
    """A create's answer, kept so that a replay can send the same bytes."""

    status: int
    body: bytes
    location: str
    etag: str | None = None


class KeyVanished(Exception):
    """The insert failed, but no key row explains it (e.g. the parent was deleted)."""


def require_key(request: Request) -> str:
    """The request's Idempotency-Key, or a 400 saying what is wrong with it."""
    key = request.headers.get(IDEMPOTENCY_KEY)
    if key is None:
        raise ProblemError(
            400,
            f"{IDEMPOTENCY_KEY} header is required on every create; "
            "send the client's own ID for the new resource",
            slug="idempotency-key-missing",
        )
    if not is_valid_idempotency_key(key):
        raise ProblemError(
            400,
            f"{IDEMPOTENCY_KEY} must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} printable ASCII "
            "characters",
            slug="idempotency-key-malformed",
        )
    return key


def fingerprint(method: str, path: str, body: BaseModel) -> str:
    """A digest of what the request asks for; equal JSON in any key order digests equally."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def bound_thread(location: str) -> str:
    """The thread whose life a created resource's key shares: the thread itself, or its parent.

    ``location`` is ``/threads/{id}`` or ``/threads/{id}/messages/{message_id}``.
    """
    return location.split("/")[2]


def is_live(row: Row, now: int) -> bool:
    """Whether a key row still counts: its resource exists, or its window has not ended."""
    expires: int | None = row["expires_us"]
    return expires is None or expires > now


def _replay(row: Row, request_fingerprint: str) -> StoredResponse:
    """The stored answer of a live key, or a 422 if the key was sent with another request."""
    if row["fingerprint"] != request_fingerprint:
        raise ProblemError(
            422,
            f"this {IDEMPOTENCY_KEY} was already used with a different request; "
            "a new request needs a new key",
            slug="idempotency-key-reused",
            title="Idempotency-Key reused with a different request",
        )
    return StoredResponse(row["status_code"], bytes(row["body"]), row["location"], row["etag"])


async def create_once(
    database: Database,
    *,
    principal: str,
    operation: str,
    key: str,
    request_fingerprint: str,
    now_us: Callable[[], int],
    build: Callable[[], tuple[StoredResponse, Statement]],
    claim_and_insert_sql: str,
) -> tuple[StoredResponse, bool]:
    """Run ``build``'s insert once per key; returns the answer and whether it is a replay.

    A replay costs one read of the key. Otherwise the key is claimed (an insert that
    takes over an expired key and does nothing on a live one: one whose resource exists,
    however old, or whose window after the deletion has not ended) and, if the claim
    took, the resource inserted, both or neither; the new key row has no expiry.
    ``claim_and_insert_sql`` is ``queries.CLAIM_KEY`` and ``build``'s insert as one
    statement (one of the ``queries.CLAIM_KEY_AND_INSERT_*``). A concurrent claim of the
    same key makes PostgreSQL wait for the other transaction and SQLite wait for its
    writer; then the claim changes nothing and the other request's stored answer is
    replayed.
    """
    identity = (principal, operation, key)
    row = await database.fetch_one(queries.FIND_KEY, *identity)
    if row is not None and is_live(row, now_us()):
        return _replay(row, request_fingerprint), True
    for _ in range(ATTEMPTS):
        now = now_us()
        response, insert = build()
        claim = Statement(
            queries.CLAIM_KEY,
            (
                *identity,
                request_fingerprint,
                response.status,
                response.body,
                response.location,
                response.etag,
                bound_thread(response.location),
                now,
            ),
        )
        try:
            write = ClaimedInsert(claim, insert, claim_and_insert_sql)
            if await database.claim_and_insert(write):
                return response, False
        except IntegrityViolation as exc:
            raise KeyVanished(key) from exc
        row = await database.fetch_one(queries.FIND_KEY, *identity)
        if row is not None:
            return _replay(row, request_fingerprint), True
        # The other request rolled back: claim the key again.
    raise ProblemError(
        409,
        f"a request with this {IDEMPOTENCY_KEY} is still in flight; retry shortly",
        slug="idempotency-key-in-flight",
    )


async def purge_expired(database: Database, now: int, *, batch: int = PURGE_BATCH) -> int:
    """Delete every key row whose window ended, a batch at a time; returns how many went.

    Only keys of deleted threads (and of their messages) have a window: keys of resources
    that exist are never purged.
    """
    total = 0
    while True:
        deleted = await database.execute(queries.PURGE_KEYS, now, batch)
        total += deleted
        if deleted < batch:
            return total
        await asyncio.sleep(0)  # let requests in between batches
