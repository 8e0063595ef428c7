"""Idempotent creates: one row per (principal, operation, key), enforced by the database.

The key row and the resource are inserted in one transaction. A concurrent request
with the same key hits the primary key: PostgreSQL makes it wait until the first
transaction ends, SQLite's single writer does the same, and the loser then reads
the winner's stored answer and replays it. Nothing here relies on a process lock,
so the rule holds across processes that share one database.
"""

import hashlib
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from fastapi import Request
from pydantic import BaseModel
from sqlalchemy import Executable, and_, delete, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from threadpact.names import IDEMPOTENCY_KEY
from threadpact.provider.problems import ProblemError
from threadpact.provider.tables import idempotency_keys

KEY_PATTERN = re.compile(r"[!-~]([ -~]*[!-~])?")
MAX_KEY_LENGTH = 255
ATTEMPTS = 4


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
    if len(key) > MAX_KEY_LENGTH or not KEY_PATTERN.fullmatch(key):
        raise ProblemError(
            400,
            f"{IDEMPOTENCY_KEY} must be 1 to {MAX_KEY_LENGTH} printable ASCII characters",
            slug="idempotency-key-malformed",
        )
    return key


def fingerprint(method: str, path: str, body: BaseModel) -> str:
    """A digest of what the request asks for; equal JSON in any key order digests equally."""
    canonical = json.dumps(body.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(f"{method} {path}\n{canonical}".encode()).hexdigest()


def _key_filter(principal: str, operation: str, key: str) -> Any:
    table = idempotency_keys.c
    return and_(table.principal == principal, table.operation == operation, table.key == key)


def _claim(dialect: str, values: dict[str, Any]) -> Executable:
    """Insert the key row unless the key exists (then nothing happens and rowcount is 0)."""
    if dialect == "postgresql":
        return postgresql.insert(idempotency_keys).values(**values).on_conflict_do_nothing()
    return sqlite.insert(idempotency_keys).values(**values).on_conflict_do_nothing()


async def _find(connection: AsyncConnection, principal: str, operation: str, key: str) -> Any:
    query = select(idempotency_keys).where(_key_filter(principal, operation, key))
    return (await connection.execute(query)).first()


async def create_once(
    engine: AsyncEngine,
    *,
    principal: str,
    operation: str,
    key: str,
    request_fingerprint: str,
    now_us: Callable[[], int],
    retention_us: int,
    build: Callable[[], tuple[StoredResponse, Sequence[Executable]]],
) -> tuple[StoredResponse, bool]:
    """Run ``build``'s inserts once per key; returns the answer and whether it is a replay.

    One transaction: look the key up (a replay costs one read); on a miss, claim the
    key with an insert that does nothing on conflict and, if the claim took, insert
    the resource. A concurrent claim of the same key makes PostgreSQL wait for the
    other transaction and SQLite wait for its writer; then the claim does nothing
    and the other request's stored answer is read and replayed.
    """
    for _ in range(ATTEMPTS):
        async with engine.begin() as connection:
            now = now_us()
            row = await _find(connection, principal, operation, key)
            if row is not None and row.expires_us <= now:
                await connection.execute(
                    delete(idempotency_keys).where(
                        _key_filter(principal, operation, key), idempotency_keys.c.expires_us <= now
                    )
                )
                row = None
            if row is None:
                response, statements = build()
                values = {
                    "principal": principal,
                    "operation": operation,
                    "key": key,
                    "fingerprint": request_fingerprint,
                    "status_code": response.status,
                    "body": response.body,
                    "location": response.location,
                    "etag": response.etag,
                    "created_us": now,
                    "expires_us": now + retention_us,
                }
                claimed = await connection.execute(_claim(connection.dialect.name, values))
                if claimed.rowcount == 1:
                    try:
                        for statement in statements:
                            await connection.execute(statement)
                    except IntegrityError as exc:
                        raise KeyVanished(key) from exc
                    return response, False
                row = await _find(connection, principal, operation, key)
                if row is None:
                    continue  # the other request rolled back: claim it again
            if row.fingerprint != request_fingerprint:
                raise ProblemError(
                    422,
                    f"this {IDEMPOTENCY_KEY} was already used with a different request; "
                    "a new request needs a new key",
                    slug="idempotency-key-reused",
                    title="Idempotency-Key reused with a different request",
                )
            return StoredResponse(row.status_code, bytes(row.body), row.location, row.etag), True
    raise ProblemError(
        409,
        f"a request with this {IDEMPOTENCY_KEY} is still in flight; retry shortly",
        slug="idempotency-key-in-flight",
    )


async def purge_expired(engine: AsyncEngine, now: int) -> int:
    """Delete every expired key row; returns how many went."""
    async with engine.begin() as connection:
        result = await connection.execute(
            delete(idempotency_keys).where(idempotency_keys.c.expires_us <= now)
        )
    return int(result.rowcount)
