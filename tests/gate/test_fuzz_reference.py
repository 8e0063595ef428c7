"""The reference provider passes the fuzz step at the gate's own budget."""

from pathlib import Path

import pytest

from tests.fixtures.processes import Server
from tests.gate.fuzzing import fuzz
from threadpact.checks import CONTRACT_RULES
from threadpact.gate import fuzz as gate_fuzz

pytestmark = [pytest.mark.fuzz, pytest.mark.slow]


def test_the_reference_provider_passes_at_the_default_budget(
    provider: Server, tmp_path: Path
) -> None:
    run = fuzz(provider, tmp_path)
    assert f"seed {gate_fuzz.DEFAULT_SEED}, {gate_fuzz.DEFAULT_MAX_EXAMPLES} examples" in run.stdout
    assert run.returncode == 0, run.stdout + run.stderr
    for rule in CONTRACT_RULES:
        assert f"{rule} x0" not in run.stdout, f"{rule} never ran"
