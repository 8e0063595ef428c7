"""Writing a target, and comparing the committed file with what the spec generates now."""

import difflib
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path

from threadpact.codegen import pydantic, typescript
from threadpact.codegen.target import Kind, Target
from threadpact.config.schema import CodegenOption
from threadpact.openapi import load_spec

RENDERERS: dict[Kind, Callable[[Target, Path], None]] = {
    "pydantic": pydantic.render,
    "typescript": typescript.render,
}
"""How each kind of target is written to a given file."""
FLAGS: dict[Kind, Callable[[Mapping[str, CodegenOption]], list[str]]] = {
    "pydantic": pydantic.flags,
    "typescript": typescript.flags,
}
"""How each kind of target's options become its generator's flags (checking them)."""


def validate(chosen: Sequence[Target]) -> None:
    """A usage error for the first bad option of any target, before anything is written."""
    for each in chosen:
        FLAGS[each.kind](each.options)


def render(chosen: Target, destination: Path) -> None:
    """Generate ``chosen`` into ``destination`` with its pinned generator."""
    load_spec(chosen.spec)  # a broken spec is one clear line, not the generator's traceback
    RENDERERS[chosen.kind](chosen, destination)


def generate(chosen: Target) -> Path:
    """Regenerate ``chosen`` in place; returns the file written."""
    chosen.output.parent.mkdir(parents=True, exist_ok=True)
    render(chosen, chosen.output)
    return chosen.output


def lines_of(path: Path) -> Iterable[str]:
    """A text file's lines with their endings; none if it does not exist."""
    return path.read_text(encoding="utf-8").splitlines(keepends=True) if path.is_file() else []


def stale_diff(chosen: Target) -> str:
    """A unified diff from the committed file to a fresh one; empty when up to date."""
    # Pydantic models next to the real output: its formatters read their settings there.
    near: Path | None = next(folder for folder in chosen.output.parents if folder.is_dir())
    if chosen.kind != "pydantic":
        near = None  # the system's: a front end's watcher never sees a scratch file
    with tempfile.TemporaryDirectory(dir=near, prefix=".threadpact-generate-") as scratch:
        fresh = Path(scratch) / chosen.output.name
        render(chosen, fresh)
        new = list(lines_of(fresh))
    old = list(lines_of(chosen.output))
    return "".join(
        difflib.unified_diff(
            old, new, fromfile=f"{chosen.name} (committed)", tofile=f"{chosen.name} (from spec)"
        )
    )
