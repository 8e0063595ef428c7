"""``threadpact lint [SPEC]``: the spec is valid OpenAPI (3.0 or 3.1) and obeys the contract."""

import argparse
from pathlib import Path
from typing import Any

from threadpact.commands.configured import add_config_option, load, spec_path
from threadpact.commands.output import print_result


def run(args: argparse.Namespace) -> int:
    """Print one ``POINTER: rule: message`` line per finding; exit 1 if there are any."""
    from threadpact.gate.lint import run_lint  # here, so other subcommands start fast

    result = run_lint(spec_path(args, load(args)))
    return print_result(result)


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser("lint", help="check the spec against OpenAPI and the contract")
    add_config_option(parser)
    parser.add_argument(
        "spec", nargs="?", type=Path, help="the spec (key: spec; default: openapi.yaml)"
    )
    parser.set_defaults(run=run)
