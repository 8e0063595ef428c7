"""What a gate step found, and the JUnit XML and Markdown reports made from it.

A finding may carry a reproduction script; :func:`write_reports` writes each into
``repro/`` beside the reports, named by :attr:`Finding.script_name`.
"""

import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Literal

Status = Literal["passed", "failed", "error", "skipped"]
REPRO_DIR = "repro"
"""The report folder's subfolder for reproduction scripts."""
_SLUG = re.compile(r"[^A-Za-z0-9_.-]+")
ICONS: dict[str, str] = {"passed": "✅", "failed": "❌", "error": "⚠️", "skipped": "⏭️"}


@dataclass(frozen=True)
class Finding:
    """One broken rule: which, where, what happened, and how to see it again."""

    rule: str
    """A stable rule name, e.g. ``idempotency.replay`` or ``lint.problem-json``."""
    message: str
    """One or two sentences a reviewer can act on."""
    where: str = ""
    """An operation, a pact interaction or a JSON pointer."""
    reproduce: str = ""
    """A command or curl line that shows the failure again."""
    details: str = ""
    """The request and response, a diff, or other evidence."""
    severity: Literal["error", "warning"] = "error"
    """A warning is reported but does not fail its step."""
    statement: str = ""
    """A JSON pointer to the spec statement the rule enforces, e.g. ``/paths/~1threads/post``."""
    also: tuple[str, ...] = ()
    """Other rules that tripped with this one, on the same request or the same root cause."""
    script: str = ""
    """A shell script that replays the failure from a fresh server (see :func:`write_reports`)."""

    @property
    def script_name(self) -> str:
        """Where :func:`write_reports` puts the script: ``repro/<rule>-<where>.sh``."""
        where = "-".join(_SLUG.sub(" ", self.where).split())
        return f"{REPRO_DIR}/{self.rule}{'-' + where if where else ''}.sh"

    def text(self) -> str:
        """The finding as plain text, for terminals and JUnit bodies."""
        rule = f"{self.rule}, warning" if self.severity == "warning" else self.rule
        lines = [
            f"[{rule}] {self.where}: {self.message}" if self.where else f"[{rule}] {self.message}"
        ]
        if self.statement:
            lines.append(f"Spec statement: {self.statement}")
        if self.also:
            lines.append(f"Also tripped: {', '.join(self.also)}")
        if self.details:
            lines += ["", self.details.rstrip()]
        if self.reproduce:
            lines += ["", "Reproduce with:", f"    {self.reproduce}"]
        if self.script:
            lines += ["", f"From a fresh server: sh {self.script_name} (in the report folder)"]
        return "\n".join(lines)


@dataclass
class StepResult:
    """The outcome of one gate step."""

    name: str
    status: Status
    seconds: float = 0.0
    summary: str = ""
    findings: list[Finding] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Whether the step passed (or was skipped on purpose)."""
        return self.status in ("passed", "skipped")


def junit_xml(steps: Sequence[StepResult], suite_name: str = "threadpact") -> str:
    """A JUnit XML document: one test suite per step, one test case per finding."""
    root = ET.Element("testsuites", name=suite_name)
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    for step in steps:
        suite = ET.SubElement(root, "testsuite", name=step.name, time=f"{step.seconds:.3f}")
        counts = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
        if step.findings:
            for finding in step.findings:
                case = ET.SubElement(
                    suite,
                    "testcase",
                    classname=f"{suite_name}.{step.name}",
                    name=f"{finding.rule} {finding.where}".strip(),
                )
                counts["tests"] += 1
                _properties(case, finding)
                if finding.severity == "warning":
                    ET.SubElement(case, "system-out").text = finding.text()
                    continue
                kind = "error" if step.status == "error" else "failure"
                node = ET.SubElement(case, kind, message=finding.message[:500], type=finding.rule)
                node.text = finding.text()
                counts["errors" if kind == "error" else "failures"] += 1
        else:
            case = ET.SubElement(
                suite,
                "testcase",
                classname=f"{suite_name}.{step.name}",
                name=step.name,
                time=f"{step.seconds:.3f}",
            )
            counts["tests"] += 1
            if step.status == "skipped":
                ET.SubElement(case, "skipped", message=step.summary or "skipped")
                counts["skipped"] += 1
            elif step.status in ("failed", "error"):
                node = ET.SubElement(
                    case,
                    "failure" if step.status == "failed" else "error",
                    message=step.summary or step.status,
                )
                node.text = step.summary
                counts["failures" if step.status == "failed" else "errors"] += 1
            if step.summary:
                ET.SubElement(case, "system-out").text = step.summary
        for key, value in counts.items():
            suite.set(key, str(value))
            totals[key] += value
    for key, value in totals.items():
        root.set(key, str(value))
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"


def _properties(case: ET.Element, finding: Finding) -> None:
    """The finding's statement, co-tripped rules and script as JUnit test case properties."""
    shown = {
        "statement": finding.statement,
        "also-tripped": ", ".join(finding.also),
        "reproduction-script": finding.script_name if finding.script else "",
    }
    if any(shown.values()):
        properties = ET.SubElement(case, "properties")
        for name, value in shown.items():
            if value:
                ET.SubElement(properties, "property", name=name, value=value)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown(
    steps: Sequence[StepResult], title: str = "threadpact gate", verdict: str | None = None
) -> str:
    """A Markdown summary fit for a pull-request comment.

    ``verdict`` replaces "passed"/"failed" in the heading (e.g. "interrupted by SIGTERM").
    """
    passed = all(step.ok for step in steps) and verdict is None
    icon = ICONS["passed" if passed else "failed" if verdict is None else "error"]
    verdict = verdict or ("passed" if passed else "failed")
    lines = [f"## {title}: {icon} {verdict}", ""]
    lines += ["| step | result | time | summary |", "| --- | --- | ---: | --- |"]
    for step in steps:
        lines.append(
            f"| {step.name} | {ICONS[step.status]} {step.status} | {step.seconds:.1f} s "
            f"| {_cell(step.summary)} |"
        )
    for step in steps:
        if not step.findings:
            continue
        warnings = sum(finding.severity == "warning" for finding in step.findings)
        counts = (
            [f"{len(step.findings) - warnings} finding(s)"] if warnings < len(step.findings) else []
        )
        counts += [f"{warnings} warning(s)"] if warnings else []
        lines += ["", f"### {step.name}: {', '.join(counts)}"]
        for finding in step.findings:
            where = f" `{finding.where}`" if finding.where else ""
            warning = " (warning)" if finding.severity == "warning" else ""
            lines += ["", f"- **{finding.rule}**{warning}{where}: {finding.message}"]
            if finding.statement:
                lines += ["", f"  Spec statement: `{finding.statement}`"]
            if finding.also:
                lines += ["", f"  Also tripped: {', '.join(f'`{rule}`' for rule in finding.also)}"]
            if finding.details:
                lines += ["", "  <details><summary>evidence</summary>", "", "  ```"]
                lines += [f"  {line}" for line in finding.details.rstrip().splitlines()]
                lines += ["  ```", "", "  </details>"]
            if finding.reproduce:
                lines += ["", "  Reproduce with:", "", "  ```sh", f"  {finding.reproduce}", "  ```"]
            if finding.script:
                name = finding.script_name
                lines += ["", f"  From a fresh server: [`{name}`]({name}) (`sh {name}`)"]
    return "\n".join(lines) + "\n"


def write_scripts(steps: Sequence[StepResult], directory: Path) -> list[Path]:
    """Write each finding's reproduction script, executable, to its ``script_name``."""
    written = []
    for finding in (finding for step in steps for finding in step.findings):
        if finding.script:
            path = directory / finding.script_name
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(finding.script, encoding="utf-8")
            path.chmod(0o755)
            written.append(path)
    return written


def write_reports(
    steps: Sequence[StepResult],
    directory: Path,
    stem: str = "threadpact",
    verdict: str | None = None,
) -> list[Path]:
    """Write ``<stem>.xml`` (JUnit) and ``<stem>.md`` into ``directory``, scripts into repro/.

    ``verdict`` marks an unfinished run in the Markdown heading (see :func:`markdown`).
    Returns the two reports' paths.
    """
    directory.mkdir(parents=True, exist_ok=True)
    write_scripts(steps, directory)
    xml_path = directory / f"{stem}.xml"
    md_path = directory / f"{stem}.md"
    xml_path.write_text(junit_xml(steps, stem), encoding="utf-8")
    md_path.write_text(
        markdown(steps, stem if stem != "threadpact" else "threadpact gate", verdict),
        encoding="utf-8",
    )
    return [xml_path, md_path]
