"""``threadpact gate``: every step in order, one progress line each, then the summary.

Steps: generate --check, lint, the consumer contract tests (pact drift), crosscheck,
then, against the configured provider (one already running, or one the gate starts
from its command; see :mod:`threadpact.gate.provider`), verify and fuzz. Each step
runs in a child process with a deadline (:mod:`threadpact.gate.deadlines`); verify
and fuzz also stop as soon as the provider exits, hangs or answers 5xx to everything
(:mod:`threadpact.gate.monitor`).
Ctrl-C or SIGTERM stops the provider and writes the reports so far, marked as
interrupted. Exit 0 only if every step passed, 1 on a contract failure, 2 on a
usage or set-up error, 128 + the signal's number when interrupted.
"""

import contextlib
import signal
import sys
import threading
import time
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from types import FrameType
from typing import Any

from threadpact.codegen import Target, stale_diff
from threadpact.config import Provider
from threadpact.errors import ThreadpactError, UsageError
from threadpact.gate.bounded import Watch, run_in_child
from threadpact.gate.deadlines import STEPS, deadlines
from threadpact.gate.monitor import ProviderMonitor
from threadpact.gate.provider import LiveProvider, live_provider
from threadpact.gate.report import Finding, StepResult, markdown, write_reports


@dataclass(frozen=True)
class GateOptions:
    """What the gate checks, against which provider, how long each step may take, and where
    it reports: the configuration with the command line's overrides applied."""

    report_dir: Path
    spec: Path
    root: Path
    """The configuration's directory: commands run there."""
    codegen: Sequence[Target] = ()
    """The configured generated outputs, each checked against the spec."""
    owned: Sequence[tuple[Path, str]] = ()
    """Pact locations this repository writes, each with the command that writes it."""
    pacts: Sequence[Path] = ()
    """Every pact location, owned and received."""
    provider: Provider | None = None
    tokens: Sequence[str] = ()
    """Bearer tokens given on the command line, over the provider's token variables."""
    seed: int | None = None
    fuzz_budget: float | None = None
    skip: frozenset[str] = field(default_factory=frozenset)
    deadlines: Mapping[str, float] = field(default_factory=dict)
    """Seconds per step name, over the defaults."""


SIGNALS = (signal.SIGINT, signal.SIGTERM)


VERIFY = "threadpact.gate.verify:run_verify"
FUZZ = "threadpact.gate.fuzz:run_gate_fuzz"


class Interrupted(Exception):
    """The gate received SIGINT or SIGTERM."""

    def __init__(self, signum: int) -> None:
        super().__init__(signal.Signals(signum).name)
        self.signum = signum


def codegen_step(targets: Sequence[Target]) -> StepResult:
    """generate --check as a step: one finding per stale output."""
    name = "generate --check"
    if not targets:
        return StepResult(name, "skipped", 0.0, "nothing configured to generate")
    started = time.monotonic()
    findings = []
    for target in targets:
        diff = stale_diff(target)
        if diff:
            spec = target.spec.name
            findings.append(
                Finding(
                    rule="codegen.stale",
                    where=target.name,
                    message=(
                        f"{target.name} differs from what {spec} generates; "
                        "run `threadpact generate`"
                    ),
                    details=diff,
                    reproduce="threadpact generate --check",
                )
            )
    seconds = time.monotonic() - started
    names = ", ".join(target.name for target in targets)
    if not findings:
        verb = "matches" if len(targets) == 1 else "match"
        return StepResult(name, "passed", seconds, f"{names} {verb} {targets[0].spec.name}")
    summary = "; ".join(finding.message for finding in findings)
    return StepResult(name, "failed", seconds, summary, findings)


def progress(index: int, total: int, result: StepResult) -> None:
    """One line per finished step."""
    print(
        f"[{index}/{total}] {result.name:<20} {result.status:<7} {result.seconds:6.1f}s  "
        f"{result.summary}",
        flush=True,
    )


@contextlib.contextmanager
def interrupts_raise() -> Iterator[None]:
    """Turn SIGINT and SIGTERM into :class:`Interrupted` in the main thread.

    Set explicitly, not inherited: a gate started where SIGINT is ignored (a background
    job of a non-interactive shell, some CI runners) still stops cleanly on Ctrl-C or on
    a cancelled job.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def handler(signum: int, _frame: FrameType | None) -> None:
        raise Interrupted(signum)

    previous = {signum: signal.signal(signum, handler) for signum in SIGNALS}
    try:
        yield
    finally:
        for signum, action in previous.items():
            signal.signal(signum, action)


@contextlib.contextmanager
def provider_for(options: GateOptions) -> Iterator[LiveProvider]:
    """The provider to verify and fuzz, with the command line's tokens if it gave any."""
    if options.provider is None:
        raise UsageError(
            "no provider to verify and fuzz: configure [tool.threadpact.provider] "
            "(base-url or command) or pass --base-url"
        )
    with live_provider(options.provider, options.root, options.tokens) as live:
        yield live


class Gate:
    """The steps' results so far, and how to run the next one."""

    def __init__(self, options: GateOptions) -> None:
        self.options = options
        self.limits = deadlines(options.deadlines.items(), options.fuzz_budget)
        self.results: list[StepResult] = []
        self.running: tuple[str, float] | None = None

    def step(
        self,
        name: str,
        target: str,
        kwargs: dict[str, Any],
        watch: Watch | None = None,
    ) -> None:
        """Run one step (``"module:function"``), bounded by its deadline, unless skipped."""
        if name in self.options.skip:
            self.add(StepResult(name, "skipped", 0.0, "skipped by --skip"))
            return
        self.running = (name, time.monotonic())
        result = run_in_child(
            name,
            target,
            kwargs,
            deadline=self.limits[name],
            watch=watch,
            option=f"--timeout '{name}=SECONDS'",
        )
        self.running = None
        self.add(result)

    def add(self, result: StepResult) -> None:
        """Record a finished step and print its progress line."""
        self.results.append(result)
        progress(len(self.results), len(STEPS), result)

    def interrupted(self, signame: str) -> None:
        """The running step ends as ``error``; the steps not yet run are ``skipped``."""
        if self.running is not None:
            name, started = self.running
            seconds = time.monotonic() - started
            self.add(StepResult(name, "error", seconds, f"interrupted by {signame}"))
            self.running = None
        for name in STEPS[len(self.results) :]:
            self.add(StepResult(name, "skipped", 0.0, f"not run: interrupted by {signame}"))

    def online(self) -> None:
        """verify and fuzz against a live provider, watched while they run."""
        options = self.options
        verify_skip = "verify" in options.skip or not options.pacts
        if verify_skip and "fuzz" in options.skip:  # no provider to start
            self.step("verify", VERIFY, {"base_url": "", "pacts": ()})
            self.step("fuzz", FUZZ, {})
            return
        with provider_for(options) as live:
            print(f"      provider: {live.base_url}", flush=True)
            with ProviderMonitor(live.base_url, process=live.process, log=live.log) as monitor:
                # No token for verify: each pact asks for its own through a provider state.
                verify = {
                    "base_url": live.base_url,
                    "pacts": tuple(options.pacts),
                    "states_url": live.states_url,
                    "provider_log": live.log,
                }
                self.step("verify", VERIFY, verify, monitor)
                fuzz = {
                    "base_url": live.base_url,
                    "tokens": tuple(live.tokens),
                    "spec": options.spec,
                    "report_dir": options.report_dir,
                    "seed": options.seed,
                    "budget": options.fuzz_budget,
                }
                self.step("fuzz", FUZZ, fuzz, monitor)


def run_gate(options: GateOptions) -> int:
    """Run every step; write the reports; return the exit code."""
    gate = Gate(options)
    started = time.monotonic()
    interrupted: Interrupted | KeyboardInterrupt | None = None
    setup_failure = ""
    with interrupts_raise():
        try:
            gate.step(
                "generate --check", f"{__name__}:codegen_step", {"targets": tuple(options.codegen)}
            )
            gate.step("lint", "threadpact.gate.lint:run_lint", {"spec_path": options.spec})
            gate.step(
                "consumer contracts",
                "threadpact.gate.pactdrift:run_consumer_contracts",
                {"owned": tuple(options.owned), "root": options.root},
            )
            gate.step(
                "crosscheck",
                "threadpact.gate.crosscheck:run_crosscheck",
                {"pacts": tuple(options.pacts), "spec_path": options.spec},
            )
            try:
                gate.online()
            except ThreadpactError as exc:
                setup_failure, _, log = str(exc).partition("\n")
                finding = Finding(rule="provider.setup", message=setup_failure, details=log)
                summary = f"provider set-up failed: {setup_failure}"
                for name in STEPS[len(gate.results) :]:
                    gate.add(StepResult(name, "error", 0.0, summary, [finding]))
        except (Interrupted, KeyboardInterrupt) as exc:
            interrupted = exc
    signame = "SIGINT" if isinstance(interrupted, KeyboardInterrupt) else str(interrupted)
    if interrupted is not None:
        gate.interrupted(signame)
    verdict = f"interrupted by {signame}" if interrupted is not None else None
    paths = write_reports(gate.results, options.report_dir, verdict=verdict)
    print()
    print(markdown(gate.results, verdict=verdict))
    print(f"total {time.monotonic() - started:.1f}s; reports: {', '.join(str(p) for p in paths)}")
    sys.stdout.flush()
    if setup_failure:
        print(f"threadpact: provider set-up failed: {setup_failure}", file=sys.stderr)
    if isinstance(interrupted, Interrupted):
        return 128 + interrupted.signum
    if interrupted is not None:
        return 128 + signal.SIGINT
    if any(result.status == "error" for result in gate.results):
        return 2
    return 0 if all(result.ok for result in gate.results) else 1
