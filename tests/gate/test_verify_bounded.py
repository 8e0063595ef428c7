"""`threadpact verify` ends within its deadline whatever the provider does, and says why."""

import json
import time
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT, Server, run_threadpact
from tests.gate.faulty_providers import start_faulty

PACTS = str(ROOT / "contracts")
INTERACTIONS = sum(
    len(json.loads(path.read_text())["interactions"])
    for path in (ROOT / "contracts").glob("*.json")
)
"""How many interactions the committed pacts hold: each needs its provider state."""


def verify(server: Server, *args: str) -> tuple[int, str, str, float]:
    started = time.monotonic()
    done = run_threadpact(
        "verify", "--base-url", server.base_url, "--pacts", PACTS, *args, timeout=180
    )
    return done.returncode, done.stdout, done.stderr, time.monotonic() - started


@pytest.fixture
def faulty(request: pytest.FixtureRequest, tmp_path: Path) -> object:
    fault, after = request.param
    server = start_faulty(fault, tmp_path, after)
    yield server
    server.process.kill()  # a faulty server may hold connections open: no graceful stop
    server.process.wait()


@pytest.mark.parametrize("faulty", [("state-500", 0)], indirect=True)
def test_a_state_endpoint_answering_500_is_a_finding_per_interaction(faulty: Server) -> None:
    code, out, err, seconds = verify(faulty)
    assert code == 1, out + err
    assert seconds < 60
    assert (
        "[pact.state-setup] 'a request to rename a thread': the provider could not set up " in out
    )
    assert "state 'the caller holds a valid token'" in out
    assert "provider answered: HTTP 500" in out
    assert "the state could not be built" in out  # the provider's body
    assert "interaction: PATCH /threads/" in out
    # Interactions whose states are all... failing still each get their own finding; none hangs.
    assert out.count("[pact.state-setup]") == INTERACTIONS
    assert f"verify: failed: {INTERACTIONS} of {INTERACTIONS} interaction(s)" in out
    assert "Provider setup state change" not in out + err  # the verifier's own noise


@pytest.mark.parametrize("faulty", [("state-silent", 0)], indirect=True)
def test_a_state_endpoint_that_never_answers_is_a_finding(faulty: Server) -> None:
    code, out, err, seconds = verify(faulty, "--request-timeout", "2")
    assert code == 1, out + err
    assert seconds < 60
    assert (
        "could not set up the state 'the caller holds a valid token': no answer within 2 s" in out
    )
    assert (
        "not sent: the state endpoint stopped answering at 'the caller holds a valid token'" in out
    )
    assert out.count("[pact.state-setup]") == INTERACTIONS


@pytest.mark.parametrize("faulty", [("state-silent", 0)], indirect=True)
def test_the_deadline_names_what_verify_was_doing(faulty: Server) -> None:
    code, out, err, seconds = verify(faulty, "--timeout", "3", "--request-timeout", "30")
    assert code == 2, out + err
    assert seconds < 30
    assert "[gate.deadline] verify did not finish within its 3 s deadline" in out
    assert "(change it with --timeout); it was setting up the provider state 'the caller" in out
    assert "verify: error:" in out


@pytest.mark.parametrize("faulty", [("exit", 3)], indirect=True)
def test_a_provider_that_exits_mid_verify_is_reported_at_once(faulty: Server) -> None:
    code, out, err, seconds = verify(faulty)
    assert code == 2, out + err
    assert seconds < 30
    assert faulty.process.wait(timeout=5) == 3
    assert "[provider.broken] the provider stopped accepting connections" in out
    assert "; verify was verifying '" in out


@pytest.mark.parametrize("faulty", [("silent", 12)], indirect=True)
def test_a_provider_that_stops_answering_mid_verify_is_reported(faulty: Server) -> None:
    code, out, err, seconds = verify(faulty)
    assert code == 2, out + err
    assert seconds < 40
    assert "[provider.broken] the provider stopped answering (GET " in out
    assert "no answer within 5 s, 2 times in a row); verify was " in out


def test_a_missing_pact_folder_is_one_line_and_exit_2(tmp_path: Path) -> None:
    done = run_threadpact(
        "verify", "--base-url", "http://127.0.0.1:9", "--pacts", str(tmp_path / "none")
    )
    assert done.returncode == 2
    missing = tmp_path / "none"
    assert done.stderr.strip() == f"threadpact: --pacts {missing}: no such file or directory"
