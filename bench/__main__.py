"""``python -m bench [provider|idempotency|fuzz|gate|campaign ...] [--quick]``.

Runs the named benchmarks (all five by default), prints the results table and writes
``bench/results/latest.json`` and ``latest.md``. A run of some benchmarks keeps the
other benchmarks' last results in those files, each marked with when it ran and
whether it was a ``--quick`` run. Exit 0 when every benchmark ran (a missed speed
target is reported, not a failure), 1 when one could not run or idempotency broke.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.common import ROOT, Outcome, Row, machine, progress

RESULTS = Path(__file__).with_name("results")
ORDER = ("provider", "idempotency", "fuzz", "gate", "campaign")
HEADER = ("benchmark", "case", "result", "vs baseline", "target", "met")


def runner(name: str) -> Callable[[bool], Outcome]:
    """The ``run(quick)`` of one benchmark module."""
    if name == "provider":
        from bench import provider

        return provider.run
    if name == "idempotency":
        from bench import idempotency

        return idempotency.run
    if name == "fuzz":
        from bench import fuzz

        return fuzz.run
    if name == "campaign":
        from bench import campaign

        return campaign.run
    from bench import gate

    return gate.run


def environment() -> dict[str, Any]:
    """Where and on what this ran."""
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"],
            cwd=ROOT, capture_output=True, text=True, timeout=10, check=False,
        ).stdout.strip()  # fmt: skip
        dirty = bool(
            subprocess.run(
                ["git", "status", "--porcelain", "--untracked-files=no"],
                cwd=ROOT,
                capture_output=True,
                text=True,
                timeout=10,
                check=False,
            ).stdout.strip()
        )
    except (OSError, subprocess.SubprocessError):
        commit, dirty = "", False
    wrk = shutil.which("wrk")
    return {
        "commit": commit + ("-dirty" if dirty else ""),
        "python": platform.python_version(),
        "platform": platform.platform(),
        "wrk": wrk or None,
        "postgres_url_set": bool(os.environ.get("THREADPACT_TEST_POSTGRES_URL")),
        **machine(),
    }


def cell(text: str) -> str:
    """A Markdown table cell."""
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(sections: dict[str, Any], env: dict[str, Any]) -> str:
    """The short Markdown report: one table, then notes and errors."""
    lines = [
        "# threadpact benchmarks",
        "",
        f"commit {env.get('commit') or '?'}, Python {env.get('python')}, "
        f"{env.get('cpus')} CPUs; medians of repeated runs, ratios against a baseline "
        "measured in the same run.",
        "",
        "| " + " | ".join(HEADER) + " |",
        "| " + " | ".join("---" for _ in HEADER) + " |",
    ]
    for name in ORDER:
        section = sections.get(name)
        if not section:
            continue
        for raw in section["rows"]:
            row = Row(**raw)
            lines.append(
                "| "
                + " | ".join(
                    cell(value)
                    for value in (row.benchmark, row.case, row.result, row.ratio, row.target)
                )
                + f" | {row.met} |"
            )
    lines.append("")
    for name in ORDER:
        section = sections.get(name)
        if not section:
            continue
        busy = section["data"].get("machine_busy_percent")
        load = section["data"].get("machine_before", {}).get("loadavg")
        when = section.get("ran_at", "?")
        quick = " **--quick**" if section.get("quick") else ""
        extra = f"; machine {busy}% busy during the run, load {load} before" if busy else ""
        lines.append(f"- **{name}**: finished {when}{quick}{extra}.")
        lines += [f"  - {note}" for note in section.get("notes", [])]
        lines += [f"  - ERROR: {error}" for error in section.get("errors", [])]
    return "\n".join(lines) + "\n"


def write_atomic(path: Path, text: str) -> None:
    """Write through a .tmp file (ignored by git) and rename."""
    temporary = path.with_name(path.name + ".tmp")
    temporary.write_text(text, encoding="utf-8")
    temporary.replace(path)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmarks; print and write the results."""
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "benchmarks", nargs="*", metavar="BENCHMARK",
        help=f"any of {', '.join(ORDER)} (default: all)",
    )  # fmt: skip
    parser.add_argument("--quick", action="store_true", help="a short smoke run")
    parser.add_argument(
        "--results", type=Path, default=RESULTS, help="where latest.json/md go (%(default)s)"
    )
    args = parser.parse_args(argv)
    unknown = sorted(set(args.benchmarks) - set(ORDER))
    if unknown:
        parser.error(f"unknown benchmark(s) {', '.join(unknown)}; choose from {', '.join(ORDER)}")
    chosen = [name for name in ORDER if name in (args.benchmarks or ORDER)]
    args.results.mkdir(parents=True, exist_ok=True)
    latest = args.results / "latest.json"
    try:
        previous = json.loads(latest.read_text()) if latest.exists() else {}
    except ValueError:
        previous = {}
    sections: dict[str, Any] = dict(previous.get("benchmarks", {}))
    env = environment()
    failed = False
    started = time.monotonic()
    for name in chosen:
        progress(f"{name}: starting{' (quick)' if args.quick else ''}")
        began = time.monotonic()
        try:
            outcome = runner(name)(args.quick)
        except Exception as exc:  # one broken benchmark must not hide the others
            outcome = Outcome(name, errors=[f"{type(exc).__name__}: {exc}"])
            outcome.rows.append(Row(name, "(all)", f"crashed: {type(exc).__name__}: {exc}"))
        failed = failed or bool(outcome.errors)
        sections[name] = {
            "ran_at": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
            "quick": args.quick,
            "seconds": round(time.monotonic() - began, 1),
            "environment": env,
            **outcome.as_json(),
        }
        progress(f"{name}: done in {time.monotonic() - began:.0f}s")
        # Write after each benchmark, so an interrupted run keeps what it measured.
        document = {"benchmarks": sections}
        write_atomic(latest, json.dumps(document, indent=2, default=str) + "\n")
        write_atomic(args.results / "latest.md", markdown(sections, env))
    report = markdown({name: sections[name] for name in chosen}, env)
    print(report)
    progress(f"all done in {time.monotonic() - started:.0f}s; wrote {latest} and latest.md")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
