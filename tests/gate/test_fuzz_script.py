"""Reproduction scripts: captured IDs, fresh keys, tokens from the environment, a verdict."""

import json
import subprocess
import sys
from pathlib import Path

from threadpact.checks.context import Principal
from threadpact.gate.fuzz.replay_verdict import main as verdict
from threadpact.gate.fuzz.script import render
from threadpact.gate.fuzz.steps import Step
from threadpact.gate.fuzz.verdicts import expectations

PRINCIPALS = [Principal("A", "token-a"), Principal("B", "token-b")]
BASE = "http://127.0.0.1:8000"
KEY = "threadpact-7d3c9a52-4f0e-4a43-9a8a-1d52b1c2a0f1"
THREAD = "0b6c2a5e-3a55-4c2b-8f7e-0d9b1f1c8e21"
CREATE = Step(
    purpose="the create",
    method="POST",
    url=f"{BASE}/threads",
    headers=(("Authorization", "Bearer token-a"), ("Idempotency-Key", KEY)),
    body=b'{"title": "it\'s mine"}',
    status=201,
    answer_headers={"location": f"/threads/{THREAD}", "etag": '"1"'},
    answer_body=json.dumps({"id": THREAD, "title": "it's mine"}).encode(),
)
PROBE = Step(
    purpose="principal B: GET /threads/{thread_id}",
    method="GET",
    url=f"{BASE}/threads/{THREAD}",
    headers=(("Authorization", "Bearer token-b"), ("If-None-Match", '"1"')),
    body=None,
    status=200,
)


def script() -> str:
    steps = [CREATE, PROBE]
    return render(
        title="access.object-level on POST /threads",
        statement="/components/responses/NotFound/description",
        steps=steps,
        expectations=expectations("access.object-level", steps, 0, "Bearer token-b"),
        base_url=BASE,
        principals=PRINCIPALS,
    )


def test_the_script_captures_ids_and_makes_keys_anew() -> None:
    text = script()
    assert "S1_id=$(pick 1 json '/id')" in text
    assert "S1_etag=$(pick 1 header 'etag')" in text
    assert """'/threads/'"$S1_id\"""" in text
    assert """-H 'If-None-Match: '"$S1_etag\"""" in text
    assert '-H "Idempotency-Key: $KEY_1"' in text
    assert KEY not in text
    assert THREAD not in text
    assert "token-a" not in text
    assert '-H "Authorization: Bearer $TOKEN_B"' in text
    assert 'BASE_URL="${BASE_URL:-http://127.0.0.1:8000}"' in text
    assert "# Spec statement: /components/responses/NotFound/description" in text
    assert """'{"title": "it'\\''s mine"}'""" in text


def test_the_script_is_valid_shell() -> None:
    done = subprocess.run(["sh", "-n"], input=script(), text=True, capture_output=True, check=False)
    assert done.returncode == 0, done.stderr


def answers(folder: Path, *answered: tuple[int, str]) -> Path:
    for number, (status, body) in enumerate(answered, start=1):
        (folder / f"{number}.status").write_text(str(status))
        (folder / f"{number}.body").write_text(body)
        (folder / f"{number}.headers").write_text(f"HTTP/1.1 {status} X\r\nA: b\r\n")
    return folder


def test_the_verdict_exits_1_when_the_bug_recurs(tmp_path: Path) -> None:
    expected = json.dumps(expectations("access.object-level", [CREATE, PROBE], 0, "Bearer token-b"))
    work = answers(tmp_path, (201, "{}"), (200, "{}"))
    assert verdict([str(work), expected]) == 1
    work = answers(tmp_path, (201, "{}"), (404, "{}"))
    assert verdict([str(work), expected]) == 0


def test_the_verdict_program_runs_alone(tmp_path: Path) -> None:
    work = answers(tmp_path, (500, ""))
    source = Path(sys.modules[verdict.__module__].__file__ or "").read_text()
    expected = json.dumps([{"kind": "below", "step": 1, "limit": 500}])
    done = subprocess.run(
        ["python3", "-", str(work), expected],
        input=source,
        text=True,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 1, done.stderr
    assert "BROKEN: expected answer 1 is below 500; actual: 500" in done.stdout


def test_unreadable_answers_are_not_a_reproduction(tmp_path: Path) -> None:
    expected = json.dumps([{"kind": "below", "step": 1, "limit": 500}])
    assert verdict([str(tmp_path), expected]) == 2


def test_a_short_next_page_value_is_captured_and_sent_whole() -> None:
    first = Step(
        purpose="page 1",
        method="GET",
        url=f"{BASE}/threads?limit=2",
        headers=(("Authorization", "Bearer token-a"),),
        body=None,
        status=200,
        answer_body=json.dumps({"items": [], "next_cursor": "dC41"}).encode(),
    )
    second = Step(
        purpose="page 2",
        method="GET",
        url=f"{BASE}/threads?limit=2&cursor=dC41",
        headers=(("Authorization", "Bearer token-a"),),
        body=None,
        status=200,
    )
    text = render(
        title="t",
        statement="",
        steps=[first, second],
        expectations=[],
        base_url=BASE,
        principals=PRINCIPALS,
    )
    assert "S1_next_cursor=$(pick 1 json '/next_cursor')" in text
    assert """'/threads''?''limit=2''&''cursor='"$S1_next_cursor\"""" in text
