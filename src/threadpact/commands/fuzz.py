"""``threadpact fuzz``: schemathesis and the contract checks against a live provider."""

import argparse
import sys
from pathlib import Path
from typing import Any

from threadpact.commands.arguments import base_url, positive_int, positive_number
from threadpact.commands.configured import add_config_option, load, spec_path
from threadpact.commands.output import print_result
from threadpact.gate.report import write_reports


def seed_number(text: str) -> int:
    """A whole number, zero or above."""
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}")
    return int(text)


def worker_count(text: str) -> int:
    """1 to 64 workers, as schemathesis allows."""
    value = positive_int(text)
    if value > 64:
        raise argparse.ArgumentTypeError(f"at most 64 workers: {text!r}")
    return value


def phase_list(text: str) -> tuple[str, ...]:
    """Comma-separated schemathesis phases."""
    from threadpact.gate.fuzz import PHASES

    phases = tuple(part.strip() for part in text.split(",") if part.strip())
    unknown = [phase for phase in phases if phase not in PHASES]
    if unknown or not phases:
        raise argparse.ArgumentTypeError(f"phases are some of {','.join(PHASES)}: {text!r}")
    return phases


def run(args: argparse.Namespace) -> int:
    """Fuzz the provider, print the outcome, write the reports; exit 1 if a rule broke."""
    from threadpact.gate.fuzz import FuzzOptions, run_fuzz

    loaded = load(args)
    seed = args.seed if args.seed is not None else loaded.config.fuzz.seed
    budget = {
        "seed": seed,
        "max_examples": args.max_examples,
        "max_time": args.max_time or loaded.config.fuzz.budget,
        "workers": args.workers,
        "phases": args.phases,
    }
    options = FuzzOptions(
        base_url=args.base_url,
        tokens=tuple(args.tokens),
        spec=spec_path(args, loaded),
        **{name: value for name, value in budget.items() if value is not None},
    )
    result = run_fuzz(options)
    if args.report is not None:
        for path in write_reports([result], args.report, stem="fuzz"):
            print(f"wrote {path}", file=sys.stderr)
    return print_result(result, evidence=True)


def register(commands: Any) -> None:
    """Add the subcommand.

    The budget options default to None so that FuzzOptions supplies the gate's budget:
    importing threadpact.gate.fuzz (and schemathesis) here would slow every command.
    """
    parser = commands.add_parser(
        "fuzz", help="fuzz a live provider with schemathesis and the contract checks"
    )
    add_config_option(parser)
    parser.add_argument("--base-url", type=base_url, required=True, help="the provider's URL")
    parser.add_argument(
        "--token",
        dest="tokens",
        action="append",
        required=True,
        metavar="TOKEN",
        help="bearer token of principal A; repeat for principal B (needed by the scope "
        "and access rules)",
    )
    parser.add_argument("--spec", type=Path, help="the spec (key: spec)")
    gate = "default: the gate's, see threadpact.gate.fuzz"
    parser.add_argument("--seed", type=seed_number, help=f"random seed (key: fuzz.seed; {gate})")
    parser.add_argument(
        "--max-examples", type=positive_int, help=f"generated cases per operation ({gate})"
    )
    parser.add_argument(
        "--max-time",
        type=positive_number,
        help="a time budget in seconds, which fuzzing and stateful testing fill "
        "(key: fuzz.budget; default: none)",
    )
    parser.add_argument("--workers", type=worker_count, help=f"concurrent workers ({gate})")
    parser.add_argument(
        "--phases",
        type=phase_list,
        help="comma-separated, some of examples,coverage,fuzzing,stateful (default: all)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="write fuzz.xml (JUnit), fuzz.md and a reproduction script per finding (repro/) here",
    )
    parser.set_defaults(run=run)
