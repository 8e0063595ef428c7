"""Run the packaged conformance suite in a pytest child process, for ``threadpact check-client``.

The child runs from the caller's directory, which is put on its import path so
that a factory in the user's own code (``mypkg.adapter:make_client``) loads, and
in which a driver command (``--driver``) is started. It reads no pytest
configuration of that directory: the ini file is empty, the rootdir is this
package, and no cache is written.
"""

import os
import subprocess
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from threadpact.conformance import POSTGRES_VARIABLE

PACKAGE = Path(__file__).resolve().parent
SUITE = PACKAGE / "scenarios"
"""The scenarios' package: pytest collects every ``test_*.py`` module in it."""
PLUGIN = "threadpact.conformance.plugin"
UNNEEDED_PLUGINS = ("cacheprovider", "schemathesis", "hypothesispytest", "pact", "typeguard")
"""pytest plugins the suite does not use; not loading them saves seconds per run."""


def conformance_command(
    client: str | None,
    *,
    postgres_url: str | None,
    pytest_args: Sequence[str] = (),
    driver: str | None = None,
) -> list[str]:
    """The pytest command line that checks ``client`` (``module:factory``) or ``driver``.

    Exactly one of the two: ``driver`` is a shell command speaking the driver
    protocol (docs/driver-protocol.md). ``postgres_url`` None runs the
    SQLite-backed provider only.
    """
    if (client is None) == (driver is None):
        raise ValueError("check a client factory or a driver, exactly one of the two")
    command = [sys.executable, "-m", "pytest", str(SUITE), "-p", PLUGIN]
    command += ["-c", os.devnull, "--rootdir", str(PACKAGE), "--confcutdir", str(PACKAGE)]
    for plugin in UNNEEDED_PLUGINS:
        command += ["-p", f"no:{plugin}"]
    command += ["--client", client] if client is not None else [f"--driver={driver}"]
    command += [f"--postgres-url={postgres_url or ''}", "-q"]
    return [*command, *pytest_args]


def conformance_environment(cwd: Path, environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The child's environment: ``cwd`` first on its import path; PostgreSQL only by option."""
    base = dict(os.environ if environ is None else environ)
    base.pop(POSTGRES_VARIABLE, None)
    paths = [str(cwd), *filter(None, base.get("PYTHONPATH", "").split(os.pathsep))]
    return {**base, "PYTHONPATH": os.pathsep.join(paths)}


def run_conformance(
    client: str | None,
    *,
    postgres_url: str | None,
    pytest_args: Sequence[str],
    cwd: Path | None = None,
    driver: str | None = None,
) -> int:
    """Run the suite against ``client`` or ``driver`` from ``cwd`` (default: here).

    Exactly one of ``client`` (``module:factory``, imported from ``cwd``) and
    ``driver`` (a shell command, started in ``cwd`` once per test). Returns pytest's
    exit code: 0 the client conforms; 1 a rule broke (each failure names it) or the
    driver failed (crashed, hung, broke the protocol); 4 the factory could not be
    loaded. Output goes to this process's stdout and stderr.
    """
    cwd = cwd or Path.cwd()
    command = conformance_command(
        client, postgres_url=postgres_url, pytest_args=pytest_args, driver=driver
    )
    return subprocess.run(
        command, cwd=cwd, env=conformance_environment(cwd), check=False
    ).returncode
