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
COLLECTION_SCOPE = "access.collection-scope"
CONDITIONAL_UPDATE = "conditional-update"
WRITE_FIDELITY = "write-fidelity"
DELETION = "deletion"
LIST_ORDER = "pagination.order"
EXACTLY_ONCE = "pagination.exactly-once"
DEFAULT_PAGE_SIZE = "pagination.default-limit"
FOREIGN_CURSOR = "pagination.foreign-cursor"
UTC_TIMES = "timestamps.utc"


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


class CollectionLeaks(ContractViolation):
    """A list showed another principal's resource, or not the caller's own."""

    rule = COLLECTION_SCOPE
    code = "TP908"


class ConditionalUpdateBroken(ContractViolation):
    """An ETag did not change with a change, or a stale If-Match did not answer 412."""

    rule = CONDITIONAL_UPDATE
    code = "TP909"


class WriteNotKept(ContractViolation):
    """A valid create or update did not read back exactly as sent."""

    rule = WRITE_FIDELITY
    code = "TP910"


class DeletedStillThere(ContractViolation):
    """Something of a deleted resource stayed reachable or listed."""

    rule = DELETION
    code = "TP911"


class ListOutOfOrder(ContractViolation):
    """A list did not show its items in the order the spec declares."""

    rule = LIST_ORDER
    code = "TP912"


class PagesMissOrRepeat(ContractViolation):
    """Following the next-page values skipped an item or showed one twice."""

    rule = EXACTLY_ONCE
    code = "TP913"


class DefaultPageSizeIgnored(ContractViolation):
    """A list asked without a page size did not answer pages of the spec's default size."""

    rule = DEFAULT_PAGE_SIZE
    code = "TP914"


class ForeignCursorAccepted(ContractViolation):
    """A next-page value the server never made was not answered as the spec says."""

    rule = FOREIGN_CURSOR
    code = "TP915"


class TimestampNotUtc(ContractViolation):
    """A timestamp the spec says is in UTC carried another offset."""

    rule = UTC_TIMES
    code = "TP916"


VIOLATIONS: tuple[type[ContractViolation], ...] = (
    MissingKeyAccepted,
    ReplayDiffers,
    MismatchAccepted,
    ConcurrentDuplicates,
    KeyCrossesPrincipals,
    IdAuthorityBroken,
    ObjectLevelAccess,
    CollectionLeaks,
    ConditionalUpdateBroken,
    WriteNotKept,
    DeletedStillThere,
    ListOutOfOrder,
    PagesMissOrRepeat,
    DefaultPageSizeIgnored,
    ForeignCursorAccepted,
    TimestampNotUtc,
)
CONTRACT_RULES: tuple[str, ...] = tuple(violation.rule for violation in VIOLATIONS)
"""Every contract rule name, in report order."""
