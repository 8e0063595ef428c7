"""The fuzz step: schemathesis against a live provider, plus threadpact's contract checks.

:func:`run_fuzz` loads the spec, makes sure the provider answers and accepts the
tokens, runs every schemathesis phase (examples, coverage, fuzzing, stateful through
the spec's links) with all built-in checks and the checks in :mod:`threadpact.checks`,
and turns what broke into :class:`~threadpact.gate.report.Finding` objects whose rule
names are stable: ``idempotency.*``, ``id-authority``, ``access.object-level`` and
schemathesis's own check names (``not_a_server_error``, ...).

No built-in check is excluded; two expected-status lists are widened below, each with
its reason. Generated Idempotency-Keys are swapped for fresh ones before each request
(:mod:`threadpact.checks.keys` says why); key semantics are tested on purpose by the
idempotency checks instead.
"""

import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import schemathesis
from schemathesis.core.errors import SchemathesisError
from schemathesis.core.result import Ok
from schemathesis.engine import Status as EngineStatus
from schemathesis.engine import events, from_schema
from schemathesis.engine.recorder import CheckNode, ScenarioRecorder
from schemathesis.schemas import BaseSchema

from threadpact import checks
from threadpact.checks.context import Principal, RunState, bound
from threadpact.checks.exchange import Exchange
from threadpact.checks.spec import idempotency_parameter
from threadpact.errors import UsageError
from threadpact.gate.activity import doing
from threadpact.gate.report import Finding, Status, StepResult, write_reports
from threadpact.names import AUTHORIZATION
from threadpact.openapi import Spec, load_spec
from threadpact.project import default_spec

# The budget the gate uses; `threadpact fuzz` options override each. Measured on 2 shared
# cores against the reference provider: 20-28 s on SQLite, 21-40 s on PostgreSQL
# (tests/gate/test_fuzz_reference.py runs it).
DEFAULT_SEED = 1
"""A fixed seed: the gate asks the same questions every run; pass --seed to explore."""
DEFAULT_MAX_EXAMPLES = 50
"""Generated cases per operation in the fuzzing phase (coverage and examples are fixed)."""
DEFAULT_WORKERS = 1
DEFAULT_MAX_TIME: float | None = None
"""No time budget: schemathesis fills a --max-time budget by repeating its phases."""
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SAMPLES_PER_RULE = 3
"""How many fresh creates per operation each contract rule examines."""
BURST_SIZE = 8
"""Concurrent requests with one key in the idempotency.concurrency rule."""
REQUEST_TIMEOUT = 10.0
PROBE_TIMEOUT = 5.0
MAX_TOKENS = 2

# positive_data_acceptance: answers a schema-valid request may rightly get. Schemathesis's
# default (2xx, 3xx, 401, 403, 404, 409, 429, 5xx) lists answers that depend on server
# state rather than on the request's shape; 412 (a stale If-Match) is one more of those.
# 5xx stays in the list because not_a_server_error reports it on its own.
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx")
# negative_data_rejection: answers that reject a schema-invalid request. Schemathesis's
# default plus 412: an If-Match the server cannot match (even an over-long one) is rightly
# a failed precondition, and a 412 changes nothing, so the invalid data was rejected.
NEGATIVE_STATUSES = (
    "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx",
)  # fmt: skip
OPAQUE_QUERY_PARAMETERS = ("cursor",)
"""Server-issued tokens: a well-formed value the server never issued is rightly a 400
(the spec's Cursor parameter says so), so operations taking one also accept 400."""


@dataclass(frozen=True)
class FuzzOptions:
    """What to fuzz and how hard; the defaults are the gate's budget."""

    base_url: str
    tokens: tuple[str, ...]
    spec: Path | None = None
    seed: int = DEFAULT_SEED
    max_examples: int = DEFAULT_MAX_EXAMPLES
    max_time: float | None = DEFAULT_MAX_TIME
    workers: int = DEFAULT_WORKERS
    phases: tuple[str, ...] = PHASES


def check_options(options: FuzzOptions) -> None:
    """Reject options schemathesis would choke on, with one line."""
    if not options.base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url: not an http(s) URL: {options.base_url!r}")
    if not 1 <= len(options.tokens) <= MAX_TOKENS:
        raise UsageError("give one or two --token values (principal A, then B)")
    for token in options.tokens:
        if not token or not token.isprintable() or any(c.isspace() for c in token):
            raise UsageError("--token must be a non-empty bearer token without spaces")
    if len(set(options.tokens)) != len(options.tokens):
        raise UsageError("the two --token values must name two different principals")
    unknown = set(options.phases) - set(PHASES)
    if unknown or not options.phases:
        raise UsageError(f"phases must be some of {', '.join(PHASES)}")


def check_links(spec: Spec, source: Path) -> None:
    """Every link names an operation the spec has (else schemathesis drops the stateful phase)."""
    for pointer, message in spec.link_errors():
        raise UsageError(f"{source}: {message} (at {pointer})")


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


def opaque_operations(spec: Spec) -> list[str]:
    """Operation IDs that take a server-issued query parameter (see OPAQUE_QUERY_PARAMETERS)."""
    return [
        op.operation_id or f"{op.method.upper()} {op.path}"
        for op in spec.operations
        if any(("query", name) in spec.parameters(op) for name in OPAQUE_QUERY_PARAMETERS)
    ]


def authorization(spec: Spec, token: str) -> dict[str, Any]:
    """Send A's token through the spec's bearer schemes, so schemathesis knows it is auth.

    As a plain header it would ride along on the cases that test a missing
    Authorization, and ``missing_required_header`` would blame the server for the 201.
    """
    schemes = spec.component("securitySchemes")
    bearer = {
        name: {"bearer": token}
        for name, scheme in schemes.items()
        if isinstance(scheme, dict)
        and scheme.get("type") == "http"
        and str(scheme.get("scheme", "")).lower() == "bearer"
    }
    if bearer:
        return {"auth": {"openapi": bearer}}
    return {"headers": {AUTHORIZATION: f"Bearer {token}"}}


def schemathesis_config(options: FuzzOptions, spec: Spec) -> dict[str, Any]:
    """The run's schemathesis configuration, in the shape of ``schemathesis.toml``."""
    statuses = {
        "positive_data_acceptance": {"expected-statuses": list(POSITIVE_STATUSES)},
        "negative_data_rejection": {"expected-statuses": list(NEGATIVE_STATUSES)},
    }
    config: dict[str, Any] = {
        "seed": options.seed,
        "cache": {"enabled": False},
        # Keys and tokens must show in curl lines; tokens are redacted to $TOKEN_A/B later.
        "output": {"sanitization": {"enabled": False}},
        "base-url": options.base_url,
        **authorization(spec, options.tokens[0]),
        "workers": options.workers,
        "request-timeout": REQUEST_TIMEOUT,
        "continue-on-failure": True,
        # No example database: a run must not replay what an earlier run stored.
        "generation": {"max-examples": options.max_examples, "mode": "all", "database": "none"},
        "phases": {phase: {"enabled": phase in options.phases} for phase in PHASES},
        "checks": statuses,
    }
    opaque = opaque_operations(spec)
    if opaque:
        with_400 = {"expected-statuses": [*POSITIVE_STATUSES, "400"]}
        config["operations"] = [
            {
                "include-operation-id": opaque,
                "checks": {"positive_data_acceptance": with_400},
            }
        ]
    if options.max_time is not None:
        config["max-time"] = max(1, math.ceil(options.max_time))
    return config


def redact(text: str, principals: Sequence[Principal]) -> str:
    """Replace bearer tokens with $TOKEN_A / $TOKEN_B (double-quoted in curl headers)."""
    for principal in principals:
        quoted = f"'{AUTHORIZATION}: Bearer {principal.token}'"
        text = text.replace(quoted, f'"{AUTHORIZATION}: Bearer {principal.variable}"')
        text = text.replace(principal.token, principal.variable)
    return text


class Collector:
    """Turns engine events into findings: one per (rule, operation)."""

    def __init__(self, principals: Sequence[Principal]) -> None:
        self.principals = principals
        self.findings: dict[tuple[str, str], Finding] = {}
        self.errors = 0
        self.requests = 0
        self.phases: dict[str, float] = {}
        self._started: dict[str, float] = {}

    def add(self, event: events.EngineEvent) -> None:
        """Take what one event says."""
        if isinstance(event, events.ScenarioStarted) and event.label:
            doing(f"fuzzing {event.label} ({event.phase.value} phase)")
        elif isinstance(event, events.PhaseStarted):
            self._started[event.phase.name.value] = event.timestamp
        elif isinstance(event, events.PhaseFinished) and event.phase.name.value in PHASES:
            name = event.phase.name.value
            spent = event.timestamp - self._started.get(name, event.timestamp)
            if event.phase.is_enabled:
                self.phases[name] = self.phases.get(name, 0.0) + spent
        elif isinstance(event, events.ScenarioFinished):
            self.requests += len(event.recorder.interactions)
            for case_id, nodes in event.recorder.checks.items():
                for node in nodes:
                    self._failure(node, event.recorder, case_id)
        elif isinstance(event, events.NonFatalError):
            where = event.label if event.related_to_operation else ""
            self._error(where, f"{event.info.title}: {event.info.message}", event.info)
        elif isinstance(event, events.FatalError):
            self._error("", f"schemathesis stopped: {event.exception}", None)
        elif isinstance(event, events.EngineFinished):
            for failure in event.failures:
                self.keep(Finding("schemathesis", failure.title, details=failure.message))

    def keep(self, finding: Finding) -> None:
        """Add a finding (the first per rule and operation), with the tokens redacted."""
        key = (finding.rule, finding.where)
        if key not in self.findings:
            self.findings[key] = Finding(
                rule=finding.rule,
                message=redact(finding.message, self.principals),
                where=finding.where,
                reproduce=redact(finding.reproduce, self.principals),
                details=redact(finding.details, self.principals),
            )

    def _error(self, where: str, message: str, info: Any) -> None:
        self.errors += 1
        code = getattr(info, "code_sample", None) or ""
        self.keep(Finding(rule="fuzz.error", message=message, where=where, reproduce=code))

    def _failure(self, node: CheckNode, recorder: ScenarioRecorder, case_id: str) -> None:
        info = node.failure_info
        if node.status == EngineStatus.ERROR:
            self._error(recorder.label, f"the check {node.name} crashed", None)
        if info is None:
            return
        failure = info.failure
        where = failure.operation or recorder.label
        if isinstance(failure, checks.ContractViolation):
            self.keep(
                Finding(
                    rule=failure.rule,
                    message=failure.summary,
                    where=where,
                    reproduce=failure.reproduce,
                    details=failure.evidence,
                )
            )
            return
        first_line = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
        message = f"{failure.title}: {first_line}" if first_line else failure.title
        details = failure.message.strip()
        interaction = recorder.interactions.get(case_id)
        case = recorder.cases.get(case_id)
        if interaction is not None and interaction.response is not None and case is not None:
            shown = Exchange("the failing request", case.value, interaction.response).describe()
            details = f"{details}\n\n{shown}".strip()
        reproduce = info.code_sample
        self.keep(Finding(node.name, message, where, reproduce=reproduce, details=details))


def exercised(state: RunState, schema: BaseSchema) -> list[Finding]:
    """A finding if no contract rule ever ran although the spec has keyed creates."""
    keyed = [
        result.ok().label
        for result in schema.get_all_operations()
        if isinstance(result, Ok) and idempotency_parameter(result.ok()) is not None
    ]
    if not keyed or state.examined.total():
        return []
    return [
        Finding(
            rule="contract.not-exercised",
            message=(
                f"no fresh request to {', '.join(keyed)} succeeded, so the idempotency, "
                "ID and access rules never ran"
            ),
        )
    ]


def summary(options: FuzzOptions, collector: Collector, state: RunState, seconds: float) -> str:
    """One paragraph: budget, what ran, what was skipped."""
    examined = ", ".join(f"{rule} x{state.examined[rule]}" for rule in checks.CONTRACT_RULES)
    phases = ", ".join(f"{name} {spent:.1f} s" for name, spent in collector.phases.items())
    text = (
        f"{collector.requests} generated requests in {seconds:.1f} s against {options.base_url} "
        f"(seed {options.seed}, {options.max_examples} examples per operation, "
        f"{options.workers} worker(s); phases: {phases or 'none ran'}); "
        f"{len(collector.findings)} finding(s). Contract rules examined: {examined}."
    )
    if state.notes:
        text += " Notes: " + "; ".join(state.notes) + "."
    return text


def load_schema(options: FuzzOptions) -> tuple[Spec, BaseSchema]:
    """The spec and the schemathesis schema configured for this run."""
    source = options.spec or default_spec()
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
    collector = Collector(state.principals)
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
