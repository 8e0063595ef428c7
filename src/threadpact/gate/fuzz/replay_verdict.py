"""The verdict at the end of a reproduction script: did the fresh server break the rule?

This module is standalone on purpose (the standard library only): its source is
copied into every reproduction script and run there as ``python3 - WORK EXPECTED``.
``WORK`` holds each answer as ``N.status``, ``N.headers`` and ``N.body``;
``EXPECTED`` is the JSON list of expectations of :mod:`threadpact.gate.fuzz.verdicts`.
It prints one line per expectation and exits 1 if any failed (the bug reproduces),
else 0.
"""

import json
import sys
from pathlib import Path
from typing import Any

Judged = tuple[bool, str, object]
"""Whether the expectation held, what was expected, what the server answered."""


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
        try:
            value = json.loads(self.body(n))
            for raw in pointer.split("/")[1:]:
                part = raw.replace("~1", "/").replace("~0", "~")
                value = value[int(part)] if isinstance(value, list) else value[part]
        except (ValueError, KeyError, IndexError, TypeError):
            return None
        return value

    def ok(self, n: int) -> bool:
        """Whether answer ``n`` was a 2xx."""
        return 200 <= self.status(n) < 300


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
        judged = judge_status(answers, e) or judge_answer(answers, e)
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
