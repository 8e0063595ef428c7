"""`threadpact serve` refuses bad set-ups with one line and exit code 2."""

import os
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from tests.fixtures.processes import free_port, start_process


def serve(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("THREADPACT_")}
    return subprocess.run(
        [sys.executable, "-m", "threadpact", "serve", *args],
        env={**environment, **(env or {})},
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        ((), {}, "no API tokens configured: set THREADPACT_TOKENS="),
        (("--port", "http"), {}, "argument --port: not a port number"),
        (
            (
                "--key-retention",
                "-5",
            ),
            {"THREADPACT_TOKENS": "t=a"},
            "must be above zero",
        ),
        ((), {"THREADPACT_TOKENS": "just-a-token"}, "expected token=principal"),
        ((), {"THREADPACT_TOKENS_FILE": "/nonexistent/tokens"}, "cannot read /nonexistent/tokens"),
        (("--database-url", "mysql://x/y"), {"THREADPACT_TOKENS": "t=a"}, "unsupported database"),
        (("--database-url", "not a url"), {"THREADPACT_TOKENS": "t=a"}, "bad database URL"),
        (
            ("--database-url", "sqlite:////nonexistent/dir/x.db"),
            {"THREADPACT_TOKENS": "t=a"},
            "database folder /nonexistent/dir does not exist",
        ),
        (("--bogus",), {}, "unrecognized arguments: --bogus"),
    ],
)
def test_bad_setup_is_one_line_exit_2(
    args: tuple[str, ...], env: dict[str, str], message: str
) -> None:
    done = serve(*args, env=env)
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "Traceback" not in done.stderr


def test_dev_tokens_print_two_working_tokens(tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "threadpact",
        "serve",
        "--dev-tokens",
        "--port",
        str(port),
        "--database-url",
        f"sqlite:///{tmp_path / 'dev.db'}",
    ]
    server = start_process(command, port, tmp_path / "log", env={"THREADPACT_TOKENS": ""})
    try:
        lines = [line for line in server.output().splitlines() if line.startswith("dev token for")]
        tokens = {line.split()[3].rstrip(":"): line.split()[-1] for line in lines}
        assert set(tokens) == {"alice", "bob"}
        for token in tokens.values():
            answer = httpx.get(
                server.base_url + "/threads", headers={"Authorization": f"Bearer {token}"}
            )
            assert answer.status_code == 200
        assert httpx.get(server.base_url + "/threads").status_code == 401
    finally:
        server.stop()


def test_tokens_file_is_read(tmp_path: Path) -> None:
    tokens = tmp_path / "tokens"
    tokens.write_text("# principals\nfile-token=carol\n")
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "threadpact",
        "serve",
        "--port",
        str(port),
        "--database-url",
        f"sqlite:///{tmp_path / 'f.db'}",
    ]
    server = start_process(
        command,
        port,
        tmp_path / "log",
        env={"THREADPACT_TOKENS": "", "THREADPACT_TOKENS_FILE": str(tokens)},
    )
    try:
        answer = httpx.get(
            server.base_url + "/threads", headers={"Authorization": "Bearer file-token"}
        )
        assert answer.status_code == 200
    finally:
        server.stop()


def test_test_mode_refuses_a_host_that_is_not_loopback() -> None:
    done = serve("--test-states", "--host", "0.0.0.0", env={"THREADPACT_TOKENS": "t=a"})
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "threadpact: --test-states lets anyone who reaches 0.0.0.0 mint a working token; "
        "serve it on a loopback --host, or pass --allow-remote-test-states"
    )


def test_test_mode_from_the_environment_is_held_to_the_same_rule() -> None:
    env = {"THREADPACT_TOKENS": "t=a", "THREADPACT_TEST_STATES": "1"}
    done = serve("--host", "192.0.2.10", env=env)
    assert done.returncode == 2
    assert "mint a working token" in done.stderr


@pytest.mark.parametrize(
    ("host", "extra"),
    [("127.0.0.1", ()), ("0.0.0.0", ("--allow-remote-test-states",))],
)
def test_test_mode_warns_on_start(tmp_path: Path, host: str, extra: tuple[str, ...]) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "threadpact", "serve", "--test-states", "--host", host,
        "--port", str(port), "--database-url", f"sqlite:///{tmp_path / 't.db'}", *extra,
    ]  # fmt: skip
    server = start_process(command, port, tmp_path / "serve.log")
    try:
        answer = httpx.post(
            server.base_url + "/_threadpact/provider-states",
            json={"state": "no threads exist", "action": "setup"},
        )
        assert answer.status_code == 200
    finally:
        server.stop()
    first = server.output().splitlines()[0]
    assert first.startswith("threadpact: WARNING: test mode: POST /_threadpact/provider-states")
    assert "mint a working bearer token" in first


def test_no_warning_without_test_mode(tmp_path: Path) -> None:
    port = free_port()
    command = [
        sys.executable, "-m", "threadpact", "serve", "--port", str(port),
        "--database-url", f"sqlite:///{tmp_path / 't.db'}",
    ]  # fmt: skip
    server = start_process(command, port, tmp_path / "serve.log")
    server.stop()
    assert "WARNING" not in server.output()
