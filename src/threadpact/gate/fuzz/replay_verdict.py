"""The verdict at the end of a reproduction script: did the fresh server break the rule?

This module is standalone on purpose (the standard library only): its source is
copied into every reproduction script and run there as ``python3 - WORK EXPECTED``.
``WORK`` holds each answer as ``N.status``, ``N.headers`` and ``N.body``;
``EXPECTED`` is the JSON list of expectations of :mod:`threadpact.gate.fuzz.verdicts`.
It prints one line per expectation and exits 1 if any failed (the bug reproduces),
else 0.
"""

import itertools
import json
import re
import sys
from pathlib import Path
from typing import Any

Judged = tuple[bool, str, object]
"""Whether the expectation held, what was expected, what the server answered."""
DATE_TIME = re.compile(
    r"\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?(?P<offset>[Zz]|[+-]\d{2}:\d{2})"
)
UTC_OFFSETS = ("Z", "z", "+00:00", "-00:00")


class Answers:
    """The answers a script collected in its work folder."""

    def __init__(self, work: Path) -> None:
        self.work = work

    def status(self, n: int) -> int:
        """Answer ``n``'s status code (0 if none came)."""
        text = (self.work / f"{n}.status").read_text().strip()
        return int(text) if text.isdigit() else 0

    def body(self, n: int) -> bytes:
        """Answer ``n``'s body."""
        return (self.work / f"{n}.body").read_bytes()

    def header(self, n: int, name: str) -> str | None:
        """Answer ``n``'s header value (the last one, after any interim answers)."""
        lines = (self.work / f"{n}.headers").read_text(errors="replace").splitlines()
        found = [
            line.partition(":")[2].strip()
            for line in lines
            if line.partition(":")[0].strip().lower() == name.lower()
        ]
        return found[-1] if found else None

    def at(self, n: int, pointer: str) -> Any:
        """The value at a JSON pointer in answer ``n``'s body, or None."""
        return at(self.json(n), pointer)

    def ok(self, n: int) -> bool:
        """Whether answer ``n`` was a 2xx."""
        return 200 <= self.status(n) < 300

    def json(self, n: int) -> Any:
        """Answer ``n``'s body as JSON, or None."""
        try:
            return json.loads(self.body(n))
        except ValueError:
            return None

    def items(self, n: int) -> list[Any]:
        """The items of page ``n``: the array itself, or the object's first array."""
        body = self.json(n) if self.status(n) == 200 else None
        if isinstance(body, dict):
            body = next((value for value in body.values() if isinstance(value, list)), [])
        return body if isinstance(body, list) else []

    def names_next(self, n: int) -> bool:
        """Whether page ``n`` names a next page (a non-empty ``next_...`` value)."""
        body = self.json(n)
        return isinstance(body, dict) and any(
            name.startswith("next_") and isinstance(value, str) and value
            for name, value in body.items()
        )


def at(value: Any, pointer: str) -> Any:
    """The value at a JSON pointer, or None."""
    try:
        for raw in pointer.split("/")[1:]:
            part = raw.replace("~1", "/").replace("~0", "~")
            value = value[int(part)] if isinstance(value, list) else value[part]
    except (ValueError, KeyError, IndexError, TypeError):
        return None
    return value


def expand(value: Any, parts: list[str]) -> list[Any]:
    """Every value at a pointer's ``parts`` where ``*`` stands for any array index."""
    if not parts:
        return [value]
    head, rest = parts[0].replace("~1", "/").replace("~0", "~"), parts[1:]
    if head == "*" and isinstance(value, list):
        return [found for item in value for found in expand(item, rest)]
    child = at(value, "/" + parts[0])
    return expand(child, rest) if child is not None else []


def _statuses(expected: dict[str, Any]) -> str:
    return " or ".join(str(status) for status in expected["statuses"])


def judge_status(answers: Answers, e: dict[str, Any]) -> Judged | None:
    """Expectations on one answer's status."""
    kind, n = e["kind"], e.get("step", 0)
    if kind not in ("status_in", "status_not_in", "below", "not_2xx"):
        return None
    status = answers.status(n)
    if kind == "status_in":
        return status in e["statuses"], f"answer {n} is {_statuses(e)}", status
    if kind == "status_not_in":
        return status not in e["statuses"], f"answer {n} is not {_statuses(e)}", status
    if kind == "below":
        return status < e["limit"], f"answer {n} is below {e['limit']}", status
    if kind == "not_2xx":
        return not answers.ok(n), f"answer {n} rejects the request", status
    return None


def judge_is_2xx(answers: Answers, e: dict[str, Any]) -> Judged | None:
    """The request was accepted."""
    if e["kind"] != "is_2xx":
        return None
    n = e["step"]
    return answers.ok(n), f"answer {n} accepts the request (2xx)", answers.status(n)


def judge_answer(answers: Answers, e: dict[str, Any]) -> Judged | None:
    """Expectations comparing answers, or on their headers."""
    kind, n, m = e["kind"], e.get("step", 0), e.get("as", 0)
    if kind == "same_answer":
        same_status = answers.status(n) == answers.status(m)
        same = same_status and answers.body(n) == answers.body(m)
        got = "the same" if same else "another body" if same_status else answers.status(n)
        return same, f"answer {n} repeats answer {m} (status and body)", got
    if kind == "not_same_answer":
        same = answers.ok(n) and answers.body(n) == answers.body(m)
        return not same, f"answer {n} is not answer {m} again", "the same" if same else "another"
    if kind == "header_is":
        found = answers.header(n, e["name"])
        return found == e["value"], f"answer {n} has {e['name']}: {e['value']}", found
    if kind == "header_absent":
        found = answers.header(n, e["name"])
        return found is None, f"answer {n} has no {e['name']}", found
    if kind == "same_json":
        same = answers.json(n) == answers.json(m)
        return same, f"answer {n} has answer {m}'s JSON body", "the same" if same else "another"
    if kind == "header_as":
        found, other = answers.header(n, e["name"]), answers.header(m, e["name"])
        holds = found is not None and found == other
        return holds, f"answer {n} has answer {m}'s {e['name']} {other}", found
    if kind == "header_new":
        found = answers.header(n, e["name"])
        old = [answers.header(s, e["name"]) for s in e["others"]]
        wanted = f"answer {n} has an {e['name']} unlike answers {e['others']}' {old}"
        return found is not None and found not in old, wanted, found
    if kind == "location_names_id":
        location, made = answers.header(n, "location"), answers.at(n, e["pointer"])
        holds = bool(location and made) and str(location).rstrip("/").endswith(f"/{made}")
        return holds, f"answer {n}'s Location names its {e['pointer']} {made}", location
    if kind == "one_resource":
        steps = e["steps"]
        made = {json.dumps(answers.at(s, e["pointer"])) for s in steps if answers.ok(s)}
        errors = [s for s in steps if answers.status(s) >= 500]
        holds = len(made) == 1 and not errors
        wanted = f"answers {steps[0]}-{steps[-1]} make one resource and no 5xx"
        return holds, wanted, f"{len(made)} resource(s), {len(errors)} 5xx"
    if kind == "as_in_run":
        now = [answers.status(s) for s in e["steps"]]
        wanted = f"statuses other than the failing run's {e['statuses']}"
        return now != e["statuses"], wanted, now
    return None


def judge_body(answers: Answers, e: dict[str, Any]) -> Judged | None:
    """Expectations on the fields of one answer."""
    kind, n = e["kind"], e.get("step", 0)
    if kind == "fields_kept":
        body = answers.json(n) if answers.ok(n) else None
        body = body if isinstance(body, dict) else {}
        changed = {k: body[k] for k, v in e["values"].items() if k in body and body[k] != v}
        return not changed, f"answer {n} keeps the fields as sent {sorted(e['values'])}", changed
    if kind == "utc_at":
        body = answers.json(n)
        found = [v for p in e["pointers"] for v in expand(body, p.split("/")[1:])]
        wrong = [
            v
            for v in found
            if isinstance(v, str)
            and (m := DATE_TIME.fullmatch(v)) is not None
            and m["offset"] not in UTC_OFFSETS
        ]
        return not wrong, f"answer {n}'s date-times at {e['pointers']} are in UTC", wrong[:3]
    return None


def judge_pages(answers: Answers, e: dict[str, Any]) -> Judged | None:
    """Expectations on the items of pages of a list and the resources creates made."""
    kind, pages, pointer = e["kind"], e.get("pages", []), e.get("pointer", "")
    made = [answers.at(m, pointer) for m in e.get("made", [])]
    ids = [at(item, pointer) for p in pages for item in answers.items(p)]
    if kind == "not_listed":
        shown = [resource for resource in made if resource is not None and resource in ids]
        return not shown, f"pages {pages} list none of {made}", f"listed: {shown}"
    if kind == "listed":
        absent = [resource for resource in made if resource is None or resource not in ids]
        return not absent, f"pages {pages} list each of {made}", f"not listed: {absent}"
    if kind == "in_order":
        return judge_order(answers, e, made)
    if kind == "exactly_once":
        return judge_once(answers, pages, pointer, made)
    if kind == "page_size":
        size, first = e["size"], pages[0]
        counts = [len(answers.items(p)) for p in pages]
        holds = answers.status(first) == 200 and counts[0] == size and answers.names_next(first)
        holds = holds and all(count <= size for count in counts[1:2])
        wanted = f"page {first} holds {size} items and names a next page; the next <= {size}"
        return holds, wanted, f"status {answers.status(first)}, items {counts}"
    return None


def judge_order(answers: Answers, e: dict[str, Any], made: list[Any]) -> Judged:
    """The made resources are listed newest or oldest first (equal timestamps not judged)."""
    items = [item for p in e["pages"] for item in answers.items(p)]
    ids = [at(item, e["pointer"]) for item in items]
    wanted = f"{made} listed {e['order']} first"
    if any(ids.count(resource) != 1 for resource in made):
        return True, wanted, "not each listed once: not judged (the paging rules' finding)"
    positions = [ids.index(resource) for resource in made]
    wrong = []
    for earlier, later in itertools.pairwise(positions):
        stamps = [stamp(items[earlier]), stamp(items[later])]
        if stamps[0] is not None and stamps[0] == stamps[1]:
            continue
        if (later < earlier) != (e["order"] == "newest"):
            wrong.append(ids[later])
    return not wrong, wanted, f"positions {positions}"


def stamp(item: Any) -> Any:
    """An item's first ``created...`` field."""
    if not isinstance(item, dict):
        return None
    return next((v for k, v in item.items() if k.startswith("created")), None)


def judge_once(answers: Answers, pages: list[int], pointer: str, made: list[Any]) -> Judged:
    """Following the pages until one names no next page shows each item once, the made ones too."""
    seen: list[Any] = []
    ended, failed = False, [p for p in pages if answers.status(p) != 200]
    for p in pages:
        if answers.status(p) != 200:
            break
        seen += [at(item, pointer) for item in answers.items(p)]
        if not answers.names_next(p):
            ended, failed = True, [f for f in failed if f < p]
            break
    repeated = sorted({str(item) for item in seen if seen.count(item) > 1})
    absent = [resource for resource in made if resource not in seen] if ended else []
    holds = not repeated and not absent and not failed
    wanted = f"pages {pages} show each item once, and each of {len(made)} made"
    return holds, wanted, f"repeated {repeated[:3]}, absent {absent[:3]}, failed pages {failed}"


JUDGES = (judge_status, judge_is_2xx, judge_answer, judge_body, judge_pages)
"""Each says what it knows of an expectation, or None if its kind is another's."""


def main(argv: list[str]) -> int:
    """Judge every expectation; 1 if any failed, 2 if the answers cannot be judged."""
    try:
        return judge_all(Answers(Path(argv[0])), json.loads(argv[1]))
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot judge the answers: {exc!r}", file=sys.stderr)
        return 2


def judge_all(answers: Answers, expected: list[dict[str, Any]]) -> int:
    """Print each expectation's outcome; 1 if any failed."""
    broken = 0
    for e in expected:
        judged = next((j for judge in JUDGES if (j := judge(answers, e)) is not None), None)
        if judged is None:
            print(f"unknown expectation {e['kind']}", file=sys.stderr)
            return 2
        holds, wanted, got = judged
        print(f"{'ok:    ' if holds else 'BROKEN:'} expected {wanted}; actual: {got}")
        broken += not holds
    if broken:
        print("the bug reproduces (exit 1)")
        return 1
    print("not reproduced: this server keeps the rule (exit 0)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
