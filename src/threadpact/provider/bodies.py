"""Reading a JSON request body into a generated model, with clear 4xx answers."""

from typing import TypeVar

from fastapi import Request
from pydantic import BaseModel, ValidationError

from threadpact.provider.problems import ProblemError, validation_problem

ModelT = TypeVar("ModelT", bound=BaseModel)

JSON_TYPES = ("application/json", "application/problem+json")


async def read_body(request: Request, model: type[ModelT]) -> ModelT:
    """Parse the body as ``model``: 413 too large, 415 not JSON, 400 bad JSON, 422 bad fields."""
    limit: int = request.app.state.settings.max_body_bytes
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise ProblemError(413, f"the body is over {limit} bytes", slug="too-large")
    media = request.headers.get("content-type", "application/json").split(";")[0].strip().lower()
    if media not in JSON_TYPES and not media.endswith("+json"):
        raise ProblemError(415, "send the body as application/json", slug="media-type")
    raw = bytearray()
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > limit:
            raise ProblemError(413, f"the body is over {limit} bytes", slug="too-large")
    if not raw.strip():
        raise ProblemError(400, "a JSON body is required", slug="malformed-json")
    try:
        return model.model_validate_json(bytes(raw))
    except ValidationError as exc:
        raise validation_problem(exc.errors()) from exc
