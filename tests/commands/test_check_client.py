"""`threadpact check-client` maps the suite's outcome to the harness's exit codes."""

import subprocess

from tests.fixtures.processes import run_threadpact


def check_client(*args: str) -> subprocess.CompletedProcess[str]:
    return run_threadpact("check-client", *args, timeout=300)


def test_an_unloadable_client_exits_2() -> None:
    done = check_client("tests.client.broken_clients:no_such_factory", "--sqlite-only")
    assert done.returncode == 2
    assert "no attribute 'no_such_factory'" in done.stdout + done.stderr


def test_a_broken_client_exits_1_naming_the_rule() -> None:
    done = check_client(
        "tests.client.broken_clients:ignores_response",
        "--sqlite-only",
        "--pytest-args",
        "-k test_create_takes_the_server_id",
    )
    assert done.returncode == 1
    assert "rule swap: local id" in done.stdout
