"""Turning schemathesis's events into findings, and the run's one-paragraph summary."""

from collections.abc import Sequence
from typing import Any

from schemathesis.core.result import Ok
from schemathesis.engine import Status as EngineStatus
from schemathesis.engine import events
from schemathesis.engine.recorder import CheckNode, ScenarioRecorder
from schemathesis.schemas import BaseSchema

from threadpact import checks
from threadpact.checks.context import Principal, RunState
from threadpact.checks.exchange import Exchange
from threadpact.checks.spec import idempotency_parameter
from threadpact.gate.activity import doing
from threadpact.gate.fuzz.options import PHASES, FuzzOptions
from threadpact.gate.report import Finding
from threadpact.names import AUTHORIZATION


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
