"""The starting point of every rule: a create the engine just made with a fresh key."""

from dataclasses import dataclass
from typing import Any

from requests.structures import CaseInsensitiveDict
from schemathesis import GenerationMode

from threadpact.checks.context import RunState, state_for
from threadpact.checks.exchange import KEEP, Exchange, build, send
from threadpact.checks.links import id_pointer
from threadpact.checks.spec import idempotency_parameter
from threadpact.checks.types import AnyCase, Response
from threadpact.names import AUTHORIZATION


@dataclass(frozen=True)
class KeyedCreate:
    """A 2xx answer to a request with a key this run issued, sent as principal A."""

    state: RunState
    first: Exchange
    key_header: str
    key_schema: Any
    id_pointer: str

    @property
    def case(self) -> AnyCase:
        """The request that created the resource."""
        return self.first.case

    @property
    def label(self) -> str:
        """The operation, e.g. ``POST /threads``."""
        return self.case.operation.label

    @property
    def resource_id(self) -> Any:
        """The created resource's ID, read where the spec's links read it."""
        return self.first.value(self.id_pointer)

    def fresh_key(self) -> str | None:
        """A new key the spec accepts."""
        return self.state.issue_key(self.key_schema.is_valid)

    def again(self, *, key: str | None = KEEP, body: Any = KEEP, as_other: bool = False) -> AnyCase:
        """The create request again, with another key (None drops it), body or principal."""
        headers = {} if key is KEEP else {self.key_header: key}
        principal = self.state.other if as_other else None
        return build(self.case, headers=headers, body=body, principal=principal)

    def another(self, purpose: str, *, body: Any = KEEP, as_other: bool = False) -> Exchange | None:
        """A new resource made the same way under a fresh key (None if the spec refuses keys)."""
        key = self.fresh_key()
        if key is None:
            return None
        return send(purpose, self.again(key=key, body=body, as_other=as_other))

    def disturbed(self) -> bool:
        """Whether the resource the create hangs under is gone, so a failure would be noise.

        With several workers, another request may delete the parent (a thread, for a
        message) while a rule is still probing; then its 404s say nothing about the rule.
        """
        parent = parent_case(self.case)
        if parent is None or send("principal A reads the parent", parent).status != 404:
            return False
        self.state.note(f"{self.label}: the parent vanished during a check; that sample is dropped")
        return True


def parent_case(case: AnyCase) -> AnyCase | None:
    """A GET of what the create's path hangs under (``/threads/{thread_id}`` for messages)."""
    segments = case.operation.path.rstrip("/").split("/")
    for end in range(len(segments) - 1, 1, -1):
        if not segments[end - 1].startswith("{"):
            continue
        prefix = "/".join(segments[:end])
        operation = case.operation.schema.find_operation_by_label(f"GET {prefix}")
        if operation is not None:
            names = {parameter.name for parameter in operation.path_parameters}
            values = {k: v for k, v in case.path_parameters.items() if k in names}
            return build(case, operation=operation, path_parameters=values)
    return None


def _is_positive(case: AnyCase) -> bool:
    meta = case.meta
    return meta is None or meta.generation.mode == GenerationMode.POSITIVE


def created(
    case: AnyCase, response: Response, rule: str, samples: int | None = None
) -> KeyedCreate | None:
    """The create to check ``rule`` on; None if not a fresh create or the samples are used up.

    ``samples`` caps how many creates per operation a costly rule examines.
    """
    state = state_for(case)
    parameter = idempotency_parameter(case.operation)
    if state is None or parameter is None or not 200 <= response.status_code < 300:
        return None
    headers = case.headers or CaseInsensitiveDict()
    key = headers.get(parameter.name)
    as_owner = headers.get(AUTHORIZATION) == state.owner.authorization
    if not (state.is_issued(key) and as_owner and _is_positive(case)):
        return None
    if not state.claim(rule, case.operation.label, samples):
        return None
    return KeyedCreate(
        state=state,
        first=Exchange("the create", case, response),
        key_header=str(parameter.name),
        key_schema=parameter,
        id_pointer=id_pointer(case.operation, response.status_code),
    )
