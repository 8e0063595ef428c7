"""The campaign's report: what ran, which faults fired, and each anomaly with its run.

``campaign.md`` is for people (and a CI job summary); ``campaign.json`` has the same
figures for tools.
"""

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpact.campaign.runner import Outcome


@dataclass(frozen=True)
class Setup:
    """What the campaign ran against, in words."""

    provider: str
    client: str
    database: str
    faults: list[str]


def summary(outcome: Outcome) -> str:
    """One line: examples, operations, faults, anomalies, time and rate."""
    anomalies = len(outcome.found.anomaly.anomalies) if outcome.found else 0
    rate = outcome.operations / outcome.elapsed if outcome.elapsed else 0.0
    return (
        f"{outcome.tally.examples} examples, {outcome.tally.steps} steps, "
        f"{outcome.operations} operations, {outcome.faults} faults, "
        f"{anomalies} anomal{'y' if anomalies == 1 else 'ies'} "
        f"in {outcome.elapsed:.1f} s ({rate:.1f} operations/s), seed {outcome.seed}"
    )


def as_json(outcome: Outcome, setup: Setup) -> dict[str, Any]:
    """The report's figures as JSON data."""
    found = outcome.found
    return {
        "setup": setup.__dict__,
        "seed": outcome.seed,
        "elapsed_seconds": round(outcome.elapsed, 3),
        "examples": outcome.tally.examples,
        "steps": outcome.tally.steps,
        "operations": dict(sorted(outcome.tally.operations.items())),
        "faults": dict(sorted(outcome.tally.faults.items())),
        "anomalies": [
            {"kind": a.kind, "user": a.user, "origin": a.origin, "detail": a.detail}
            for a in (found.anomaly.anomalies if found else [])
        ],
        "run": found.anomaly.script if found else None,
        "hypothesis_steps": found.steps if found else [],
        "flaky": found.flaky if found else False,
    }


def as_markdown(outcome: Outcome, setup: Setup) -> str:
    """The report for people."""
    lines = [
        "# threadpact campaign",
        "",
        summary(outcome) + ".",
        "",
        f"- provider: {setup.provider} ({setup.database})",
        f"- client: {setup.client}",
        f"- faults injected: {', '.join(setup.faults)}",
        "",
        "| operations | count |",
        "| --- | ---: |",
        *(f"| {op} | {n} |" for op, n in sorted(outcome.tally.operations.items())),
        "",
        "| faults that fired | count |",
        "| --- | ---: |",
        *(f"| {kind} | {n} |" for kind, n in sorted(outcome.tally.faults.items())),
        "",
    ]
    found = outcome.found
    if found is None:
        lines.append(
            "No anomaly: nothing lost, duplicated, orphaned, stale or seen by another user."
        )
        return "\n".join(lines) + "\n"
    lines += ["## Anomalies", ""]
    lines += [f"- **{a.kind}** ({a.user}, {a.origin}): {a.detail}" for a in found.anomaly.anomalies]
    lines += ["", "### The shortest run that shows it", "", "```", found.anomaly.script, "```"]
    if found.flaky:
        lines += ["", "It did not fail again when replayed: the timing of a fault matters."]
    if found.steps:
        lines += ["", "### As Hypothesis steps", "", "```", *found.steps, "```"]
    return "\n".join(lines) + "\n"


def write_report(outcome: Outcome, setup: Setup, folder: Path) -> list[Path]:
    """Write ``campaign.md`` and ``campaign.json`` into ``folder``; their paths."""
    folder.mkdir(parents=True, exist_ok=True)
    markdown, data = folder / "campaign.md", folder / "campaign.json"
    markdown.write_text(as_markdown(outcome, setup))
    data.write_text(json.dumps(as_json(outcome, setup), indent=2) + "\n")
    return [markdown, data]
