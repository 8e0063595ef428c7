"""The fuzz step: schemathesis against a live provider, plus threadpact's contract checks.

:func:`run_fuzz` loads the spec, makes sure the provider answers and accepts the
tokens, runs every schemathesis phase (examples, coverage, fuzzing, stateful through
the spec's links) with all built-in checks and the checks in :mod:`threadpact.checks`,
and turns what broke into :class:`~threadpact.gate.report.Finding` objects whose rule
names are stable: ``idempotency.*``, ``id-authority``, ``access.object-level`` and
schemathesis's own check names (``not_a_server_error``, ...). Findings are grouped by
root cause, point at the spec statement they enforce, carry a reproduction script
that starts from a fresh server, and show tokens only as ``$TOKEN_A``/``$TOKEN_B``
(see :mod:`~threadpact.gate.fuzz.collect`).

No built-in check is excluded; two expected-status lists are widened below, each with
its reason. Generated Idempotency-Keys are swapped for fresh ones before each request
(:mod:`threadpact.checks.keys` says why); key semantics are tested on purpose by the
idempotency checks instead.
"""

import time
from collections.abc import Sequence
from pathlib import Path

import httpx
import schemathesis
from schemathesis.core.errors import SchemathesisError
from schemathesis.engine import from_schema
from schemathesis.schemas import BaseSchema

from threadpact import checks
from threadpact.checks.context import RunState, bound
from threadpact.errors import UsageError
from threadpact.gate.fuzz.collect import Collector, exercised, redact, summary
from threadpact.gate.fuzz.options import (
    BURST_SIZE,
    DEFAULT_MAX_EXAMPLES,
    DEFAULT_SEED,
    NEGATIVE_STATUSES,
    PHASES,
    POSITIVE_STATUSES,
    PROBE_TIMEOUT,
    SAMPLES_PER_RULE,
    FuzzOptions,
    authorization,
    check_links,
    check_options,
    schemathesis_config,
)
from threadpact.gate.report import Status, StepResult, write_reports
from threadpact.names import AUTHORIZATION
from threadpact.openapi import Spec, load_spec
from threadpact.reference import reference_spec

__all__ = [
    "DEFAULT_MAX_EXAMPLES",
    "DEFAULT_SEED",
    "NEGATIVE_STATUSES",
    "PHASES",
    "POSITIVE_STATUSES",
    "Collector",
    "FuzzOptions",
    "authorization",
    "check_links",
    "check_options",
    "exercised",
    "load_schema",
    "redact",
    "run_fuzz",
    "run_gate_fuzz",
    "schemathesis_config",
]


def _probe(url: str, headers: dict[str, str] | None = None) -> httpx.Response:
    try:
        return httpx.get(url, headers=headers, timeout=PROBE_TIMEOUT)
    except (httpx.HTTPError, httpx.InvalidURL, ValueError) as exc:
        reason = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise UsageError(f"cannot reach the provider at {url}: {reason}") from None


def check_provider(spec: Spec, options: FuzzOptions) -> None:
    """The provider answers, and accepts every token on a parameterless GET of the spec."""
    _probe(options.base_url + "/")
    path = next(
        (op.path for op in spec.operations if op.method == "get" and "{" not in op.path), None
    )
    if path is None:
        return
    for number, token in enumerate(options.tokens, start=1):
        answer = _probe(options.base_url + path, {AUTHORIZATION: f"Bearer {token}"})
        if answer.status_code in (401, 403):
            raise UsageError(
                f"the provider rejects --token #{number} (GET {path} answered {answer.status_code})"
            )


def load_schema(options: FuzzOptions) -> tuple[Spec, BaseSchema]:
    """The spec and the schemathesis schema configured for this run."""
    source = options.spec or reference_spec()
    spec = Spec(load_spec(source))
    check_links(spec, source)
    try:
        config = schemathesis.Config.from_dict(schemathesis_config(options, spec))
        schema = schemathesis.openapi.from_dict(spec.document, config=config)
    except SchemathesisError as exc:
        reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise UsageError(f"{source}: schemathesis cannot use it: {reason}") from None
    return spec, schema


def run_fuzz(options: FuzzOptions) -> StepResult:
    """Fuzz a live provider; a broken setup raises UsageError, broken rules become findings."""
    started = time.monotonic()
    check_options(options)
    spec, schema = load_schema(options)
    check_provider(spec, options)
    checks.keys.install()
    state = RunState(options.tokens, samples=SAMPLES_PER_RULE, burst=BURST_SIZE)
    collector = Collector(state.principals, base_url=options.base_url, spec=spec, burst=state.burst)
    with bound(schema.config, state):
        for event in from_schema(schema).execute():
            collector.add(event)
    for finding in exercised(state, schema):
        collector.keep(finding)
    seconds = time.monotonic() - started
    findings = list(collector.findings.values())
    contract_broken = any(finding.rule != "fuzz.error" for finding in findings)
    status: Status = "failed" if contract_broken else "error" if findings else "passed"
    return StepResult(
        name="fuzz",
        status=status,
        seconds=seconds,
        summary=summary(options, collector, state, seconds),
        findings=findings,
    )


def run_gate_fuzz(
    base_url: str,
    tokens: Sequence[str],
    spec: Path | None,
    report_dir: Path | None,
    seed: int | None = None,
    budget: float | None = None,
) -> StepResult:
    """The gate's fuzz step: the default budget (``budget`` is a --max-time in seconds).

    Also writes ``fuzz.xml`` and ``fuzz.md`` into ``report_dir`` for the full evidence.
    """
    options = FuzzOptions(
        base_url=base_url.rstrip("/"),
        tokens=tuple(tokens),
        spec=spec,
        seed=DEFAULT_SEED if seed is None else seed,
        max_time=budget,
    )
    result = run_fuzz(options)
    if report_dir is not None:
        write_reports([result], report_dir, stem="fuzz")
    return result
