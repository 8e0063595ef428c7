"""Where the server-made values a request uses came from, across the whole run.

Schemathesis reuses what earlier answers made (a thread's ID) in later test cases,
also outside a stateful chain. A reproduction from a fresh server must make those
values again, so it starts with the requests that first made them.
"""

from collections.abc import Sequence
from dataclasses import replace
from urllib.parse import urlsplit

from schemathesis.engine.recorder import ScenarioRecorder

from threadpact.gate.fuzz.steps import MIN_MADE, Step, from_response
from threadpact.pointers import value_at

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
"""A read shows what exists; only writes count as making a value."""
MAX_DEPTH = 4
"""How many generations of producers a reproduction may need (a message needs a thread)."""
MAX_SHOWN = 3
"""How many producers of what an answer shows a reproduction makes again (a list's items)."""


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

    def complete(self, steps: Sequence[Step], *, shown: bool = False) -> list[Step]:
        """``steps`` preceded by the earlier requests that made the values they use.

        With ``shown``, also (up to :data:`MAX_SHOWN`) the requests that made what the
        last answer shows: the items of a list, so a fresh server lists some too.
        """
        steps = self.rebind(steps)
        needed: dict[int, Step] = {}
        if shown and steps and steps[-1].method.upper() in SAFE_METHODS:
            for _kind, _where, value in steps[-1].made():
                if len(needed) < MAX_SHOWN and value in self._made:
                    order, step = self._made[value]
                    needed[order] = step
        current = [*steps, *needed.values()]
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

    def rebind(self, steps: Sequence[Step]) -> list[Step]:
        """``steps`` with each path value no recorded write made replaced by a recorded one.

        A check's own requests make resources the engine's later cases may use (a thread
        for a message); they are not recorded, so a value that a 2xx answer shows existed
        is replaced by the ID the latest recorded create in its collection made.
        """
        found = list(steps)
        made = {value for step in steps for _kind, _where, value in step.made()}
        for segment in dict.fromkeys(s for step in steps for s in _segments(step.url)):
            if segment in self._made or segment in made:
                continue
            user = next((step for step in steps if segment in _segments(step.url)), None)
            if user is None or not user.ok:
                continue  # a made-up ID the run's server did not know either
            new = self._latest_in(urlsplit(user.url).path.split(f"/{segment}")[0])
            if new:
                found = [_swap(step, segment, new) for step in found]
        return found

    def _latest_in(self, collection: str) -> str | None:
        """The ID the latest recorded 2xx POST to ``collection`` made."""
        made = sorted(dict(self._made.values()).items(), key=lambda pair: pair[0])
        for _order, step in reversed(made):
            if step.method.upper() == "POST" and urlsplit(step.url).path == collection:
                value = value_at(step.answer_json(), step.id_pointer)
                return value if isinstance(value, str) else None
        return None


def _segments(url: str) -> list[str]:
    return [s for s in urlsplit(url).path.split("/") if len(s) >= MIN_MADE]


def _swap(step: Step, old: str, new: str) -> Step:
    """``step`` with ``old`` replaced by ``new`` wherever it was sent or answered."""
    return replace(
        step,
        url=step.url.replace(old, new),
        body=step.body.replace(old.encode(), new.encode()) if step.body else step.body,
        answer_body=step.answer_body.replace(old.encode(), new.encode()),
    )
