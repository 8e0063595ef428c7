"""``threadpact lint``: the committed spec is clean; each broken copy names its rule and pointer."""

import copy
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from threadpact.errors import UsageError
from threadpact.gate.lint import LINT_RULES, run_lint

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.yaml"
CREATE = ("paths", "/threads", "post")
CREATE_MESSAGE = ("paths", "/threads/{thread_id}/messages", "post")
CREATED = (*CREATE, "responses", "201")
LINE = re.compile(r"^/\S*: lint\.[a-z-]+: \S.*$")

Spec = dict[str, Any]


def at(document: Spec, *keys: str) -> Any:
    """The node under ``keys``."""
    node: Any = document
    for key in keys:
        node = node[key]
    return node


def write(tmp_path: Path, document: Spec) -> Path:
    path = tmp_path / "openapi.yaml"
    dumper = getattr(yaml, "CSafeDumper", yaml.SafeDumper)
    path.write_text(yaml.dump(document, Dumper=dumper, sort_keys=False), encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def original() -> Spec:
    loaded: Spec = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    return loaded


@pytest.fixture
def spec(original: Spec) -> Spec:
    """A fresh deep copy of the committed spec to break."""
    return copy.deepcopy(original)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "threadpact", "lint", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_the_committed_spec_is_clean() -> None:
    result = run_lint(SPEC)
    assert [finding.text() for finding in result.findings] == []
    assert result.status == "passed"
    assert result.name == "lint"
    assert str(len(LINT_RULES)) in result.summary


Breaker = Callable[[Spec], None]


def error_as_json(spec: Spec) -> None:
    at(spec, *CREATE, "responses")["400"] = {
        "description": "Bad.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


def duplicate_operation_id(spec: Spec) -> None:
    # POST /threads comes first in the file, so GET holds the duplicate.
    at(spec, "paths", "/threads", "get")["operationId"] = "createThread"


def default_as_json(spec: Spec) -> None:
    at(spec, "paths", "/threads/{thread_id}", "get", "responses")["default"] = {
        "description": "Anything else.",
        "content": {"application/json": {"schema": {"type": "object"}}},
    }


BROKEN: list[tuple[str, Breaker, str, str]] = [
    (
        "error response without problem+json",
        error_as_json,
        "lint.problem-json",
        "/paths/~1threads/post/responses/400/content",
    ),
    (
        "error response with another content type",
        error_as_json,
        "lint.problem-json",
        "/paths/~1threads/post/responses/400/content/application~1json",
    ),
    (
        "default response that is not a problem",
        default_as_json,
        "lint.problem-json",
        "/paths/~1threads~1{thread_id}/get/responses/default/content",
    ),
    (
        "problem without detail",
        lambda s: at(s, "components", "schemas", "Problem", "required").remove("detail"),
        "lint.problem-schema",
        "/components/schemas/Problem",
    ),
    (
        "problem that is not an object",
        lambda s: at(s, "components", "schemas")["Problem"].update(type="string"),
        "lint.problem-schema",
        "/components/schemas/Problem",
    ),
    (
        "create without Idempotency-Key",
        lambda s: at(s, *CREATE).update(parameters=[]),
        "lint.idempotency-key",
        "/paths/~1threads/post/parameters",
    ),
    (
        "optional Idempotency-Key",
        lambda s: at(s, "components", "parameters", "IdempotencyKey").update(required=False),
        "lint.idempotency-key",
        "/components/parameters/IdempotencyKey/required",
    ),
    (
        "unbounded Idempotency-Key",
        lambda s: at(s, "components", "parameters", "IdempotencyKey", "schema").pop("maxLength"),
        "lint.idempotency-key",
        "/components/parameters/IdempotencyKey/schema",
    ),
    (
        "duplicate operationId",
        duplicate_operation_id,
        "lint.operation-id",
        "/paths/~1threads/get/operationId",
    ),
    (
        "missing operationId",
        lambda s: at(s, "paths", "/threads/{thread_id}/messages", "get").pop("operationId"),
        "lint.operation-id",
        "/paths/~1threads~1{thread_id}~1messages/get",
    ),
    (
        "create without links",
        lambda s: at(s, *CREATED).pop("links"),
        "lint.create-links",
        "/paths/~1threads/post/responses/201/links",
    ),
    (
        "link to an unknown operation",
        lambda s: at(s, *CREATED, "links", "GetThread").update(operationId="fetchThread"),
        "lint.link-target",
        "/paths/~1threads/post/responses/201/links/GetThread",
    ),
    (
        "link with an unknown parameter",
        lambda s: at(s, *CREATED, "links", "GetThread").update(
            parameters={"threadId": "$response.body#/id"}
        ),
        "lint.link-target",
        "/paths/~1threads/post/responses/201/links/GetThread/parameters/threadId",
    ),
    (
        "create without Location",
        lambda s: at(s, *CREATED, "headers").pop("Location"),
        "lint.create-location",
        "/paths/~1threads/post/responses/201/headers",
    ),
    (
        "create without Idempotent-Replayed",
        lambda s: at(s, *CREATE_MESSAGE, "responses", "201", "headers").pop("Idempotent-Replayed"),
        "lint.create-replayed",
        "/paths/~1threads~1{thread_id}~1messages/post/responses/201/headers",
    ),
    (
        "create body with an id",
        lambda s: at(s, "components", "schemas", "ThreadCreate", "properties").update(
            id={"type": "string"}
        ),
        "lint.create-body",
        "/components/schemas/ThreadCreate/properties/id",
    ),
    (
        "create body open to unknown fields",
        lambda s: at(s, "components", "schemas", "MessageCreate").pop("additionalProperties"),
        "lint.create-body",
        "/components/schemas/MessageCreate",
    ),
    (
        "create without 422",
        lambda s: at(s, *CREATE, "responses").pop("422"),
        "lint.create-errors",
        "/paths/~1threads/post/responses/422",
    ),
    (
        "created thread without a uuid id",
        lambda s: at(s, "components", "schemas", "ServerThread", "properties", "id").pop("format"),
        "lint.server-id",
        "/components/schemas/ServerThread",
    ),
    (
        "no LocalThread",
        lambda s: at(s, "components", "schemas").pop("LocalThread"),
        "lint.models",
        "/components/schemas/LocalThread",
    ),
    (
        "no ServerThread",
        lambda s: at(s, "components", "schemas").pop("ServerThread"),
        "lint.models",
        "/components/schemas/ServerThread",
    ),
    (
        "dangling $ref",
        lambda s: at(s, "components", "schemas").pop("ServerThread"),
        "lint.ref",
        "/paths/~1threads/post/responses/201/content/application~1json/schema/$ref",
    ),
    (
        "path id that is not a uuid",
        lambda s: at(s, "components", "parameters", "ThreadId").update(schema={"type": "string"}),
        "lint.path-id-format",
        "/components/parameters/ThreadId/schema",
    ),
    (
        "no security at all",
        lambda s: s.pop("security"),
        "lint.security",
        "/security",
    ),
    (
        "operation callable without a credential",
        lambda s: at(s, "paths", "/threads", "get").update(security=[{}]),
        "lint.security",
        "/paths/~1threads/get/security/0",
    ),
    (
        "unknown security scheme",
        lambda s: s.update(security=[{"apiKey": []}]),
        "lint.security",
        "/security/0/apiKey",
    ),
    (
        "secured operation without 401",
        lambda s: at(s, "paths", "/threads", "get", "responses").pop("401"),
        "lint.unauthorized",
        "/paths/~1threads/get/responses",
    ),
    (
        "401 without WWW-Authenticate",
        lambda s: at(s, "components", "responses", "Unauthorized").pop("headers"),
        "lint.unauthorized",
        "/components/responses/Unauthorized/headers",
    ),
    (
        "timestamp that is not date-time",
        lambda s: at(s, "components", "schemas", "Message", "properties").update(
            created_at={"type": "integer"}
        ),
        "lint.timestamp-format",
        "/components/schemas/Message/properties/created_at",
    ),
    (
        "invalid OpenAPI",
        lambda s: at(s, "info").pop("version"),
        "lint.openapi",
        "/info",
    ),
]


@pytest.mark.parametrize(
    ("breaker", "rule", "pointer"),
    [case[1:] for case in BROKEN],
    ids=[case[0] for case in BROKEN],
)
def test_each_broken_rule_is_found_where_it_breaks(
    tmp_path: Path, spec: Spec, breaker: Breaker, rule: str, pointer: str
) -> None:
    breaker(spec)
    result = run_lint(write(tmp_path, spec))
    assert result.status == "failed"
    found = {(finding.rule, finding.where) for finding in result.findings}
    assert (rule, pointer) in found, sorted(found)


def test_every_rule_has_a_broken_copy() -> None:
    assert {case[2] for case in BROKEN} == set(LINT_RULES) | {"lint.openapi"}


def test_every_openapi_error_is_reported(tmp_path: Path, spec: Spec) -> None:
    at(spec, "info").pop("version")
    at(spec, "paths", "/threads", "get")["operationId"] = 5
    result = run_lint(write(tmp_path, spec))
    openapi = {f.where for f in result.findings if f.rule == "lint.openapi"}
    assert openapi >= {"/info", "/paths/~1threads/get/operationId"}


def test_a_shared_component_is_reported_once(tmp_path: Path, spec: Spec) -> None:
    # NotFound is used by six operations; the finding names the component once.
    at(spec, "components", "responses", "NotFound")["content"] = {"text/plain": {}}
    result = run_lint(write(tmp_path, spec))
    wheres = [f.where for f in result.findings if f.rule == "lint.problem-json"]
    assert wheres.count("/components/responses/NotFound/content") == 1


def test_a_missing_spec_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no such spec file"):
        run_lint(tmp_path / "nope.yaml")


def test_a_spec_that_is_not_a_mapping_is_a_usage_error(tmp_path: Path) -> None:
    path = tmp_path / "list.yaml"
    path.write_text("- just\n- a list\n", encoding="utf-8")
    with pytest.raises(UsageError, match="must be a YAML or JSON object"):
        run_lint(path)


def test_cli_clean_spec_exits_0() -> None:
    done = run(str(SPEC))
    assert (done.returncode, done.stdout) == (0, "")
    assert "contract rules hold" in done.stderr


def test_cli_prints_one_line_per_finding_and_exits_1(tmp_path: Path, spec: Spec) -> None:
    error_as_json(spec)
    at(spec, *CREATED).pop("links")
    done = run(str(write(tmp_path, spec)))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 3
    assert all(LINE.match(line) for line in lines), lines
    assert (
        "/paths/~1threads/post/responses/400/content: lint.problem-json: "
        "POST /threads (createThread) answers 400 without an application/problem+json body"
    ) in lines


@pytest.mark.parametrize(
    ("name", "text", "message"),
    [
        ("missing.yaml", None, "missing.yaml does not exist"),
        ("broken.yaml", "openapi: 3.1.0\npaths: [\n", "not valid YAML"),
    ],
)
def test_cli_unusable_spec_exits_2_with_one_line(
    tmp_path: Path, name: str, text: str | None, message: str
) -> None:
    path = tmp_path / name
    if text is not None:
        path.write_text(text, encoding="utf-8")
    done = run(str(path))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr
