"""Responses the routers send: JSON bytes as they are, and a create's stored answer."""

from starlette.responses import Response

from threadpact.names import ETAG, IDEMPOTENT_REPLAYED, LOCATION
from threadpact.provider.idempotency import StoredResponse


def json_response(
    body: bytes, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A JSON response with exactly these bytes."""
    return Response(body, status_code=status, media_type="application/json", headers=headers)


def stored_response(stored: StoredResponse, replayed: bool) -> Response:
    """Send a create's answer; a replay says so."""
    headers = {LOCATION: stored.location}
    if stored.etag:
        headers[ETAG] = stored.etag
    if replayed:
        headers[IDEMPOTENT_REPLAYED] = "true"
    return json_response(stored.body, stored.status, headers)
