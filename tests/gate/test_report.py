"""The gate's reports: JUnit XML a viewer can open, Markdown for a pull request."""

import xml.etree.ElementTree as ET
from pathlib import Path

from threadpact.gate.report import Finding, StepResult, junit_xml, markdown, write_reports

STEPS = [
    StepResult("lint", "passed", 0.1, "all rules hold"),
    StepResult(
        "fuzz",
        "failed",
        12.5,
        "2 finding(s)",
        [
            Finding(
                "idempotency.replay",
                "the replay answered another body",
                where="POST /threads",
                details="--> POST /threads\n<-- 201",
                reproduce="curl -X POST http://127.0.0.1/threads",
            ),
            Finding("id-authority", "Location names another ID | pipe", where="POST /threads"),
        ],
    ),
    StepResult("verify", "error", 0.0, "cannot reach the provider"),
    StepResult("crosscheck", "skipped", 0.0, "skipped by --skip"),
]


def test_junit_counts_and_cases() -> None:
    root = ET.fromstring(junit_xml(STEPS))
    assert root.attrib["tests"] == "5"
    assert root.attrib["failures"] == "2"
    assert root.attrib["errors"] == "1"
    assert root.attrib["skipped"] == "1"
    fuzz = root.find("testsuite[@name='fuzz']")
    assert fuzz is not None
    names = [case.attrib["name"] for case in fuzz.iter("testcase")]
    assert names == ["idempotency.replay POST /threads", "id-authority POST /threads"]
    failure = fuzz.find("testcase/failure")
    assert failure is not None
    assert failure.attrib["type"] == "idempotency.replay"
    assert failure.text is not None
    assert "Reproduce with:\n    curl -X POST" in failure.text
    error = root.find("testsuite[@name='verify']/testcase/error")
    assert error is not None
    assert error.attrib["message"] == "cannot reach the provider"


def test_markdown_has_the_table_and_each_finding() -> None:
    text = markdown(STEPS)
    assert text.startswith("## threadpact gate: ❌ failed")
    assert "| fuzz | ❌ failed | 12.5 s | 2 finding(s) |" in text
    assert "| crosscheck | ⏭️ skipped | 0.0 s | skipped by --skip |" in text
    assert "- **idempotency.replay** `POST /threads`: the replay answered another body" in text
    assert "  curl -X POST http://127.0.0.1/threads" in text
    assert "### fuzz: 2 finding(s)" in text


def test_a_clean_run_says_passed(tmp_path: Path) -> None:
    paths = write_reports([STEPS[0]], tmp_path)
    assert [path.name for path in paths] == ["threadpact.xml", "threadpact.md"]
    assert paths[1].read_text().startswith("## threadpact gate: ✅ passed")
    assert ET.parse(paths[0]).getroot().attrib["failures"] == "0"


ACTIONABLE = Finding(
    "idempotency.missing-key",
    "A create without Idempotency-Key answered 201; the contract says 400.",
    where="POST /threads/{thread_id}/messages",
    statement="/components/parameters/IdempotencyKey/description",
    also=("missing_required_header", "negative_data_rejection"),
    script="#!/bin/sh\nset -eu\nexit 1\n",
)


def test_a_finding_shows_its_statement_what_else_tripped_and_its_script() -> None:
    name = "repro/idempotency.missing-key-POST-threads-thread_id-messages.sh"
    assert ACTIONABLE.script_name == name
    text = ACTIONABLE.text()
    assert "Spec statement: /components/parameters/IdempotencyKey/description" in text
    assert "Also tripped: missing_required_header, negative_data_rejection" in text
    assert f"From a fresh server: sh {name}" in text
    step = StepResult("fuzz", "failed", 1.0, "1 finding(s)", [ACTIONABLE])
    md = markdown([step])
    assert "  Spec statement: `/components/parameters/IdempotencyKey/description`" in md
    assert "  Also tripped: `missing_required_header`, `negative_data_rejection`" in md
    assert f"[`{name}`]({name})" in md
    properties = {
        node.attrib["name"]: node.attrib["value"]
        for node in ET.fromstring(junit_xml([step])).iter("property")
    }
    assert properties == {
        "statement": "/components/parameters/IdempotencyKey/description",
        "also-tripped": "missing_required_header, negative_data_rejection",
        "reproduction-script": name,
    }


def test_write_reports_writes_each_script_executable(tmp_path: Path) -> None:
    step = StepResult("fuzz", "failed", 1.0, "1 finding(s)", [ACTIONABLE, STEPS[1].findings[0]])
    write_reports([step], tmp_path, stem="fuzz")
    scripts = list((tmp_path / "repro").iterdir())
    assert [path.name for path in scripts] == [Path(ACTIONABLE.script_name).name]
    assert scripts[0].read_text() == ACTIONABLE.script
    assert scripts[0].stat().st_mode & 0o111
