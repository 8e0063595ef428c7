"""One failure class per contract rule, each carrying its evidence and a curl reproduction.

Schemathesis de-duplicates failures per (operation, failure class), so each rule has a
class of its own; the rule name is what reports show.
"""

from typing import ClassVar

from schemathesis.core.failures import Failure, Severity

MISSING_KEY = "idempotency.missing-key"
REPLAY = "idempotency.replay"
MISMATCH = "idempotency.mismatch"
CONCURRENCY = "idempotency.concurrency"
PRINCIPAL_SCOPE = "idempotency.principal-scope"
ID_AUTHORITY = "id-authority"
OBJECT_LEVEL = "access.object-level"


class ContractViolation(Failure):
    """A broken threadpact rule: what broke, the exchanges that show it, and how to replay them."""

    rule: ClassVar[str] = "contract"
    code = "TP900"
    kind_title = "Contract rule broken"

    def __init__(
        self,
        *,
        operation: str,
        summary: str,
        evidence: str,
        reproduce: str,
        severity: Severity = Severity.HIGH,
    ) -> None:
        message = f"{summary}\n\n{evidence}\n\nReproduce with:\n    {reproduce}"
        super().__init__(
            operation=operation,
            title=f"[{self.rule}] {summary.splitlines()[0]}",
            message=message,
            severity=severity,
        )
        self.summary = summary
        self.evidence = evidence
        self.reproduce = reproduce


# One failure type per rule, alike on purpose: schemathesis reports failures by their type.
class MissingKeyAccepted(ContractViolation):
    """A create without an Idempotency-Key was not answered 400."""

    rule = MISSING_KEY
    code = "TP901"


class ReplayDiffers(ContractViolation):
    """A replay did not answer the first answer again, marked as a replay."""

    rule = REPLAY
    code = "TP902"


class MismatchAccepted(ContractViolation):
    """The same key with another body was not answered 422."""

    rule = MISMATCH
    code = "TP903"


class ConcurrentDuplicates(ContractViolation):
    """A burst of requests with one key made more than one resource, or failed."""

    rule = CONCURRENCY
    code = "TP904"


class KeyCrossesPrincipals(ContractViolation):
    """One principal's key reached another principal's resource."""

    rule = PRINCIPAL_SCOPE
    code = "TP905"


class IdAuthorityBroken(ContractViolation):
    """The server is not the one authority for the created resource's ID."""

    rule = ID_AUTHORITY
    code = "TP906"


class ObjectLevelAccess(ContractViolation):
    """Another principal could read, change or delete the resource, or learn it exists."""

    rule = OBJECT_LEVEL
    code = "TP907"


VIOLATIONS: tuple[type[ContractViolation], ...] = (
    MissingKeyAccepted,
    ReplayDiffers,
    MismatchAccepted,
    ConcurrentDuplicates,
    KeyCrossesPrincipals,
    IdAuthorityBroken,
    ObjectLevelAccess,
)
CONTRACT_RULES: tuple[str, ...] = tuple(violation.rule for violation in VIOLATIONS)
"""Every contract rule name, in report order."""
