"""Gate wall time, by step, on the embedded default (``threadpact gate --report DIR``).

Each round runs the gate as a separate process from the repository root, with a fresh
report folder. Per-step seconds come from ``DIR/threadpact.xml`` (``time`` of each
``testsuite``), falling back on the progress lines (``[1/6] generate --check  passed
1.0s ...``); the total is the process's wall time, start to exit. The table shows
medians over rounds (target: total under 60 s) and which steps dominate.
"""

from __future__ import annotations

import re
import tempfile
import time
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bench.common import (
    BIN,
    BenchError,
    CpuMeter,
    Outcome,
    Row,
    machine,
    median,
    progress,
    run_bounded,
    verdict,
)

TARGET_SECONDS = 60.0
PROGRESS = re.compile(
    r"^\[(\d+)/(\d+)\]\s+(.+?)\s+(passed|failed|error|skipped)\s+([\d.]+)s\b", re.MULTILINE
)
TOTAL = re.compile(r"^total ([\d.]+)s", re.MULTILINE)


@dataclass(frozen=True)
class Plan:
    """How often, and how long one gate may take before it is stopped."""

    rounds: int = 3
    timeout: float = 600.0


FULL = Plan()
QUICK = Plan(rounds=1, timeout=300.0)


def steps_from_junit(path: Path) -> dict[str, float]:
    """Seconds per testsuite of a JUnit file."""
    root = ET.parse(path).getroot()
    suites = root.iter("testsuite") if root.tag == "testsuites" else [root]
    return {suite.get("name", "?"): float(suite.get("time", "nan")) for suite in suites}


def one_run(folder: Path, timeout: float) -> dict[str, Any]:
    """One gate, its steps and statuses."""
    report = folder / "report"
    command = [str(BIN / "threadpact"), "gate", "--report", str(report)]
    done = run_bounded(command, timeout=timeout)
    if done.timed_out:
        raise BenchError(f"the gate did not finish in time:\n{done.stdout[-1500:]}")
    lines = PROGRESS.findall(done.stdout)
    statuses = {name.strip(): status for _, _, name, status, _ in lines}
    from_progress = {name.strip(): float(seconds) for _, _, name, _, seconds in lines}
    junit = report / "threadpact.xml"
    steps = steps_from_junit(junit) if junit.exists() else from_progress
    if not steps:
        raise BenchError(
            f"the gate (exit {done.returncode}) printed no step lines and wrote no "
            f"{junit.name}:\n{done.stdout[-1500:]}{done.stderr[-1500:]}"
        )
    total = TOTAL.findall(done.stdout)
    return {
        "exit": done.returncode,
        "wall_seconds": done.seconds,
        "reported_total": float(total[-1]) if total else None,
        "steps": steps,
        "progress_steps": from_progress,
        "statuses": statuses,
        "source": "junit" if junit.exists() else "progress lines",
    }


def run(quick: bool = False) -> Outcome:
    """The gate benchmark."""
    plan = QUICK if quick else FULL
    outcome = Outcome("gate")
    outcome.data["plan"] = plan.__dict__
    outcome.data["machine_before"] = machine()
    meter = CpuMeter()
    started = time.monotonic()
    runs: list[dict[str, Any]] = []
    done = run_bounded([str(BIN / "threadpact"), "gate", "--help"], timeout=60)
    if done.returncode != 0:
        reason = f"`threadpact gate --help` exited {done.returncode}: {done.stderr[-300:]}"
        outcome.errors.append(reason)
        outcome.rows.append(Row("gate", "threadpact gate", f"not run: {reason}"))
        return outcome
    try:
        for index in range(plan.rounds):
            progress(f"gate round {index + 1}/{plan.rounds}")
            with tempfile.TemporaryDirectory(prefix="threadpact-bench-gate-") as scratch:
                runs.append(one_run(Path(scratch), plan.timeout))
    except BenchError as exc:
        outcome.errors.append(str(exc))
        outcome.rows.append(Row("gate", "threadpact gate", f"error: {exc}"[:300]))
        return outcome
    outcome.data.update(
        runs=runs,
        seconds=round(time.monotonic() - started, 1),
        machine_busy_percent=meter.busy_percent(),
        machine_after=machine(),
    )
    names = list(dict.fromkeys(name for run in runs for name in run["steps"]))
    per_step = {
        name: median([run["steps"][name] for run in runs if name in run["steps"]]) for name in names
    }
    total = median([run["wall_seconds"] for run in runs])
    n = len(runs)
    of = f" (median of {n})" if n > 1 else ""
    ranked = sorted(per_step.items(), key=lambda item: item[1], reverse=True)
    outcome.data["per_step_median"] = per_step
    outcome.data["total_median"] = total
    for name in names:
        statuses = sorted({run["statuses"].get(name, "?") for run in runs})
        outcome.rows.append(
            Row(
                "gate",
                f"step: {name}",
                f"{per_step[name]:.1f} s{of}, {'/'.join(statuses)}",
                ratio=f"{100 * per_step[name] / total:.0f}% of total" if total else "",
            )
        )
    unfinished = [
        name
        for name in names
        if any(run["statuses"].get(name) in ("error", "skipped") for run in runs)
    ]
    if unfinished:
        outcome.notes.append(
            f"step(s) {', '.join(unfinished)} errored or were skipped in some round: their "
            "time (and so the total) is not what a passing gate costs"
        )
    exits = sorted({run["exit"] for run in runs})
    outcome.rows.append(
        Row(
            "gate",
            "total (process wall time)",
            f"{total:.1f} s{of}, exit {'/'.join(map(str, exits))}; dominated by "
            + ", ".join(f"{name} {seconds:.1f} s" for name, seconds in ranked[:2]),
            target=f"< {TARGET_SECONDS:.0f} s",
            met=verdict(total < TARGET_SECONDS),
        )
    )
    return outcome
