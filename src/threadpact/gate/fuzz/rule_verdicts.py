"""Verdicts of the rules on one resource and its principal: scope, ETags, writes, deletion.

Each reads the steps the rule recorded by their purposes (the words the rule gave each
request) and expects of the fresh server's answers what the rule expects of the run's.
"""

import json
from typing import Any

from threadpact.gate.fuzz.expect import (
    Expectation,
    Run,
    fields_kept,
    header_as,
    header_new,
    is_2xx,
    listing,
    path_of,
    same_json,
    status_in,
)
from threadpact.gate.fuzz.steps import Step
from threadpact.names import AUTHORIZATION, ETAG
from threadpact.pointers import value_at

OWN = "a resource of the rule's own"
READ_BACK = "read it back"
WRITES = frozenset({"POST", "PUT", "PATCH"})


def page_ids(step: Step, pointer: str) -> list[Any]:
    """The IDs on a recorded page: the array itself, or the object's first array."""
    body = step.answer_json() if step.status == 200 else None
    if isinstance(body, dict):
        body = next((value for value in body.values() if isinstance(value, list)), [])
    return [value_at(item, pointer) for item in body] if isinstance(body, list) else []


def collection_scope(run: Run) -> list[Expectation]:
    """No page lists another principal's resource; A's pages list A's new one."""
    pointer = run.steps[run.first].id_pointer
    found: list[Expectation] = []
    for prefix in ("principal A lists", "principal B lists"):
        pages = run.numbered(prefix)
        if not pages:
            continue
        mine = run.step(pages[0]).header(AUTHORIZATION)
        others = [
            n
            for n in run.numbered("")
            if n < pages[0]
            and run.step(n).method == "POST"
            and run.step(n).ok
            and path_of(run.step(n).url) == path_of(run.step(pages[0]).url)
            and run.step(n).header(AUTHORIZATION) != mine
        ]
        found += [listing("not_listed", pages, others, pointer)] if others else []
        create = run.steps[run.first]
        made = value_at(create.answer_json(), pointer)
        shown = any(made in page_ids(run.step(p), pointer) for p in pages)
        if create.header(AUTHORIZATION) == mine and not shown:
            found.append(listing("listed", pages, [run.first + 1], pointer))
    return found


def conditional_update(run: Run) -> list[Expectation]:
    """A change gives a new ETag that reads give; a stale one answers 412 and changes nothing."""
    step = {
        name: next(iter(run.numbered(purpose)), 0)
        for name, purpose in (
            ("own", OWN),
            ("read", "read the current ETag"),
            ("change", "change it with the current ETag"),
            ("after", "read it after the change"),
            ("stale", "change it with the stale ETag"),
            ("still", "read it after the stale change"),
            ("again", "change it again with the current ETag"),
            ("star", "change it with If-Match: *"),
        )
    }
    found: list[Expectation] = []
    read, change, after = step["read"], step["change"], step["after"]
    if read:
        found += [status_in(read, [200]), header_new(read, ETAG, [])]
        if step["own"] and run.step(step["own"]).answer_headers.get(ETAG.lower()):
            found.append(header_as(read, ETAG, step["own"]))
    if change:
        found += [is_2xx(change), header_new(change, ETAG, [read] if read else [])]
    if after and change:
        found.append(header_as(after, ETAG, change))
    if step["stale"]:
        found.append(status_in(step["stale"], [412]))
    if step["still"] and after:
        found += [same_json(step["still"], after), header_as(step["still"], ETAG, after)]
    old = [n for n in (read, change) if n]
    for name in ("again", "star"):
        if step[name]:
            found += [is_2xx(step[name]), header_new(step[name], ETAG, old)]
            old.append(step[name])
    return found


def deletion(run: Run) -> list[Expectation]:
    """The delete succeeds; then every link answers 404 and no page lists the resource."""
    own = next(iter(run.numbered(OWN)), 0)
    found = [is_2xx(n) for n in run.numbered("delete it")]
    found += [status_in(n, [404]) for n in run.numbered("after the delete: ")]
    pages = run.numbered("list after it")
    if own and pages:
        found.append(listing("not_listed", pages, [own], run.step(own).id_pointer))
    return found


def write_fidelity(run: Run) -> list[Expectation]:
    """Every write is accepted; it and the read after it keep each field as sent."""
    found: list[Expectation] = []
    create = run.steps[run.first]
    for number in range(run.first + 1, len(run.steps) + 1):
        write = run.step(number)
        if write.method not in WRITES:
            continue
        made = {v for earlier in run.steps[: number - 1] for _k, _w, v in earlier.made()}
        try:
            sent = json.loads(write.body or b"null")
        except ValueError:
            sent = None
        if not isinstance(sent, dict):
            found.append(is_2xx(number))
            continue
        values = {k: v for k, v in sent.items() if not any(m in str(v) for m in made)}
        if write.method == "POST" and path_of(write.url) == path_of(create.url):
            values |= {k: v for k, v in run.declared.defaults.items() if k not in sent}
        found += [is_2xx(number), fields_kept(number, values)]
        reads = [n for n in run.numbered(READ_BACK) if n == number + 1]
        found += [fields_kept(n, values) for n in reads]
    return found
