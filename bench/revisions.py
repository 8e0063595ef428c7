"""Another revision of the project beside this tree: its sources, exported to run.

``python -m threadpact`` started with a revision's ``env`` runs that revision's code:
its ``src`` and ``generated`` folders come first on ``PYTHONPATH``, before the
editable install of this tree.
"""

from __future__ import annotations

import os
import subprocess
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from bench.common import ROOT, BenchError

THIS_TREE = "this tree"


@dataclass(frozen=True)
class Variant:
    """One build of the project: this tree, or an exported revision."""

    label: str
    """THIS_TREE, or the revision's short commit hash."""
    env: Mapping[str, str] = field(default_factory=dict)
    """What to add to a process's environment to run this build."""


def export_revision(revision: str, folder: Path) -> Variant:
    """The project as of ``revision`` (any name git knows), exported under ``folder``."""
    resolved = subprocess.run(
        ["git", "rev-parse", "--short", "--verify", f"{revision}^{{commit}}"],
        cwd=ROOT, capture_output=True, text=True, timeout=10, check=False,
    )  # fmt: skip
    if resolved.returncode != 0:
        raise BenchError(f"{revision!r} is not a commit: {resolved.stderr.strip()}")
    commit = resolved.stdout.strip()
    archive = subprocess.run(
        ["git", "archive", "--format=tar", commit, "src", "generated", "openapi.yaml"],
        cwd=ROOT, capture_output=True, timeout=60, check=False,
    )  # fmt: skip
    if archive.returncode != 0:
        raise BenchError(f"git archive {commit}: {archive.stderr.decode(errors='replace')}")
    target = folder / f"rev-{commit}"
    target.mkdir()
    subprocess.run(["tar", "-x", "-C", str(target)], input=archive.stdout, check=True, timeout=60)
    return Variant(commit, {"PYTHONPATH": f"{target / 'src'}{os.pathsep}{target / 'generated'}"})
