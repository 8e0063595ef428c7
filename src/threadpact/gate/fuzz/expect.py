"""The expectations a reproduction script judges, and what a rule's verdict is made from.

An expectation is plain data (a dict) that the script's closing Python lines
(:mod:`threadpact.gate.fuzz.replay_verdict`) evaluate against the answers the fresh
server gave. Steps are numbered from 1, as in the script.
"""

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from threadpact.gate.fuzz.steps import Step
from threadpact.names import AUTHORIZATION

Expectation = dict[str, Any]
"""``{"kind": ..., "step": n, ...}``; see :mod:`threadpact.gate.fuzz.replay_verdict`."""


@dataclass(frozen=True)
class Declared:
    """What the spec declares about the rule's collection and body, as the rule read it."""

    order: str | None = None
    """``newest`` or ``oldest``: the creation order the list declares."""
    page_default: int | None = None
    """The page-size parameter's ``default``."""
    cursor_status: int | None = None
    """The 4xx a next-page value the server never made answers."""
    defaults: dict[str, Any] = field(default_factory=dict)
    """The create body's properties with a ``default``."""


@dataclass(frozen=True)
class Run:
    """A finding's steps as the run sent and saw them, and where the rule's own begin."""

    steps: list[Step]
    first: int
    principal_b: str = ""
    declared: Declared = field(default_factory=Declared)

    def numbered(self, *prefixes: str) -> list[int]:
        """The numbers of the steps whose purpose starts with one of ``prefixes``."""
        return [
            n for n, step in enumerate(self.steps, start=1) if step.purpose.startswith(prefixes)
        ]

    def step(self, number: int) -> Step:
        """Step ``number`` (from 1)."""
        return self.steps[number - 1]

    def creates_into(self, page: int) -> list[int]:
        """The 2xx POSTs before step ``page`` to its path, as its principal: its items."""
        listed = self.step(page)
        return [
            n
            for n, step in enumerate(self.steps[: page - 1], start=1)
            if step.method == "POST"
            and step.ok
            and path_of(step.url) == path_of(listed.url)
            and step.header(AUTHORIZATION) == listed.header(AUTHORIZATION)
        ]


def path_of(url: str) -> str:
    """A URL's path, without a trailing slash."""
    return urlsplit(url).path.rstrip("/")


def status_in(step: int, statuses: Sequence[int]) -> Expectation:
    """The answer's status is one of ``statuses``."""
    return {"kind": "status_in", "step": step, "statuses": list(statuses)}


def status_not_in(step: int, statuses: Sequence[int]) -> Expectation:
    """The answer's status is none of ``statuses``."""
    return {"kind": "status_not_in", "step": step, "statuses": list(statuses)}


def below(step: int, limit: int) -> Expectation:
    """The answer's status is below ``limit``."""
    return {"kind": "below", "step": step, "limit": limit}


def is_2xx(step: int) -> Expectation:
    """The request was accepted."""
    return {"kind": "is_2xx", "step": step}


def not_2xx(step: int) -> Expectation:
    """The request was rejected."""
    return {"kind": "not_2xx", "step": step}


def same_answer(step: int, other: int) -> Expectation:
    """The same status and byte-for-byte the same body as another answer."""
    return {"kind": "same_answer", "step": step, "as": other}


def not_same_answer(step: int, other: int) -> Expectation:
    """Not a 2xx with byte-for-byte another answer's body."""
    return {"kind": "not_same_answer", "step": step, "as": other}


def same_json(step: int, other: int) -> Expectation:
    """An answer's JSON body equals another's."""
    return {"kind": "same_json", "step": step, "as": other}


def header_is(step: int, name: str, value: str) -> Expectation:
    """An answer header has a value."""
    return {"kind": "header_is", "step": step, "name": name, "value": value}


def header_absent(step: int, name: str) -> Expectation:
    """An answer header is absent."""
    return {"kind": "header_absent", "step": step, "name": name}


def header_as(step: int, name: str, other: int) -> Expectation:
    """An answer header is present and has the value another answer's has."""
    return {"kind": "header_as", "step": step, "name": name, "as": other}


def header_new(step: int, name: str, others: Sequence[int]) -> Expectation:
    """An answer header is present and none of the other answers has its value."""
    return {"kind": "header_new", "step": step, "name": name, "others": list(others)}


def location_names_id(step: int, pointer: str) -> Expectation:
    """The answer's Location ends with the ID in its body."""
    return {"kind": "location_names_id", "step": step, "pointer": pointer}


def one_resource(steps: Sequence[int], pointer: str) -> Expectation:
    """The 2xx answers name one resource, and none is a 5xx."""
    return {"kind": "one_resource", "steps": list(steps), "pointer": pointer}


def as_in_run(steps: Sequence[int], statuses: Sequence[int]) -> Expectation:
    """Not every answer has the status the run saw (else the run's failure recurs)."""
    return {"kind": "as_in_run", "steps": list(steps), "statuses": list(statuses)}


def fields_kept(step: int, values: dict[str, Any]) -> Expectation:
    """Each of these fields the 2xx answer's JSON object has, it has with exactly this value."""
    return {"kind": "fields_kept", "step": step, "values": values}


def listing(
    kind: str, pages: Sequence[int], made: Sequence[int], pointer: str, **more: Any
) -> Expectation:
    """An expectation on the items of ``pages`` and the resources answers ``made`` made.

    ``pointer`` is where both an item and a create's answer hold the ID. Kinds:
    ``not_listed`` (no page lists any of them), ``listed`` (some page lists each),
    ``in_order`` (``order``: ``newest`` or ``oldest``, by creation), ``exactly_once``
    (following the pages, each item shows once and each made one shows),
    ``page_size`` (the first page holds ``size`` items and names a next page, the
    second no more than ``size``).
    """
    return {"kind": kind, "pages": list(pages), "made": list(made), "pointer": pointer, **more}


def utc_at(step: int, pointers: Sequence[str]) -> Expectation:
    """Every date-time at these pointers (``*`` for any array index) has a UTC offset."""
    return {"kind": "utc_at", "step": step, "pointers": list(pointers)}
