"""``threadpact serve``: the reference provider."""

import argparse
import sys
from typing import Any

from threadpact.commands.arguments import port_number, positive_number


def run(args: argparse.Namespace) -> int:
    """Run the reference provider until interrupted."""
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


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser("serve", help="run the reference provider")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=port_number, default=8000)
    parser.add_argument("--database-url", help="SQLAlchemy URL (env THREADPACT_DATABASE_URL)")
    parser.add_argument(
        "--dev-tokens", action="store_true", help="add two demo principals with random tokens"
    )
    parser.add_argument(
        "--test-states",
        action="store_true",
        help="expose the provider-state endpoint for pact verification (never in production)",
    )
    parser.add_argument("--test-principal", help="who provider states create data for")
    parser.add_argument(
        "--key-retention",
        type=positive_number,
        help="seconds a key is kept (default 86400; env THREADPACT_KEY_RETENTION_SECONDS)",
    )
    parser.set_defaults(run=run)
