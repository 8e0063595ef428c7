"""``threadpact crosscheck``: legal pacts pass; each broken copy names interaction and pointer."""

import base64
import copy
import json
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from threadpact.errors import UsageError
from threadpact.gate.crosscheck import Target, check_pact, load, run_crosscheck

ROOT = Path(__file__).resolve().parents[2]
SPEC = ROOT / "openapi.yaml"
DATA = Path(__file__).parent / "data"
V4 = DATA / "v4-pacts" / "threadpact-client-threadpact-api.json"
V3 = DATA / "v3-pacts" / "web-client-threadpact-api.json"

CREATE = "a request to create a thread"
FETCH = "a request to fetch an existing thread"
MISSING = "a request to fetch a missing thread"
LIST = "a request to list threads"
REPLAY = "a request to replay a create"
DELETE = "a request to delete a thread"
CREATE_MESSAGE = "a request to create a message"

Pact = dict[str, Any]
Breaker = Callable[[Pact], None]


@pytest.fixture(scope="module")
def spec() -> Target:
    return load(SPEC)


def read(path: Path) -> Pact:
    loaded: Pact = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def index_of(pact: Pact, description: str) -> int:
    return next(i for i, x in enumerate(pact["interactions"]) if x["description"] == description)


def interaction(pact: Pact, description: str) -> dict[str, Any]:
    found: dict[str, Any] = pact["interactions"][index_of(pact, description)]
    return found


def write(directory: Path, pact: Pact, name: str = "consumer-threadpact-api.json") -> Path:
    path = directory / name
    path.write_text(json.dumps(pact, indent=2), encoding="utf-8")
    return path


def mismatches(spec: Target, path: Path) -> set[tuple[str, str, str]]:
    """``(description, rule, pointer)`` of every mismatch in one pact file."""
    return {(d, m.rule, m.pointer) for d, m in check_pact(spec, path)[1]}


def test_the_legal_v4_pact_passes(spec: Target) -> None:
    count, found = check_pact(spec, V4)
    assert found == []
    assert count == 11


def test_the_legal_v3_pact_passes(spec: Target) -> None:
    count, found = check_pact(spec, V3)
    assert found == []
    assert count == 5


def test_run_crosscheck_reads_every_pact_below_a_directory() -> None:
    result = run_crosscheck(DATA, SPEC)
    assert result.status == "passed", [f.text() for f in result.findings]
    assert result.name == "crosscheck"
    assert "16 interaction(s) in 2 pact file(s)" in result.summary


def request(pact: Pact, description: str) -> dict[str, Any]:
    found: dict[str, Any] = interaction(pact, description)["request"]
    return found


def response(pact: Pact, description: str) -> dict[str, Any]:
    found: dict[str, Any] = interaction(pact, description)["response"]
    return found


def create_with_id(pact: Pact) -> None:
    request(pact, CREATE)["body"]["content"]["id"] = "7d3c9a52-4f0e-4a43-9a8a-1d52b1c2a0f1"


def base64_create_with_id(pact: Pact) -> None:
    body = request(pact, CREATE)["body"]
    text = json.dumps({**body["content"], "id": "mine"})
    body.update(content=base64.b64encode(text.encode()).decode(), encoded="base64")


def message_interaction(pact: Pact) -> None:
    interaction(pact, LIST)["type"] = "Asynchronous/Messages"


# (name, breaker, interaction, rule, pointer below /interactions/N)
V4_BROKEN: list[tuple[str, Breaker, str, str, str]] = [
    (
        "unknown path",
        lambda p: request(p, LIST).update(path="/conversations"),
        LIST,
        "crosscheck.path",
        "/request/path",
    ),
    (
        "wrong method",
        lambda p: request(p, FETCH).update(method="PUT"),
        FETCH,
        "crosscheck.method",
        "/request/method",
    ),
    (
        "path id that is not a uuid",
        lambda p: request(p, FETCH).update(path="/threads/thread-1"),
        FETCH,
        "crosscheck.path-parameter",
        "/request/path",
    ),
    (
        "client-sent id in a create body",
        create_with_id,
        CREATE,
        "crosscheck.request-body",
        "/request/body/content/id",
    ),
    (
        "client-sent id in a base64 create body",
        base64_create_with_id,
        CREATE,
        "crosscheck.request-body",
        "/request/body/content/id",
    ),
    (
        "create body missing a required field",
        lambda p: request(p, CREATE)["body"]["content"].pop("model"),
        CREATE,
        "crosscheck.request-body",
        "/request/body/content",
    ),
    (
        "create without a body",
        lambda p: request(p, CREATE).pop("body"),
        CREATE,
        "crosscheck.request-body",
        "/request",
    ),
    (
        "create body sent as form data",
        lambda p: request(p, CREATE)["body"].update(
            contentType="application/x-www-form-urlencoded", content="title=x"
        ),
        CREATE,
        "crosscheck.request-content-type",
        "/request/body/contentType",
    ),
    (
        "missing Idempotency-Key",
        lambda p: request(p, CREATE)["headers"].pop("Idempotency-Key"),
        CREATE,
        "crosscheck.request-header",
        "/request/headers",
    ),
    (
        "malformed Idempotency-Key",
        lambda p: request(p, REPLAY)["headers"].update({"Idempotency-Key": [" padded "]}),
        REPLAY,
        "crosscheck.request-header",
        "/request/headers/Idempotency-Key",
    ),
    (
        "not a bearer token",
        lambda p: request(p, FETCH)["headers"].update(Authorization=["Basic dXNlcjpwYXNz"]),
        FETCH,
        "crosscheck.security",
        "/request/headers/Authorization",
    ),
    (
        "no credential",
        lambda p: request(p, FETCH)["headers"].pop("Authorization"),
        FETCH,
        "crosscheck.security",
        "/request/headers",
    ),
    (
        "an Accept the operation cannot answer",
        lambda p: request(p, FETCH)["headers"].update(Accept=["application/xml"]),
        FETCH,
        "crosscheck.accept",
        "/request/headers/Accept",
    ),
    (
        "unknown query parameter",
        lambda p: request(p, LIST).update(query={"page": ["2"]}),
        LIST,
        "crosscheck.query",
        "/request/query/page/0",
    ),
    (
        "query value out of range",
        lambda p: request(p, LIST).update(query={"limit": ["1000"]}),
        LIST,
        "crosscheck.query",
        "/request/query/limit/0",
    ),
    (
        "undocumented status",
        lambda p: response(p, FETCH).update(status=500),
        FETCH,
        "crosscheck.status",
        "/response/status",
    ),
    (
        "response body missing a required field",
        lambda p: response(p, FETCH)["body"]["content"].pop("created_at"),
        FETCH,
        "crosscheck.response-body",
        "/response/body/content",
    ),
    (
        "response id that is not a uuid",
        lambda p: response(p, CREATE)["body"]["content"].update(id="thread-1"),
        CREATE,
        "crosscheck.response-body",
        "/response/body/content/id",
    ),
    (
        "response time that is not RFC 3339",
        lambda p: response(p, LIST)["body"]["content"]["items"][0].update(
            created_at="2024-01-02T03:04:05+0000"
        ),
        LIST,
        "crosscheck.response-body",
        "/response/body/content/items/0/created_at",
    ),
    (
        "response field the spec does not have",
        lambda p: response(p, FETCH)["body"]["content"].update(message_count=0),
        FETCH,
        "crosscheck.response-body",
        "/response/body/content/message_count",
    ),
    (
        "error as application/json",
        lambda p: response(p, MISSING)["body"].update(contentType="application/json"),
        MISSING,
        "crosscheck.response-content-type",
        "/response/body/contentType",
    ),
    (
        "problem without detail",
        lambda p: response(p, MISSING)["body"]["content"].pop("detail"),
        MISSING,
        "crosscheck.response-body",
        "/response/body/content",
    ),
    (
        "body on a 204",
        lambda p: response(p, DELETE).update(
            body={"content": {"deleted": True}, "contentType": "application/json"}
        ),
        DELETE,
        "crosscheck.response-body",
        "/response/body/content",
    ),
    (
        "undocumented response header",
        lambda p: response(p, FETCH)["headers"].update({"Content-Location": ["/threads/x"]}),
        FETCH,
        "crosscheck.response-header",
        "/response/headers/Content-Location",
    ),
    (
        "documented response header with a bad value",
        lambda p: response(p, REPLAY)["headers"].update({"Idempotent-Replayed": ["yes"]}),
        REPLAY,
        "crosscheck.response-header",
        "/response/headers/Idempotent-Replayed",
    ),
    (
        "unknown provider state",
        lambda p: interaction(p, FETCH)["providerStates"][0].update(name="a thread is there"),
        FETCH,
        "crosscheck.provider-state",
        "/providerStates/0/name",
    ),
]


@pytest.mark.parametrize(
    ("breaker", "description", "rule", "below"),
    [case[1:] for case in V4_BROKEN],
    ids=[case[0] for case in V4_BROKEN],
)
def test_each_broken_v4_interaction_is_found(
    tmp_path: Path, spec: Target, breaker: Breaker, description: str, rule: str, below: str
) -> None:
    pact = read(V4)
    breaker(pact)
    found = mismatches(spec, write(tmp_path, pact))
    pointer = f"/interactions/{index_of(pact, description)}{below}"
    assert (description, rule, pointer) in found, sorted(found)
    assert {d for d, _r, _p in found} == {description}


V3_BROKEN: list[tuple[str, Breaker, str, str, str]] = [
    (
        "client-sent id in a create body",
        lambda p: request(p, CREATE)["body"].update(id="mine"),
        CREATE,
        "crosscheck.request-body",
        "/request/body/id",
    ),
    (
        "message body with an unknown field",
        lambda p: request(p, CREATE_MESSAGE)["body"].update(author="me"),
        CREATE_MESSAGE,
        "crosscheck.request-body",
        "/request/body/author",
    ),
    (
        "error as application/json",
        lambda p: response(p, MISSING)["headers"].update({"Content-Type": "application/json"}),
        MISSING,
        "crosscheck.response-content-type",
        "/response/headers/Content-Type",
    ),
    (
        "response body missing a required field",
        lambda p: response(p, FETCH)["body"].pop("updated_at"),
        FETCH,
        "crosscheck.response-body",
        "/response/body",
    ),
    (
        "V2 query string out of range",
        lambda p: request(p, LIST).update(query="limit=0"),
        LIST,
        "crosscheck.query",
        "/request/query",
    ),
]


@pytest.mark.parametrize(
    ("breaker", "description", "rule", "below"),
    [case[1:] for case in V3_BROKEN],
    ids=[case[0] for case in V3_BROKEN],
)
def test_each_broken_v3_interaction_is_found(
    tmp_path: Path, spec: Target, breaker: Breaker, description: str, rule: str, below: str
) -> None:
    pact = read(V3)
    breaker(pact)
    found = mismatches(spec, write(tmp_path, pact))
    pointer = f"/interactions/{index_of(pact, description)}{below}"
    assert (description, rule, pointer) in found, sorted(found)


def test_a_negative_test_may_send_a_broken_request(spec: Target, tmp_path: Path) -> None:
    # The committed pact already expects 422 for a client-sent id; the same request
    # expecting 201 is a finding.
    pact = read(V4)
    negative = interaction(pact, "a request to create a thread that carries its own id")
    assert "id" in negative["request"]["body"]["content"]
    negative["response"] = copy.deepcopy(response(pact, CREATE))
    found = mismatches(spec, write(tmp_path, pact))
    assert {rule for _d, rule, _p in found} == {"crosscheck.request-body"}


def test_a_provider_state_expression_in_the_path_is_accepted(spec: Target, tmp_path: Path) -> None:
    pact = read(V3)
    request(pact, FETCH)["path"] = "/threads/${thread_id}"
    assert mismatches(spec, write(tmp_path, pact)) == set()


def test_inline_schemas_under_templated_paths_resolve_their_refs(tmp_path: Path) -> None:
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    inline = copy.deepcopy(document["components"]["schemas"]["ServerThread"])
    ok = document["paths"]["/threads/{thread_id}"]["get"]["responses"]["200"]
    ok["content"]["application/json"]["schema"] = inline
    spec_path = tmp_path / "openapi.yaml"
    spec_path.write_text(yaml.safe_dump(document), encoding="utf-8")
    pact = read(V4)
    response(pact, FETCH)["body"]["content"].update(id="thread-1", title="x" * 201)
    found = {
        m.pointer: m.message for _d, m in check_pact(load(spec_path), write(tmp_path, pact))[1]
    }
    body = f"/interactions/{index_of(pact, FETCH)}/response/body/content"
    inline_at = "/paths/~1threads~1{thread_id}/get/responses/200/content/application~1json/schema"
    assert found[f"{body}/id"].endswith(f"(spec: {inline_at}/properties/id/format)")
    assert found[f"{body}/title"].endswith("(spec: /components/schemas/Title/maxLength)")


def test_findings_name_the_file_the_interaction_and_the_pointer(tmp_path: Path) -> None:
    pact = read(V4)
    create_with_id(pact)
    path = write(tmp_path, pact)
    result = run_crosscheck(tmp_path, SPEC)
    assert result.status == "failed"
    [finding] = result.findings
    assert finding.where == f"{path}#/interactions/{index_of(pact, CREATE)}/request/body/content/id"
    assert finding.message.startswith(f'"{CREATE}": ')
    assert "/components/schemas/ThreadCreate/additionalProperties" in finding.message


def test_an_invalid_json_pact_is_a_finding_and_the_others_are_still_checked(
    tmp_path: Path,
) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text('{"interactions": [', encoding="utf-8")
    write(tmp_path, read(V4), "good.json")
    result = run_crosscheck(tmp_path, SPEC)
    assert [(f.rule, f.where) for f in result.findings] == [("crosscheck.pact-file", str(broken))]
    assert "11 interaction(s) in 2 pact file(s)" in result.summary


def test_a_json_file_that_is_not_a_pact_is_a_finding(tmp_path: Path) -> None:
    write(tmp_path, {"hello": "world"})
    result = run_crosscheck(tmp_path, SPEC)
    assert [f.rule for f in result.findings] == ["crosscheck.pact-file"]
    assert "not a pact" in result.findings[0].message


def test_no_pact_files_is_a_usage_error(tmp_path: Path) -> None:
    with pytest.raises(UsageError, match="no pact files"):
        run_crosscheck(tmp_path, SPEC)


def run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "threadpact", "crosscheck", *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=60,
        check=False,
    )


def test_cli_legal_pacts_exit_0() -> None:
    done = run("--pacts", str(DATA), "--spec", str(SPEC))
    assert (done.returncode, done.stdout) == (0, "")
    assert "all legal" in done.stderr


def test_cli_prints_one_line_per_finding_and_exits_1(tmp_path: Path) -> None:
    pact = read(V4)
    create_with_id(pact)
    request(pact, CREATE)["headers"].pop("Idempotency-Key")
    path = write(tmp_path, pact)
    done = run("--pacts", str(tmp_path), "--spec", str(SPEC))
    assert done.returncode == 1
    lines = done.stdout.splitlines()
    assert len(lines) == 2
    pattern = re.compile(rf"^{re.escape(str(path))}#/interactions/\d+/\S+: crosscheck\.[a-z-]+: ")
    assert all(pattern.match(line) for line in lines), lines
    assert all(f'"{CREATE}"' in line for line in lines)


def test_cli_no_pacts_exits_2_with_one_line(tmp_path: Path) -> None:
    done = run("--pacts", str(tmp_path), "--spec", str(SPEC))
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1
    assert "no pact files" in done.stderr
    assert "Traceback" not in done.stderr


# Pact conventions of every consumer library (empty bodies and states, non-HTTP kinds).


def test_a_message_interaction_is_skipped_and_counted(tmp_path: Path) -> None:
    pact = read(V4)
    message_interaction(pact)
    folder = tmp_path / "pacts"
    folder.mkdir()
    write(folder, pact)
    result = run_crosscheck(folder, SPEC)
    assert result.status == "passed", [f.text() for f in result.findings]
    http = len(pact["interactions"]) - 1
    assert result.summary.startswith(
        f"{http} interaction(s) in 1 pact file(s) "
        "(1 non-HTTP interaction(s) skipped: Asynchronous/Messages)"
    )


def test_an_empty_body_is_no_body(spec: Target, tmp_path: Path) -> None:
    pact = read(V3)
    get = next(
        i
        for i in pact["interactions"]
        if i["request"]["method"] == "GET" and i["response"]["status"] == 200
    )
    get["request"]["body"] = ""
    assert mismatches(spec, write(tmp_path, pact)) == set()


def test_an_empty_v2_provider_state_is_no_state(spec: Target, tmp_path: Path) -> None:
    pact = read(V3)
    for item in pact["interactions"]:
        item.pop("providerStates", None)
        item["providerState"] = ""
    assert {rule for _d, rule, _p in mismatches(spec, write(tmp_path, pact))} == set()


def test_states_are_checked_only_against_states_the_spec_declares(tmp_path: Path) -> None:
    pact = read(V4)
    interaction(pact, FETCH)["providerStates"][0]["name"] = "a thread is there"
    path = write(tmp_path, pact)
    declared = {rule for _d, rule, _p in mismatches(load(SPEC), path)}
    assert "crosscheck.provider-state" in declared
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    del document["x-provider-states"]
    undeclared_spec = tmp_path / "openapi.yaml"
    undeclared_spec.write_text(yaml.safe_dump(document), encoding="utf-8")
    undeclared = {rule for _d, rule, _p in mismatches(load(undeclared_spec), path)}
    assert "crosscheck.provider-state" not in undeclared


# Credentials: every scheme type, alternatives (any one) and combinations (all of them).

API_KEY_SCHEMES = {
    "headerKey": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    "queryKey": {"type": "apiKey", "in": "query", "name": "api_key"},
    "cookieKey": {"type": "apiKey", "in": "cookie", "name": "session"},
    "basicAuth": {"type": "http", "scheme": "basic"},
    "oauth": {"type": "oauth2", "flows": {"clientCredentials": {"tokenUrl": "/t", "scopes": {}}}},
}


@pytest.mark.parametrize(
    ("security", "headers", "query", "legal"),
    [
        ([{"headerKey": []}], {"X-API-Key": "k"}, {}, True),
        ([{"headerKey": []}], {"Authorization": "Bearer t"}, {}, False),
        ([{"queryKey": []}], {}, {"api_key": ["k"]}, True),
        ([{"queryKey": []}], {}, {}, False),
        ([{"cookieKey": []}], {"Cookie": "theme=dark; session=abc"}, {}, True),
        ([{"cookieKey": []}], {"Cookie": "theme=dark"}, {}, False),
        ([{"basicAuth": []}], {"Authorization": "Basic dXNlcjpwYXNz"}, {}, True),
        ([{"oauth": []}], {"Authorization": "Bearer t"}, {}, True),
        ([{"bearerAuth": []}, {"headerKey": []}], {"X-API-Key": "k"}, {}, True),
        ([{"bearerAuth": [], "headerKey": []}], {"X-API-Key": "k"}, {}, False),
        (
            [{"bearerAuth": [], "headerKey": []}],
            {"X-API-Key": "k", "Authorization": "Bearer t"},
            {},
            True,
        ),
        ([{"headerKey": []}, {}], {}, {}, True),
    ],
    ids=[
        "api key header",
        "api key header missing",
        "api key query",
        "api key query missing",
        "api key cookie",
        "api key cookie missing",
        "basic",
        "oauth2 bearer",
        "either of two",
        "both of two, one given",
        "both of two, both given",
        "anonymous allowed",
    ],
)
def test_security_requirements_are_met_whole(
    tmp_path: Path,
    security: list[dict[str, list[str]]],
    headers: dict[str, str],
    query: dict[str, list[str]],
    legal: bool,
) -> None:
    document = yaml.safe_load(SPEC.read_text(encoding="utf-8"))
    document["components"]["securitySchemes"].update(API_KEY_SCHEMES)
    document["paths"]["/threads/{thread_id}"]["get"]["security"] = security
    spec_path = tmp_path / "openapi.yaml"
    spec_path.write_text(yaml.safe_dump(document), encoding="utf-8")
    pact = read(V4)
    fetch = request(pact, FETCH)
    fetch["headers"] = {name: [value] for name, value in headers.items()}
    if query:
        fetch["query"] = query
    found = {rule for _d, rule, _p in mismatches(load(spec_path), write(tmp_path, pact))}
    assert ("crosscheck.security" not in found) is legal, found


@pytest.mark.parametrize(
    ("accept", "legal"),
    [
        ("application/json", True),
        ("*/*", True),
        ("application/*;q=0.5", True),
        ("text/html, application/json;q=0.9", True),
        ("application/xml", False),
        ("application/json;q=0", False),
    ],
)
def test_accept_must_admit_a_documented_media_type(
    spec: Target, tmp_path: Path, accept: str, legal: bool
) -> None:
    pact = read(V4)
    request(pact, FETCH)["headers"]["Accept"] = [accept]
    found = {rule for _d, rule, _p in mismatches(spec, write(tmp_path, pact))}
    assert ("crosscheck.accept" not in found) is legal, found


# Matching rules: read from every pact version, judged by the values they allow.

CORPUS = Path(__file__).parent / "crosscheck_corpus"


def test_matching_rules_and_generators_are_read_from_v2_v3_and_v4() -> None:
    from threadpact.pacts import read_rules

    v2 = read_rules(
        {
            "matchingRules": {
                "$.body.items[*].id": {"regex": "^x$"},
                "$.headers.X-Count": {"match": "integer"},
                "$.query.limit": {"min": 1},
                "$.path": {"match": "type"},
            }
        },
        "/interactions/0/request",
    )
    assert set(v2.matching) == {
        ("body", "$.items[*].id"),
        ("header", "x-count"),
        ("query", "limit"),
        ("path", ""),
    }
    assert v2.matching[("body", "$.items[*].id")].matchers == ({"regex": "^x$", "match": "regex"},)
    assert (
        v2.matching[("query", "limit")].pointer
        == "/interactions/0/request/matchingRules/$.query.limit"
    )
    v4 = read_rules(
        {
            "matchingRules": {
                "body": {"$.id": {"combine": "OR", "matchers": [{"match": "type"}]}},
                "header": {"X-Count": {"combine": "AND", "matchers": [{"match": "integer"}]}},
                "path": {"combine": "AND", "matchers": [{"match": "type"}]},
            },
            "generators": {
                "body": {"$.id": {"type": "ProviderState", "expression": "${id}"}},
                "path": {"type": "ProviderState", "expression": "/x/${id}"},
            },
        },
        "/interactions/1/response",
    )
    assert v4.matching[("body", "$.id")].combine == "OR"
    assert ("header", "x-count") in v4.matching
    assert ("path", "") in v4.matching
    assert v4.generators[("path", "")].attributes["expression"] == "/x/${id}"
    assert (
        v4.generators[("body", "$.id")].pointer == "/interactions/1/response/generators/body/$.id"
    )


def never_longer_than(limit: int) -> Callable[[Any], tuple[str, str] | None]:
    def illegal(value: Any) -> tuple[str, str] | None:
        return ("too long", "/maxLength") if len(str(value)) > limit else None

    return illegal


def test_a_regex_is_held_to_max_length_exactly() -> None:
    from threadpact.gate.crosscheck.matchers import judge

    def lengths(limit: int) -> tuple[None, int, str, str]:
        return None, limit, "", "/maxLength"

    wide = {"match": "regex", "regex": "^[a-z]{1,300}$"}
    found = judge([wide], "AND", (True, "a"), never_longer_than(200), lengths=lengths(200))
    assert found is not None
    assert found.described == "strings of 300 characters"
    narrow = {"match": "regex", "regex": "^[a-z]{1,200}$"}
    assert judge([narrow], "AND", (True, "a"), never_longer_than(200), lengths=lengths(200)) is None


def test_and_takes_the_narrowest_matcher_and_or_needs_every_one() -> None:
    from threadpact.gate.crosscheck.matchers import judge

    regex = {"match": "regex", "regex": "^[a-z]{1,5}$"}
    kind = {"match": "type"}
    illegal = never_longer_than(5)
    assert judge([kind, regex], "AND", (True, "abc"), illegal) is None
    found = judge([kind, regex], "OR", (True, "abc"), illegal)
    assert found is not None
    assert found.matcher == "type"


@pytest.mark.parametrize(
    ("pattern", "written"),
    [
        ("yyyy-MM-dd'T'HH:mm:ss.SSSXXX", "2024-01-02T03:04:05.000Z"),
        ("yyyy-MM-dd'T'HH:mm:ssZ", "2024-01-02T03:04:05+0000"),
        ("yyyy-MM-dd'T'HH:mm:ss'Z'", "2024-01-02T03:04:05Z"),
        ("EEE, dd MMM yyyy hh:mm a", "Tue, 02 Jan 2024 03:04 AM"),
    ],
)
def test_date_matchers_are_judged_by_what_their_java_pattern_writes(
    pattern: str, written: str
) -> None:
    from threadpact.gate.crosscheck.matchers import MOMENTS, java_format

    assert java_format(pattern, MOMENTS[0]) == written


def test_warnings_are_reported_without_failing_the_step() -> None:
    from threadpact.gate.report import junit_xml, markdown

    case = CORPUS / "from-provider-state-warning"
    result = run_crosscheck(case / "pact.json", CORPUS / "specs" / "orders-3.1.yaml")
    assert result.status == "passed"
    assert result.summary.endswith("all legal under orders-3.1.yaml, 2 warning(s)")
    assert {f.severity for f in result.findings} == {"warning"}
    assert "<failure" not in junit_xml([result])
    assert "**crosscheck.provider-state-value** (warning)" in markdown([result])
    assert result.findings[0].text().startswith("[crosscheck.provider-state-value, warning]")


def test_request_matchers_of_a_negative_test_are_not_judged(tmp_path: Path) -> None:
    case = CORPUS / "type-matcher-on-enum"
    pact = read(case / "pact.json")
    pact["interactions"][0]["response"] = {
        "status": 400,
        "headers": {"Content-Type": "application/problem+json"},
        "body": {"title": "Bad input", "status": 400},
    }
    result = run_crosscheck(write(tmp_path, pact), CORPUS / "specs" / "library-3.0.yaml")
    assert [f.rule for f in result.findings] == []


def test_an_api_key_in_the_query_is_a_credential_not_an_unknown_parameter(tmp_path: Path) -> None:
    pact = read(CORPUS / "pact-js-v4-library-clean-with-messages" / "pact.json")
    export = pact["interactions"][1]
    assert export["request"]["query"] == {"api_key": ["k-1"]}
    spec = CORPUS / "specs" / "library-3.0.yaml"
    assert run_crosscheck(write(tmp_path, pact), spec).findings == []
    export["request"]["query"]["api_kee"] = ["k-1"]
    result = run_crosscheck(write(tmp_path, pact), spec)
    found = [(f.rule, f.where.partition("#")[2]) for f in result.findings]
    assert found == [("crosscheck.query", "/interactions/1/request/query/api_kee/0")]
