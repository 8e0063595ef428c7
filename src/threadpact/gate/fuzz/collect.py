"""Turning schemathesis's events into findings, and the run's one-paragraph summary.

Every failed check becomes a :class:`~threadpact.gate.fuzz.grouping.Trip`; the
findings are the trips grouped by root cause (:mod:`threadpact.gate.fuzz.grouping`),
each with the spec statement it enforces (:mod:`threadpact.gate.fuzz.statements`),
a reproduction script (:mod:`threadpact.gate.fuzz.script`) and its tokens redacted
(:mod:`threadpact.gate.fuzz.redaction`).
"""

from collections.abc import Sequence
from dataclasses import replace
from functools import partial
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
from threadpact.gate.fuzz.declared import declared
from threadpact.gate.fuzz.fill import pad
from threadpact.gate.fuzz.grouping import Trip, group
from threadpact.gate.fuzz.options import BURST_SIZE, PHASES, FuzzOptions
from threadpact.gate.fuzz.origins import Origins
from threadpact.gate.fuzz.redaction import redact
from threadpact.gate.fuzz.script import render
from threadpact.gate.fuzz.statements import RULE_STATEMENTS, statement_for
from threadpact.gate.fuzz.steps import Step, chain, from_exchanges, parallel
from threadpact.gate.fuzz.verdicts import expectations
from threadpact.gate.report import Finding
from threadpact.openapi import Spec

__all__ = ["Collector", "exercised", "redact", "summary"]


def recorded_exchanges(failure: checks.ContractViolation) -> tuple[Exchange, ...]:
    """The exchanges a contract check kept with its reproduction (else its evidence)."""
    for text in (failure.reproduce, failure.evidence):
        found: tuple[Exchange, ...] = getattr(text, "exchanges", ())
        if found:
            return found
    return ()


def is_keyless(recorder: ScenarioRecorder, case_id: str) -> bool:
    """Whether the request lacked a valid Idempotency-Key and was answered 2xx."""
    node, interaction = recorder.cases.get(case_id), recorder.interactions.get(case_id)
    if node is None or interaction is None or interaction.response is None:
        return False
    parameter = idempotency_parameter(node.value.operation)
    if parameter is None or not 200 <= interaction.response.status_code < 300:
        return False
    headers = node.value.headers
    key = headers.get(parameter.name) if headers is not None else None
    return key is None or not parameter.is_valid(str(key))


class Collector:
    """Turns engine events into findings: one per (root-cause rule, operation)."""

    def __init__(
        self,
        principals: Sequence[Principal],
        *,
        base_url: str = "",
        spec: Spec | None = None,
        burst: int = BURST_SIZE,
    ) -> None:
        self.principals = principals
        self.base_url = base_url
        self.spec = spec
        self.burst = burst
        self.trips: list[Trip] = []
        self.origins = Origins()
        self.errors = 0
        self.requests = 0
        self.phases: dict[str, float] = {}
        self._started: dict[str, float] = {}
        self._others: dict[tuple[str, str], Finding] = {}
        self._grouped: dict[tuple[str, str], Finding] | None = None

    @property
    def findings(self) -> dict[tuple[str, str], Finding]:
        """The findings so far, by (rule, operation), with the tokens redacted."""
        if self._grouped is None:
            found: dict[tuple[str, str], Finding] = {}
            for finding in [*group(self.trips), *self._others.values()]:
                found.setdefault((finding.rule, finding.where), self._redacted(finding))
            self._grouped = found
        return self._grouped

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
            self.origins.add(event.recorder)
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
        """Add a finding outside the grouping (the first per rule and operation)."""
        self._others.setdefault((finding.rule, finding.where), finding)
        self._grouped = None

    def _redacted(self, finding: Finding) -> Finding:
        return replace(
            finding,
            message=redact(finding.message, self.principals),
            reproduce=redact(finding.reproduce, self.principals),
            details=redact(finding.details, self.principals),
            script=redact(finding.script, self.principals),
        )

    def _error(self, where: str, message: str, info: Any) -> None:
        self.errors += 1
        code = getattr(info, "code_sample", None) or ""
        self.keep(Finding(rule="fuzz.error", message=message, where=where, reproduce=code))

    def _statement(self, rule: str, where: str, status: int | None, message: str) -> str:
        if self.spec is None:
            return RULE_STATEMENTS.get(rule, "")
        return statement_for(self.spec, rule, where, status, message)

    def _script(
        self, rule: str, where: str, statement: str, steps: list[Step], first: int, case: Any
    ) -> str:
        other = self.principals[1].authorization if len(self.principals) > 1 else ""
        setup = self.origins.complete(steps, shown=rule == checks.failures.UTC_TIMES)
        first += len(setup) - len(steps)
        spec = declared(case) if rule in checks.CONTRACT_RULES else None
        steps = pad(rule, setup, first, spec) if spec is not None else setup
        return render(
            title=f"{rule} on {where}",
            statement=statement,
            steps=steps,
            expectations=expectations(rule, steps, first, other, spec),
            base_url=self.base_url,
            principals=self.principals,
        )

    def _trip(
        self,
        finding: Finding,
        case_id: str,
        *,
        contract: bool,
        keyless: bool = False,
        steps: list[Step],
        first: int,
        case: Any = None,
    ) -> None:
        script = (
            partial(
                self._script, finding.rule, finding.where, finding.statement, steps, first, case
            )
            if steps and self.base_url
            else None
        )
        trip = Trip(finding.rule, finding.where, case_id, contract, finding, keyless, script)
        self.trips.append(trip)
        self._grouped = None

    def _failure(self, node: CheckNode, recorder: ScenarioRecorder, case_id: str) -> None:
        info = node.failure_info
        if node.status == EngineStatus.ERROR:
            self._error(recorder.label, f"the check {node.name} crashed", None)
        if info is None:
            return
        failure = info.failure
        where = failure.operation or recorder.label
        interaction = recorder.interactions.get(case_id)
        response = interaction.response if interaction is not None else None
        status = response.status_code if response is not None else None
        if isinstance(failure, checks.ContractViolation):
            setup = chain(recorder, case_id)
            mine = from_exchanges(recorded_exchanges(failure))
            if failure.rule == checks.failures.CONCURRENCY:
                mine = parallel(mine, self.burst)
            finding = Finding(
                rule=failure.rule,
                message=failure.summary,
                where=where,
                reproduce=failure.reproduce,
                details=failure.evidence,
                statement=self._statement(failure.rule, where, status, failure.summary),
            )
            origin = recorder.cases.get(case_id)
            self._trip(
                finding,
                case_id,
                contract=True,
                steps=setup + mine,
                first=len(setup),
                case=origin.value if origin is not None else None,
            )
            return
        first_line = failure.message.strip().splitlines()[0] if failure.message.strip() else ""
        message = f"{failure.title}: {first_line}" if first_line else failure.title
        details = failure.message.strip()
        case = recorder.cases.get(case_id)
        if response is not None and case is not None:
            shown = Exchange("the failing request", case.value, response).describe()
            details = f"{details}\n\n{shown}".strip()
        finding = Finding(
            node.name,
            message,
            where,
            reproduce=info.code_sample,
            details=details,
            statement=self._statement(node.name, where, status, failure.message),
        )
        steps = chain(recorder, case_id, including=True)
        keyless = is_keyless(recorder, case_id)
        self._trip(
            finding, case_id, contract=False, keyless=keyless, steps=steps, first=len(steps) - 1
        )


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
