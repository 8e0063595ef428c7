"""Pydantic models from the spec, by datamodel-code-generator.

The generator is the version threadpact pins. Its options come from
``generate.pydantic.options`` of the configuration, passed as its command-line flags,
so the output is byte-for-byte reproducible wherever the same configuration runs.
"""

import difflib
import importlib.util
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from threadpact.codegen.target import Target
from threadpact.config.schema import CodegenOption
from threadpact.errors import UsageError

GENERATOR = "datamodel_code_generator"
SET_BY_THREADPACT = frozenset({"input", "output", "input-file-type", "url"})
"""Options threadpact passes itself: the spec, the output file, the spec's format."""


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


def flags(options: Mapping[str, CodegenOption]) -> list[str]:
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
    return [sys.executable, "-m", GENERATOR, *fixed, *flags(chosen.options)]


def render(chosen: Target, destination: Path) -> None:
    """Run the pinned generator, writing ``destination``."""
    argv = command(chosen, destination)
    done = subprocess.run(argv, cwd=chosen.root, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if line.strip()]
        raise UsageError(f"datamodel-codegen failed: {lines[-1] if lines else 'no message'}")
