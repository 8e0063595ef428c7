"""Each contract rule's verdict judges what the rule judges, on answers written to a folder."""

import json
from pathlib import Path
from typing import Any

import pytest

from threadpact.checks import CONTRACT_RULES
from threadpact.gate.fuzz.expect import Declared
from threadpact.gate.fuzz.fill import pad
from threadpact.gate.fuzz.replay_verdict import Answers, judge_all
from threadpact.gate.fuzz.steps import Step
from threadpact.gate.fuzz.verdicts import CONTRACT, expectations

BASE = "http://127.0.0.1:8000"
A, B = "Bearer token-a", "Bearer token-b"
Answer = tuple[int, dict[str, str], Any]


def step(purpose: str, method: str, path: str, status: int, body: Any = None, **kw: Any) -> Step:
    """A recorded step as principal A (``who=B`` for B), its answer's body as JSON."""
    headers = (("Authorization", kw.pop("who", A)), ("Idempotency-Key", kw.pop("key", "k1")))
    sent = kw.pop("sent", None)
    return Step(
        purpose=purpose,
        method=method,
        url=f"{BASE}{path}",
        headers=headers,
        body=json.dumps(sent).encode() if sent is not None else None,
        status=status,
        answer_headers=kw.pop("answer_headers", {}),
        answer_body=json.dumps(body).encode(),
    )


def verdict(tmp_path: Path, expected: list[dict[str, Any]], answers: list[Answer]) -> int:
    """Write the answers as a script would, and judge them."""
    for number, (status, headers, body) in enumerate(answers, start=1):
        (tmp_path / f"{number}.status").write_text(str(status))
        lines = "".join(f"{name}: {value}\n" for name, value in headers.items())
        (tmp_path / f"{number}.headers").write_text(lines)
        (tmp_path / f"{number}.body").write_text(json.dumps(body))
    return judge_all(Answers(tmp_path), expected)


def page(*ids: str, more: str | None = None) -> dict[str, Any]:
    return {
        "items": [{"id": i, "created_at": f"2024-01-01T00:00:0{n}Z"} for n, i in enumerate(ids)],
        "next_cursor": more,
    }


def test_every_contract_rule_has_a_verdict_of_its_own() -> None:
    assert set(CONTRACT) == set(CONTRACT_RULES)


def test_conditional_update_judges_etags_and_the_stale_change(tmp_path: Path) -> None:
    steps = [
        step("a resource of the rule's own", "POST", "/threads", 201, {"id": "t1"},
             answer_headers={"etag": '"1"'}),
        step("read the current ETag", "GET", "/threads/t1", 200, {"id": "t1"}),
        step("change it with the current ETag", "PATCH", "/threads/t1", 200, {"id": "t1"}),
        step("read it after the change", "GET", "/threads/t1", 200, {"id": "t1"}),
        step("change it with the stale ETag", "PATCH", "/threads/t1", 200, {"id": "t1"}),
        step("read it after the stale change", "GET", "/threads/t1", 200, {"id": "t1"}),
    ]  # fmt: skip
    expected = expectations("conditional-update", steps, 0)
    tag = [{"etag": f'"{n}"'} for n in range(4)]
    kept = [(201, tag[1], {"t": 1}), (200, tag[1], {"t": 1}), (200, tag[2], {"t": 2}),
            (200, tag[2], {"t": 2}), (412, {}, {}), (200, tag[2], {"t": 2})]  # fmt: skip
    assert verdict(tmp_path, expected, kept) == 0
    ignored = [*kept[:4], (200, tag[3], {"t": 3}), (200, tag[3], {"t": 3})]
    assert verdict(tmp_path, expected, ignored) == 1


def test_deletion_expects_404s_and_no_listing(tmp_path: Path) -> None:
    steps = [
        step("a resource of the rule's own", "POST", "/threads", 201, {"id": "t1"}),
        step("delete it", "DELETE", "/threads/t1", 204),
        step("after the delete: GET /threads/{thread_id}", "GET", "/threads/t1", 200),
        step("list after it (page 1)", "GET", "/threads?limit=100", 200, page("t1")),
    ]
    expected = expectations("deletion", steps, 0)
    gone = [(201, {}, {"id": "t9"}), (204, {}, ""), (404, {}, {}), (200, {}, page("t8"))]
    assert verdict(tmp_path, expected, gone) == 0
    listed = [*gone[:3], (200, {}, page("t8", "t9"))]
    assert verdict(tmp_path, expected, listed) == 1


def test_collection_scope_expects_no_one_elses_resources(tmp_path: Path) -> None:
    steps = [
        step("the create", "POST", "/threads", 201, {"id": "ta"}),
        step("principal B makes one", "POST", "/threads", 201, {"id": "tb"}, who=B),
        step("principal A lists (page 1)", "GET", "/threads?limit=100", 200, page("ta", "tb")),
        step("principal B lists (page 1)", "GET", "/threads?limit=100", 200, page("ta", "tb"),
             who=B),
    ]  # fmt: skip
    expected = expectations("access.collection-scope", steps, 0, B)
    made = [(201, {}, {"id": "x"}), (201, {}, {"id": "y"})]
    assert verdict(tmp_path, expected, [*made, (200, {}, page("x")), (200, {}, page("y"))]) == 0
    both = (200, {}, page("x", "y"))
    assert verdict(tmp_path, expected, [*made, both, both]) == 1


def test_write_fidelity_compares_fields_with_what_was_sent(tmp_path: Path) -> None:
    title = " padded "
    steps = [
        step("the create", "POST", "/threads", 201, {"id": "t1"}, sent={"title": "x"}),
        step("a create with long strings", "POST", "/threads", 201, {"id": "t2"},
             sent={"title": title}, key="k2"),
        step("read it back", "GET", "/threads/t2", 200, {"id": "t2"}),
    ]  # fmt: skip
    expected = expectations("write-fidelity", steps, 0, declared=Declared(defaults={"model": "m"}))
    ok = [(201, {}, {"title": "x", "model": "m"}), (201, {}, {"title": title}),
          (200, {}, {"title": title})]  # fmt: skip
    assert verdict(tmp_path, expected, ok) == 0
    assert verdict(tmp_path, expected, [*ok[:2], (200, {}, {"title": "padded"})]) == 1
    assert verdict(tmp_path, expected, [ok[0], (500, {}, {}), (404, {}, {})]) == 1


@pytest.mark.parametrize(("order", "listed", "code"), [("newest", ["c", "b", "a"], 0),
                                                       ("newest", ["a", "b", "c"], 1),
                                                       ("oldest", ["a", "b", "c"], 0)])  # fmt: skip
def test_order_follows_the_declared_order(order: str, listed: list[str], code: int,
                                          tmp_path: Path) -> None:  # fmt: skip
    steps = [
        step("the create", "POST", "/threads", 201, {"id": "a"}),
        step("resource 2, made after", "POST", "/threads", 201, {"id": "b"}),
        step("resource 3, made after", "POST", "/threads", 201, {"id": "c"}),
        step("list them (page 1)", "GET", "/threads?limit=100", 200, page()),
    ]
    expected = expectations("pagination.order", steps, 0, declared=Declared(order=order))
    made = [(201, {}, {"id": i}) for i in "abc"]
    assert verdict(tmp_path, expected, [*made, (200, {}, page(*listed))]) == code


def test_exactly_once_pads_the_list_and_follows_the_pages(tmp_path: Path) -> None:
    steps = [
        step("the create", "POST", "/threads", 201, {"id": "a"}),
        step("list it page by page (page 1)", "GET", "/threads?limit=2", 200,
             page("a", "x", more="c1")),
        step("list it page by page (page 2)", "GET", "/threads?limit=2&cursor=c1", 200,
             page("x", "y")),
    ]  # fmt: skip
    padded = pad("pagination.exactly-once", steps, 0, Declared())
    assert len(padded) == 5
    assert padded[1].header("Idempotency-Key") != padded[2].header("Idempotency-Key")
    expected = expectations("pagination.exactly-once", padded, 0)
    made = [(201, {}, {"id": i}) for i in "abc"]
    right = [(200, {}, page("c", "b", more="n")), (200, {}, page("a"))]
    assert verdict(tmp_path, expected, [*made, *right]) == 0
    repeats = [(200, {}, page("c", "b", more="n")), (200, {}, page("b", "a"))]
    assert verdict(tmp_path, expected, [*made, *repeats]) == 1
    ended = [(200, {}, page("c", "b", "a")), (400, {}, {})]
    assert verdict(tmp_path, expected, [*made, *ended]) == 0


def test_default_limit_expects_a_full_first_page(tmp_path: Path) -> None:
    steps = [
        step("the create", "POST", "/threads", 201, {"id": "a"}),
        step("list it without a page size (page 1)", "GET", "/threads", 200, page("a")),
    ]
    declared = Declared(page_default=2)
    padded = pad("pagination.default-limit", steps, 0, declared)
    assert len(padded) == 4
    expected = expectations("pagination.default-limit", padded, 0, declared=declared)
    made = [(201, {}, {"id": i}) for i in "abc"]
    assert verdict(tmp_path, expected, [*made, (200, {}, page("c", "b", more="n"))]) == 0
    assert verdict(tmp_path, expected, [*made, (200, {}, page("c", more="n"))]) == 1


def test_utc_judges_the_fields_that_were_not_utc(tmp_path: Path) -> None:
    local = {"items": [{"id": "a", "created_at": "2024-01-01T02:00:00+02:00"}]}
    steps = [step("the answer", "GET", "/threads", 200, local)]
    expected = expectations("timestamps.utc", steps, 0)
    assert expected[0]["pointers"] == ["/items/*/created_at"]
    assert verdict(tmp_path, expected, [(200, {}, local)]) == 1
    utc = {"items": [{"id": "a", "created_at": "2024-01-01T00:00:00Z"}]}
    assert verdict(tmp_path, expected, [(200, {}, utc)]) == 0


def test_a_foreign_cursor_expects_the_declared_status(tmp_path: Path) -> None:
    steps = [
        step("the create", "POST", "/threads", 201, {"id": "a"}),
        step("a cursor the server never made", "GET", "/threads?cursor=zz", 200, page("a")),
    ]
    expected = expectations(
        "pagination.foreign-cursor", steps, 0, declared=Declared(cursor_status=400)
    )
    assert verdict(tmp_path, expected, [(201, {}, {}), (400, {}, {})]) == 0
    assert verdict(tmp_path, expected, [(201, {}, {}), (200, {}, page())]) == 1
