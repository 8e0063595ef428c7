"""The load process for :mod:`bench.idempotency` (run as ``python -m bench.idemload``).

Reads one JSON object from argv[1]:
``{"urls": [...], "token": T, "prefix": P, "keys": N, "copies": C, "groups": G,
"deadline": S}``. Sends ``copies`` concurrent ``POST /threads`` for each of ``keys``
keys (``P-<i>``, title ``P-<i>`` so threads can be grouped by key afterwards), the
copies of one key spread round-robin over ``urls``; at most ``groups`` keys are in
flight at once. Every request is bounded by a timeout and the whole run by
``deadline`` seconds. Prints one JSON line with the tallies.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from collections import Counter
from typing import Any

import httpx

REQUEST_TIMEOUT = 30.0
REPLAYED = 0
"""Pseudo status under which answers marked Idempotent-Replayed are counted as well."""


async def send_key(
    clients: list[httpx.AsyncClient],
    index: int,
    spec: dict[str, Any],
    statuses: Counter[int],
    ids: dict[str, set[str]],
    latencies: list[float],
) -> None:
    """All copies of one key at once."""
    key = f"{spec['prefix']}-{index}"
    body = {"agent_id": "bench-agent", "model": "bench-model", "provider": "bench", "title": key}

    async def one(copy: int) -> None:
        client = clients[(index + copy) % len(clients)]
        started = time.perf_counter()
        try:
            answer = await client.post("/threads", json=body, headers={"Idempotency-Key": key})
        except httpx.HTTPError as exc:
            statuses[-1] += 1
            print(f"{key}: {type(exc).__name__}: {exc}", file=sys.stderr)
            return
        latencies.append(time.perf_counter() - started)
        statuses[answer.status_code] += 1
        if answer.status_code in (200, 201):
            ids.setdefault(key, set()).add(answer.json()["id"])
            if answer.headers.get("Idempotent-Replayed") == "true":
                statuses[REPLAYED] += 1

    await asyncio.gather(*(one(copy) for copy in range(spec["copies"])))


async def main(spec: dict[str, Any]) -> dict[str, Any]:
    """Run the load; return the tallies."""
    statuses: Counter[int] = Counter()
    ids: dict[str, set[str]] = {}
    latencies: list[float] = []
    per_url = spec["groups"] * spec["copies"]
    limits = httpx.Limits(max_connections=per_url, max_keepalive_connections=per_url)
    headers = {"Authorization": f"Bearer {spec['token']}"}
    clients = [
        httpx.AsyncClient(base_url=url, headers=headers, timeout=REQUEST_TIMEOUT, limits=limits)
        for url in spec["urls"]
    ]
    gate = asyncio.Semaphore(spec["groups"])

    async def bounded(index: int) -> None:
        async with gate:
            await send_key(clients, index, spec, statuses, ids, latencies)

    started = time.perf_counter()
    timed_out = False
    try:
        await asyncio.wait_for(
            asyncio.gather(*(bounded(index) for index in range(spec["keys"]))),
            timeout=spec["deadline"],
        )
    except TimeoutError:
        timed_out = True
    finally:
        wall = time.perf_counter() - started
        for client in clients:
            await client.aclose()
    latencies.sort()

    def pct(share: float) -> float:
        return latencies[min(len(latencies) - 1, int(share * len(latencies)))] if latencies else 0

    return {
        "wall_seconds": wall,
        "requests": sum(n for code, n in statuses.items() if code != REPLAYED),
        "replayed": statuses.pop(REPLAYED, 0),
        "statuses": {str(code): count for code, count in sorted(statuses.items())},
        "keys_answered": len(ids),
        "keys_with_several_ids": sum(1 for found in ids.values() if len(found) > 1),
        "p50_ms": pct(0.50) * 1000,
        "p99_ms": pct(0.99) * 1000,
        "timed_out": timed_out,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main(json.loads(sys.argv[1])))))
