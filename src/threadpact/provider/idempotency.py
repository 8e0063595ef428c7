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
from sqlalchemy import Executable, and_, delete, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncEngine

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
    """Run ``build``'s inserts once per key; returns the answer and whether it is a replay."""
    for _ in range(ATTEMPTS):
        response, statements = build()
        created = now_us()
        try:
            async with engine.begin() as connection:
                await connection.execute(
                    insert(idempotency_keys).values(
                        principal=principal,
                        operation=operation,
                        key=key,
                        fingerprint=request_fingerprint,
                        status_code=response.status,
                        body=response.body,
                        location=response.location,
                        etag=response.etag,
                        created_us=created,
                        expires_us=created + retention_us,
                    )
                )
                for statement in statements:
                    await connection.execute(statement)
            return response, False
        except IntegrityError:
            pass
        async with engine.connect() as connection:
            row = (
                await connection.execute(
                    select(idempotency_keys).where(_key_filter(principal, operation, key))
                )
            ).first()
        if row is None:
            raise KeyVanished(key)
        if row.expires_us <= now_us():
            await purge_key(engine, principal=principal, operation=operation, key=key, now=now_us())
            continue
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


async def purge_key(
    engine: AsyncEngine, *, principal: str, operation: str, key: str, now: int
) -> None:
    """Delete one key row if it has expired."""
    async with engine.begin() as connection:
        await connection.execute(
            delete(idempotency_keys).where(
                _key_filter(principal, operation, key), idempotency_keys.c.expires_us <= now
            )
        )


async def purge_expired(engine: AsyncEngine, now: int) -> int:
    """Delete every expired key row; returns how many went."""
    async with engine.begin() as connection:
        result = await connection.execute(
            delete(idempotency_keys).where(idempotency_keys.c.expires_us <= now)
        )
    return int(result.rowcount)
