"""``threadpact gate``: every step in order, one progress line each, then the summary.

Steps: generate --check, lint, the consumer contract tests (pact drift), crosscheck,
then, against the reference provider it starts (or the one ``--base-url`` names),
verify and fuzz. Exit 0 only if every step passed, 1 on a contract failure, 2 on a
usage or set-up error.
"""

import contextlib
import sys
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from threadpact.codegen import stale_diff
from threadpact.errors import ThreadpactError, UsageError
from threadpact.gate.report import Finding, StepResult, markdown, write_reports
from threadpact.project import require_root


@dataclass(frozen=True)
class GateOptions:
    """What the gate runs against and where it reports."""

    report_dir: Path
    base_url: str | None = None
    tokens: Sequence[str] = ()
    states_url: str | None = None
    seed: int | None = None
    fuzz_budget: float | None = None
    skip: frozenset[str] = field(default_factory=frozenset)


Step = Callable[[], StepResult]


def codegen_step(root: Path) -> StepResult:
    """generate --check as a step."""
    started = time.monotonic()
    diff = stale_diff(root)
    seconds = time.monotonic() - started
    if not diff:
        return StepResult("generate --check", "passed", seconds, "generated/ matches openapi.yaml")
    finding = Finding(
        rule="codegen.stale",
        where="generated/",
        message="generated/ differs from what openapi.yaml generates; run `threadpact generate`",
        details=diff,
        reproduce="threadpact generate --check",
    )
    return StepResult("generate --check", "failed", seconds, finding.message, [finding])


def guarded(name: str, step: Step) -> StepResult:
    """Run a step; a set-up error becomes an ``error`` result instead of a crash."""
    started = time.monotonic()
    try:
        return step()
    except ThreadpactError as exc:
        return StepResult(name, "error", time.monotonic() - started, str(exc))


def progress(index: int, total: int, result: StepResult) -> None:
    """One line per finished step."""
    print(
        f"[{index}/{total}] {result.name:<20} {result.status:<7} {result.seconds:6.1f}s  "
        f"{result.summary}",
        flush=True,
    )


@contextlib.contextmanager
def live_provider(options: GateOptions) -> Iterator[tuple[str, Sequence[str], str | None]]:
    """The provider to verify and fuzz: the one named, or a fresh reference provider."""
    if options.base_url:
        yield options.base_url, options.tokens, options.states_url
        return
    from threadpact.gate.provider import reference_provider

    with reference_provider() as running:
        yield running.base_url, running.tokens, None


def run_gate(options: GateOptions) -> int:
    """Run every step; write the reports; return the exit code."""
    from threadpact.gate.crosscheck import run_crosscheck
    from threadpact.gate.fuzz import run_gate_fuzz
    from threadpact.gate.lint import run_lint
    from threadpact.gate.pactdrift import run_consumer_contracts
    from threadpact.gate.verify import run_verify

    root = require_root()
    spec = root / "openapi.yaml"
    contracts = root / "contracts"
    if options.base_url and not options.tokens:
        raise UsageError("--base-url needs --token (one, or two for the cross-principal checks)")
    offline: list[tuple[str, Step]] = [
        ("generate --check", lambda: codegen_step(root)),
        ("lint", lambda: run_lint(spec)),
        ("consumer contracts", lambda: run_consumer_contracts(root)),
        ("crosscheck", lambda: run_crosscheck(contracts, spec)),
    ]
    online = ("verify", "fuzz")
    total = len(offline) + len(online)
    results: list[StepResult] = []
    started = time.monotonic()

    def run_step(name: str, step: Step | None) -> None:
        if step is None or name in options.skip:
            results.append(StepResult(name, "skipped", 0.0, "skipped by --skip"))
        else:
            results.append(guarded(name, step))
        progress(len(results), total, results[-1])

    for name, step in offline:
        run_step(name, step)
    if set(online) <= options.skip:
        for name in online:
            run_step(name, None)
    else:
        try:
            with live_provider(options) as (base_url, tokens, states_url):
                print(f"      provider: {base_url}", flush=True)
                # No token for verify: each pact asks for its own through a provider state.
                run_step("verify", lambda: run_verify(base_url, contracts, states_url=states_url))
                run_step(
                    "fuzz",
                    lambda: run_gate_fuzz(
                        base_url,
                        tokens,
                        spec,
                        options.report_dir,
                        options.seed,
                        options.fuzz_budget,
                    ),
                )
        except ThreadpactError as exc:
            for name in online[len(results) - len(offline) :]:
                results.append(StepResult(name, "error", 0.0, f"provider set-up failed: {exc}"))
                progress(len(results), total, results[-1])
    paths = write_reports(results, options.report_dir)
    print()
    print(markdown(results))
    print(f"total {time.monotonic() - started:.1f}s; reports: {', '.join(str(p) for p in paths)}")
    sys.stdout.flush()
    if any(result.status == "error" for result in results):
        return 2
    return 0 if all(result.ok for result in results) else 1
