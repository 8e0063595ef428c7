"""Verification runs one interaction at a time: each found exactly, whatever its name."""

import json
from pathlib import Path
from typing import Any

from tests.fixtures.databases import sqlite_url
from tests.fixtures.processes import start_provider
from threadpact.gate.report import StepResult
from threadpact.gate.verify import exactly, http_interactions, run_verify

V2_PACT = {
    "consumer": {"name": "some-front-end"},
    "provider": {"name": "threadpact-api"},
    "interactions": [
        {
            "description": "health (a+b)?",
            "request": {"method": "GET", "path": "/healthz"},
            "response": {"status": 200},
        },
        {
            "description": "health (a+b)",
            "providerState": "no threads exist",
            "request": {"method": "GET", "path": "/healthz"},
            "response": {"status": 418},
        },
    ],
    "metadata": {"pactSpecification": {"version": "2.0.0"}},
}


def verify_against_the_reference(folder: Path, pact: dict[str, Any]) -> StepResult:
    """Write ``pact`` as front-end.json and verify it against a fresh reference provider."""
    pacts = folder / "pacts"
    pacts.mkdir()
    (pacts / "front-end.json").write_text(json.dumps(pact))
    server = start_provider(sqlite_url(folder / "t.db"), folder / "provider.log", "--test-states")
    try:
        return run_verify(server.base_url, pacts)
    finally:
        server.stop()


def test_v2_states_and_v4_message_interactions_are_read(tmp_path: Path) -> None:
    v4 = {
        "interactions": [
            {"type": "Asynchronous/Messages", "description": "an event"},
            {
                "type": "Synchronous/HTTP",
                "description": "a read",
                "providerStates": [{"name": "a thread exists"}],
                "request": {"method": "get", "path": "/threads/1"},
                "response": {"status": 200},
            },
        ]
    }
    (tmp_path / "v2.json").write_text(json.dumps(V2_PACT))
    (tmp_path / "v4.json").write_text(json.dumps(v4))
    [_, stated] = http_interactions(tmp_path / "v2.json")
    assert stated.state_names == ("no threads exist",)
    [read] = http_interactions(tmp_path / "v4.json")
    assert read.label() == "GET /threads/1 given 'a thread exists' (v4.json)"


def test_exactly_escapes_what_the_verifier_treats_as_syntax() -> None:
    assert exactly("a (b)+ c's [d]") == r"^a \(b\)\+ c's \[d\]$"


def test_each_interaction_is_verified_alone_even_with_regex_characters(tmp_path: Path) -> None:
    result = verify_against_the_reference(tmp_path, V2_PACT)
    assert result.status == "failed"
    assert result.summary == "1 of 2 interaction(s) from front-end.json failed"
    [finding] = result.findings
    assert finding.where == "'health (a+b)'"
    assert "StatusMismatch" in finding.message
    assert "GET /healthz given 'no threads exist' (front-end.json)" in finding.details


def test_interactions_sharing_a_description_are_told_apart_by_their_states(
    tmp_path: Path,
) -> None:
    """pact-js allows one description under different states; each gets its own result."""
    pact = {
        "consumer": {"name": "some-front-end"},
        "provider": {"name": "threadpact-api"},
        "interactions": [
            {
                "description": "the health check",
                "providerStates": [{"name": "no threads exist"}],
                "request": {"method": "GET", "path": "/healthz"},
                "response": {"status": 200},
            },
            {
                "description": "the health check",
                "providerStates": [{"name": "a thread exists"}],
                "request": {"method": "GET", "path": "/healthz"},
                "response": {"status": 418},
            },
        ],
        "metadata": {"pactSpecification": {"version": "3.0.0"}},
    }
    result = verify_against_the_reference(tmp_path, pact)
    assert result.summary == "1 of 2 interaction(s) from front-end.json failed"
    [finding] = result.findings
    assert "given 'a thread exists'" in finding.details
    assert "StatusMismatch" in finding.message
