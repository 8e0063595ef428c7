"""The suite's side of the driver protocol: answers matched by id, failures that are clear.

The drivers here are the misbehaving ones of tests/client/fake_drivers.py.
"""

import shlex
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from threadpact.conformance.driver import DriverBroken, DriverClient, DriverError, DriverProcess

FAKE = Path(__file__).with_name("fake_drivers.py")

Start = Callable[..., DriverProcess]


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Start]:
    started: list[DriverProcess] = []

    def run(mode: str, timeout: float = 10) -> DriverProcess:
        command = f"{shlex.quote(sys.executable)} {shlex.quote(str(FAKE))} {mode}"
        driver = DriverProcess(command, cwd=tmp_path, log=tmp_path / f"{mode}.log", timeout=timeout)
        started.append(driver)
        return driver

    yield run
    for driver in started:
        driver.stop(grace=2)


def test_answers_are_matched_by_id_even_out_of_order(start: Start) -> None:
    driver = start("echo")
    held: list[object] = []
    waiting = threading.Thread(target=lambda: held.append(driver.call("hold")))
    waiting.start()
    time.sleep(0.2)  # "hold" is outstanding
    assert driver.call("ping", n=1) == {"op": "ping", "n": 1}
    waiting.join(timeout=5)
    assert held == ["held"]


def test_an_error_answer_raises_with_the_stderr_tail_and_the_driver_goes_on(
    start: Start,
) -> None:
    driver = start("echo")
    with pytest.raises(DriverError) as raised:
        driver.call("fail")
    assert "op 'fail' answered an error: asked to fail" in str(raised.value)
    assert "about to fail" in str(raised.value)  # the stderr tail
    assert driver.call("ping") == {"op": "ping"}


def test_a_driver_that_exits_is_a_clear_failure_and_stays_one(start: Start) -> None:
    driver = start("crash")
    with pytest.raises(DriverBroken) as raised:
        driver.call("open")
    message = str(raised.value)
    assert "exited with code 3" in message
    assert "boom: the driver crashed" in message
    started = time.monotonic()
    with pytest.raises(DriverBroken, match="exited with code 3"):
        driver.call("threads")
    assert time.monotonic() - started < 1  # no second wait


def test_a_line_that_is_not_json_is_a_clear_failure(start: Start) -> None:
    driver = start("garbage")
    with pytest.raises(DriverBroken, match="not JSON: 'hello, this is not JSON'"):
        driver.call("open")


def test_a_driver_that_does_not_answer_times_out_and_is_stopped(start: Start) -> None:
    driver = start("hang", timeout=0.5)
    started = time.monotonic()
    with pytest.raises(DriverBroken, match=r"op 'open' \(id 1\) got no answer within 0.5s"):
        driver.call("open")
    assert time.monotonic() - started < 3
    driver.stop(grace=1)
    assert driver.process.poll() is not None


def test_a_driver_that_stops_reading_while_busy_gets_a_hint(start: Start) -> None:
    driver = start("sequential", timeout=1)
    failures: list[str] = []

    def slow() -> None:
        with pytest.raises(DriverBroken) as raised:
            driver.call("slow")
        failures.append(str(raised.value))

    busy = threading.Thread(target=slow)
    busy.start()
    time.sleep(0.2)
    with pytest.raises(DriverBroken) as raised:
        driver.call("send_message")
    busy.join(timeout=5)
    # The earlier request times out first; both fail with the same reason.
    reason = "op 'slow' (id 1) got no answer within 1s while 'send_message' was still running"
    assert reason in str(raised.value)
    assert "keep reading stdin while its client awaits HTTP" in str(raised.value)
    assert len(failures) == 1
    assert reason in failures[0]


def test_the_client_rejects_a_thread_that_is_not_a_local_thread(start: Start) -> None:
    client = DriverClient(start("echo"))
    with pytest.raises(
        DriverBroken, match="op 'threads' answered a thread that is not a LocalThread"
    ):
        client.threads()


def test_the_client_rejects_an_id_that_is_not_a_string(start: Start) -> None:
    client = DriverClient(start("echo"))
    with pytest.raises(DriverBroken, match=r"op 'create_thread' answered .*, not an ID"):
        client.create_thread(title="t", agent_id="a", model="m", provider="p")


def test_a_closed_client_refuses_further_use(start: Start) -> None:
    client = DriverClient(start("echo"))
    client.close()
    with pytest.raises(RuntimeError, match="closed or reloaded"):
        client.sync()
