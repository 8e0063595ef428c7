"""Bearer-token authentication: a token names one principal."""

from fastapi import Request

from threadpact.names import AUTHORIZATION, WWW_AUTHENTICATE
from threadpact.provider.problems import ProblemError


def authenticate(request: Request) -> str:
    """The principal of the request's bearer token, or a 401."""
    scheme, _, token = request.headers.get(AUTHORIZATION, "").partition(" ")
    token = token.strip()
    name = None
    if scheme.lower() == "bearer":
        name = request.app.state.settings.tokens.get(token)
        if name is None:
            # Tokens granted through the test-mode provider state (empty otherwise).
            name = request.app.state.test_tokens.get(token)
    if name is None:
        raise ProblemError(
            401,
            "send Authorization: Bearer <token> with a token this server knows",
            slug="unauthorized",
            headers={WWW_AUTHENTICATE: 'Bearer realm="threadpact"'},
        )
    return str(name)
