"""``threadpact campaign``: random operations under random faults, checked as a whole.

Runs the fault campaign of :mod:`threadpact.campaign` against the configured
provider (or the reference one) and client (or the reference one), for a budget of
examples or seconds, and writes ``campaign.md`` and ``campaign.json`` into the
report folder. Exit code 0: no anomaly; 1: an anomaly, printed with the shortest
run that shows it; 2: the campaign could not start.
"""

import argparse
import sys
import tempfile
from contextlib import AbstractContextManager
from pathlib import Path
from typing import Any

from threadpact.campaign.kinds import FAULTS as FAULT_NAMES
from threadpact.commands.configured import add_config_option, load
from threadpact.errors import UsageError


def faults_argument(text: str) -> frozenset[str]:
    """``--faults a,b``: known fault names only; ``none`` runs the campaign without faults."""
    if text.strip() == "none":
        return frozenset()
    chosen = frozenset(part.strip() for part in text.split(",") if part.strip())
    unknown = sorted(chosen - set(FAULT_NAMES))
    if unknown or not chosen:
        raise argparse.ArgumentTypeError(
            f"unknown fault {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(FAULT_NAMES)}"
        )
    return chosen


def run(args: argparse.Namespace) -> int:
    """Run the campaign; 0 no anomaly, 1 anomalies, 2 it could not start."""
    from threadpact.campaign.providers import ProviderStartError
    from threadpact.campaign.report import Setup, summary, write_report
    from threadpact.campaign.runner import Budget, run_campaign
    from threadpact.campaign.setup import (
        SetupError,
        Target,
        client_command,
        configured_target,
        reference_target,
    )
    from threadpact.conformance.driver import DriverBroken, DriverError

    if args.examples is not None and args.seconds is not None:
        raise UsageError("--examples and --seconds: give one budget")
    if args.driver is not None and args.client is not None:
        raise UsageError("--driver and --client: give one of the two")
    loaded = load(args)
    config = loaded.config
    budget = Budget(
        examples=args.examples if args.seconds is None else None,
        seconds=args.seconds,
        steps=args.steps,
    )
    if budget.examples is None and budget.seconds is None:
        budget = Budget(examples=20, steps=args.steps)
    factory, driver, cwd = args.client, args.driver, Path.cwd()
    if factory is None and driver is None and (config.client.driver or config.client.factory):
        factory, driver, cwd = config.client.factory, config.client.driver, loaded.root
    command, client_words = client_command(factory, driver)
    report_dir = args.report or loaded.path(config.report)
    with tempfile.TemporaryDirectory(prefix="threadpact-campaign-") as scratch:
        folder = Path(scratch)
        target: AbstractContextManager[Target]
        if args.reference or config.provider is None:
            target = reference_target(folder, args.postgres_url)
        else:
            if args.postgres_url:
                raise UsageError("--postgres-url runs the reference provider: add --reference")
            target = configured_target(config.provider, folder, loaded.root, args.processes)
        try:
            with target as running:
                outcome = run_campaign(
                    running.pool,
                    tokens=running.tokens,
                    client_command=command,
                    budget=budget,
                    campaign_seed=args.seed,
                    folder=folder,
                    cwd=cwd,
                    faults=args.faults,
                )
        except (SetupError, ProviderStartError) as exc:
            first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise UsageError(f"campaign could not start: {first}") from None
        except (DriverBroken, DriverError) as exc:
            stderr = [line for line in str(exc).splitlines()[1:] if line.strip()]
            why = stderr[-1] if stderr else str(exc).splitlines()[0]
            raise UsageError(f"campaign could not start: the client ({command}): {why}") from None
        setup = Setup(
            running.provider, client_words, running.database, sorted(args.faults) or ["none"]
        )
        written = write_report(outcome, setup, report_dir)
    print(f"campaign: {summary(outcome)}")
    for path in written:
        print(f"  report: {path}")
    if outcome.found is None:
        return 0
    print(str(outcome.found.anomaly), file=sys.stderr)
    return 1


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "campaign",
        help="random operations under random faults against a provider and a client, "
        "checked for lost, duplicated, orphaned, stale and wrong-owner data",
        description="A Hypothesis state machine drives two users (one with two tabs on one "
        "store) through their clients against the provider, injects faults (offline, lost "
        "answers, duplicated and delayed requests, 5xx/409/429, the provider or a client "
        "killed with SIGKILL), heals, syncs everything and checks the whole history. An "
        "anomaly is shrunk to the shortest run that shows it.",
    )
    budget = parser.add_mutually_exclusive_group()
    budget.add_argument("--examples", type=int, metavar="N", help="examples to run (default 20)")
    budget.add_argument("--seconds", type=float, metavar="S", help="run for about S seconds")
    parser.add_argument(
        "--steps", type=int, default=40, metavar="N", help="steps per example (default 40)"
    )
    parser.add_argument("--seed", type=int, default=0, help="the campaign's seed (default 0)")
    parser.add_argument(
        "--client", metavar="MODULE:FACTORY", help="a Python client factory (key: client.factory)"
    )
    parser.add_argument(
        "--driver", metavar="COMMAND", help="a driver command of the client (key: client.driver)"
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="run against the reference provider even if a provider is configured",
    )
    parser.add_argument(
        "--postgres-url",
        metavar="URL",
        help="the reference provider on a fresh database of this PostgreSQL server, two "
        "processes sharing it (default: SQLite, one process)",
    )
    parser.add_argument(
        "--processes",
        type=int,
        default=1,
        metavar="N",
        help="processes of the configured provider command (they must share a database)",
    )
    parser.add_argument(
        "--faults",
        type=faults_argument,
        default=frozenset(FAULT_NAMES),
        metavar="A,B",
        help=f"the faults to inject (default all: {','.join(FAULT_NAMES)}; none: a baseline "
        "without faults)",
    )
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="where to write campaign.md and campaign.json (key: report)",
    )
    add_config_option(parser)
    parser.set_defaults(run=run)
