"""``threadpact serve``: the reference provider."""

import argparse
import ipaddress
import sys
from typing import Any

from threadpact.commands.arguments import port_number, positive_number
from threadpact.errors import UsageError
from threadpact.names import STATES_PATH

TEST_MODE_WARNING = (
    f"threadpact: WARNING: test mode: POST {STATES_PATH} is open, and anyone who can "
    "reach this provider can set up data and mint a working bearer token through it. "
    "Never run it like this in production."
)


def is_loopback(host: str) -> bool:
    """Whether ``host`` only listens on this machine (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def check_test_mode(host: str, *, allow_remote: bool) -> None:
    """Refuse test mode on a non-loopback host unless allowed; warn either way."""
    if not is_loopback(host) and not allow_remote:
        raise UsageError(
            f"--test-states lets anyone who reaches {host} mint a working token; "
            "serve it on a loopback --host, or pass --allow-remote-test-states"
        )
    print(TEST_MODE_WARNING, file=sys.stderr)


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
    if settings.test_states:
        check_test_mode(args.host, allow_remote=args.allow_remote_test_states)
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
    parser.add_argument(
        "--allow-remote-test-states",
        action="store_true",
        help="allow --test-states on a host other than loopback (anyone who reaches it "
        "can mint tokens)",
    )
    parser.add_argument("--test-principal", help="who provider states create data for")
    parser.add_argument(
        "--key-retention",
        type=positive_number,
        help="seconds an Idempotency-Key outlives the deletion of what it created; while "
        "that exists the key never expires (default 86400; env THREADPACT_KEY_RETENTION_SECONDS)",
    )
    parser.set_defaults(run=run)
