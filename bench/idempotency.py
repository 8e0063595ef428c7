"""Idempotency under load: 4 providers on one PostgreSQL database, 10 copies per key.

Each round sends every key (``keys`` of them) as ``copies`` concurrent creates spread
over the 4 provider processes, from a separate load process (:mod:`bench.idemload`),
then reads the database back: each key must have exactly one thread and one key row,
and no answer may be a 5xx. Throughput (requests/s) and wall time are medians over
rounds; each round uses its own keys on the same database.
"""

from __future__ import annotations

import asyncio
import json
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    PYTHON,
    BenchError,
    CpuMeter,
    Outcome,
    Row,
    machine,
    median,
    postgres_database,
    progress,
    providers,
    run_bounded,
    verdict,
)

TOKEN = "bench-token-idem"
TOKENS = {TOKEN: "bench-idem"}
PROCESSES = 4


@dataclass(frozen=True)
class Plan:
    """How many keys, copies and rounds."""

    keys: int = 1000
    copies: int = 10
    groups: int = 8
    """Keys in flight at once (so groups * copies requests)."""
    rounds: int = 3
    deadline: float = 600.0


FULL = Plan()
QUICK = Plan(keys=100, rounds=1, deadline=120.0)


async def count_rows(url: str, prefix: str) -> dict[str, Any]:
    """Threads and key rows per key of one round, read straight from the database."""
    import asyncpg

    connection = await asyncpg.connect(url, timeout=10)
    try:
        per_key = await connection.fetch(
            "SELECT title, count(*) AS n FROM threads WHERE title LIKE $1 GROUP BY title",
            f"{prefix}-%",
        )
        key_rows = await connection.fetchval(
            "SELECT count(*) FROM idempotency_keys WHERE key LIKE $1", f"{prefix}-%"
        )
    finally:
        await connection.close()
    counts = [int(row["n"]) for row in per_key]
    return {
        "keys_with_threads": len(counts),
        "threads": sum(counts),
        "keys_with_duplicates": sum(1 for n in counts if n > 1),
        "max_threads_per_key": max(counts, default=0),
        "key_rows": int(key_rows),
    }


def one_round(urls: list[str], database_url: str, plan: Plan, index: int) -> dict[str, Any]:
    """One round of load, then the read-back."""
    prefix = f"idem-{index}-{uuid.uuid4().hex[:8]}"
    spec = {
        "urls": urls,
        "token": TOKEN,
        "prefix": prefix,
        "keys": plan.keys,
        "copies": plan.copies,
        "groups": plan.groups,
        "deadline": plan.deadline,
    }
    done = run_bounded(
        [PYTHON, "-m", "bench.idemload", json.dumps(spec)], timeout=plan.deadline + 60
    )
    lines = done.stdout.strip().splitlines()
    if done.returncode != 0 or not lines:
        raise BenchError(
            f"the load process failed (exit {done.returncode}):\n{done.stderr[-2000:]}"
        )
    load: dict[str, Any] = json.loads(lines[-1])
    load["rps"] = load["requests"] / load["wall_seconds"]
    load["five_xx"] = sum(n for code, n in load["statuses"].items() if code.startswith("5"))
    load["transport_errors"] = load["statuses"].get("-1", 0)
    load["database"] = asyncio.run(count_rows(database_url, prefix))
    db = load["database"]
    load["exactly_one"] = (
        db["keys_with_threads"] == plan.keys
        and db["threads"] == plan.keys
        and db["key_rows"] == plan.keys
        and load["keys_with_several_ids"] == 0
    )
    return load


def run(quick: bool = False) -> Outcome:
    """The idempotency benchmark."""
    plan = QUICK if quick else FULL
    outcome = Outcome("idempotency")
    outcome.data["plan"] = plan.__dict__
    outcome.data["machine_before"] = machine()
    meter = CpuMeter()
    started = time.monotonic()
    rounds: list[dict[str, Any]] = []
    try:
        with (
            tempfile.TemporaryDirectory(prefix="threadpact-bench-") as scratch,
            postgres_database() as url,
            providers(url, Path(scratch), TOKENS, count=PROCESSES) as running,
        ):
            urls = [provider.base_url for provider in running]
            for index in range(plan.rounds):
                progress(
                    f"idempotency round {index + 1}/{plan.rounds}: {plan.keys} keys x "
                    f"{plan.copies} over {PROCESSES} processes"
                )
                rounds.append(one_round(urls, url, plan, index))
            dead = [p.base_url for p in running if p.process.poll() is not None]
            if dead:
                raise BenchError(f"provider(s) died during the run: {', '.join(dead)}")
    except BenchError as exc:
        outcome.errors.append(str(exc))
        outcome.rows.append(Row("idempotency", "4 processes, PostgreSQL", f"error: {exc}"[:200]))
        return outcome
    outcome.data["rounds"] = rounds
    outcome.data["seconds"] = round(time.monotonic() - started, 1)
    outcome.data["machine_busy_percent"] = meter.busy_percent()
    outcome.data["machine_after"] = machine()
    requests = plan.keys * plan.copies
    all_one = all(r["exactly_one"] for r in rounds)
    five_xx = sum(r["five_xx"] for r in rounds)
    errors = sum(r["transport_errors"] for r in rounds) + sum(r["timed_out"] for r in rounds)
    statuses: dict[str, int] = {}
    for r in rounds:
        for code, n in r["statuses"].items():
            statuses[code] = statuses.get(code, 0) + n
    worst = max(r["database"]["max_threads_per_key"] for r in rounds)
    n = len(rounds)
    of = f" (median of {n})" if n > 1 else ""
    case = f"{plan.keys} keys x {plan.copies} copies, {PROCESSES} processes, PostgreSQL"
    outcome.rows += [
        Row(
            "idempotency",
            f"{case}: threads per key",
            f"exactly 1 in {sum(r['exactly_one'] for r in rounds)}/{n} round(s); "
            f"max {worst} per key",
            target="exactly 1",
            met=verdict(all_one),
        ),
        Row(
            "idempotency",
            f"{case}: 5xx answers",
            f"{five_xx} 5xx; statuses {statuses}; "
            f"{sum(r['replayed'] for r in rounds)} marked Idempotent-Replayed"
            + (f"; {errors} transport errors/timeouts" if errors else ""),
            target="0",
            met=verdict(five_xx == 0 and errors == 0),
        ),
        Row(
            "idempotency",
            f"{case}: throughput",
            f"{median([r['rps'] for r in rounds]):,.0f} req/s, "
            f"{median([r['wall_seconds'] for r in rounds]):.1f} s for {requests:,} requests, "
            f"p50 {median([r['p50_ms'] for r in rounds]):.0f} ms, "
            f"p99 {median([r['p99_ms'] for r in rounds]):.0f} ms{of}",
        ),
    ]
    if not all_one or five_xx:
        outcome.errors.append("idempotency violated under load (see the rows)")
    outcome.notes.append(
        f"load from one asyncio/httpx process, {plan.groups} keys ({plan.groups * plan.copies} "
        "requests) in flight; the client shares the 2 cores with the providers and PostgreSQL"
    )
    return outcome
