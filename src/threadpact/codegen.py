"""``threadpact generate``: pydantic models from openapi.yaml, and the staleness check.

Every generator option lives in ``[tool.datamodel-codegen]`` of pyproject.toml, and
the generator's version is pinned there too, so the output is byte-for-byte
reproducible.
"""

import difflib
import subprocess
import sys
import tempfile
import tomllib
from pathlib import Path

from threadpact.errors import UsageError
from threadpact.openapi import load_spec


def codegen_options(root: Path) -> dict[str, object]:
    """The ``[tool.datamodel-codegen]`` table of the checkout's pyproject.toml."""
    with (root / "pyproject.toml").open("rb") as handle:
        options = tomllib.load(handle).get("tool", {}).get("datamodel-codegen")
    if not isinstance(options, dict) or "output" not in options or "input" not in options:
        raise UsageError(
            "pyproject.toml has no [tool.datamodel-codegen] table with input and output"
        )
    return options


def render(root: Path, destination: Path) -> None:
    """Run the pinned generator with the project's options, writing ``destination``."""
    options = codegen_options(root)
    load_spec(root / str(options["input"]))
    command = [sys.executable, "-m", "datamodel_code_generator", "--output", str(destination)]
    done = subprocess.run(command, cwd=root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise UsageError(f"datamodel-codegen failed: {lines[-1] if lines else 'no message'}")


def output_path(root: Path) -> Path:
    """Where the generated models live."""
    return root / str(codegen_options(root)["output"])


def generate(root: Path) -> Path:
    """Regenerate the models in place; returns the file written."""
    target = output_path(root)
    target.parent.mkdir(parents=True, exist_ok=True)
    render(root, target)
    return target


def stale_diff(root: Path) -> str:
    """A unified diff from the committed models to fresh ones; empty when up to date."""
    target = output_path(root)
    with tempfile.TemporaryDirectory(dir=target.parent.parent, prefix=".generate-") as scratch:
        fresh = Path(scratch) / target.name
        render(root, fresh)
        new = fresh.read_text(encoding="utf-8").splitlines(keepends=True)
    old = target.read_text(encoding="utf-8").splitlines(keepends=True) if target.is_file() else []
    name = str(target.relative_to(root))
    return "".join(
        difflib.unified_diff(old, new, fromfile=f"{name} (committed)", tofile=f"{name} (from spec)")
    )
