"""Run the client conformance suite against any client, for ``threadpact check-client``.

The suite is ``tests/client/test_conformance.py`` in a threadpact checkout; it
starts real providers, drives the client through the adapter protocol
(:mod:`threadpact.client.adapter`) and names the broken rule in every failure.
"""

import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from threadpact.client.adapter import DEFAULT_CLIENT
from threadpact.errors import UsageError
from threadpact.project import require_root

SUITE = Path("tests") / "client" / "test_conformance.py"
UNNEEDED_PLUGINS = ("cacheprovider", "schemathesis", "hypothesispytest", "pact", "typeguard")
"""pytest plugins the suite does not use; not loading them saves seconds per run."""


def conformance_command(
    client: str = DEFAULT_CLIENT,
    *,
    root: Path,
    postgres: bool = True,
    pytest_args: Sequence[str] = (),
) -> list[str]:
    """The pytest command line that checks ``client`` (``module:factory``)."""
    command = [sys.executable, "-m", "pytest", str(root / SUITE), "--client", client, "-q"]
    for plugin in UNNEEDED_PLUGINS:
        command += ["-p", f"no:{plugin}"]
    if not postgres:
        command += ["-m", "not postgres"]
    return [*command, *pytest_args]


def run_conformance(
    client: str = DEFAULT_CLIENT,
    *,
    postgres: bool = True,
    pytest_args: Sequence[str] = (),
    root: Path | None = None,
) -> int:
    """Run the suite against ``client`` and return pytest's exit code (0: conforms).

    ``postgres=False`` runs only the SQLite-backed provider. Output goes to this
    process's stdout and stderr. Raises ``UsageError`` outside a checkout.
    """
    where = root or require_root()
    if not (where / SUITE).is_file():
        raise UsageError(f"no conformance suite at {where / SUITE}; run in a threadpact checkout")
    command = conformance_command(client, root=where, postgres=postgres, pytest_args=pytest_args)
    return subprocess.run(command, cwd=where, check=False).returncode
