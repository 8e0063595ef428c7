"""The campaign's provider pool: processes on fixed ports, killed with SIGKILL mid-request
and restarted on the same port, leave one consistent database behind."""

import re
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.fixtures.databases import sqlite_url
from tests.fixtures.processes import ROOT, TOKENS
from threadpact.campaign.providers import ProviderPool, ProviderStartError
from threadpact.conformance.faults import THREAD_CREATE
from threadpact.conformance.proxy import FaultProxy
from threadpact.names import IDEMPOTENCY_KEY

BODY = {"agent_id": "a", "model": "m", "provider": "p"}
ALICE = {"Authorization": f"Bearer {TOKENS['alice']}"}


def create(http: httpx.Client, title: str, key: str) -> httpx.Response:
    return http.post("/threads", json={**BODY, "title": title}, headers={IDEMPOTENCY_KEY: key})


def threads(base_url: str, auth: dict[str, str] = ALICE) -> list[dict[str, str]]:
    """Every thread of the principal, read straight from one process."""
    response = httpx.get(base_url + "/threads", headers=auth, timeout=10)
    assert response.status_code == 200, response.text
    items: list[dict[str, str]] = response.json()["items"]
    return items


@pytest.fixture
def proxy() -> Iterator[list[FaultProxy]]:
    """Proxies a test opens, shut down at its end."""
    opened: list[FaultProxy] = []
    yield opened
    for each in opened:
        each.shutdown()


def test_a_pool_of_one_on_sqlite_survives_a_kill_mid_create(
    tmp_path: Path, proxy: list[FaultProxy]
) -> None:
    folder = tmp_path / "pool"
    with ProviderPool.reference(
        sqlite_url(tmp_path / "threads.db"), 1, folder, TOKENS, cwd=ROOT
    ) as pool:
        [base_url] = pool.base_urls
        network = FaultProxy(pool.base_urls, seed=1)
        proxy.append(network)
        network.kill_during("POST", THREAD_CREATE, lambda: pool.kill(0), within=(0.0, 0.02))
        with httpx.Client(base_url=network.base_url, headers=ALICE, timeout=10) as http:
            with pytest.raises(httpx.TransportError):
                create(http, "crash", "key-1")
            assert not pool.alive(0)
            assert pool.pid(0) is None
            assert pool.restart_dead() == [0]
            assert pool.alive(0)
            assert pool.base_urls == [base_url]  # the same port
            retried = create(http, "crash", "key-1")  # the client retries with the same key
            assert retried.status_code == 201
        assert [t["title"] for t in threads(base_url)] == ["crash"]
        assert [t["id"] for t in threads(base_url)] == [retried.json()["id"]]
        [sent, again] = network.thread_creates()
        assert (sent.fault, again.fault) == ("killed", None)
    assert not pool.alive(0)  # the block stopped it
    starts = re.findall(r"--- provider 0, start (\d+)", (folder / "provider-0.log").read_text())
    assert starts == ["1", "2"]  # one log, appended across restarts


@pytest.mark.postgres
def test_a_pool_of_two_on_postgres_shares_one_database_through_kills(
    tmp_path: Path, postgres_url: str, proxy: list[FaultProxy]
) -> None:
    with ProviderPool.reference(postgres_url, 2, tmp_path / "pool", TOKENS, cwd=ROOT) as pool:
        zero, one = pool.base_urls
        with httpx.Client(base_url=zero, headers=ALICE, timeout=10) as direct:
            before = create(direct, "before", "key-0").json()["id"]
        network = FaultProxy(pool.base_urls, seed=2)
        proxy.append(network)
        # Sent to process 0 (the one the action kills), killed while it handles it.
        network.kill_during(
            "POST", THREAD_CREATE, lambda: pool.kill(0), within=(0.0, 0.02), upstream=0
        )
        with httpx.Client(base_url=network.base_url, headers=ALICE, timeout=10) as http:
            with pytest.raises(httpx.TransportError):
                create(http, "crash", "key-1")
            assert (pool.alive(0), pool.alive(1)) == (False, True)
            retried = create(http, "crash", "key-1")  # process 0 is down: process 1 takes it
            assert retried.status_code == 201
            killed, answered = network.thread_creates()
            assert (killed.fault, killed.upstream) == ("killed", zero)
            assert (answered.fault, answered.upstream) == (None, one)
            assert httpx.get(f"{one}/threads/{before}", headers=ALICE).status_code == 200
            pool.restart(0)
            assert pool.base_urls == [zero, one]
            # The network delivers a create twice, each copy to another process.
            network.duplicate("POST", THREAD_CREATE)
            assert create(http, "twice", "key-2").status_code == 201
            first, copy = network.thread_creates()[-2:]
            assert {first.upstream, copy.upstream} == {zero, one}
            assert copy.fault == "duplicate"
        for base_url in (zero, one):
            assert sorted(t["title"] for t in threads(base_url)) == ["before", "crash", "twice"]
        assert pool.restart_dead() == []


def test_a_restart_right_after_a_kill_takes_the_same_port(tmp_path: Path) -> None:
    with ProviderPool.reference(
        sqlite_url(tmp_path / "threads.db"), 1, tmp_path / "pool", TOKENS, cwd=ROOT
    ) as pool:
        [base_url] = pool.base_urls
        pids = set()
        with httpx.Client(base_url=base_url, headers=ALICE, timeout=10) as http:
            for round_ in range(3):
                # A kept-alive connection is open when the process dies (its port may be
                # left in TIME_WAIT); the restart follows at once.
                assert create(http, f"round {round_}", f"key-{round_}").status_code == 201
                pids.add(pool.pid(0))
                pool.kill(0)
                pool.restart(0)
        assert len(pids) == 3
        assert len(threads(base_url)) == 3


def test_a_shell_command_pool_kills_the_whole_process_group(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("POOL_TEST_TOKEN", raising=False)
    command = (
        "echo starting on {port}; "  # the shell stays, the provider is its child
        "{python} -m threadpact serve --port {port} --database-url sqlite:///{workdir}/t.db"
    )
    with ProviderPool.command(
        command,
        1,
        tmp_path,
        tokens_env=["POOL_TEST_TOKEN"],
        env={"THREADPACT_TOKENS": "${POOL_TEST_TOKEN}=alice"},
        ready_path="/healthz",
        cwd=ROOT,
    ) as pool:
        [base_url] = pool.base_urls
        token = pool.tokens["POOL_TEST_TOKEN"]
        auth = {"Authorization": f"Bearer {token}"}
        with httpx.Client(base_url=base_url, headers=auth, timeout=10) as http:
            assert create(http, "kept", "key-1").status_code == 201
        pool.kill(0)
        with pytest.raises(httpx.ConnectError):  # the shell's child died with it
            httpx.get(base_url + "/healthz", timeout=2)
        pool.restart(0)
        assert [t["title"] for t in threads(base_url, auth)] == ["kept"]
    assert "starting on" in (tmp_path / "provider-0.log").read_text()


def test_a_start_that_fails_says_why(tmp_path: Path) -> None:
    with pytest.raises(ProviderStartError, match=r"(?s)exited with code 3.*the disk is full"):
        ProviderPool.command("echo the disk is full; exit 3", 1, tmp_path)
    started = time.monotonic()
    with pytest.raises(ProviderStartError, match=r"(?s)not ready within 0.5s.*waiting"):
        ProviderPool.command("echo waiting; exec sleep 30", 1, tmp_path, ready_timeout=0.5)
    assert time.monotonic() - started < 10  # the sleeping process was stopped, not waited for


def test_providers_running_elsewhere_are_not_killable() -> None:
    pool = ProviderPool.running(["http://127.0.0.1:9/"], {"alice": "token-alice"})
    assert (pool.killable, pool.base_urls, pool.alive(0)) == (False, ["http://127.0.0.1:9"], True)
    assert pool.restart_dead() == []
    assert pool.index_of("http://127.0.0.1:9/threads") == 0
    with pytest.raises(ValueError, match="did not start"):
        pool.kill(0)
