"""``threadpact check-client module:factory``: the client conformance suite against any client."""

import argparse
import shlex
from typing import Any


def run(args: argparse.Namespace) -> int:
    """Run the suite; 0 conforms, 1 a rule broke, 2 the client could not be loaded."""
    from threadpact.client.conformance import run_conformance

    code = run_conformance(
        args.client, postgres=not args.sqlite_only, pytest_args=tuple(args.pytest_args)
    )
    if code in (0, 1):
        return code
    return 2


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "check-client",
        help="run the client conformance suite against a client adapter",
        description="Drive a client through the adapter protocol "
        "(threadpact.client.adapter) against real providers; every failure names its rule.",
    )
    parser.add_argument("client", help="module:factory returning a client adapter")
    parser.add_argument(
        "--sqlite-only", action="store_true", help="skip the PostgreSQL-backed provider"
    )
    parser.add_argument(
        "--pytest-args",
        type=shlex.split,
        default=[],
        help='extra pytest arguments in one string, e.g. "-k lost_response -x"',
    )
    parser.set_defaults(run=run)
