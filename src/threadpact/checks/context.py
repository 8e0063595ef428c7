"""What one fuzz run shares with its checks: principals, issued keys, sample budgets, notes.

Checks are registered with schemathesis globally, so they find their run through the
schema's config object; outside a bound run they skip.
"""

import threading
import uuid
from collections import Counter
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass

from threadpact.checks.types import AnyCase

KEY_PREFIX = "threadpact-"


@dataclass(frozen=True)
class Principal:
    """A bearer token and the name reports use for it (A, B)."""

    name: str
    token: str

    @property
    def authorization(self) -> str:
        """The Authorization header value."""
        return f"Bearer {self.token}"

    @property
    def variable(self) -> str:
        """The shell variable that stands for the token in curl lines."""
        return f"$TOKEN_{self.name}"


class RunState:
    """Per-run state: thread-safe, since schemathesis workers are threads."""

    def __init__(self, tokens: Sequence[str], *, samples: int, burst: int) -> None:
        named = zip("AB", tokens, strict=False)
        self.principals = tuple(Principal(name, token) for name, token in named)
        self.samples = samples
        self.burst = burst
        self._lock = threading.Lock()
        self._issued: set[str] = set()
        self._claims: Counter[tuple[str, str]] = Counter()
        self.examined: Counter[str] = Counter()
        self.notes: list[str] = []

    @property
    def owner(self) -> Principal:
        """Principal A: every generated request runs as A."""
        return self.principals[0]

    @property
    def other(self) -> Principal | None:
        """Principal B, if a second token was given."""
        return self.principals[1] if len(self.principals) > 1 else None

    def issue_key(self, is_valid: Callable[[str], bool]) -> str | None:
        """A key never used before that the spec's key schema accepts."""
        token = uuid.uuid4()
        for candidate in (f"{KEY_PREFIX}{token}", str(token), token.hex):
            if is_valid(candidate):
                with self._lock:
                    self._issued.add(candidate)
                return candidate
        return None

    def is_issued(self, key: object) -> bool:
        """Whether this run made the key (so its first use was a first use)."""
        with self._lock:
            return isinstance(key, str) and key in self._issued

    def claim(self, rule: str, operation: str, samples: int | None = None) -> bool:
        """Take one of the rule's samples for an operation; False once they are used up.

        ``samples`` caps a costly rule below the run's own number of samples.
        """
        cap = self.samples if samples is None else min(samples, self.samples)
        with self._lock:
            if self._claims[rule, operation] >= cap:
                return False
            self._claims[rule, operation] += 1
            self.examined[rule] += 1
            return True

    def count(self, rule: str) -> None:
        """Count one examination of a rule that checks every answer (no sample budget)."""
        with self._lock:
            self.examined[rule] += 1

    def note(self, text: str) -> None:
        """Remember something the summary should say (once)."""
        with self._lock:
            if text not in self.notes:
                self.notes.append(text)


_ACTIVE: dict[int, RunState] = {}


@contextmanager
def bound(config: object, state: RunState) -> Iterator[RunState]:
    """Make ``state`` the run state of every case whose schema has this config."""
    _ACTIVE[id(config)] = state
    try:
        yield state
    finally:
        _ACTIVE.pop(id(config), None)


def state_for(case: AnyCase) -> RunState | None:
    """The run state a case belongs to, or None outside a threadpact run."""
    return _ACTIVE.get(id(case.operation.schema.config))
