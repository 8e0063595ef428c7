"""`threadpact check-client` maps the suite's outcome to the harness's exit codes.

It runs the suite shipped in the package, so it works from any directory; the
factory's module is imported from the directory it runs in.
"""

import shutil
import subprocess
from pathlib import Path

from tests.fixtures.databases import admin_url
from tests.fixtures.processes import ROOT, run_threadpact

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
