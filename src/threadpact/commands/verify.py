"""``threadpact verify``: replay pact files against a running provider."""

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from threadpact.commands.arguments import base_url
from threadpact.gate.report import StepResult
from threadpact.project import find_root


def default_pacts() -> Path:
    """contracts/ of the checkout we run in."""
    root = find_root()
    return (root or Path.cwd()) / "contracts"


def print_result(result: StepResult) -> None:
    """A result on stdout: one line per finding, evidence indented."""
    for finding in result.findings:
        print(finding.text())
        print()
    print(f"{result.name}: {result.status}: {result.summary}")


def run(args: argparse.Namespace) -> int:
    """Verify and report."""
    from threadpact.gate.verify import run_verify

    result = run_verify(
        args.base_url,
        args.pacts or default_pacts(),
        states_url=args.states_url,
        token=args.token or os.environ.get("THREADPACT_VERIFY_TOKEN"),
    )
    print_result(result)
    sys.stdout.flush()
    return 0 if result.ok else 1


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
    parser.set_defaults(run=run)
