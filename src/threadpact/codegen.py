"""``threadpact generate``: pydantic models from the spec, and the staleness check.

The generator is datamodel-code-generator, at the version threadpact pins. Its
options come from ``generate.pydantic.options`` of the configuration, passed as its
command-line flags, so the output is byte-for-byte reproducible wherever the same
configuration runs.
"""

import difflib
import importlib.util
import subprocess
import sys
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from threadpact.config import Loaded, PydanticOutput
from threadpact.errors import UsageError
from threadpact.openapi import load_spec

GENERATOR = "datamodel_code_generator"
SET_BY_THREADPACT = frozenset({"input", "output", "input-file-type", "url"})
"""Options threadpact passes itself: the spec, the output file, the spec's format."""


@dataclass(frozen=True)
class Target:
    """One generated file: where it goes, from which spec, with which options."""

    spec: Path
    output: Path
    options: PydanticOutput
    root: Path
    """Where the generator runs (its formatters read their settings from there)."""

    @property
    def name(self) -> str:
        """The output as messages name it: relative to the configuration, where it can be."""
        if self.output.is_relative_to(self.root):
            return str(self.output.relative_to(self.root))
        return str(self.output)


def target(loaded: Loaded, spec: Path | None = None) -> Target:
    """The configured pydantic output; a usage error if there is none."""
    output = loaded.config.generate.pydantic
    if output is None:
        raise UsageError(
            f"nothing to generate: {loaded.where} has no generate.pydantic output "
            "(set [tool.threadpact.generate.pydantic] output = PATH)"
        )
    chosen = spec or loaded.path(loaded.config.spec)
    return Target(chosen, loaded.path(output.output), output, loaded.root)


def generator_options() -> dict[str, list[str]]:
    """Every long option of the installed generator, by its name without ``--``."""
    if importlib.util.find_spec(GENERATOR) is None:
        raise UsageError(
            "code generation needs datamodel-code-generator, which this installation "
            "lacks: pip install threadpact"
        )
    from datamodel_code_generator.arguments import arg_parser

    names: dict[str, list[str]] = {}
    for action in arg_parser._actions:
        for option in action.option_strings:
            if option.startswith("--"):
                names[option[2:]] = list(action.option_strings)
    return names


def flags(options: dict[str, str | bool | int | list[str]]) -> list[str]:
    """The generator's command-line flags for ``options``; a usage error for a bad one."""
    known = generator_options()
    argv: list[str] = []
    for name, value in options.items():
        where = f"generate.pydantic.options.{name}"
        if name in SET_BY_THREADPACT:
            raise UsageError(f"{where}: threadpact sets this itself; remove it")
        if name not in known:
            close = difflib.get_close_matches(name, list(known), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{where}: not a datamodel-codegen option{hint}")
        if value is True:
            argv.append(f"--{name}")
        elif value is False:
            if f"--no-{name}" in known[name]:
                argv.append(f"--no-{name}")
        elif isinstance(value, list):
            argv += [f"--{name}", *value]
        else:
            argv += [f"--{name}", str(value)]
    return argv


def command(chosen: Target, destination: Path) -> list[str]:
    """The generator's full command line, writing ``destination``."""
    spec = chosen.spec.resolve()
    fixed = ["--input", str(spec), "--input-file-type", "openapi", "--output", str(destination)]
    return [sys.executable, "-m", GENERATOR, *fixed, *flags(chosen.options.options)]


def render(chosen: Target, destination: Path) -> None:
    """Run the pinned generator, writing ``destination``."""
    load_spec(chosen.spec)  # a broken spec is one clear line, not the generator's traceback
    argv = command(chosen, destination)
    done = subprocess.run(argv, cwd=chosen.root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise UsageError(f"datamodel-codegen failed: {lines[-1] if lines else 'no message'}")


def generate(chosen: Target) -> Path:
    """Regenerate the models in place; returns the file written."""
    chosen.output.parent.mkdir(parents=True, exist_ok=True)
    render(chosen, chosen.output)
    return chosen.output


def lines_of(path: Path) -> Iterable[str]:
    """A text file's lines with their endings; none if it does not exist."""
    return path.read_text(encoding="utf-8").splitlines(keepends=True) if path.is_file() else []


def stale_diff(chosen: Target) -> str:
    """A unified diff from the committed models to fresh ones; empty when up to date."""
    # Next to the real output: the generator's formatters read their settings from there.
    near = next(folder for folder in chosen.output.parents if folder.is_dir())
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
