"""``threadpact gate``: everything CI needs, in one command."""

import argparse
from pathlib import Path
from typing import Any

from threadpact.commands.arguments import base_url, positive_number
from threadpact.gate.deadlines import DEFAULT_DEADLINES, STEPS, parse_deadline


def step_deadline(text: str) -> tuple[str, float]:
    """``STEP=SECONDS`` for --timeout."""
    try:
        return parse_deadline(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def run(args: argparse.Namespace) -> int:
    """Run the gate."""
    from threadpact.gate.runner import GateOptions, run_gate

    options = GateOptions(
        report_dir=args.report,
        base_url=args.base_url,
        tokens=tuple(args.token or ()),
        states_url=args.states_url,
        seed=args.seed,
        fuzz_budget=args.fuzz_budget,
        skip=frozenset(args.skip or ()),
        deadlines=dict(args.timeout or ()),
    )
    return run_gate(options)


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser("gate", help="run every contract check; the CI entry point")
    parser.add_argument(
        "--base-url",
        type=base_url,
        help="verify and fuzz this running provider instead of starting the reference one",
    )
    parser.add_argument(
        "--token",
        action="append",
        help="bearer token(s) for --base-url: the first for verify and fuzz, a second "
        "for the cross-principal checks",
    )
    parser.add_argument("--states-url", type=base_url, help="provider-state endpoint for verify")
    parser.add_argument("--report", type=Path, default=Path("reports"), help="report directory")
    parser.add_argument("--seed", type=int, help="fuzzing seed (default: fixed, reproducible)")
    parser.add_argument(
        "--fuzz-budget", type=positive_number, help="seconds fuzzing may take (default: bounded)"
    )
    parser.add_argument("--skip", action="append", choices=STEPS, help="skip a step (repeatable)")
    defaults = ", ".join(f"{name} {seconds:g}" for name, seconds in DEFAULT_DEADLINES.items())
    parser.add_argument(
        "--timeout",
        action="append",
        type=step_deadline,
        metavar="STEP=SECONDS",
        help=f"a step's deadline (repeatable); defaults in seconds: {defaults}",
    )
    parser.set_defaults(run=run)
