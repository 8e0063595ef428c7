"""``threadpact verify``: replay pact files against a running provider."""

import argparse
import os
from pathlib import Path
from typing import Any

from threadpact.commands.arguments import base_url, positive_number
from threadpact.commands.output import print_result
from threadpact.errors import UsageError
from threadpact.gate.deadlines import DEFAULT_DEADLINES, REQUEST_TIMEOUT
from threadpact.project import find_root


def default_pacts() -> Path:
    """contracts/ of the checkout we run in."""
    root = find_root()
    return (root or Path.cwd()) / "contracts"


def run(args: argparse.Namespace) -> int:
    """Verify in a bounded child process while watching the provider, and report."""
    from threadpact.gate.bounded import run_in_child
    from threadpact.gate.monitor import ProviderMonitor
    from threadpact.gate.runner import VERIFY

    kwargs = {
        "base_url": args.base_url,
        "pacts_dir": args.pacts or default_pacts(),
        "states_url": args.states_url,
        "token": args.token or os.environ.get("THREADPACT_VERIFY_TOKEN"),
        "request_timeout": args.request_timeout,
    }
    with ProviderMonitor(args.base_url) as monitor:
        result = run_in_child("verify", VERIFY, kwargs, deadline=args.timeout, watch=monitor)
    if result.status == "error" and not result.findings:
        raise UsageError(result.summary)
    return print_result(result, evidence=True)


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser("verify", help="verify pact files against a running provider")
    parser.add_argument("--base-url", type=base_url, required=True, help="the provider's base URL")
    parser.add_argument("--pacts", type=Path, help="directory of pact files (default: contracts/)")
    parser.add_argument(
        "--states-url",
        type=base_url,
        help="provider-state endpoint (default: BASE_URL/_threadpact/provider-states)",
    )
    parser.add_argument(
        "--token",
        help="bearer token to send instead of the pact's on EVERY request, the rejected-token "
        "interaction included; prefer the provider state that grants the pact's token "
        "(env THREADPACT_VERIFY_TOKEN)",
    )
    parser.add_argument(
        "--timeout",
        type=positive_number,
        default=DEFAULT_DEADLINES["verify"],
        help="seconds the whole verification may take (default: %(default)g)",
    )
    parser.add_argument(
        "--request-timeout",
        type=positive_number,
        default=REQUEST_TIMEOUT,
        help="seconds the provider may take to answer one request or state change "
        "(default: %(default)g)",
    )
    parser.set_defaults(run=run)
