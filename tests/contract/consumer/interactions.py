"""The pieces of the consumer's pact: example values and matchers, defined once.

Every example here is fixed, so the pact file the tests write is byte-for-byte
stable; server-made values (IDs, times, Location) are matchers, so the pact says
"any UUID the server makes", not one fixed value.
"""

from typing import Any

from pact import generate, match
from pact.match.matcher import GenericMatcher

from threadpact.names import STATE_AUTHENTICATED

TOKEN = "pact-token"
AUTH = f"Bearer {TOKEN}"
JSON = "application/json"
PROBLEM = "application/problem+json"

THREAD_ID = "0b6c2a5e-3a55-4c2b-8f7e-0d9b1f1c8e21"
MESSAGE_ID = "5f1e8a40-2a0c-4a1e-9c7b-6e3f0d2b9a10"
CREATED_AT = "2026-11-28T09:15:02.120000Z"

UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
RFC3339 = r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$"
KEY = r"^[!-~]([ -~]{0,253}[!-~])?$"

NEW_THREAD = {
    "agent_id": "support-bot",
    "model": "gpt-4o",
    "provider": "openai",
    "title": "Refund for order 1042",
}


def authenticated() -> tuple[str, dict[str, str]]:
    """The state that makes the provider accept :data:`TOKEN`."""
    return STATE_AUTHENTICATED, {"token": TOKEN}


def server_id(example: str, expression: str | None = None) -> Any:
    """A UUID the server makes; with ``expression``, one injected from a provider state."""
    if expression is None:
        return match.regex(example, regex=UUID)
    return GenericMatcher(
        "regex", example, regex=UUID, generator=generate.provider_state(expression)
    )


def timestamp() -> Any:
    """An RFC 3339 time the server makes."""
    return match.regex(CREATED_AT, regex=RFC3339)


def thread_body(title: str = NEW_THREAD["title"], state_id: str | None = None) -> dict[str, Any]:
    """A ServerThread: exact fields the client sent, matchers for what the server makes."""
    return {
        "id": server_id(THREAD_ID, state_id),
        "title": match.str(title),
        "agent_id": match.str(NEW_THREAD["agent_id"]),
        "model": match.str(NEW_THREAD["model"]),
        "provider": match.str(NEW_THREAD["provider"]),
        "created_at": timestamp(),
        "updated_at": timestamp(),
    }


def message_body(content: str, role: str = "user", state_id: str | None = None) -> dict[str, Any]:
    """A Message as the server answers it."""
    return {
        "id": server_id(MESSAGE_ID),
        "thread_id": server_id(THREAD_ID, state_id),
        "role": match.str(role),
        "content": match.str(content),
        "created_at": timestamp(),
    }


def problem(status: int, title: str) -> dict[str, Any]:
    """An RFC 9457 problem body: any type, title and detail; this status."""
    return {
        "type": match.str("about:blank"),
        "title": match.str(title),
        "status": status,
        "detail": match.str(title),
    }


def thread_path(suffix: str = "") -> Any:
    """``/threads/{id}<suffix>`` with the ID from the ``thread_id`` provider state."""
    return match.type(
        f"/threads/{THREAD_ID}{suffix}",
        generator=generate.provider_state(f"/threads/${{thread_id}}{suffix}"),
    )


def key_header(example: str) -> Any:
    """An Idempotency-Key: the spec's pattern and maxLength (1 to 255 characters) in one regex."""
    return match.regex(example, regex=KEY)


def thread_location() -> Any:
    """The Location of a created thread: ``/threads/{server-made id}``."""
    return match.regex(f"/threads/{THREAD_ID}", regex=f"^/threads/{UUID[1:]}")


def message_location() -> Any:
    """The Location of a created message: ``/threads/{id}/messages/{server-made id}``."""
    return match.regex(
        f"/threads/{THREAD_ID}/messages/{MESSAGE_ID}",
        regex=f"^/threads/{UUID[1:-1]}/messages/{UUID[1:]}",
    )
