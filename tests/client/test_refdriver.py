"""The reference driver speaks the protocol of docs/driver-protocol.md.

The full conformance suite runs through it in test_conformance_runner.py; here are
its own promises: errors are answers, stdout carries nothing but answers, backoff
can be skipped, a reload sees the store.
"""

import shlex
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from threadpact.conformance.driver import DriverClient, DriverError, DriverProcess
from threadpact.conformance.proxy import FaultProxy

REFDRIVER = f"{shlex.quote(sys.executable)} -m threadpact.conformance.refdriver"
THREAD = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai"}
NOISY_FACTORY = """\
from threadpact.client.adapter import reference_client


def make(**kwargs):
    print("hello from the factory")
    return reference_client(**kwargs)
"""


@pytest.fixture
def offline_proxy() -> Iterator[FaultProxy]:
    proxy = FaultProxy("http://127.0.0.1:9")  # never reached: the proxy is offline
    proxy.offline = True
    yield proxy
    proxy.shutdown()


def start(tmp_path: Path, extra: str = "") -> DriverProcess:
    return DriverProcess(
        f"{REFDRIVER} {extra}".strip(), cwd=tmp_path, log=tmp_path / "stderr.log", timeout=20
    )


def test_errors_are_answers_and_the_driver_keeps_running(tmp_path: Path) -> None:
    driver = start(tmp_path)
    try:
        with pytest.raises(DriverError, match="unknown op 'dance'"):
            driver.call("dance")
        with pytest.raises(DriverError, match="no client is open"):
            driver.call("create_thread", title="t", **THREAD)
        with pytest.raises(DriverError, match="nothing to reload"):
            driver.call("reload")
    finally:
        driver.stop()
    assert driver.process.returncode == 0  # it exited when stdin closed


def test_offline_backoff_skip_and_reload(tmp_path: Path, offline_proxy: FaultProxy) -> None:
    driver = start(tmp_path)
    try:
        client = DriverClient(driver)
        store = tmp_path / "store.json"
        driver.call("open", base_url=offline_proxy.base_url, token="t", store_path=str(store))
        temporary = client.create_thread(title="Offline", **THREAD)
        client.sync_once()
        client.sync_once()  # the retry waits on its backoff timer
        assert [s.key for s in offline_proxy.thread_creates()] == [temporary]
        client.skip_backoff()
        client.sync_once()
        assert [s.key for s in offline_proxy.thread_creates()] == [temporary, temporary]

        driver.call("reload")
        [thread] = DriverClient(driver).threads()
        assert (thread.id, thread.syncStatus) == (temporary, "pending")
    finally:
        driver.stop()


def test_stdout_carries_only_answers(tmp_path: Path, offline_proxy: FaultProxy) -> None:
    (tmp_path / "noisy.py").write_text(NOISY_FACTORY)
    driver = start(tmp_path, "--factory noisy:make")
    try:
        store = str(tmp_path / "store.json")
        assert (
            driver.call("open", base_url=offline_proxy.base_url, token="t", store_path=store)
            is None
        )
        assert DriverClient(driver).threads() == []
    finally:
        driver.stop()
    assert "hello from the factory" in driver.stderr_tail()


def test_an_unloadable_factory_exits_2(tmp_path: Path) -> None:
    driver = start(tmp_path, "--factory nowhere:make")
    driver.process.wait(timeout=20)
    driver.stop()
    assert driver.process.returncode == 2
    assert "--factory nowhere:make" in driver.stderr_tail()
