"""The gate's steps, in order, and how long each may take before the gate stops it.

The defaults leave room for a slow CI machine: on two shared cores the whole gate
takes about 20 s against the reference provider, fuzz being the longest step.
Change one with ``threadpact gate --timeout STEP=SECONDS``.
"""

from collections.abc import Iterable, Mapping

DEFAULT_DEADLINES: Mapping[str, float] = {
    "generate --check": 120.0,
    "lint": 60.0,
    "consumer contracts": 300.0,
    "crosscheck": 60.0,
    "verify": 120.0,
    "fuzz": 300.0,
}
STEPS = tuple(DEFAULT_DEADLINES)
"""The gate's steps, in the order it runs them."""
REQUEST_TIMEOUT = 10.0
"""Seconds the provider may take to answer one request or one state change in verify."""
FUZZ_BUDGET_MARGIN = 60.0
"""With ``--fuzz-budget B``, fuzz's default deadline is B plus this much."""


def parse_deadline(text: str) -> tuple[str, float]:
    """``STEP=SECONDS`` as a pair; ``ValueError`` with a message a user can act on."""
    step, separator, value = text.rpartition("=")
    if not separator or step not in STEPS:
        raise ValueError(f"expected STEP=SECONDS with STEP one of {', '.join(STEPS)}: {text!r}")
    try:
        seconds = float(value)
    except ValueError:
        raise ValueError(f"not a number of seconds: {value!r}") from None
    if not 0 < seconds < float("inf"):
        raise ValueError(f"the deadline must be a positive number of seconds: {value!r}")
    return step, seconds


def deadlines(
    overrides: Iterable[tuple[str, float]] = (), fuzz_budget: float | None = None
) -> dict[str, float]:
    """Every step's deadline: the defaults, fitted to the fuzz budget, then the overrides."""
    chosen = dict(DEFAULT_DEADLINES)
    if fuzz_budget is not None:
        chosen["fuzz"] = max(chosen["fuzz"], fuzz_budget + FUZZ_BUDGET_MARGIN)
    chosen.update(overrides)
    return chosen
