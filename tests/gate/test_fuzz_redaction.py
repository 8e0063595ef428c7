"""Tokens are redacted where they are credentials, and nowhere else."""

from threadpact.checks.context import Principal
from threadpact.gate.fuzz.redaction import redact

SHORT = [Principal("A", "ta"), Principal("B", "tb")]


def test_a_curl_header_becomes_a_double_quoted_variable() -> None:
    line = "curl -X POST -H 'Authorization: Bearer ta' -H 'ETag: \"1\"' http://x/threads"
    assert redact(line, SHORT) == (
        'curl -X POST -H "Authorization: Bearer $TOKEN_A" -H \'ETag: "1"\' http://x/threads'
    )


def test_request_dumps_and_reprs_lose_the_token() -> None:
    text = "--> GET /threads\n    Authorization: Bearer tb\n{'Authorization': 'Bearer ta'}"
    assert redact(text, SHORT) == (
        "--> GET /threads\n    Authorization: Bearer $TOKEN_B\n{'Authorization': 'Bearer $TOKEN_A'}"
    )


def test_a_short_token_never_garbles_other_text() -> None:
    text = "status: detail of the ETag; a tab, http://x/ta and Bearer tab"
    assert redact(text, SHORT) == text


def test_a_token_that_starts_another_is_not_replaced_inside_it() -> None:
    principals = [Principal("A", "ta"), Principal("B", "tab")]
    assert redact("Authorization: Bearer tab", principals) == "Authorization: Bearer $TOKEN_B"


def test_a_long_token_is_redacted_wherever_it_occurs() -> None:
    principals = [Principal("A", "token-alice-123")]
    assert redact('{"echo": "token-alice-123"}', principals) == '{"echo": "$TOKEN_A"}'
