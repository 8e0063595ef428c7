"""Fuzz cost: ``threadpact fuzz`` beside plain ``st run`` with the same seed and budget.

Both run as separate processes against the reference provider (one fresh provider on
a fresh SQLite file per run, so no tool sees another's data), with the same ``--seed``,
``--max-examples`` and ``--workers``, rotating which goes first. Plain ``st run`` stops
testing an operation at its first failure while ``threadpact fuzz`` continues, so
``st run --continue-on-failure`` runs too, as the like-for-like reference. The wall
time is the process's, start to exit; the table shows the median per tool and the
median of the per-round ratios threadpact/schemathesis (target <= 1.5x against plain
``st run``). Each run's case count is parsed from its output: ``st`` prints ``N
generated`` in its summary; ``threadpact fuzz`` prints ``N generated requests in S s``
(or ``N requests``), which counts its contract rules' extra requests too, so the rates
are not the same unit and the wall-time ratio is the figure to judge.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    BIN,
    ROOT,
    BenchError,
    Completed,
    CpuMeter,
    Outcome,
    Row,
    fmt_ratio,
    machine,
    median,
    progress,
    providers,
    run_bounded,
    sqlite_url,
    verdict,
)

TOKEN_A = "bench-fuzz-alice"
TOKEN_B = "bench-fuzz-bob"
TOKENS = {TOKEN_A: "alice", TOKEN_B: "bob"}
TARGET = 1.5
TOOLS = ("schemathesis", "schemathesis-cof", "threadpact")
LABELS = {
    "schemathesis": "st run",
    "schemathesis-cof": "st run --continue-on-failure",
    "threadpact": "threadpact fuzz",
}
ST_CASES = re.compile(r"(\d+) generated\b")
TP_CASES = re.compile(r"(\d+) (?:generated )?(?:requests|cases)\b")
ST_PHASE = re.compile(r"(Examples|Coverage|Fuzzing|Stateful) \(in ([\d.]+)s\)")
TP_PHASE = re.compile(r"\b(examples|coverage|fuzzing|stateful) ([\d.]+) s\b")


@dataclass(frozen=True)
class Budget:
    """The options both tools get."""

    seed: int = 1
    max_examples: int = 25
    workers: int = 1
    rounds: int = 3
    timeout: float = 600.0


FULL = Budget()
QUICK = Budget(max_examples=3, rounds=1, timeout=300.0)


def command(tool: str, base_url: str, budget: Budget) -> list[str]:
    """The command line for one tool."""
    common = [
        "--seed", str(budget.seed),
        "--max-examples", str(budget.max_examples),
        "--workers", str(budget.workers),
    ]  # fmt: skip
    if tool.startswith("schemathesis"):
        spec = str(ROOT / "openapi.yaml")
        auth = f"Authorization: Bearer {TOKEN_A}"
        extra = ["--continue-on-failure"] if tool == "schemathesis-cof" else []
        return [str(BIN / "st"), "run", spec, "--url", base_url, "-H", auth, *common, *extra]
    return [
        str(BIN / "threadpact"), "fuzz", "--base-url", base_url,
        "--token", TOKEN_A, "--token", TOKEN_B, *common,
    ]  # fmt: skip


def parse(tool: str, done: Completed) -> dict[str, Any]:
    """Cases and per-phase seconds from a tool's output."""
    text = done.stdout + "\n" + done.stderr
    plain = tool.startswith("schemathesis")
    found = (ST_CASES if plain else TP_CASES).findall(text)
    phases = (ST_PHASE if plain else TP_PHASE).findall(text)
    cases = int(found[-1]) if found else None
    return {
        "exit": done.returncode,
        "wall_seconds": done.seconds,
        "cases": cases,
        "cases_per_second": cases / done.seconds if cases else None,
        "phases": {name.lower(): float(seconds) for name, seconds in phases},
        "timed_out": done.timed_out,
    }


def one_run(tool: str, folder: Path, budget: Budget, index: int) -> dict[str, Any]:
    """One tool against a fresh provider."""
    run_folder = folder / f"{tool}-{index}"
    run_folder.mkdir()
    with providers(sqlite_url(run_folder / "fuzz.db"), run_folder, TOKENS) as (provider,):
        done = run_bounded(command(tool, provider.base_url, budget), timeout=budget.timeout)
    result = parse(tool, done)
    # Exit 1 means "found something": the cost still counts. Anything else is a crash.
    if done.timed_out or done.returncode not in (0, 1):
        raise BenchError(
            f"{tool} exited {done.returncode}{' (timed out)' if done.timed_out else ''}:\n"
            f"{done.stderr[-1500:] or done.stdout[-1500:]}"
        )
    return result


def available() -> str | None:
    """Why ``threadpact fuzz`` cannot run here, or None."""
    done = run_bounded([str(BIN / "threadpact"), "fuzz", "--help"], timeout=60)
    if done.returncode != 0:
        return f"`threadpact fuzz --help` exited {done.returncode}: {done.stderr.strip()[-300:]}"
    if not (BIN / "st").exists():
        return f"no schemathesis CLI at {BIN / 'st'}"
    return None


def run(quick: bool = False) -> Outcome:
    """The fuzz-cost benchmark."""
    budget = QUICK if quick else FULL
    outcome = Outcome("fuzz")
    outcome.data["budget"] = budget.__dict__
    outcome.data["machine_before"] = machine()
    meter = CpuMeter()
    started = time.monotonic()
    missing = available()
    if missing:
        outcome.errors.append(missing)
        outcome.rows.append(Row("fuzz", "threadpact fuzz vs st run", f"not run: {missing}"))
        return outcome
    runs: dict[str, list[dict[str, Any]]] = {tool: [] for tool in TOOLS}
    try:
        with tempfile.TemporaryDirectory(prefix="threadpact-bench-") as scratch:
            for index in range(budget.rounds):
                shift = index % len(TOOLS)
                order = TOOLS[shift:] + TOOLS[:shift]
                for tool in order:
                    progress(f"fuzz round {index + 1}/{budget.rounds}: {tool}")
                    runs[tool].append(one_run(tool, Path(scratch), budget, index))
    except BenchError as exc:
        outcome.errors.append(str(exc))
        outcome.rows.append(Row("fuzz", "threadpact fuzz vs st run", f"error: {exc}"[:300]))
        return outcome
    ratios = [
        tp["wall_seconds"] / st["wall_seconds"]
        for tp, st in zip(runs["threadpact"], runs["schemathesis"], strict=True)
    ]
    ratio = median(ratios)
    ratios_cof = [
        tp["wall_seconds"] / st["wall_seconds"]
        for tp, st in zip(runs["threadpact"], runs["schemathesis-cof"], strict=True)
    ]
    cof_vs_plain = median(
        [
            cof["wall_seconds"] / st["wall_seconds"]
            for cof, st in zip(runs["schemathesis-cof"], runs["schemathesis"], strict=True)
        ]
    )
    outcome.data.update(
        runs=runs,
        ratios=ratios,
        ratio=ratio,
        ratios_vs_continue_on_failure=ratios_cof,
        ratio_vs_continue_on_failure=median(ratios_cof),
        seconds=round(time.monotonic() - started, 1),
        machine_busy_percent=meter.busy_percent(),
        machine_after=machine(),
    )
    n = budget.rounds
    options = f"seed {budget.seed}, {budget.max_examples} examples, {budget.workers} worker(s)"
    for tool in TOOLS:
        figures = runs[tool]
        wall = median([run["wall_seconds"] for run in figures])
        cases = [run["cases"] for run in figures if run["cases"]]
        rates = [run["cases_per_second"] for run in figures if run["cases_per_second"]]
        unit = "requests" if tool == "threadpact" else "cases"
        counted = (
            f", {median(cases):.0f} {unit}, {median(rates):.1f} {unit}/s"
            if cases
            else f", {unit}: not found in the output"
        )
        result = f"{wall:.1f} s wall{counted}" + (f" (median of {n})" if n > 1 else "")
        if tool == "threadpact":
            result += f"; {fmt_ratio(median(ratios_cof))} of st --continue-on-failure"
        outcome.rows.append(
            Row(
                "fuzz",
                f"{LABELS[tool]} ({options})",
                result,
                ratio={
                    "schemathesis": "1.00x",
                    "schemathesis-cof": fmt_ratio(cof_vs_plain),
                    "threadpact": fmt_ratio(ratio),
                }[tool],
                target=f"<= {TARGET:.2f}x" if tool == "threadpact" else "",
                met=verdict(ratio <= TARGET) if tool == "threadpact" else "",
            )
        )
    outcome.notes.append(
        "threadpact counts every request it sends (schemathesis cases plus its contract "
        "rules' extra requests); st counts generated cases: compare wall time, not rates"
    )
    outcome.notes.append(
        "the baseline is plain `st run`, which stops testing an operation at its first "
        "failure; threadpact fuzz continues on failure, so `st run --continue-on-failure` "
        "(same seed and budget) is shown as the like-for-like reference"
    )
    return outcome
