"""The retry schedule."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadpact.client.backoff import RetryPolicy


def test_the_ceiling_doubles_up_to_the_cap() -> None:
    policy = RetryPolicy(base=0.5, factor=2, cap=5, jitter=0, max_attempts=10)
    assert [policy.ceiling(n) for n in range(1, 7)] == [0.5, 1.0, 2.0, 4.0, 5.0, 5.0]


def test_jitter_spreads_the_wait_over_the_upper_part_of_the_ceiling() -> None:
    policy = RetryPolicy(base=2, factor=2, cap=100, jitter=0.5)
    assert policy.delay(3, draw=0.0) == 4.0  # 8 * (1 - 0.5)
    assert policy.delay(3, draw=0.5) == 6.0
    assert policy.delay(3, draw=0.999) == pytest.approx(7.996)


def test_retry_after_is_a_floor() -> None:
    policy = RetryPolicy(base=1, jitter=0)
    assert policy.delay(1, draw=0.3, retry_after=30) == 30
    assert policy.delay(1, draw=0.3, retry_after=0.1) == 1


@given(
    attempt=st.integers(min_value=1, max_value=10_000),
    draw=st.floats(min_value=0, max_value=1, exclude_max=True),
    jitter=st.floats(min_value=0, max_value=1),
)
def test_a_delay_stays_between_the_jitter_floor_and_the_cap(
    attempt: int, draw: float, jitter: float
) -> None:
    policy = RetryPolicy(base=0.25, factor=3, cap=60, jitter=jitter)
    delay = policy.delay(attempt, draw)
    ceiling = policy.ceiling(attempt)
    assert ceiling <= 60
    assert ceiling * (1 - jitter) - 1e-9 <= delay <= ceiling + 1e-9


@pytest.mark.parametrize(
    "bad",
    [{"base": -1}, {"factor": 0.5}, {"jitter": 1.5}, {"max_attempts": 0}, {"cap": -2}],
)
def test_nonsense_policies_are_refused(bad: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must"):
        RetryPolicy(**bad)  # type: ignore[arg-type]
