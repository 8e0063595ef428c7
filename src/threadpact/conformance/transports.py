"""The httpx transport the suite hands a Python client: the lab's faults around real HTTP.

A client built by a factory sends every request through a :class:`LabTransport`,
which records it and carries out the plan of :class:`~threadpact.conformance.faults.Faults`:
offline (never sent), a lost response (sent and answered, the answer dropped), an
answer in the server's place, a delay, or a callback just before the request goes
out (to act "while the create is in flight").
"""

import time

import httpx

from threadpact.conformance.faults import MESSAGE_CREATE, THREAD_CREATE, Faults, Sent

__all__ = ["MESSAGE_CREATE", "THREAD_CREATE", "LabTransport", "Sent"]


class LabTransport(Faults, httpx.BaseTransport):
    """Real HTTP with recording and injectable faults."""

    def __init__(self, inner: httpx.BaseTransport | None = None) -> None:
        super().__init__()
        # Loopback HTTP only: skipping the CA bundle makes each transport cheap to build.
        self.inner = inner or httpx.HTTPTransport(verify=False)

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        method, path, headers = request.method, request.url.path, request.headers
        began = time.monotonic()
        plan = self.plan(method, path)
        for action in plan.before:
            action(request)
        if plan.offline:
            self.record(method, path, headers, None, "offline", began=began)
            raise httpx.ConnectError("network is down (test)", request=request)
        if plan.delay:
            time.sleep(plan.delay)
        if plan.answer is not None:
            self.record(method, path, headers, plan.answer.status, plan.fault, began=began)
            return httpx.Response(
                plan.answer.status,
                headers=plan.answer.headers(),
                content=plan.answer.body(path),
                request=request,
            )
        response = self.inner.handle_request(request)
        if plan.lose:
            response.read()
            response.close()
            self.record(method, path, headers, response.status_code, plan.fault, began=began)
            raise httpx.ReadError("connection reset before the answer arrived (test)")
        self.record(method, path, headers, response.status_code, plan.fault, began=began)
        return response

    def close(self) -> None:
        """Kept open across client reloads; :meth:`shutdown` closes it."""

    def shutdown(self) -> None:
        """Close the real transport."""
        self.inner.close()
