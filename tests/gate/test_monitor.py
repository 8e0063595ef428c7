"""The provider monitor tells an exited, silent, refusing or 5xx provider from a healthy one."""

import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from threadpact.children import free_port
from threadpact.gate.monitor import ProviderMonitor, log_tail


def answering(status: int) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: object) -> None:
            pass

    return Handler


@pytest.fixture
def server(request: pytest.FixtureRequest) -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), answering(request.param))
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def settle(monitor: ProviderMonitor, seconds: float) -> str | None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and monitor.trouble() is None:
        time.sleep(0.05)
    return monitor.trouble()


@pytest.mark.parametrize("server", [404], indirect=True)
def test_any_answer_below_500_is_healthy(server: str) -> None:
    with ProviderMonitor(server, interval=0.05) as monitor:
        assert settle(monitor, 1.0) is None


@pytest.mark.parametrize("server", [503], indirect=True)
def test_5xx_three_times_in_a_row_is_broken(server: str) -> None:
    with ProviderMonitor(server, interval=0.05) as monitor:
        trouble = settle(monitor, 5.0)
    assert trouble == (f"answers 5xx to everything (GET {server}/ answered 503, 3 times in a row)")


def test_refused_connections_are_broken() -> None:
    url = f"http://127.0.0.1:{free_port()}"
    with ProviderMonitor(url, interval=0.05) as monitor:
        trouble = settle(monitor, 5.0)
    assert trouble is not None
    assert trouble.startswith(f"stopped accepting connections (GET {url}/: ")


def test_a_provider_that_accepts_and_never_answers_is_broken() -> None:
    with socket.create_server(("127.0.0.1", 0)) as listener:
        url = f"http://127.0.0.1:{listener.getsockname()[1]}"
        with ProviderMonitor(url, interval=0.05, probe_timeout=0.3) as monitor:
            trouble = settle(monitor, 5.0)
    assert trouble == (
        f"stopped answering (GET {url}/ had no answer within 0.3 s, 2 times in a row)"
    )


@pytest.mark.parametrize("server", [200], indirect=True)
def test_an_exited_process_is_broken_at_once(server: str, tmp_path: Path) -> None:
    process = subprocess.Popen([sys.executable, "-c", "raise SystemExit(4)"])
    process.wait()
    log = tmp_path / "provider.log"
    log.write_text("".join(f"line {n}\n" for n in range(100)))
    with ProviderMonitor(server, process=process, log=log, interval=60) as monitor:
        assert monitor.trouble() == "process exited with code 4"
        tail = monitor.log_tail().splitlines()
    assert tail[0] == "line 70"
    assert tail[-1] == "line 99"


def test_a_provider_the_gate_did_not_start_has_no_log() -> None:
    assert "did not start this provider" in log_tail(None)
