"""uvicorn's HTTP protocol, answering unparsable requests with problem+json too.

A request so malformed that it never reaches the app (a control character in a
header, a broken request line) gets uvicorn's plain-text 400; this subclass sends
the same 400 as an RFC 9457 problem, like every other error the provider makes.
"""

import json

from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from threadpact.names import PROBLEM_JSON


class ProblemHttpProtocol(HttpToolsProtocol):
    """HttpToolsProtocol whose parse-error answer is application/problem+json."""

    def send_400_response(self, msg: str) -> None:
        """Answer an unparsable request with a 400 problem and close the connection."""
        body = json.dumps(
            {
                "type": "urn:threadpact:problem:malformed-http",
                "title": "Bad request",
                "status": 400,
                "detail": f"the request is not valid HTTP: {msg}",
            }
        ).encode()
        head = [
            b"HTTP/1.1 400 Bad Request\r\n",
            *(name + b": " + value + b"\r\n" for name, value in self.server_state.default_headers),
            b"content-type: " + PROBLEM_JSON.encode() + b"\r\n",
            b"content-length: " + str(len(body)).encode() + b"\r\n",
            b"connection: close\r\n\r\n",
        ]
        self.transport.write(b"".join(head) + body)
        self.transport.close()
