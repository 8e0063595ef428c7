"""The fault campaign end to end: the reference implementations survive it on SQLite and
on PostgreSQL (two provider processes), and each broken implementation is caught, with
the shrunk run in the message.

Every run uses real provider processes, real client processes (the reference driver),
the fault proxy and a fixed seed. The broken implementations break only under a
combination of faults: ``tests.campaign.broken_provider`` commits a thread and its key
apart (a provider killed between the two, then a retry, duplicates the thread), and
``tests.campaign.broken_clients:store_after_send`` saves a new thread only after
posting it (a client killed in between loses it; tests/campaign/test_command.py
catches it through the command line).
"""

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.fixtures.databases import admin_url
from tests.fixtures.processes import ROOT
from threadpact.campaign.kinds import FAULTS
from threadpact.campaign.providers import ProviderPool
from threadpact.campaign.runner import REFERENCE_DRIVER, Budget, Outcome, run_campaign
from threadpact.campaign.setup import reference_target

pytestmark = pytest.mark.slow

BROKEN_PROVIDER = (
    "{python} -m tests.campaign.broken_provider serve --port {port} "
    "--database-url sqlite:///{workdir}/threads.db"
)
TOKENS_SETTING = {"THREADPACT_TOKENS": "${THREADPACT_TOKEN_A}=alice,${THREADPACT_TOKEN_B}=bob"}


def campaign(
    pool: ProviderPool,
    tokens: dict[str, str],
    folder: Path,
    budget: Budget,
    *,
    client: str = REFERENCE_DRIVER,
    faults: frozenset[str] = frozenset(FAULTS),
    seed: int = 1,
) -> Outcome:
    return run_campaign(
        pool,
        tokens=tokens,
        client_command=client,
        budget=budget,
        campaign_seed=seed,
        folder=folder,
        cwd=ROOT,
        faults=faults,
    )


@pytest.fixture
def broken_provider(tmp_path: Path) -> Iterator[ProviderPool]:
    pool = ProviderPool.command(
        BROKEN_PROVIDER, 1, tmp_path, ready_path="/healthz", env=TOKENS_SETTING, cwd=ROOT
    )
    with pool:
        yield pool


def user_tokens(pool: ProviderPool) -> dict[str, str]:
    return {"alice": pool.tokens["THREADPACT_TOKEN_A"], "bob": pool.tokens["THREADPACT_TOKEN_B"]}


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)]
)
def test_the_reference_implementations_survive_every_fault(tmp_path: Path, database: str) -> None:
    postgres = admin_url() if database == "postgres" else None
    with reference_target(tmp_path, postgres) as target:
        assert len(target.pool.base_urls) == (2 if postgres else 1)
        outcome = campaign(target.pool, target.tokens, tmp_path, Budget(examples=40, steps=40))
    assert outcome.found is None, str(outcome.found.anomaly if outcome.found else "")
    assert outcome.tally.examples >= 40
    assert outcome.operations >= 300, outcome.tally.operations
    fired = set(outcome.tally.faults)
    assert {"offline", "tab-killed"} <= fired, outcome.tally.faults
    assert len(fired) >= 5, outcome.tally.faults  # most kinds took effect, not just armed


def test_a_provider_committing_thread_and_key_apart_is_caught(
    tmp_path: Path, broken_provider: ProviderPool
) -> None:
    outcome = campaign(
        broken_provider,
        user_tokens(broken_provider),
        tmp_path,
        Budget(examples=150, steps=20),
        faults=frozenset({"kill-provider"}),
    )
    assert outcome.found is not None, "the campaign missed the two-transaction create"
    anomaly = outcome.found.anomaly
    assert "duplicated" in {a.kind for a in anomaly.anomalies}, str(anomaly)
    assert "killed mid create" in anomaly.script, anomaly.script
    assert "create" in anomaly.script.splitlines()[0], anomaly.script
    assert len(anomaly.script.splitlines()) <= 15, anomaly.script  # shrunk
    steps = outcome.found.steps
    assert steps[0] == "state = Campaign()", steps  # Hypothesis's own form of the same run
    assert any(step.startswith("state.kill_provider(") for step in steps), steps


def test_without_the_faults_that_matter_the_broken_provider_passes(
    tmp_path: Path, broken_provider: ProviderPool
) -> None:
    outcome = campaign(
        broken_provider,
        user_tokens(broken_provider),
        tmp_path,
        Budget(examples=15, steps=20),
        faults=frozenset({"offline", "lost", "delay"}),
    )
    assert outcome.found is None, str(outcome.found.anomaly if outcome.found else "")
