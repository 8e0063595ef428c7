"""The rule names a table entry may give: threadpact's contract rules and schemathesis's checks."""

import schemathesis.specs.openapi.checks  # noqa: F401  (registers the stock checks)
from schemathesis.checks import CHECKS

from threadpact.checks import CONTRACT_RULES


def contract_rules() -> set[str]:
    """threadpact's own contract rules (each needs a test that shows it failing)."""
    return set(CONTRACT_RULES)


def stock_checks() -> set[str]:
    """The checks schemathesis ships (the fuzz step runs every one)."""
    return {
        check.__name__
        for check in CHECKS.get_all()
        if not check.__module__.startswith("threadpact.")
    }


def known_rules() -> set[str]:
    """Every rule name the fuzz step can report."""
    return contract_rules() | stock_checks()
