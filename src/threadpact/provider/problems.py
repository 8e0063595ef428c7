"""problem+json (RFC 9457) for every 4xx and 5xx the provider sends."""

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response
from starlette.routing import Match

from threadpact.names import PROBLEM_JSON
from threadpact.pointers import json_pointer
from threadpact.provider.storage.base import StorageBusy

log = logging.getLogger("threadpact.provider")

TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal server error",
    503: "Service unavailable",
}


class ProblemError(Exception):
    """Raised anywhere in a request to answer with a problem+json response."""

    def __init__(
        self,
        status: int,
        detail: str,
        *,
        slug: str | None = None,
        title: str | None = None,
        errors: Sequence[Mapping[str, str]] = (),
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.slug = slug
        self.title = title or TITLES.get(status, "Error")
        self.errors = list(errors)
        self.headers = dict(headers or {})


def problem_response(problem: ProblemError, instance: str | None = None) -> Response:
    """Render a problem as an ``application/problem+json`` response."""
    body: dict[str, Any] = {
        "type": f"urn:threadpact:problem:{problem.slug}" if problem.slug else "about:blank",
        "title": problem.title,
        "status": problem.status,
        "detail": problem.detail,
    }
    if instance:
        body["instance"] = instance
    if problem.errors:
        body["errors"] = problem.errors
    return Response(
        json.dumps(body, ensure_ascii=False).encode(),
        status_code=problem.status,
        media_type=PROBLEM_JSON,
        headers=problem.headers,
    )


def validation_problem(errors: Sequence[Any], *, body_prefix: bool = False) -> ProblemError:
    """A 422 listing each field error by JSON pointer (400 if the JSON itself is broken)."""
    items = []
    for error in errors:
        loc = list(error.get("loc", ()))
        if body_prefix and loc[:1] == ["body"]:
            loc = loc[1:]
        if error.get("type") == "json_invalid":
            return ProblemError(
                400, "the request body is not valid UTF-8 JSON", slug="malformed-json"
            )
        items.append({"loc": json_pointer(loc), "msg": str(error.get("msg", "invalid"))})
    summary = "; ".join(f"{item['loc']}: {item['msg']}" for item in items[:5])
    return ProblemError(
        422, f"the request breaks the schema: {summary}", slug="validation", errors=items
    )


METHODS = ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "TRACE")


def allowed_methods(request: Request) -> str:
    """The methods some route serves at the request's path, for a 405's ``Allow`` (RFC 9110)."""

    def serves(method: str) -> bool:
        scope = {**request.scope, "method": method}
        return any(route.matches(scope)[0] is Match.FULL for route in request.app.router.routes)

    return ", ".join(method for method in METHODS if serves(method))


def install(app: FastAPI) -> None:
    """Make every error the app can raise a problem+json response."""

    async def on_problem(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, ProblemError)
        return problem_response(exc, request.url.path)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, StarletteHTTPException)
        detail = exc.detail if isinstance(exc.detail, str) else TITLES.get(exc.status_code, "")
        if exc.status_code == 404:
            detail = "no such resource"
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return problem_response(
            ProblemError(exc.status_code, detail, headers=headers), request.url.path
        )

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        problem = validation_problem(exc.errors())
        return problem_response(problem, request.url.path)

    async def on_busy(request: Request, exc: Exception) -> Response:
        log.warning("database busy on %s %s: %s", request.method, request.url.path, exc)
        problem = ProblemError(
            503,
            "the database is busy; retry shortly",
            slug="database-busy",
            headers={"Retry-After": "1"},
        )
        return problem_response(problem, request.url.path)

    async def on_crash(request: Request, exc: Exception) -> Response:
        log.error("unhandled error on %s %s", request.method, request.url.path, exc_info=exc)
        problem = ProblemError(500, "the server failed; the error has been logged", slug="internal")
        return problem_response(problem, request.url.path)

    app.add_exception_handler(ProblemError, on_problem)
    app.add_exception_handler(StarletteHTTPException, on_http)
    app.add_exception_handler(RequestValidationError, on_validation)
    app.add_exception_handler(StorageBusy, on_busy)
    app.add_exception_handler(Exception, on_crash)
