"""The ``threadpact`` command: parse arguments, call one function, map errors to exit codes.

Exit codes: 0 success, 1 a contract rule broke, 2 a usage or set-up error.
"""

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import NoReturn

from threadpact.errors import ThreadpactError, UsageError

Command = Callable[[argparse.Namespace], int]


class Parser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2."""

    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{self.prog}: {message} (see --help)")


def cmd_generate(args: argparse.Namespace) -> int:
    """Regenerate generated/ from openapi.yaml, or check that it is current."""
    from threadpact.codegen import generate, stale_diff
    from threadpact.project import require_root

    root = require_root()
    if args.check:
        diff = stale_diff(root)
        if diff:
            sys.stdout.write(diff)
            print(
                "generated/ is stale: run `threadpact generate` and commit the result",
                file=sys.stderr,
            )
            return 1
        print("generated/ is up to date with openapi.yaml")
        return 0
    written = generate(root)
    print(f"wrote {written.relative_to(root)}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """Run the reference provider."""
    from threadpact.provider.serve import build_settings, serve

    settings = build_settings(
        database_url=args.database_url,
        dev=args.dev_tokens,
        test_states=args.test_states,
        test_principal=args.test_principal,
        key_retention=args.key_retention,
    )
    print(f"threadpact provider on http://{args.host}:{args.port}", file=sys.stderr)
    serve(settings, host=args.host, port=args.port)
    return 0


def port_number(text: str) -> int:
    """A TCP port, 0 to 65535."""
    if not text.isdigit() or int(text) > 65535:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}")
    return int(text)


def positive_number(text: str) -> float:
    """A number above zero."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be above zero: {text!r}")
    return value


def build_parser() -> Parser:
    """The full command-line grammar."""
    parser = Parser(prog="threadpact", description=__doc__.splitlines()[0] if __doc__ else None)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=Parser)

    generate = commands.add_parser("generate", help="generate pydantic models from openapi.yaml")
    generate.add_argument(
        "--check", action="store_true", help="exit 1 with a diff if generated/ is stale"
    )
    generate.set_defaults(run=cmd_generate)

    serve = commands.add_parser("serve", help="run the reference provider")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=port_number, default=8000)
    serve.add_argument("--database-url", help="SQLAlchemy URL (env THREADPACT_DATABASE_URL)")
    serve.add_argument(
        "--dev-tokens", action="store_true", help="add two demo principals with random tokens"
    )
    serve.add_argument(
        "--test-states",
        action="store_true",
        help="expose the provider-state endpoint for pact verification (never in production)",
    )
    serve.add_argument("--test-principal", help="who provider states create data for")
    serve.add_argument(
        "--key-retention",
        type=positive_number,
        help="seconds an Idempotency-Key is kept (default 86400)",
    )
    serve.set_defaults(run=cmd_serve)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``threadpact`` console script."""
    try:
        args = build_parser().parse_args(argv)
        command: Command = args.run
        return command(args)
    except ThreadpactError as exc:
        print(f"threadpact: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
