"""``threadpact verify``: replay pact files against a running provider."""

import argparse
import os
from pathlib import Path
from typing import Any

from threadpact.commands.arguments import base_url, positive_number
from threadpact.commands.configured import add_config_option, load, pact_locations
from threadpact.commands.output import print_result
from threadpact.errors import UsageError
from threadpact.gate.deadlines import DEFAULT_DEADLINES, REQUEST_TIMEOUT


def run(args: argparse.Namespace) -> int:
    """Verify in a bounded child process while watching the provider, and report."""
    from threadpact.gate.bounded import run_in_child
    from threadpact.gate.monitor import ProviderMonitor
    from threadpact.gate.runner import VERIFY

    loaded = load(args)
    pacts = pact_locations(args, loaded)
    if not pacts:
        raise UsageError(
            f"no pacts to verify: pass --pacts PATH or configure pacts ({loaded.where})"
        )
    provider = loaded.config.provider
    configured = provider.states if provider is not None else None
    if configured is not None and configured.startswith("/"):
        configured = args.base_url + configured
    kwargs = {
        "base_url": args.base_url,
        "pacts": tuple(pacts),
        "states_url": args.states_url or configured,
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
    add_config_option(parser)
    parser.add_argument("--base-url", type=base_url, required=True, help="the provider's base URL")
    parser.add_argument(
        "--pacts",
        type=Path,
        action="append",
        metavar="PATH",
        help="a pact file or a folder of them; repeatable (key: pacts)",
    )
    parser.add_argument(
        "--states-url",
        type=base_url,
        help="provider-state endpoint (key: provider.states; "
        "default: BASE_URL/_threadpact/provider-states)",
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
