"""``threadpact generate [--check]``: the configured outputs from the spec."""

import argparse
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadpact.commands.configured import add_config_option, load, spec_path
from threadpact.errors import UsageError

if TYPE_CHECKING:
    from threadpact.codegen import Target
    from threadpact.config import Loaded


def chosen_targets(args: argparse.Namespace, loaded: "Loaded") -> tuple["Target", ...]:
    """The configured outputs, ``--output`` over the pydantic one; a usage error for none."""
    from threadpact.codegen import targets

    found = targets(loaded, spec_path(args, loaded))
    if not found:
        raise UsageError(
            f"nothing to generate: {loaded.where} has no generate.pydantic or "
            "generate.typescript output (set [tool.threadpact.generate.pydantic] output = PATH)"
        )
    if args.output is None:
        return found
    if not any(each.kind == "pydantic" for each in found):
        raise UsageError("--output replaces generate.pydantic.output, which is not configured")
    return tuple(each.writing(args.output) if each.kind == "pydantic" else each for each in found)


def check(found: tuple["Target", ...]) -> int:
    """Compare every output with the spec; a diff and a line per stale one; exit 1 if any."""
    from threadpact.codegen import stale_diff

    stale = []
    for each in found:
        diff = stale_diff(each)
        if diff:
            sys.stdout.write(diff)
            stale.append(each.name)
        else:
            print(f"{each.name} is up to date with {each.spec.name}")
    for name in stale:
        print(f"{name} is stale: run `threadpact generate` and commit the result", file=sys.stderr)
    return 1 if stale else 0


def run(args: argparse.Namespace) -> int:
    """Regenerate the configured outputs from the spec, or check that they are current."""
    from threadpact.codegen import generate, validate

    found = chosen_targets(args, load(args))
    validate(found)
    if args.check:
        return check(found)
    for each in found:
        generate(each)
        print(f"wrote {each.name}")
    return 0


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "generate",
        help="generate pydantic models (datamodel-code-generator) and TypeScript "
        "declarations (openapi-typescript) from the spec",
    )
    add_config_option(parser)
    parser.add_argument("--spec", type=Path, help="the spec (key: spec)")
    parser.add_argument(
        "--output", type=Path, help="the Python file to write (key: generate.pydantic.output)"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 with a diff if any output is stale"
    )
    parser.set_defaults(run=run)
