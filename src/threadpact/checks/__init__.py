"""Contract checks no stock tool has, as schemathesis checks derived from the spec.

They apply to every operation that declares an ``Idempotency-Key`` header parameter and
start from a 2xx answer to a request that carried a key this run issued, except
``timestamps.utc``, which reads every answer. Rules (stable names, see
:mod:`threadpact.checks.failures`):

    idempotency.missing-key      no key: 400
    idempotency.replay           same key and body: same status and body, Idempotent-Replayed: true
    idempotency.mismatch         same key, another body: 422
    idempotency.concurrency      a burst with one key: one resource, no 5xx
    idempotency.principal-scope  B reusing A's key never gets A's resource
    id-authority                 Location names the body's ID; it reads back; client IDs not taken
    access.object-level          B gets 404 from everything linked to A's resource
    access.collection-scope      A's lists show A's resources, never B's; B's never show A's
    conditional-update           every change gives a new ETag; a stale If-Match: 412, no change;
                                 If-Match: * applies the change
    write-fidelity               a valid create or update reads back exactly as sent (or default)
    deletion                     after a delete, every link of it and its children: 404; not listed
    pagination.order             a list shows items in the creation order its words declare
    pagination.exactly-once      following next-page values reaches every item exactly once
    pagination.default-limit     without a page size, pages hold the size parameter's default
    pagination.foreign-cursor    a cursor the server never made: the 4xx its description names
    timestamps.utc               a date-time the spec says is UTC has offset Z or +00:00

Importing this package registers the checks with schemathesis; :func:`keys.install`
adds the hook that gives generated requests fresh keys. Both act only inside a run
bound with :func:`context.bound`.
"""

# identity registers before access: it reads the resource back before B tries to change it.
from threadpact.checks import identity  # isort: skip
from threadpact.checks import access, idempotency, keys  # isort: skip

# The rules that change or delete work on resources of their own, after the others.
from threadpact.checks import scoping  # isort: skip
from threadpact.checks import fidelity  # isort: skip
from threadpact.checks import conditional  # isort: skip
from threadpact.checks import deletion  # isort: skip
from threadpact.checks import cursors, ordering, pagesize, paging, times  # isort: skip
from threadpact.checks.context import Principal, RunState, bound
from threadpact.checks.failures import CONTRACT_RULES, ContractViolation

__all__ = [
    "CONTRACT_RULES",
    "ContractViolation",
    "Principal",
    "RunState",
    "access",
    "bound",
    "conditional",
    "cursors",
    "deletion",
    "fidelity",
    "idempotency",
    "identity",
    "keys",
    "ordering",
    "pagesize",
    "paging",
    "scoping",
    "times",
]
