"""Where the server-made values a request uses came from, across the whole run.

Schemathesis reuses what earlier answers made (a thread's ID) in later test cases,
also outside a stateful chain. A reproduction from a fresh server must make those
values again, so it starts with the requests that first made them.
"""

from collections.abc import Sequence

from schemathesis.engine.recorder import ScenarioRecorder

from threadpact.gate.fuzz.steps import Step, from_response

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""A read shows what exists; only writes count as making a value."""
MAX_DEPTH = 4
"""How many generations of producers a reproduction may need (a message needs a thread)."""


class Origins:
    """The first 2xx answer that made each server-made value, in the order of the run."""

    def __init__(self) -> None:
        self._made: dict[str, tuple[int, Step]] = {}
        self._count = 0

    def add(self, recorder: ScenarioRecorder) -> None:
        """Remember what a finished scenario's 2xx answers made."""
        for case_id, interaction in recorder.interactions.items():
            response = interaction.response
            node = recorder.cases.get(case_id)
            if response is None or node is None or not 200 <= response.status_code < 300:
                continue
            if node.value.method.upper() in SAFE_METHODS:
                continue
            step = from_response("setup: make what a later request uses", response, node.value)
            self._count += 1
            for _kind, _where, value in step.made():
                self._made.setdefault(value, (self._count, step))

    def complete(self, steps: Sequence[Step]) -> list[Step]:
        """``steps`` preceded by the earlier requests that made the values they use."""
        needed: dict[int, Step] = {}
        current = list(steps)
        for _ in range(MAX_DEPTH):
            made = {
                value for step in [*steps, *needed.values()] for _kind, _where, value in step.made()
            }
            found = [
                self._made[value]
                for step in current
                for value in step.used()
                if value in self._made and value not in made
            ]
            fresh = {order: step for order, step in found if order not in needed}
            if not fresh:
                break
            needed.update(fresh)
            current = [*fresh.values()]
        return [needed[order] for order in sorted(needed)] + list(steps)
