"""The test-mode provider-state endpoint for pact verification (off unless --test-states).

POST {STATES_PATH} with {"state": NAME, "params": {...}, "action": "setup"|"teardown"}.
Setup answers a JSON object whose values pacts inject into requests (``${thread_id}``).
Data is created for the test principal. The states and their parameters are listed
in :mod:`threadpact.names`.
"""

import json
from typing import Any

from fastapi import APIRouter, Request
from pydantic import ValidationError
from starlette.responses import Response

from threadpact.models import ThreadCreate
from threadpact.names import (
    STATE_AUTHENTICATED,
    STATE_KEY_USED,
    STATE_NO_THREADS,
    STATE_THREAD_EXISTS,
    STATE_THREAD_WITH_MESSAGES,
    STATES_PATH,
)
from threadpact.provider.deps import DatabaseDep, SettingsDep
from threadpact.provider.problems import ProblemError, validation_problem
from threadpact.provider.responses import json_response
from threadpact.provider.service import states, threads
from threadpact.provider.storage.base import StorageError
from threadpact.provider.timefmt import micros

router = APIRouter(include_in_schema=False)

SAMPLE = {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai"}
DEFAULT_MESSAGE_COUNT = 2


def thread_body(params: dict[str, Any]) -> ThreadCreate:
    """A ThreadCreate from state parameters, with sample values for what they omit."""
    fields = {name: params.get(name, value) for name, value in SAMPLE.items()}
    if "title" in params:
        fields["title"] = params["title"]
    try:
        return ThreadCreate.model_validate(fields)
    except ValidationError as exc:
        raise validation_problem(exc.errors()) from exc


@router.post(STATES_PATH)
async def change_state(request: Request, database: DatabaseDep, settings: SettingsDep) -> Response:
    """Set up (or tear down) one named provider state.

    A state that cannot be set up answers 409, never 5xx: pact's verifier retries a
    5xx state change for minutes, but reports a 4xx at once.
    """
    try:
        return await _change_state(request, database, settings)
    except StorageError as exc:
        raise ProblemError(
            409, f"the provider state could not be set up: {exc}"[:300], slug="state-failed"
        ) from None


async def _change_state(request: Request, database: DatabaseDep, settings: SettingsDep) -> Response:
    try:
        payload = json.loads(await request.body())
    except (ValueError, UnicodeDecodeError):
        raise ProblemError(
            400, "send {state, params, action} as JSON", slug="malformed-json"
        ) from None
    if not isinstance(payload, dict):
        raise ProblemError(
            400, "send {state, params, action} as a JSON object", slug="malformed-json"
        )
    state = payload.get("state") or ""
    params = payload.get("params") or {}
    if payload.get("action", "setup") != "setup" or not state:
        return json_response(b"{}")
    owner = settings.state_principal
    result: dict[str, str] = {}
    if state == STATE_AUTHENTICATED:
        token = params.get("token")
        if not isinstance(token, str) or not token:
            raise ProblemError(400, "this state needs a token parameter", slug="bad-state")
        request.app.state.test_tokens[token] = owner
        result["token"] = token
    elif state == STATE_NO_THREADS:
        await states.remove_everything(database, owner)
    elif state in (STATE_THREAD_EXISTS, STATE_THREAD_WITH_MESSAGES):
        body = thread_body(params)
        count = 0
        if state == STATE_THREAD_WITH_MESSAGES:
            count = int(params.get("count", DEFAULT_MESSAGE_COUNT))
        result = await states.add_thread(database, owner, body, micros(settings.clock), count)
    elif state == STATE_KEY_USED:
        key = str(params.get("key", ""))
        stored, _ = await threads.create_thread(database, settings, owner, key, thread_body(params))
        result["thread_id"] = stored.location.rsplit("/", 1)[1]
    else:
        raise ProblemError(400, f"unknown provider state {state!r}", slug="unknown-state")
    return json_response(json.dumps(result).encode())
