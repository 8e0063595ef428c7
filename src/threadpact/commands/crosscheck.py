"""``threadpact crosscheck [--pacts DIR] [--spec FILE]``: pacts against the spec, offline."""

import argparse
from pathlib import Path
from typing import Any

from threadpact.commands.output import print_result
from threadpact.project import default_spec, require_root


def run(args: argparse.Namespace) -> int:
    """Print one ``FILE#POINTER: rule: message`` line per finding; exit 1 if there are any."""
    from threadpact.gate.crosscheck import run_crosscheck  # here, so other subcommands start fast

    pacts = args.pacts or require_root() / "contracts"
    result = run_crosscheck(pacts, args.spec or default_spec())
    return print_result(result)


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "crosscheck", help="check that every pact interaction is legal under the spec"
    )
    parser.add_argument(
        "--pacts", type=Path, help="a pact file or a directory of them (default: contracts/)"
    )
    parser.add_argument("--spec", type=Path, help="the spec (default: the project's openapi.yaml)")
    parser.set_defaults(run=run)
