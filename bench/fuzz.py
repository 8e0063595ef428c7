"""Fuzz cost: ``threadpact fuzz`` beside plain ``st run`` with the same seed and budget.

Three tools run as separate processes against the reference provider (one fresh
provider on a fresh SQLite file per run, so no tool sees another's data), with the
same ``--seed``, ``--max-examples`` and ``--workers``, rotating which goes first:

- ``st run`` with its defaults. On the reference provider its default expected
  statuses call some correct answers failures (a 412 for a random If-Match, say), and
  it stops testing an operation at its first failure, so it does less work;
- ``st run`` with the schemathesis settings ``threadpact fuzz`` uses (written to a
  ``schemathesis.toml``: expected statuses, continue on failure, generation mode,
  phases, auth): schemathesis doing exactly what threadpact asks of it, without the
  contract checks. This is the baseline of the target, since what the target
  bounds is the cost of threadpact's extra checks (<= 1.5x);
- ``threadpact fuzz``.

The wall time is the process's, start to exit; the table shows the median per tool
and the median of the per-round ratios. Each run's case count is parsed from its
output: ``st`` prints ``N generated`` in its summary; ``threadpact fuzz`` prints ``N
generated requests in S s`` (or ``N requests``), which counts its contract rules'
extra requests too, so the rates are not the same unit and the wall-time ratio is the
figure to judge.
"""

from __future__ import annotations

import re
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import tomli_w

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
from threadpact.checks import CONTRACT_RULES
from threadpact.gate.fuzz import FuzzOptions, schemathesis_config
from threadpact.openapi import Spec, load_spec

SPEC = ROOT / "openapi.yaml"
TOKEN_A = "bench-fuzz-alice"
TOKEN_B = "bench-fuzz-bob"
TOKENS = {TOKEN_A: "alice", TOKEN_B: "bob"}
TARGET = 1.5
TOOLS = ("schemathesis", "schemathesis-same", "threadpact")
LABELS = {
    "schemathesis": "st run, defaults",
    "schemathesis-same": "st run, threadpact's schemathesis settings",
    "threadpact": "threadpact fuzz",
}
ST_FAILURES = re.compile(r"(\d+) unique failures?\b")
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


def threadpact_settings(base_url: str, budget: Budget, folder: Path) -> Path:
    """The schemathesis configuration ``threadpact fuzz`` would use, as a schemathesis.toml."""
    options = FuzzOptions(
        base_url=base_url,
        tokens=(TOKEN_A, TOKEN_B),
        seed=budget.seed,
        max_examples=budget.max_examples,
        workers=budget.workers,
    )
    path = folder / "schemathesis.toml"
    config = schemathesis_config(options, Spec(load_spec(SPEC)))
    path.write_text(tomli_w.dumps(config))
    return path


def command(tool: str, base_url: str, budget: Budget, folder: Path) -> list[str]:
    """The command line for one tool."""
    common = [
        "--seed", str(budget.seed),
        "--max-examples", str(budget.max_examples),
        "--workers", str(budget.workers),
    ]  # fmt: skip
    if tool == "schemathesis":
        auth = f"Authorization: Bearer {TOKEN_A}"
        return [str(BIN / "st"), "run", str(SPEC), "--url", base_url, "-H", auth, *common]
    if tool == "schemathesis-same":
        settings = threadpact_settings(base_url, budget, folder)
        return [str(BIN / "st"), "--config-file", str(settings), "run", str(SPEC), *common]
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
    failures = ST_FAILURES.findall(text) if plain else []
    return {
        "failures": int(failures[-1]) if failures else 0,
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
        done = run_bounded(
            command(tool, provider.base_url, budget, run_folder), timeout=budget.timeout
        )
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

    def ratios_of(tool: str, baseline: str) -> list[float]:
        return [
            run["wall_seconds"] / base["wall_seconds"]
            for run, base in zip(runs[tool], runs[baseline], strict=True)
        ]

    ratios = ratios_of("threadpact", "schemathesis-same")
    ratio = median(ratios)
    ratios_vs_defaults = ratios_of("threadpact", "schemathesis")
    same_vs_defaults = median(ratios_of("schemathesis-same", "schemathesis"))
    outcome.data.update(
        runs=runs,
        ratios=ratios,
        ratio=ratio,
        ratios_vs_st_defaults=ratios_vs_defaults,
        ratio_vs_st_defaults=median(ratios_vs_defaults),
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
        if tool.startswith("schemathesis"):
            reported = median([run["failures"] for run in figures])
            result += f"; {reported:.0f} failures reported on the reference provider"
        if tool == "threadpact":
            result += f"; {fmt_ratio(median(ratios_vs_defaults))} of st run with its defaults"
        outcome.rows.append(
            Row(
                "fuzz",
                f"{LABELS[tool]} ({options})",
                result,
                ratio={
                    "schemathesis": fmt_ratio(1 / same_vs_defaults),
                    "schemathesis-same": "1.00x",
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
        "the baseline is `st run` with the schemathesis settings threadpact fuzz uses "
        "(from threadpact.gate.fuzz.schemathesis_config, written to a schemathesis.toml), "
        f"so the ratio is the cost of threadpact's {len(CONTRACT_RULES)} contract rules; "
        "`st run` with its "
        "defaults calls some correct answers of the reference provider failures and stops "
        "testing an operation at its first failure, so it does less work. With "
        "threadpact's settings st still reports the spec's example Idempotency-Key, sent "
        "again with another body, answered 422: correct, and threadpact fuzz avoids it by "
        "giving every generated create a fresh key (threadpact.checks.keys)"
    )
    return outcome
