"""The crosscheck corpus: pacts from several pact libraries against OpenAPI 3.0 and 3.1
specs, each with exactly the findings and warnings it must give (see its README)."""

import json
from pathlib import Path
from typing import Any

import pytest

from threadpact.gate.crosscheck import run_crosscheck

CORPUS = Path(__file__).parent / "crosscheck_corpus"
CASES = sorted(path.parent for path in CORPUS.glob("*/expected.json"))


def expected_of(case: Path) -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((case / "expected.json").read_text(encoding="utf-8"))
    return loaded


def test_the_corpus_has_cases_of_every_kind() -> None:
    specs = {expected_of(case)["spec"] for case in CASES}
    assert any("3.0" in spec for spec in specs)
    assert any("3.1" in spec for spec in specs)
    clean = [case for case in CASES if not expected_of(case)["findings"]]
    assert len(clean) >= 5
    assert len(CASES) - len(clean) >= 10


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_each_case_gives_exactly_its_findings_and_warnings(case: Path) -> None:
    expected = expected_of(case)
    pact = (case / expected.get("pact", "pact.json")).resolve()
    result = run_crosscheck(pact, (case / expected["spec"]).resolve())
    found: dict[str, list[list[str]]] = {"error": [], "warning": []}
    for finding in result.findings:
        found[finding.severity].append([finding.rule, finding.where.partition("#")[2]])
    report = [finding.text() for finding in result.findings]
    assert sorted(found["error"]) == sorted(expected["findings"]), report
    assert sorted(found["warning"]) == sorted(expected["warnings"]), report
    assert result.status == ("failed" if expected["findings"] else "passed")
