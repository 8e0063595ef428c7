"""An implementation written from the spec alone passes every rule, as the reference does.

If a rule fails here but not on the reference provider, either this implementation
breaks a promise of the spec, or the rule holds providers to something the spec never
promised; the fuzz run tells which, and the rule or the spec is fixed in the open.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from tests.fixtures.processes import ROOT, Server, free_port, start_process
from tests.gate.fuzzing import fuzz
from threadpact.checks import CONTRACT_RULES
from threadpact.gate import fuzz as gate_fuzz

MODULE = "tests.gate.independent_provider"


def start_independent(folder: Path) -> Server:
    """tests/gate/independent_provider.py on a free port, accepting the test tokens."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", f"{MODULE}:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    return start_process(command, port, folder / "independent.log")


def test_the_independent_implementation_shares_no_code_with_threadpact() -> None:
    probe = (
        f"import sys, {MODULE}; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] == 'threadpact'))"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert done.stdout.strip() == "[]"


@pytest.mark.fuzz
@pytest.mark.slow
def test_the_independent_implementation_passes_at_the_default_budget(tmp_path: Path) -> None:
    server = start_independent(tmp_path)
    try:
        run = fuzz(server, tmp_path)
    finally:
        server.stop()
    assert f"seed {gate_fuzz.DEFAULT_SEED}, {gate_fuzz.DEFAULT_MAX_EXAMPLES} examples" in run.stdout
    assert run.returncode == 0, run.stdout + run.stderr + server.output()
    assert run.rules == set(), run.stdout
    for rule in CONTRACT_RULES:
        assert f"{rule} x0" not in run.stdout, f"{rule} never ran"
