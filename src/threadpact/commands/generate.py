"""``threadpact generate [--check]``: the configured outputs from the spec."""

import argparse
import sys
from pathlib import Path
from typing import Any

from threadpact.commands.configured import add_config_option, load, spec_path


def run(args: argparse.Namespace) -> int:
    """Regenerate the configured outputs from the spec, or check that they are current."""
    from threadpact.codegen import generate, stale_diff, target

    loaded = load(args)
    chosen = target(loaded, spec_path(args, loaded))
    if args.output is not None:
        chosen = type(chosen)(chosen.spec, args.output, chosen.options, chosen.root)
    if args.check:
        diff = stale_diff(chosen)
        if diff:
            sys.stdout.write(diff)
            print(
                f"{chosen.name} is stale: run `threadpact generate` and commit the result",
                file=sys.stderr,
            )
            return 1
        print(f"{chosen.name} is up to date with {chosen.spec.name}")
        return 0
    written = generate(chosen)
    print(f"wrote {chosen.name if args.output is None else written}")
    return 0


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "generate", help="generate pydantic models from the spec (datamodel-code-generator)"
    )
    add_config_option(parser)
    parser.add_argument("--spec", type=Path, help="the spec (key: spec)")
    parser.add_argument(
        "--output", type=Path, help="the file to write (key: generate.pydantic.output)"
    )
    parser.add_argument(
        "--check", action="store_true", help="exit 1 with a diff if the output is stale"
    )
    parser.set_defaults(run=run)
