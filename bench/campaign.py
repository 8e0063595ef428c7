"""A long fault campaign (``threadpact campaign``) against the reference implementations.

Three campaigns, each a separate ``threadpact campaign --reference`` process with the
same seed, steps and number of examples: without faults on SQLite (the baseline for
operations per second), with every fault on SQLite, and with every fault on
PostgreSQL shared by two provider processes. Each row gives the operations run, the
faults that fired and the anomalies found (the goal: 0), read from the campaign's own
``campaign.json``; the ratio is operations per second against the baseline.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    BIN,
    CpuMeter,
    Outcome,
    Row,
    fmt_ratio,
    machine,
    progress,
    run_bounded,
    verdict,
)

OPERATIONS_TARGET = 10_000
FAULTS_TARGET = 1_000


@dataclass(frozen=True)
class Plan:
    """How big each campaign is."""

    examples: int = 1500
    baseline_examples: int = 150
    """Without faults every step is an operation: fewer examples give the rate."""
    steps: int = 40
    seed: int = 1
    timeout: float = 1800.0


FULL = Plan()
QUICK = Plan(examples=60, baseline_examples=20, timeout=600.0)


def one_campaign(plan: Plan, examples: int, extra: list[str]) -> dict[str, Any]:
    """Run one campaign; its report's figures and the process's wall time."""
    with tempfile.TemporaryDirectory(prefix="threadpact-bench-campaign-") as scratch:
        report = Path(scratch) / "report"
        command = [
            str(BIN / "threadpact"),
            "campaign",
            "--reference",
            "--examples",
            str(examples),
            "--steps",
            str(plan.steps),
            "--seed",
            str(plan.seed),
            "--report",
            str(report),
            *extra,
        ]
        started = time.monotonic()
        done = run_bounded(command, timeout=plan.timeout, cwd=Path(scratch))
        wall = time.monotonic() - started
        data_file = report / "campaign.json"
        if not data_file.is_file():
            raise RuntimeError(f"exit {done.returncode}, no report: {done.stderr[-400:]}")
        data: dict[str, Any] = json.loads(data_file.read_text())
        data["exit_code"] = done.returncode
        data["wall_seconds"] = round(wall, 1)
        return data


def describe(data: dict[str, Any]) -> tuple[int, int, int, float]:
    """Operations, faults, anomalies, and operations per second of one campaign."""
    operations = sum(data["operations"].values())
    faults = sum(data["faults"].values())
    rate = operations / data["elapsed_seconds"] if data["elapsed_seconds"] else 0.0
    return operations, faults, len(data["anomalies"]), rate


def run(quick: bool = False) -> Outcome:
    """The campaign benchmark."""
    plan = QUICK if quick else FULL
    outcome = Outcome("campaign")
    outcome.data["plan"] = plan.__dict__
    outcome.data["machine_before"] = machine()
    meter = CpuMeter()
    postgres = os.environ.get("THREADPACT_TEST_POSTGRES_URL")
    cases: list[tuple[str, int, list[str]]] = [
        ("sqlite, no faults (baseline)", plan.baseline_examples, ["--faults", "none"]),
        ("sqlite, every fault", plan.examples, []),
    ]
    if postgres:
        cases.append(
            (
                "postgres, 2 provider processes, every fault",
                plan.examples,
                ["--postgres-url", postgres],
            )
        )
    else:
        outcome.notes.append("THREADPACT_TEST_POSTGRES_URL unset: no PostgreSQL campaign")
    results: dict[str, dict[str, Any]] = {}
    for name, examples, extra in cases:
        progress(f"campaign: {name}, {examples} examples of {plan.steps} steps")
        try:
            results[name] = one_campaign(plan, examples, extra)
        except (RuntimeError, OSError) as exc:
            outcome.errors.append(f"{name}: {exc}")
            outcome.rows.append(Row("campaign", name, f"error: {exc}"[:300]))
    outcome.data.update(
        results=results, machine_busy_percent=meter.busy_percent(), machine_after=machine()
    )
    baseline = results.get(cases[0][0])
    base_rate = describe(baseline)[3] if baseline else 0.0
    for name, data in results.items():
        operations, faults, anomalies, rate = describe(data)
        text = (
            f"{operations:,} operations, {faults:,} faults, {anomalies} anomalies; "
            f"{data['examples']:,} examples in {data['elapsed_seconds']:.0f} s "
            f"({rate:.1f} operations/s), exit {data['exit_code']}"
        )
        if name == cases[0][0]:
            outcome.rows.append(
                Row("campaign", name, text, "1.00x", "0 anomalies", verdict(anomalies == 0))
            )
            continue
        met = anomalies == 0 and operations >= OPERATIONS_TARGET and faults >= FAULTS_TARGET
        target = f">= {OPERATIONS_TARGET:,} operations, >= {FAULTS_TARGET:,} faults, 0 anomalies"
        ratio = fmt_ratio(rate / base_rate) if base_rate else "n/a"
        outcome.rows.append(Row("campaign", name, text, ratio, target, verdict(met)))
        if anomalies:
            outcome.errors.append(f"{name}: {anomalies} anomalies: {data['anomalies'][:3]}")
    fired: dict[str, int] = {}
    for data in list(results.values())[1:]:
        for kind, count in data["faults"].items():
            fired[kind] = fired.get(kind, 0) + count
    outcome.notes.append(
        "faults that fired, all faulty campaigns: "
        + ", ".join(f"{kind} {count:,}" for kind, count in sorted(fired.items()))
    )
    outcome.notes.append(
        "an operation is a user action in one tab (create, send, rename, delete, select, "
        "reload, sync, pull, online, time passing); a fault counts once when it takes effect "
        "(an outage once, when it starts); the ratio is operations per second against the "
        "same campaign without faults"
    )
    return outcome
