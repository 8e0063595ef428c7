"""``threadpact crosscheck [--pacts PATH] [--spec FILE]``: pacts against the spec, offline."""

import argparse
from pathlib import Path
from typing import Any

from threadpact.commands.configured import add_config_option, load, pact_locations, spec_path
from threadpact.commands.output import print_result
from threadpact.errors import UsageError


def run(args: argparse.Namespace) -> int:
    """Print one ``FILE#POINTER: rule: message`` line per finding; exit 1 if there are any."""
    from threadpact.gate.crosscheck import run_crosscheck  # here, so other subcommands start fast

    loaded = load(args)
    pacts = pact_locations(args, loaded)
    if not pacts:
        raise UsageError(
            f"no pacts to check: pass --pacts PATH or configure pacts ({loaded.where})"
        )
    result = run_crosscheck(tuple(pacts), spec_path(args, loaded))
    return print_result(result)


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "crosscheck", help="check that every pact interaction is legal under the spec"
    )
    add_config_option(parser)
    parser.add_argument(
        "--pacts",
        type=Path,
        action="append",
        metavar="PATH",
        help="a pact file or a folder of them; repeatable (key: pacts)",
    )
    parser.add_argument("--spec", type=Path, help="the spec (key: spec)")
    parser.set_defaults(run=run)
