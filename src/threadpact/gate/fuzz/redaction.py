"""Redacting credentials from what a fuzz run reports, and nothing else.

A token is replaced only where it is a credential: the value of an ``Authorization``
header (``Authorization: Bearer <token>`` in request dumps, ``'Authorization':
'Bearer <token>'`` in Python reprs, ``-H 'Authorization: Bearer <token>'`` in curl
lines). Curl headers are re-quoted with double quotes, so the shell expands the
``$TOKEN_A``/``$TOKEN_B`` variable that stands for the token. A short token such as
``ta`` therefore never garbles words that contain it ("status", "detail").

Beyond headers, a token of at least :data:`LONG_TOKEN` characters is replaced
wherever it occurs: a server that echoes a real token into a body must not leak it
into a report, and a long token does not occur inside ordinary words by chance. A
shorter token is replaced only in headers, because elsewhere it would match words.
"""

import re
from collections.abc import Sequence

from threadpact.checks.context import Principal
from threadpact.names import AUTHORIZATION

LONG_TOKEN = 8
"""Tokens at least this long are redacted wherever they occur, not only in headers."""
_END = r"(?=$|[\s'\"`,;\\)\]}])"
"""Where a token ends: the end of the text, space, a quote, or a closing bracket."""


def _curl_header(token: str) -> re.Pattern[str]:
    return re.compile(rf"'{AUTHORIZATION}:\s*Bearer {re.escape(token)}'", re.IGNORECASE)


def _header_value(token: str) -> re.Pattern[str]:
    # "Authorization: Bearer t", "'Authorization': 'Bearer t'", "authorization=Bearer t"
    return re.compile(
        rf"({AUTHORIZATION}['\"]?\s*[:=]\s*['\"]?Bearer\s+){re.escape(token)}{_END}",
        re.IGNORECASE,
    )


def redact(text: str, principals: Sequence[Principal]) -> str:
    """Replace each principal's token where it is a credential with its shell variable."""
    # Longer tokens first, so a token that starts another is not replaced inside it.
    for principal in sorted(principals, key=lambda p: len(p.token), reverse=True):
        variable = principal.variable  # "$TOKEN_A": no backslash, safe in a replacement
        text = _curl_header(principal.token).sub(f'"{AUTHORIZATION}: Bearer {variable}"', text)
        text = _header_value(principal.token).sub(rf"\g<1>{variable}", text)
        if len(principal.token) >= LONG_TOKEN:
            text = text.replace(principal.token, variable)
    return text
