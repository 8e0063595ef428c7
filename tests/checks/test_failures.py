"""One failure class per rule, carrying what a report needs."""

from threadpact.checks.failures import CONTRACT_RULES, VIOLATIONS, ContractViolation, ReplayDiffers


def test_rule_names_are_stable() -> None:
    assert CONTRACT_RULES == (
        "idempotency.missing-key",
        "idempotency.replay",
        "idempotency.mismatch",
        "idempotency.concurrency",
        "idempotency.principal-scope",
        "id-authority",
        "access.object-level",
        "access.collection-scope",
        "conditional-update",
        "write-fidelity",
        "deletion",
        "pagination.order",
        "pagination.exactly-once",
        "pagination.default-limit",
        "pagination.foreign-cursor",
        "timestamps.utc",
    )


def test_each_rule_has_a_class_of_its_own() -> None:
    # Schemathesis keeps one failure per (operation, class): a shared class would hide rules.
    assert len(set(VIOLATIONS)) == len(VIOLATIONS)
    assert len({violation.code for violation in VIOLATIONS}) == len(VIOLATIONS)
    assert all(issubclass(violation, ContractViolation) for violation in VIOLATIONS)


def test_a_violation_carries_summary_evidence_and_reproduction() -> None:
    failure = ReplayDiffers(
        operation="POST /threads",
        summary="A replay made a second resource.",
        evidence="--> POST /threads",
        reproduce="curl -X POST ...",
    )
    assert failure.rule == "idempotency.replay"
    assert failure.title == "[idempotency.replay] A replay made a second resource."
    assert "--> POST /threads" in failure.message
    assert "Reproduce with:\n    curl -X POST ..." in failure.message
    assert (failure.summary, failure.reproduce) == (
        "A replay made a second resource.",
        "curl -X POST ...",
    )
