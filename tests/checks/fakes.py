"""Schemathesis objects for unit tests: the project's spec, cases and canned answers."""

import json
from typing import Any

import requests
import schemathesis
from schemathesis.core.transport import Response
from schemathesis.schemas import BaseSchema

from threadpact.checks.exchange import Exchange
from threadpact.checks.types import AnyCase, ApiOperation
from threadpact.openapi import load_spec
from threadpact.reference import reference_spec

BASE_URL = "http://127.0.0.1:9"
THREAD_ID = "0b6c2a5e-3a55-4c2b-8f7e-0d9b1f1c8e21"
BODY = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai", "title": "Refund"}


def load_schema() -> BaseSchema:
    """The project's spec, as schemathesis sees it."""
    config = schemathesis.Config.from_dict(
        {
            "base-url": BASE_URL,
            "cache": {"enabled": False},
            "output": {"sanitization": {"enabled": False}},
        }
    )
    return schemathesis.openapi.from_dict(load_spec(reference_spec()), config=config)


def operation(schema: BaseSchema, operation_id: str) -> ApiOperation:
    """One operation by its ID."""
    found: ApiOperation = schema.find_operation_by_id(operation_id)
    return found


def answer(
    status: int,
    body: Any = None,
    headers: dict[str, str] | None = None,
    method: str = "POST",
    url: str = f"{BASE_URL}/threads",
) -> Response:
    """A canned answer to a request."""
    content = b"" if body is None else json.dumps(body).encode()
    request = requests.Request(method, url).prepare()
    listed = {name: [value] for name, value in (headers or {}).items()}
    return Response(status, listed, content, request, 0.01, True)


def create_case(schema: BaseSchema, key: str = "k-1", token: str = "token-a") -> AnyCase:
    """A createThread request."""
    case: AnyCase = operation(schema, "createThread").Case(
        headers={"Idempotency-Key": key, "Authorization": f"Bearer {token}"},
        body=dict(BODY),
        media_type="application/json",
    )
    return case


def thread(thread_id: str = THREAD_ID, **changes: Any) -> dict[str, Any]:
    """A ServerThread body."""
    return {
        "id": thread_id,
        **BODY,
        "created_at": "2026-11-28T09:15:02.120000Z",
        "updated_at": "2026-11-28T09:15:02.120000Z",
        **changes,
    }


def exchange(case: AnyCase, status: int, body: Any = None, **headers: str) -> Exchange:
    """A request and a canned answer to it."""
    named = {name.replace("_", "-"): value for name, value in headers.items()}
    return Exchange("test", case, answer(status, body, named))
