"""Provider throughput and latency under ``wrk``, as ratios to ``GET /healthz``.

One uvicorn process (``threadpact serve``) per backend: a SQLite file (WAL, the
default) and a fresh PostgreSQL database. ``wrk`` runs in its own process on loopback
with a fixed connection count and duration, through ``bench/wrk.lua``, for four
modes: the baseline ``GET /healthz`` (same server, constant JSON, no database, no
auth), ``POST /threads`` with fresh keys, ``POST /threads`` replays of pre-created
keys, and ``GET /threads/{id}``. The modes run in rounds (each round runs every mode
once, baseline first), so a ratio compares figures taken seconds apart; the table
shows medians over rounds and the median of the per-round ratios.

``BENCH_PROVIDER_BACKENDS=postgres`` (or ``sqlite``) measures one backend only.
``BENCH_PROVIDER_VERSUS=REV`` also serves the provider as of git revision REV (its
sources exported and put first on ``PYTHONPATH``) beside this tree, each on its own
database; every round measures both, mode by mode, and more rows give this tree's
throughput as a ratio to REV's, round by round.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import tempfile
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from bench.common import (
    BenchError,
    CpuMeter,
    Outcome,
    Provider,
    Row,
    fmt_ratio,
    launch_provider,
    machine,
    median,
    postgres_database,
    progress,
    run_bounded,
    sqlite_url,
    verdict,
    wait_ready,
)
from bench.revisions import THIS_TREE, Variant, export_revision

SCRIPT = Path(__file__).with_name("wrk.lua")
TOKEN = "bench-token-alice"
TOKENS = {TOKEN: "bench-alice"}
BODY = {
    "agent_id": "bench-agent",
    "model": "bench-model",
    "provider": "bench",
    "title": "benchmark thread",
}
MODES = ("health", "create", "replay", "read")
LABELS = {
    "health": "GET /healthz (baseline)",
    "create": "POST /threads, fresh keys",
    "replay": "POST /threads, replays",
    "read": "GET /threads/{id}",
}
TARGETS: dict[tuple[str, str], float] = {
    ("sqlite", "create"): 0.25,
    ("postgres", "create"): 0.20,
    ("sqlite", "replay"): 0.40,
    ("postgres", "replay"): 0.40,
    ("sqlite", "read"): 0.50,
    ("postgres", "read"): 0.50,
}
PRECREATED = 64
"""Keys created before the replay runs, and threads the read runs cycle through."""
BACKENDS_VARIABLE = "BENCH_PROVIDER_BACKENDS"
VERSUS_VARIABLE = "BENCH_PROVIDER_VERSUS"
BACKENDS = ("sqlite", "postgres")


@dataclass(frozen=True)
class Load:
    """How hard and how long ``wrk`` pushes."""

    threads: int = 1
    connections: int = 16
    seconds: int = 5
    warmup_seconds: int = 1
    rounds: int = 3


FULL = Load()
QUICK = Load(seconds=1, warmup_seconds=1, rounds=1)


def wrk_binary() -> str:
    """The wrk executable, or a BenchError saying how to get it."""
    found = shutil.which("wrk")
    if found is None:
        raise BenchError("wrk is not installed: apt-get install -y wrk")
    return found


def run_wrk(
    base_url: str, mode: str, load: Load, seconds: int, nonce: str, ids_file: Path
) -> dict[str, Any]:
    """One wrk run; returns its WRKJSON totals plus requests/s."""
    command = [
        wrk_binary(),
        f"-t{load.threads}",
        f"-c{load.connections}",
        f"-d{seconds}s",
        "--timeout", "10s",
        "--latency",
        "-s", str(SCRIPT),
        base_url,
        "--", mode, nonce, TOKEN, str(PRECREATED), str(ids_file),
    ]  # fmt: skip
    done = run_bounded(command, timeout=seconds + 30)
    line = next((text for text in done.stdout.splitlines() if text.startswith("WRKJSON ")), None)
    if done.returncode != 0 or line is None:
        raise BenchError(
            f"wrk {mode} failed (exit {done.returncode}):\n{done.stdout[-1500:]}"
            f"{done.stderr[-1500:]}"
        )
    totals: dict[str, Any] = json.loads(line.removeprefix("WRKJSON "))
    totals["rps"] = totals["requests"] / (totals["duration_us"] / 1e6)
    return totals


def prepare(base_url: str, nonce: str, ids_file: Path) -> None:
    """Create the keys the replay runs repeat and the threads the read runs fetch."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    ids: list[str] = []
    with httpx.Client(base_url=base_url, headers=headers, timeout=30) as client:
        for index in range(1, PRECREATED + 1):
            answer = client.post(
                "/threads", json=BODY, headers={"Idempotency-Key": f"{nonce}-{index}"}
            )
            if answer.status_code != 201:
                raise BenchError(f"pre-create answered {answer.status_code}: {answer.text}")
            ids.append(answer.json()["id"])
    ids_file.write_text("\n".join(ids) + "\n")


def bench_backend(
    backend: str, variants: list[Variant], folder: Path, load: Load
) -> dict[str, dict[str, Any]]:
    """Every mode, in rounds, against one provider process per variant on ``backend``.

    Each variant has its own database. Within a round every mode runs on every
    variant back to back, in an order that alternates from round to round.
    """
    with contextlib.ExitStack() as stack:
        running: list[Provider] = []
        for index, variant in enumerate(variants):
            database_url = (
                sqlite_url(folder / f"bench-{index}.db")
                if backend == "sqlite"
                else stack.enter_context(postgres_database())
            )
            log = folder / f"provider-{backend}-{index}.log"
            provider = launch_provider(database_url, log, TOKENS, env=variant.env)
            stack.callback(provider.stop)
            running.append(provider)
        replay_nonce = f"replay-{uuid.uuid4().hex[:8]}"
        ids_files = [folder / f"ids-{backend}-{index}.txt" for index in range(len(variants))]
        for provider, ids_file in zip(running, ids_files, strict=True):
            wait_ready(provider)
            prepare(provider.base_url, replay_nonce, ids_file)

        def nonce_for(mode: str, label: str) -> str:
            return replay_nonce if mode == "replay" else f"{label}-{uuid.uuid4().hex[:8]}"

        for provider, ids_file in zip(running, ids_files, strict=True):
            url = provider.base_url
            for mode in MODES:  # warm-up: imports, caches, connection pool
                run_wrk(url, mode, load, load.warmup_seconds, nonce_for(mode, "warm"), ids_file)
        runs: list[dict[str, list[dict[str, Any]]]] = [
            {mode: [] for mode in MODES} for _ in variants
        ]
        order = list(range(len(variants)))
        for round_index in range(load.rounds):
            for mode in MODES:
                for index in order:
                    label = "" if len(variants) == 1 else f" ({variants[index].label})"
                    progress(
                        f"provider {backend} round {round_index + 1}/{load.rounds}: {mode}{label}"
                    )
                    url, ids_file = running[index].base_url, ids_files[index]
                    nonce = nonce_for(mode, "r")
                    runs[index][mode].append(
                        run_wrk(url, mode, load, load.seconds, nonce, ids_file)
                    )
            order.reverse()
        for provider, variant in zip(running, variants, strict=True):
            if provider.process.poll() is not None:
                raise BenchError(
                    f"the {backend} provider ({variant.label}) died:\n{provider.output()[-2000:]}"
                )
    return {
        variant.label: summarise(measured) for variant, measured in zip(variants, runs, strict=True)
    }


def summarise(runs: dict[str, list[dict[str, Any]]]) -> dict[str, Any]:
    """Medians over rounds, and the median of the per-round ratios to the baseline."""
    baseline = runs["health"]
    summary: dict[str, Any] = {}
    for mode, figures in runs.items():
        ratios = [run["rps"] / base["rps"] for run, base in zip(figures, baseline, strict=True)]
        summary[mode] = {
            "rps": median([run["rps"] for run in figures]),
            "p50_ms": median([run["p50_us"] / 1000 for run in figures]),
            "p99_ms": median([run["p99_us"] / 1000 for run in figures]),
            "ratio": median(ratios),
            "ratios": ratios,
            "errors": sum(sum(run["errors"].values()) for run in figures),
            "requests": sum(run["requests"] for run in figures),
            "runs": figures,
        }
    return summary


def rows_for(backend: str, summary: dict[str, Any], rounds: int) -> list[Row]:
    """Table rows for one backend."""
    rows = []
    for mode in MODES:
        figures = summary[mode]
        result = (
            f"{figures['rps']:,.0f} req/s, p50 {figures['p50_ms']:.1f} ms, "
            f"p99 {figures['p99_ms']:.1f} ms"
        )
        if figures["errors"]:
            result += f", {figures['errors']} errors/non-2xx"
        target = TARGETS.get((backend, mode))
        rows.append(
            Row(
                benchmark="provider",
                case=f"{backend}: {LABELS[mode]}",
                result=result + (f" (median of {rounds})" if rounds > 1 else ""),
                ratio="1.00x" if mode == "health" else fmt_ratio(figures["ratio"]),
                target="" if target is None else f">= {target:.2f}x",
                met=""
                if target is None
                else verdict(figures["ratio"] >= target and not figures["errors"]),
            )
        )
    return rows


def versus_rows(
    backend: str, ours: dict[str, Any], theirs: dict[str, Any], revision: str
) -> list[Row]:
    """This tree's throughput as a ratio to ``revision``'s, mode by mode, round by round."""
    rows = []
    for mode in MODES:
        ratios = [
            mine["rps"] / other["rps"]
            for mine, other in zip(ours[mode]["runs"], theirs[mode]["runs"], strict=True)
        ]
        ours[mode]["versus_ratios"] = ratios
        rows.append(
            Row(
                benchmark="provider",
                case=f"{backend}: {LABELS[mode]}, {THIS_TREE} vs @{revision}",
                result=f"{ours[mode]['rps']:,.0f} vs {theirs[mode]['rps']:,.0f} req/s "
                f"(per-round ratios {', '.join(f'{ratio:.3f}' for ratio in ratios)})",
                ratio=fmt_ratio(median(ratios)),
            )
        )
    return rows


def run(quick: bool = False, backends: tuple[str, ...] = ()) -> Outcome:
    """The provider benchmark on each backend (beside BENCH_PROVIDER_VERSUS, if set)."""
    load = QUICK if quick else FULL
    outcome = Outcome("provider")
    outcome.data["load"] = load.__dict__
    outcome.data["machine_before"] = machine()
    meter = CpuMeter()
    started = time.monotonic()
    revision = os.environ.get(VERSUS_VARIABLE, "").strip()
    with tempfile.TemporaryDirectory(prefix="threadpact-bench-") as scratch:
        folder = Path(scratch)
        variants = [Variant(THIS_TREE)]
        if revision:
            variants.append(export_revision(revision, folder))
            revision = variants[-1].label
            outcome.data["versus"] = revision
        chosen = os.environ.get(BACKENDS_VARIABLE, "")
        for backend in backends or ([chosen] if chosen in ("sqlite", "postgres") else BACKENDS):
            try:
                summaries = bench_backend(backend, variants, folder, load)
            except BenchError as exc:
                outcome.errors.append(f"{backend}: {exc}")
                outcome.rows.append(Row("provider", backend, f"error: {exc}"[:200]))
                continue
            summary = summaries[THIS_TREE]
            outcome.data[backend] = summary
            outcome.rows.extend(rows_for(backend, summary, load.rounds))
            if revision:
                theirs = summaries[revision]
                outcome.data[f"{backend}@{revision}"] = theirs
                outcome.rows.extend(versus_rows(backend, summary, theirs, revision))
    outcome.data["seconds"] = round(time.monotonic() - started, 1)
    outcome.data["machine_busy_percent"] = meter.busy_percent()
    outcome.data["machine_after"] = machine()
    outcome.notes.append(
        f"wrk -t{load.threads} -c{load.connections} -d{load.seconds}s, {load.rounds} round(s), "
        f"{load.warmup_seconds}s warm-up per mode; one uvicorn process per backend"
        + (f" and variant ({THIS_TREE}, @{revision}), side by side" if revision else "")
    )
    return outcome
