"""The ``threadpact`` command: parse arguments, call one function, map errors to exit codes.

Exit codes: 0 success, 1 a contract rule broke, 2 a usage or set-up error.
"""

import argparse
import importlib
import os
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from threadpact.errors import ThreadpactError, UsageError

# Modules under threadpact.commands, in the order `--help` lists them.
COMMANDS = (
    "init",
    "gate",
    "generate",
    "lint",
    "crosscheck",
    "verify",
    "fuzz",
    "rules",
    "check_client",
    "campaign",
    "serve",
)


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def build_parser() -> Parser:
    """The full command-line grammar."""
    parser = Parser(prog="threadpact", description="Contract testing for a threads API.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)
    for name in COMMANDS:
        try:
            module = importlib.import_module(f"threadpact.commands.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"threadpact.commands.{name}":
                raise
            continue
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``threadpact`` console script."""
    try:
        args = build_parser().parse_args(argv)
        command: Callable[[argparse.Namespace], int] = args.run
        return command(args)
    except ThreadpactError as exc:
        print(f"threadpact: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader went away (`threadpact ... | head`): stop quietly.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
