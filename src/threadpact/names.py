"""Names both sides of the contract share: headers, pact participants, provider states.

Kept in one place so the pact writer, the verifier and the provider cannot disagree.
"""

import re
from typing import Final, Literal, TypeAlias

# HTTP headers the contract defines.
IDEMPOTENCY_KEY: Final = "Idempotency-Key"
IDEMPOTENT_REPLAYED: Final = "Idempotent-Replayed"
LOCATION: Final = "Location"
ETAG: Final = "ETag"
IF_MATCH: Final = "If-Match"
AUTHORIZATION: Final = "Authorization"
WWW_AUTHENTICATE: Final = "WWW-Authenticate"

PROBLEM_JSON: Final = "application/problem+json"

# Pact participants.
CONSUMER: Final = "threadpact-client"
PROVIDER: Final = "threadpact-api"

# The provider's test-mode state-change endpoint (off unless --test-states).
STATES_PATH: Final = "/_threadpact/provider-states"

# Provider states: the names and their parameters are part of the contract.
STATE_AUTHENTICATED: Final = "the caller holds a valid token"
"""Parameters: token. The provider accepts that bearer token for the test principal."""
STATE_NO_THREADS: Final = "no threads exist"
"""No parameters. Removes every thread of the test principal."""
STATE_THREAD_EXISTS: Final = "a thread exists"
"""Parameters: title (optional). Creates a thread; returns {"thread_id": ...}."""
STATE_THREAD_WITH_MESSAGES: Final = "a thread with messages exists"
"""Parameters: count (optional, default 2). Returns {"thread_id": ..., "message_id": ...}."""
STATE_KEY_USED: Final = "a thread was created with an idempotency key"
"""Parameters: key, agent_id, model, provider, title. Returns {"thread_id": ...}."""

PROVIDER_STATES: Final = (
    STATE_AUTHENTICATED,
    STATE_NO_THREADS,
    STATE_THREAD_EXISTS,
    STATE_THREAD_WITH_MESSAGES,
    STATE_KEY_USED,
)

# Where the provider serves the spec file itself.
SPEC_PATH: Final = "/openapi.yaml"
HEALTH_PATH: Final = "/healthz"

# Values the spec constrains, for code that must check one before it sends or stores it.
# The test suite keeps each equal to the spec.
Role: TypeAlias = Literal["user", "assistant", "system"]
"""Who wrote a message (``#/components/schemas/Role``)."""
IDEMPOTENCY_KEY_PATTERN: Final = r"[!-~]([ -~]*[!-~])?"
"""Printable ASCII, no space at either end (``#/components/parameters/IdempotencyKey``)."""
IDEMPOTENCY_KEY_MAX_LENGTH: Final = 255
TITLE_MAX_LENGTH: Final = 200
"""``#/components/schemas/Title``."""
CONTENT_MAX_LENGTH: Final = 32000
"""``#/components/schemas/Content``."""

_KEY = re.compile(IDEMPOTENCY_KEY_PATTERN)


def is_valid_idempotency_key(key: str) -> bool:
    """Whether ``key`` is an Idempotency-Key the contract accepts."""
    return 0 < len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH and _KEY.fullmatch(key) is not None
