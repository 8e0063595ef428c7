"""OpenAPI 3.0 is read by its own rules everywhere; Swagger 2.0 is refused with one line."""

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from tests.fixtures.processes import run_threadpact
from threadpact.gate.crosscheck import check_pact, load
from threadpact.gate.fuzz import FuzzOptions, load_schema
from threadpact.gate.lint import run_lint

DATA = Path(__file__).parents[1] / "fixtures" / "specs" / "openapi-3.0"
SPEC_30 = DATA / "openapi.yaml"
PACT = DATA / "front-end.json"


def with_body(tmp_path: Path, **changes: Any) -> Path:
    """The 3.0 pact with its response body changed."""
    pact = json.loads(PACT.read_text())
    changed = copy.deepcopy(pact)
    changed["interactions"][0]["response"]["body"].update(changes)
    path = tmp_path / "front-end.json"
    path.write_text(json.dumps(changed))
    return path


def test_a_30_spec_validates_as_30() -> None:
    result = run_lint(SPEC_30)
    assert not [f for f in result.findings if f.rule == "lint.openapi"]


def test_nullable_and_boolean_exclusive_minimum_follow_30(tmp_path: Path) -> None:
    target = load(SPEC_30)
    assert check_pact(target, PACT) == (1, [])  # null where nullable, 0.5 above the minimum
    found = {m.message for _d, m in check_pact(target, with_body(tmp_path, score=0))[1]}
    assert any("less than or equal to the minimum of 0" in message for message in found), found
    found = {m.message for _d, m in check_pact(target, with_body(tmp_path, title=None))[1]}
    assert any("None is not of type 'string'" in message for message in found), found


def test_fuzz_loads_a_30_spec() -> None:
    spec, schema = load_schema(FuzzOptions("http://127.0.0.1:9", ("a",), spec=SPEC_30))
    assert [op.operation_id for op in spec.operations] == ["getThread"]
    assert schema is not None


@pytest.mark.parametrize(
    ("text", "line"),
    [
        (
            "swagger: '2.0'\ninfo: {title: x, version: '1'}\npaths: {}\n",
            "a Swagger 2.0 document (swagger: '2.0'); threadpact reads OpenAPI 3.0 and 3.1: "
            "convert it first, e.g. `npx swagger2openapi SPEC -o openapi.yaml`",
        ),
        (
            "info: {title: x, version: '1'}\npaths: {}\n",
            "not an OpenAPI document (it has no `openapi` version field); "
            "threadpact reads OpenAPI 3.0 and 3.1",
        ),
        (
            "openapi: 2.5.0\ninfo: {title: x, version: '1'}\npaths: {}\n",
            "OpenAPI '2.5.0' is not supported; threadpact reads OpenAPI 3.0 and 3.1",
        ),
    ],
    ids=["swagger-2.0", "no-version", "unknown-version"],
)
@pytest.mark.parametrize("command", ["lint", "crosscheck", "fuzz"])
def test_unsupported_documents_get_one_line_and_exit_2(
    tmp_path: Path, text: str, line: str, command: str
) -> None:
    spec = tmp_path / "spec.yaml"
    spec.write_text(text)
    arguments = {
        "lint": [str(spec)],
        "crosscheck": ["--pacts", str(PACT), "--spec", str(spec)],
        "fuzz": ["--base-url", "http://127.0.0.1:9", "--token", "a", "--spec", str(spec)],
    }[command]
    done = run_threadpact(command, *arguments)
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stderr.strip() == f"threadpact: {spec}: {line}"
