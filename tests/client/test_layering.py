"""The client package keeps to its layer: no harness, provider or test-tool imports."""

import ast
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "src" / "threadpact" / "client"
FORBIDDEN = (
    "pact",
    "schemathesis",
    "pytest",
    "hypothesis",
    "threadpact_models",  # models come through threadpact.models
    "threadpact.provider",
    "threadpact.gate",
    "threadpact.checks",
    "threadpact.commands",
    "threadpact.cli",
)


def imported(path: Path) -> set[str]:
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            names.add(node.module)
    return names


@pytest.mark.parametrize("module", sorted(PACKAGE.glob("*.py")), ids=lambda p: p.name)
def test_no_forbidden_imports(module: Path) -> None:
    bad = {
        name
        for name in imported(module)
        for prefix in FORBIDDEN
        if name == prefix or name.startswith(prefix + ".")
    }
    assert not bad, f"{module.name} imports {sorted(bad)}"


def test_the_check_sees_every_module() -> None:
    assert {p.name for p in PACKAGE.glob("*.py")} >= {
        "api.py",
        "store.py",
        "sync.py",
        "mapping.py",
        "legacy.py",
        "adapter.py",
    }
