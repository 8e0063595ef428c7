"""`threadpact check-client` maps the suite's outcome to the harness's exit codes.

It runs the suite shipped in the package, so it works from any directory; the
factory's module is imported from the directory it runs in.
"""

import re
import shlex
import shutil
import subprocess
import sys
import time
from pathlib import Path

from tests.fixtures.databases import admin_url
from tests.fixtures.processes import ROOT, run_threadpact
from threadpact.conformance.runner import SUITE

REFERENCE_FACTORY = '''\
"""A user's adapter: the reference client."""

from threadpact.client.adapter import reference_client


def make_client(**kwargs):
    return reference_client(**kwargs)
'''


def check_client(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return run_threadpact("check-client", *args, cwd=cwd, timeout=300)


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


def test_a_factory_in_any_directory_passes(tmp_path: Path) -> None:
    (tmp_path / "myadapter.py").write_text(REFERENCE_FACTORY)
    done = check_client("myadapter:make_client", "--sqlite-only", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    assert " passed" in done.stdout
    assert "[postgres]" not in done.stdout
    assert sorted(path.name for path in tmp_path.iterdir()) == ["myadapter.py"]  # no cache


def test_a_broken_factory_in_any_directory_exits_1_naming_the_rule(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "client" / "broken_clients.py", tmp_path / "mybroken.py")
    done = check_client(
        "mybroken:new_key_per_retry",
        "--sqlite-only",
        "--pytest-args=-rf -k lost_response_makes",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rule same-key-on-retry" in done.stdout
    assert "test_lost_response_makes_no_duplicate[sqlite]" in done.stdout


def test_without_a_client_the_reference_client_runs_on_postgres_too(tmp_path: Path) -> None:
    done = check_client(
        "--postgres-url",
        admin_url(),
        "--pytest-args=-rA -k test_create_takes_the_server_id",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    assert "test_create_takes_the_server_id[sqlite]" in done.stdout
    assert "test_create_takes_the_server_id[postgres]" in done.stdout


PYTHON = shlex.quote(sys.executable)
REFDRIVER = f"{PYTHON} -m threadpact.conformance.refdriver"
ONE_TEST = "-rf -k test_create_takes_the_server_id"


def test_a_driver_in_any_directory_passes(tmp_path: Path) -> None:
    done = check_client("--driver", REFDRIVER, "--sqlite-only", cwd=tmp_path)
    assert done.returncode == 0, done.stdout + done.stderr
    scenarios = sum(
        len(re.findall(r"^def test_", module.read_text(), flags=re.MULTILINE))
        for module in SUITE.glob("test_*.py")
    )
    assert f"{scenarios} passed" in done.stdout, done.stdout  # the whole suite
    assert "failed" not in done.stdout
    assert list(tmp_path.iterdir()) == []  # nothing left behind


def test_a_broken_driver_exits_1_naming_the_rule(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "client" / "broken_clients.py", tmp_path / "mybroken.py")
    done = check_client(
        "--driver",
        f"{REFDRIVER} --factory mybroken:new_key_per_retry",
        "--sqlite-only",
        "--pytest-args=-rf -k lost_response_makes",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "rule same-key-on-retry" in done.stdout
    assert "test_lost_response_makes_no_duplicate[sqlite]" in done.stdout


def test_a_driver_that_crashes_is_a_clear_failure(tmp_path: Path) -> None:
    script = (
        "import sys; sys.stdin.readline(); print('driver blew up', file=sys.stderr); sys.exit(3)"
    )
    done = check_client(
        "--driver",
        f"{PYTHON} -c {shlex.quote(script)}",
        "--sqlite-only",
        f"--pytest-args={ONE_TEST}",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "DriverBroken" in done.stdout
    assert "exited with code 3" in done.stdout
    assert "driver blew up" in done.stdout  # its stderr


def test_a_driver_that_prints_garbage_is_a_clear_failure(tmp_path: Path) -> None:
    script = "import sys, time; sys.stdin.readline(); print('ready!', flush=True); time.sleep(60)"
    done = check_client(
        "--driver",
        f"{PYTHON} -c {shlex.quote(script)}",
        "--sqlite-only",
        f"--pytest-args={ONE_TEST}",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "wrote a line to stdout that is not JSON: 'ready!'" in done.stdout


def test_a_driver_that_hangs_times_out(tmp_path: Path) -> None:
    script = "import sys, time; sys.stdin.readline(); time.sleep(60)"
    started = time.monotonic()
    done = check_client(
        "--driver",
        f"{PYTHON} -c {shlex.quote(script)}",
        "--sqlite-only",
        f"--pytest-args=--driver-timeout=1 {ONE_TEST}",
        cwd=tmp_path,
    )
    assert done.returncode == 1, done.stdout + done.stderr
    assert "op 'open' (id 1) got no answer within 1s" in done.stdout
    assert time.monotonic() - started < 30


def test_a_driver_overrides_a_configured_factory() -> None:
    # This repository configures client.factory; --driver replaces it (flags over keys).
    done = check_client("--driver", REFDRIVER, "--sqlite-only", f"--pytest-args={ONE_TEST}")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "1 passed" in done.stdout


def test_a_driver_and_a_factory_together_exit_2_in_one_line() -> None:
    done = check_client("tests.client.broken_clients:ignores_response", "--driver", REFDRIVER)
    assert done.returncode == 2
    assert done.stdout == ""
    assert done.stderr.count("\n") == 1, done.stderr
    assert "--driver and a factory (tests.client.broken_clients:ignores_response)" in done.stderr


def test_a_configured_driver_starts_in_the_configurations_folder(tmp_path: Path) -> None:
    shutil.copy(ROOT / "tests" / "client" / "broken_clients.py", tmp_path / "mybroken.py")
    driver = f"{REFDRIVER} --factory mybroken:new_key_per_retry"
    (tmp_path / ".git").mkdir()
    (tmp_path / "threadpact.toml").write_text(f"[client]\ndriver = {driver!r}\n")
    subfolder = tmp_path / "web"
    subfolder.mkdir()
    done = check_client("--sqlite-only", "--pytest-args=-rf -k lost_response_makes", cwd=subfolder)
    assert done.returncode == 1, done.stdout + done.stderr  # mybroken.py was found
    assert "rule same-key-on-retry" in done.stdout
