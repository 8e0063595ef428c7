"""The fuzz step bites: each deliberately broken provider fails, naming the rule it broke.

Every reproduction script of a rule the provider breaks then runs against fresh
providers (new processes, empty stores): with the same bug it reproduces (exit 1),
without it it does not (exit 0). Stock checks' scripts that ride along are not run
here (tests/gate/test_fuzz_findings.py replays one).
"""

from pathlib import Path

import pytest

from tests.gate.fuzzing import BOUNDARIES, QUICK, FuzzRun, fuzz, replay, scripts_of, start_broken
from threadpact.checks import CONTRACT_RULES

pytestmark = pytest.mark.fuzz

KEY_IGNORED = {
    "idempotency.missing-key",
    "idempotency.replay",
    "idempotency.mismatch",
    "idempotency.concurrency",
}
BROKEN = [
    pytest.param("ignore-key", KEY_IGNORED, QUICK, id="create-ignores-the-key"),
    pytest.param("wrong-id", {"id-authority"}, QUICK, id="answers-another-id-than-it-stores"),
    pytest.param("replay-other-body", {"idempotency.mismatch"}, QUICK, id="replays-another-body"),
    pytest.param(
        "global-keys", {"idempotency.principal-scope"}, QUICK, id="keys-not-per-principal"
    ),
    pytest.param("shared-threads", {"access.object-level"}, QUICK, id="threads-readable-by-anyone"),
    pytest.param("racy-keys", {"idempotency.concurrency"}, QUICK, id="check-then-insert-race"),
    pytest.param("long-title-500", {"write-fidelity"}, BOUNDARIES, id="5xx-on-a-long-title"),
    pytest.param("if-match-ignored", {"conditional-update"}, QUICK, id="stale-if-match-applies"),
    pytest.param(
        "lists-everyones", {"access.collection-scope"}, QUICK, id="lists-other-principals-threads"
    ),
    pytest.param("deleted-still-listed", {"deletion"}, QUICK, id="deleted-thread-still-listed"),
    pytest.param("trims-titles", {"write-fidelity"}, QUICK, id="titles-trimmed"),
    pytest.param("if-match-star-412", {"conditional-update"}, QUICK, id="if-match-star-refused"),
    pytest.param("threads-oldest-first", {"pagination.order"}, QUICK, id="threads-oldest-first"),
    pytest.param("messages-newest-first", {"pagination.order"}, QUICK, id="messages-newest-first"),
    pytest.param(
        "cursor-repeats", {"pagination.exactly-once"}, QUICK, id="next-page-repeats-an-item"
    ),
    pytest.param(
        "default-limit-10", {"pagination.default-limit"}, QUICK, id="default-page-size-10"
    ),
    pytest.param(
        "any-cursor-restarts",
        {"pagination.foreign-cursor"},
        QUICK,
        id="made-up-cursor-gives-a-page",
    ),
    pytest.param("local-offset", {"timestamps.utc"}, QUICK, id="timestamps-not-in-utc"),
]


@pytest.mark.parametrize(("bug", "broken", "budget"), BROKEN)
def test_a_broken_provider_fails_naming_the_rule(
    bug: str, broken: set[str], budget: tuple[str, ...], tmp_path: Path
) -> None:
    server = start_broken(bug, tmp_path)
    try:
        run = fuzz(server, tmp_path, *budget)
    finally:
        server.stop()
    assert run.returncode == 1, run.stdout + run.stderr
    assert run.rules & set(CONTRACT_RULES) == broken, run.stdout
    expected = broken | ({"not_a_server_error"} if budget == BOUNDARIES else set())
    assert expected <= run.rules
    assert expected <= run.junit_failures()
    assert "Reproduce with:" in run.stdout
    assert "curl -X POST" in run.stdout
    assert "$TOKEN_A" in run.stdout
    assert "token-alice" not in run.everything()
    assert "token-bob" not in run.everything()
    assert_scripts_reproduce(run, bug, broken, tmp_path)


def assert_scripts_reproduce(run: FuzzRun, bug: str, broken: set[str], folder: Path) -> None:
    """Each script of a broken rule exits 1 on a fresh provider with ``bug``, 0 on one without."""
    scripts = scripts_of(run.report, broken)
    assert {rule for rule in broken if any(s.name.startswith(f"{rule}-") for s in scripts)} == (
        broken
    ), sorted(p.name for p in (run.report / "repro").glob("*"))
    wrong = []
    for script in scripts:
        for against, wanted in ((bug, 1), ("", 0)):
            done = replay(script, against, folder)
            if done.returncode != wanted:
                wrong.append(
                    f"{script.name} against BUG={against!r} exited {done.returncode}, "
                    f"not {wanted}:\n{done.stdout}{done.stderr}"
                )
    assert not wrong, "\n\n".join(wrong)


def test_the_unbroken_provider_passes_every_rule(tmp_path: Path) -> None:
    server = start_broken("", tmp_path)
    try:
        run = fuzz(server, tmp_path, *BOUNDARIES)
    finally:
        server.stop()
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.rules == set()
    for rule in CONTRACT_RULES:
        assert f"{rule} x0" not in run.stdout, f"{rule} never ran"
    assert (run.report / "fuzz.md").read_text().startswith("## fuzz: ✅ passed")


def test_with_one_token_the_cross_principal_rules_skip_with_a_note(tmp_path: Path) -> None:
    server = start_broken("", tmp_path)
    try:
        run = fuzz(server, tmp_path, *QUICK, principals=1)
    finally:
        server.stop()
    assert run.returncode == 0, run.stdout + run.stderr
    assert "idempotency.principal-scope needs a second --token" in run.stdout
    assert "access.object-level needs a second --token" in run.stdout


def test_a_token_the_provider_rejects_is_a_usage_error(tmp_path: Path) -> None:
    server = start_broken("", tmp_path)
    try:
        run = fuzz(server, tmp_path, "--token", "not-a-token", *QUICK, principals=1)
    finally:
        server.stop()
    assert run.returncode == 2
    assert run.stderr.strip() == (
        "threadpact: the provider rejects --token #2 (GET /threads answered 401)"
    )
    assert run.stdout == ""
