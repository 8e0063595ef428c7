"""``threadpact lint [SPEC]``: the spec is valid OpenAPI (3.0 or 3.1) and obeys the contract."""

import argparse
from pathlib import Path
from typing import Any

from threadpact.commands.output import print_result
from threadpact.project import default_spec


def run(args: argparse.Namespace) -> int:
    """Print one ``POINTER: rule: message`` line per finding; exit 1 if there are any."""
    from threadpact.gate.lint import run_lint  # here, so other subcommands start fast

    result = run_lint(args.spec or default_spec())
    return print_result(result)


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "lint", help="check openapi.yaml against OpenAPI 3.1 and the contract"
    )
    parser.add_argument(
        "spec", nargs="?", type=Path, help="the spec (default: the project's openapi.yaml)"
    )
    parser.set_defaults(run=run)
