"""``threadpact check-client [module:factory]``: the client conformance suite against any client."""

import argparse
import os
import shlex
from typing import Any

from threadpact.commands.configured import add_config_option, load
from threadpact.conformance import POSTGRES_VARIABLE


def run(args: argparse.Namespace) -> int:
    """Run the suite; 0 conforms, 1 a rule broke, 2 the client could not be loaded."""
    from threadpact.client.adapter import DEFAULT_CLIENT
    from threadpact.conformance.runner import run_conformance

    loaded = load(args)
    configured = loaded.config.client.factory
    client = args.client or configured or DEFAULT_CLIENT
    # A configured factory's module is imported from the configuration's folder.
    cwd = loaded.root if configured and not args.client else None
    postgres_url = None if args.sqlite_only else (args.postgres_url or None)
    code = run_conformance(
        client, postgres_url=postgres_url, pytest_args=tuple(args.pytest_args), cwd=cwd
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
        "(threadpact.client.adapter) against real providers; every failure names its rule. "
        "Runs from any directory; the factory's module is imported from the current one.",
    )
    parser.add_argument(
        "client",
        nargs="?",
        default=None,
        help="module:factory returning a client adapter (key: client.factory; "
        "default: the reference client)",
    )
    add_config_option(parser)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(POSTGRES_VARIABLE),
        metavar="URL",
        help="also run every scenario on this PostgreSQL server (a database URL to create "
        f"test databases from; default ${POSTGRES_VARIABLE}; unset: SQLite only)",
    )
    parser.add_argument(
        "--sqlite-only", action="store_true", help="skip the PostgreSQL-backed provider"
    )
    parser.add_argument(
        "--pytest-args",
        type=shlex.split,
        default=[],
        help='extra pytest arguments in one string, e.g. --pytest-args="-k lost_response -x"',
    )
    parser.set_defaults(run=run)
