"""Run a campaign: set the world up, run examples until the budget is spent, sum up.

A budget of examples is one Hypothesis run. A budget of seconds runs batches of
:data:`BATCH` examples (one Hypothesis run each, seeded from the campaign's seed and
the batch number) until the time is spent. The first anomaly ends the campaign:
Hypothesis has then shrunk it, and the exception it raised carries the minimal run as
a script (and Hypothesis's own steps).
"""

import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from hypothesis import HealthCheck, Phase, Verbosity, seed, settings
from hypothesis.errors import FlakyFailure
from hypothesis.reporting import with_reporter
from hypothesis.stateful import get_state_machine_test

from threadpact.campaign.kinds import FAULTS
from threadpact.campaign.machine import CampaignAnomaly, Tally, campaign_machine
from threadpact.campaign.providers import ProviderPool
from threadpact.campaign.world import World

BATCH = 25
TABS = {"alice": 2, "bob": 1}
"""The users and how many tabs each has open on their one store."""
REFERENCE_DRIVER = f"{sys.executable} -m threadpact.conformance.refdriver"


@dataclass(frozen=True)
class Budget:
    """How long to run: a number of examples, or of seconds (whichever is given)."""

    examples: int | None = None
    seconds: float | None = None
    steps: int = 40
    """Steps per example (Hypothesis's ``stateful_step_count``)."""

    def left(self, done: int, elapsed: float) -> int:
        """How many examples the next batch runs (0: the budget is spent)."""
        if self.examples is not None:
            return max(self.examples - done, 0)
        if self.seconds is not None and elapsed < self.seconds:
            return BATCH
        return 0


@dataclass
class Found:
    """An anomaly, as Hypothesis left it after shrinking."""

    anomaly: CampaignAnomaly
    steps: list[str] = field(default_factory=list)
    """Hypothesis's own notes: the minimal sequence of steps as Python calls."""
    flaky: bool = False
    """True when the minimal example did not fail again when replayed."""


@dataclass
class Outcome:
    """What a campaign ran and found."""

    tally: Tally
    elapsed: float
    seed: int
    found: Found | None = None

    @property
    def operations(self) -> int:
        """User actions run."""
        return sum(self.tally.operations.values())

    @property
    def faults(self) -> int:
        """Faults that fired."""
        return sum(self.tally.faults.values())


def hypothesis_settings(examples: int, steps: int) -> settings:
    """No example database, no deadline (the world is real and slow); what Hypothesis
    reports goes to the campaign's reporter, not to stdout."""
    return settings(
        max_examples=examples,
        stateful_step_count=steps,
        deadline=None,
        database=None,
        suppress_health_check=list(HealthCheck),
        phases=[Phase.explicit, Phase.generate, Phase.shrink],
        report_multiple_bugs=False,
        print_blob=False,
        verbosity=Verbosity.normal,
    )


def found_in(error: BaseException, reported: list[str]) -> Found | None:
    """The anomaly a Hypothesis failure carries, if it is one, with the steps Hypothesis
    gave for the minimal example (``state = Campaign()``, ``state.create(number=0)``...):
    from the failure's notes, else from what it reported."""
    flaky = isinstance(error, FlakyFailure)
    candidates: list[BaseException] = [error]
    if isinstance(error, BaseExceptionGroup):
        candidates += list(error.exceptions)
    for candidate in candidates:
        if isinstance(candidate, CampaignAnomaly):
            notes = [*getattr(candidate, "__notes__", []), *getattr(error, "__notes__", [])]
            lines = [line for note in notes for line in str(note).splitlines()] or reported
            starts = [i for i, line in enumerate(lines) if line.startswith("state = ")]
            first = starts[-1] if starts else 0
            steps = [
                line
                for line in lines[first:]
                if line.startswith("state") and "count_step" not in line
            ]
            return Found(candidate, steps, flaky)
    return None


def collector(into: list[str]) -> Callable[[object], None]:
    """A Hypothesis reporter that keeps the lines it is given."""

    def keep(text: object) -> None:
        into.extend(str(text).splitlines())

    return keep


def run_examples(
    world: World, budget: Budget, campaign_seed: int, faults: frozenset[str] = frozenset(FAULTS)
) -> Outcome:
    """Run batches of examples on ``world`` until the budget is spent or an anomaly shows."""
    tally = Tally()
    machine = campaign_machine(world, tally, faults)
    started = time.monotonic()
    batch = 0
    found: Found | None = None
    while (size := budget.left(tally.examples, time.monotonic() - started)) > 0:
        test = get_state_machine_test(machine, settings=hypothesis_settings(size, budget.steps))
        reported: list[str] = []
        try:
            with with_reporter(collector(reported)):
                seed(campaign_seed * 1_000_003 + batch)(test)()
        except Exception as exc:
            found = found_in(exc, reported)
            if found is None:
                raise
            break
        batch += 1
    return Outcome(tally, time.monotonic() - started, campaign_seed, found)


@contextmanager
def scratch(keep: Path | None) -> Iterator[Path]:
    """A folder for stores and logs: ``keep`` if given, else a temporary one."""
    if keep is not None:
        keep.mkdir(parents=True, exist_ok=True)
        yield keep
        return
    folder = Path(tempfile.mkdtemp(prefix="threadpact-campaign-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def run_campaign(
    pool: ProviderPool,
    *,
    tokens: dict[str, str],
    client_command: str,
    budget: Budget,
    campaign_seed: int,
    folder: Path,
    cwd: Path,
    faults: frozenset[str] = frozenset(FAULTS),
) -> Outcome:
    """Run a campaign against ``pool`` with clients started by ``client_command``."""
    world = World(
        pool,
        client_command=client_command,
        tabs=TABS,
        tokens=tokens,
        folder=folder,
        cwd=cwd,
        seed=campaign_seed,
    )
    try:
        world.begin()  # a client or provider that cannot start fails here, before Hypothesis
        return run_examples(world, budget, campaign_seed, faults)
    finally:
        world.close()
