"""Filling a fresh server's list to the run's size, so its pages split as the run's did.

The paging rules read a collection that held, in the run, whatever earlier test cases
had made too. A fresh server holds only what the script makes, so before the first
page the script makes more of the same resource, each with a fresh key: as many as
the run's pages listed (``pagination.exactly-once``), or one more than the default
page size (``pagination.default-limit``).
"""

import uuid
from dataclasses import replace

from threadpact.checks.context import KEY_PREFIX
from threadpact.checks.failures import DEFAULT_PAGE_SIZE, EXACTLY_ONCE
from threadpact.gate.fuzz.expect import Declared, Run
from threadpact.gate.fuzz.list_verdicts import PAGED, UNSIZED
from threadpact.gate.fuzz.rule_verdicts import page_ids
from threadpact.gate.fuzz.steps import Step
from threadpact.names import IDEMPOTENCY_KEY

PURPOSE = "setup: another resource, so the list holds as many as in the run"


def fresh_key(key: str) -> str:
    """A new key of the same shape as ``key`` (prefixed, UUID or hex)."""
    made = uuid.uuid4()
    if key.startswith(KEY_PREFIX):
        return f"{KEY_PREFIX}{made}"
    return str(made) if "-" in key else made.hex


def copy_of(create: Step) -> Step:
    """The create again under a fresh key."""
    headers = tuple(
        (name, fresh_key(value) if name.lower() == IDEMPOTENCY_KEY.lower() else value)
        for name, value in create.headers
    )
    return replace(create, purpose=PURPOSE, headers=headers)


def wanted(rule: str, run: Run) -> int:
    """How many items the list should hold before its first page is read."""
    if rule == EXACTLY_ONCE:
        pointer = run.steps[run.first].id_pointer
        pages = run.numbered(PAGED)
        return len({str(i) for page in pages for i in page_ids(run.step(page), pointer)})
    size = run.declared.page_default
    return size + 1 if rule == DEFAULT_PAGE_SIZE and size is not None else 0


def pad(rule: str, steps: list[Step], first: int, declared: Declared) -> list[Step]:
    """``steps`` with the creates a fresh server needs to fill the list, before its first page."""
    run = Run(steps, first, declared=declared)
    pages = run.numbered({EXACTLY_ONCE: PAGED, DEFAULT_PAGE_SIZE: UNSIZED}.get(rule, "\0"))
    if not pages:
        return steps
    creates = run.creates_into(pages[0])
    missing = wanted(rule, run) - len(creates)
    if not creates or missing <= 0 or steps[creates[-1] - 1].header(IDEMPOTENCY_KEY) is None:
        return steps
    more = [copy_of(steps[creates[-1] - 1]) for _ in range(missing)]
    return [*steps[: pages[0] - 1], *more, *steps[pages[0] - 1 :]]
