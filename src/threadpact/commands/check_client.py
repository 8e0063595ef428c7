"""``threadpact check-client [module:factory | --driver CMD]``: the client conformance suite.

A Python client comes as a factory (positional, or the ``client.factory`` key);
a client in any language comes as a driver command speaking the JSON-lines
protocol of docs/driver-protocol.md. A positional factory and ``--driver`` together
are a usage error; ``--driver`` overrides a configured factory (flags over keys).
"""

import argparse
import os
import shlex
from typing import Any

from threadpact.commands.configured import add_config_option, load
from threadpact.conformance import POSTGRES_VARIABLE
from threadpact.errors import UsageError


def run(args: argparse.Namespace) -> int:
    """Run the suite; 0 conforms, 1 a rule broke, 2 the client could not be loaded."""
    from threadpact.client.adapter import DEFAULT_CLIENT
    from threadpact.conformance.runner import run_conformance

    loaded = load(args)
    chosen = loaded.config.client
    driver = args.driver.strip() if args.driver is not None else None
    if driver is not None:
        if not driver:
            raise UsageError("--driver: give the command that starts the driver")
        if args.client:
            raise UsageError(f"--driver and a factory ({args.client}): give one of the two")
    # Flags override keys: --driver or a positional factory replace the configured client.
    cwd = None
    if not driver and not args.client and (chosen.driver or chosen.factory):
        # A configured client is found from the configuration's folder.
        driver, cwd = chosen.driver, loaded.root
    client = None if driver else (args.client or chosen.factory or DEFAULT_CLIENT)
    postgres_url = None if args.sqlite_only else (args.postgres_url or None)
    code = run_conformance(
        client,
        postgres_url=postgres_url,
        pytest_args=tuple(args.pytest_args),
        cwd=cwd,
        driver=driver,
    )
    if code in (0, 1):
        return code
    return 2


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "check-client",
        help="run the client conformance suite against a client adapter or driver",
        description="Drive a client through the adapter protocol "
        "(threadpact.client.adapter), or a client process in any language through the "
        "driver protocol (docs/driver-protocol.md), against real providers; every failure "
        "names its rule. Runs from any directory; the factory's module is imported from, "
        "and the driver started in, the current one.",
    )
    parser.add_argument(
        "client",
        nargs="?",
        default=None,
        help="module:factory returning a client adapter (key: client.factory; "
        "default: the reference client)",
    )
    parser.add_argument(
        "--driver",
        default=None,
        metavar="COMMAND",
        help='a shell command starting a driver of the client (e.g. "node driver.js"), '
        "once per test; instead of a factory",
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
