"""Step deadlines: the defaults, the fuzz budget and STEP=SECONDS overrides."""

import pytest

from threadpact.gate.deadlines import DEFAULT_DEADLINES, STEPS, deadlines, parse_deadline


def test_every_step_has_a_default() -> None:
    assert set(DEFAULT_DEADLINES) == set(STEPS)
    assert all(0 < seconds <= 300 for seconds in DEFAULT_DEADLINES.values())


def test_overrides_and_the_fuzz_budget() -> None:
    chosen = deadlines([parse_deadline("consumer contracts=45")], fuzz_budget=900)
    assert chosen["consumer contracts"] == 45
    assert chosen["fuzz"] == 960
    assert deadlines([("fuzz", 5.0)], fuzz_budget=900)["fuzz"] == 5


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("verify", "expected STEP=SECONDS"),
        ("deploy=3", "STEP one of"),
        ("verify=soon", "not a number"),
        ("verify=0", "positive"),
        ("verify=inf", "positive"),
        ("verify=nan", "positive"),
    ],
)
def test_bad_overrides_say_what_is_wrong(text: str, says: str) -> None:
    with pytest.raises(ValueError, match=says):
        parse_deadline(text)
