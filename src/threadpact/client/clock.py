"""Time for the sync engine: a wall clock and a sleep, injectable so tests never wait.

Outbox deadlines are stored as seconds since the epoch, so they survive a reload;
that is why the clock is a wall clock and not a monotonic one.
"""

import time
from typing import Protocol


class Clock(Protocol):
    """What the sync engine needs to know about time."""

    def now(self) -> float:
        """Seconds since the epoch."""
        ...

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds``."""
        ...


class SystemClock:
    """Real time."""

    def now(self) -> float:
        """Seconds since the epoch."""
        return time.time()

    def sleep(self, seconds: float) -> None:
        """Block for ``seconds``."""
        if seconds > 0:
            time.sleep(seconds)


class VirtualClock:
    """A clock that only moves when something sleeps: backoff without waiting.

    It starts at the real time, so deadlines it writes into a store stay sensible
    for the next process that opens that store.
    """

    def __init__(self, start: float | None = None) -> None:
        self._now = time.time() if start is None else start
        self.slept: list[float] = []
        """Every sleep asked for, in order (tests read the backoff schedule here)."""

    def now(self) -> float:
        """The virtual time."""
        return self._now

    def sleep(self, seconds: float) -> None:
        """Move the virtual time forward at once."""
        self.slept.append(seconds)
        self._now += max(seconds, 0.0)

    def advance(self, seconds: float) -> None:
        """Let time pass without a sleep being recorded."""
        self._now += seconds


def millis(clock: Clock) -> int:
    """The clock's time in Unix milliseconds, as local records store it."""
    return int(clock.now() * 1000)
