"""Why an API call failed, sorted by what the caller should do about it.

    ApiError                    every failure of a call to the threads API
    +-- RetryableError          the same request (same Idempotency-Key) may succeed later
    |   +-- NetworkError        no answer: refused, reset, or the response was lost
    |   |   +-- NetworkTimeout  no answer in time (the server may still have committed)
    |   +-- ServerError         5xx
    |   +-- InFlight            409: a request with the same key is still being processed
    |   +-- Throttled           408, 425, 429: come back later (``retry_after`` seconds)
    +-- PermanentError          sending it again cannot help; a person or a fix must
        +-- BadRequest          400 (missing/malformed key, bad JSON, bad cursor)
        +-- Unauthorized        401 (missing or unknown token)
        +-- Forbidden           403
        +-- NotFound            404 (missing, deleted or someone else's)
        +-- PreconditionFailed  412 (stale If-Match)
        +-- Unprocessable       422 (invalid body, or a key reused with another body)
        +-- ClientError         any other 4xx
        +-- UnexpectedResponse  a status or body the contract does not allow

The outbox retries ``RetryableError`` with backoff and the same key, and marks the
thread ``failed`` on ``PermanentError``. Every error carries the operation, the
HTTP status (``None`` when there was no answer) and the problem+json body if any.
"""

from threadpact.models import Problem


class ApiError(Exception):
    """A call to the threads API failed."""

    def __init__(
        self,
        operation: str,
        detail: str,
        *,
        status: int | None = None,
        problem: Problem | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.operation = operation
        self.detail = detail
        self.status = status
        self.problem = problem
        self.retry_after = retry_after
        super().__init__(str(self))

    def __str__(self) -> str:
        status = f"{self.status} " if self.status is not None else ""
        return f"{self.operation}: {status}{self.detail}"


class RetryableError(ApiError):
    """The same request, with the same key, may succeed later."""


class NetworkError(RetryableError):
    """No answer arrived: the request may or may not have reached the server."""


class NetworkTimeout(NetworkError):
    """No answer in time; the server may still have done the work."""


class ServerError(RetryableError):
    """The server answered 5xx."""


class InFlight(RetryableError):
    """409: a request with the same Idempotency-Key is still in flight."""


class Throttled(RetryableError):
    """408, 425 or 429: the server asks the client to come back later."""


class PermanentError(ApiError):
    """Sending the same request again cannot succeed."""


class BadRequest(PermanentError):
    """400: the request is malformed."""


class Unauthorized(PermanentError):
    """401: the token is missing or unknown."""


class Forbidden(PermanentError):
    """403: the principal may not do this."""


class NotFound(PermanentError):
    """404: no such resource for this principal."""


class PreconditionFailed(PermanentError):
    """412: the If-Match value is stale."""


class Unprocessable(PermanentError):
    """422: the body is invalid, or the key was used before with another body."""


class ClientError(PermanentError):
    """Any other 4xx."""


class UnexpectedResponse(PermanentError):
    """The answer breaks the contract (wrong status, or a body that does not parse)."""


BY_STATUS: dict[int, type[ApiError]] = {
    400: BadRequest,
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    408: Throttled,
    409: InFlight,
    412: PreconditionFailed,
    422: Unprocessable,
    425: Throttled,
    429: Throttled,
}


def error_class(status: int) -> type[ApiError]:
    """The exception class for an HTTP error status."""
    if status in BY_STATUS:
        return BY_STATUS[status]
    if 500 <= status <= 599:
        return ServerError
    if 400 <= status <= 499:
        return ClientError
    return UnexpectedResponse
