"""The retry schedule: exponential backoff with jitter, and how many tries one sync run makes."""

from dataclasses import dataclass


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long the outbox retries one entry.

    The n-th failed attempt (n from 1) waits ``min(cap, base * factor ** (n - 1))``
    scaled by a jitter draw: with ``jitter`` 0.5 the wait falls in the upper half of
    that ceiling, so clients that failed together do not retry together. One sync
    run tries an entry at most ``max_attempts`` times, then leaves it queued for the
    next run (a transient failure never fails an entry).
    """

    base: float = 0.5
    factor: float = 2.0
    cap: float = 60.0
    jitter: float = 0.5
    max_attempts: int = 8

    def __post_init__(self) -> None:
        if self.base < 0 or self.cap < 0 or self.factor < 1:
            raise ValueError("base and cap must be >= 0 and factor >= 1")
        if not 0 <= self.jitter <= 1:
            raise ValueError("jitter must be between 0 and 1")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")

    def ceiling(self, attempt: int) -> float:
        """The longest wait after failed attempt number ``attempt`` (1-based)."""
        if attempt < 1:
            raise ValueError("attempt numbers start at 1")
        # Cap the exponent first so a huge attempt number cannot overflow.
        exponent = min(attempt - 1, 1000)
        try:
            raw = self.base * self.factor**exponent
        except OverflowError:
            raw = self.cap
        return min(self.cap, raw)

    def delay(self, attempt: int, draw: float, retry_after: float | None = None) -> float:
        """The wait after failed attempt ``attempt``, for a uniform ``draw`` in [0, 1).

        A server's ``Retry-After`` is a floor: the wait is never shorter.
        """
        ceiling = self.ceiling(attempt)
        wait = ceiling * (1 - self.jitter) + ceiling * self.jitter * draw
        return max(wait, retry_after or 0.0)
