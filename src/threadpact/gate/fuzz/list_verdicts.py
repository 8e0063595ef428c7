"""Verdicts of the list rules (order, paging, page size, cursors) and of UTC timestamps.

The pages a script reads are judged as the rule judged the run's: the items they hold,
their order, whether they name a next page. What the spec declares (the order, the
default page size, the status of a made-up cursor) comes with :class:`Declared`.
"""

import re

from threadpact.gate.fuzz.expect import Expectation, Run, listing, status_in, utc_at
from threadpact.gate.fuzz.steps import leaves

PAGED = "list it page by page"
UNSIZED = "list it without a page size"
NOT_UTC = re.compile(r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?[+-](?!00:00)\d{2}:\d{2}")
INDEX = re.compile(r"(?<=/)\d+(?=/|$)")


def order(run: Run) -> list[Expectation]:
    """The rule's resources, made one after the other, are listed in the declared order."""
    pages = run.numbered("list them (page")
    made = [run.first + 1, *run.numbered("resource ")]
    if not pages or run.declared.order is None:
        return []
    pointer = run.step(made[0]).id_pointer
    return [listing("in_order", pages, made, pointer, order=run.declared.order)]


def exactly_once(run: Run) -> list[Expectation]:
    """Following the pages shows every item once, each resource the script made among them."""
    pages = run.numbered(PAGED)
    if not pages:
        return []
    pointer = run.steps[run.first].id_pointer
    return [listing("exactly_once", pages, run.creates_into(pages[0]), pointer)]


def default_limit(run: Run) -> list[Expectation]:
    """Without a page size, the first page holds the default and names a next page."""
    pages = run.numbered(UNSIZED)
    size = run.declared.page_default
    if not pages or size is None:
        return []
    return [listing("page_size", pages, [], run.steps[run.first].id_pointer, size=size)]


def foreign_cursor(run: Run) -> list[Expectation]:
    """A cursor the server never made answers the status the spec gives for it."""
    status = run.declared.cursor_status
    return [status_in(len(run.steps), [status])] if status is not None else []


def utc(run: Run) -> list[Expectation]:
    """The date-times that carried another offset in the run carry a UTC one."""
    answer = run.steps[-1]
    pointers = sorted(
        {
            INDEX.sub("*", pointer)
            for pointer, value in leaves(answer.answer_json())
            if NOT_UTC.fullmatch(value)
        }
    )
    return [utc_at(len(run.steps), pointers)] if pointers else []
