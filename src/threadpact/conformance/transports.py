"""The httpx transport the suite hands a Python client: the lab's faults around real HTTP.

A client built by a factory sends every request through a :class:`LabTransport`,
which records it and carries out the plan of :class:`~threadpact.conformance.faults.Faults`:
offline (never sent), a lost response (sent and answered, the answer dropped), an
answer in the server's place, a delay, a callback just before the request goes
out (to act "while the create is in flight"), a request delivered twice, the
provider killed while it handles the request, or the sender killed as it sends.

With upstreams (``LabTransport(upstreams=[url, url])`` or :meth:`Faults.set_upstreams`)
each request goes to the next of them in turn, whatever address the client used,
skipping one that refuses the connection; without, requests go where addressed.
"""

import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import NoReturn

import httpx

from threadpact.conformance.faults import (
    DUPLICATE,
    MESSAGE_CREATE,
    THREAD_CREATE,
    UPSTREAM,
    Exchange,
    Faults,
    Plan,
    Sent,
    Strike,
)

__all__ = ["MESSAGE_CREATE", "THREAD_CREATE", "LabTransport", "Sent"]


def retarget(request: httpx.Request, base: str) -> httpx.Request:
    """``request`` sent to the upstream at ``base`` instead (same path, query and body)."""
    url = httpx.URL(base + request.url.raw_path.decode("ascii"))
    headers = httpx.Headers(request.headers)
    del headers["host"]
    return httpx.Request(
        request.method,
        url,
        headers=headers,
        content=request.content,
        extensions=request.extensions,
    )


@dataclass(frozen=True)
class Delivery:
    """A duplicate's delivery: when it went out, where to, and the status it got."""

    began: float
    upstream: str | None
    status: int | None


def buffered(response: httpx.Response, request: httpx.Request) -> httpx.Response:
    """``response`` read to the end, as a fresh response the client reads as usual."""
    raw = b"".join(response.iter_raw())
    response.close()
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=httpx.ByteStream(raw),
        request=request,
        extensions=response.extensions,
    )


class LabTransport(Faults, httpx.BaseTransport):
    """Real HTTP with recording and injectable faults."""

    def __init__(
        self,
        inner: httpx.BaseTransport | None = None,
        *,
        upstreams: str | Sequence[str] = (),
        seed: int | None = None,
    ) -> None:
        super().__init__(seed=seed)
        # Loopback HTTP only: skipping the CA bundle makes each transport cheap to build.
        self.inner = inner or httpx.HTTPTransport(verify=False)
        self.set_upstreams(upstreams)

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
        if plan.sender is not None or plan.kill is not None:
            self._unanswered(request, plan, began)
        request.read()
        copies: list[Delivery] = []
        concurrent: threading.Thread | None = None
        if plan.duplicate is not None and plan.duplicate.concurrent:
            concurrent = threading.Thread(
                target=lambda: copies.append(self._deliver(request, plan.copy_upstreams)),
                name="lab-duplicate",
                daemon=True,
            )
            concurrent.start()
        exchange = self.send(request, plan.upstreams)
        response = exchange.response
        if response is None:
            self.record(
                method, path, headers, None, UPSTREAM, began=began, upstream=exchange.upstream
            )
            self._record_copies(request, copies, concurrent)
            assert exchange.error is not None
            raise exchange.error
        if plan.lose:
            response.read()
            response.close()
        elif plan.duplicate is not None:
            response = buffered(response, request)  # answered before the copy goes out
        self.record(
            method,
            path,
            headers,
            response.status_code,
            plan.fault,
            began=began,
            upstream=exchange.upstream,
        )
        if plan.duplicate is not None and concurrent is None:
            copies.append(self._deliver(request, plan.copy_upstreams))
        self._record_copies(request, copies, concurrent)
        if plan.lose:
            raise httpx.ReadError("connection reset before the answer arrived (test)")
        return response

    def send(
        self, request: httpx.Request, upstreams: Sequence[str], strike: Strike | None = None
    ) -> Exchange:
        """Send ``request`` to the first of ``upstreams`` that takes the connection (the
        next one when one is refused; where it is addressed if none are given). A
        failure after the connection was taken is not retried (the request may have
        arrived). ``strike``, if given, starts its countdown once the request was written.
        """
        request.read()
        targets: Sequence[str | None] = upstreams or [None]
        failure: httpx.TransportError | None = None
        for base in targets:
            sent = retarget(request, base) if base is not None else request
            if strike is not None:
                sent = strike.arm(sent)
            try:
                return Exchange(base, self.inner.handle_request(sent))
            except httpx.ConnectError as exc:
                failure = exc
            except httpx.TransportError as exc:
                return Exchange(base, None, exc)
        return Exchange(None, None, failure)

    def _deliver(self, request: httpx.Request, upstreams: Sequence[str]) -> Delivery:
        """Send a duplicate of ``request`` and read its answer."""
        began = time.monotonic()
        exchange = self.send(request, upstreams)
        if exchange.response is not None:
            exchange.response.read()
            exchange.response.close()
        return Delivery(began, exchange.upstream, exchange.status)

    def _record_copies(
        self,
        request: httpx.Request,
        copies: list[Delivery],
        concurrent: threading.Thread | None,
    ) -> None:
        """Record the duplicates (after the original), once they are all answered."""
        if concurrent is not None:
            concurrent.join()
        for copy in copies:
            self.record(
                request.method,
                request.url.path,
                request.headers,
                copy.status,
                DUPLICATE,
                began=copy.began,
                upstream=copy.upstream,
            )

    def _unanswered(self, request: httpx.Request, plan: Plan, began: float) -> NoReturn:
        """Kill sender or kill during: forward (or not), record, never answer."""
        if plan.sender is not None:
            plan.sender.action()
        strike = Strike(plan.kill) if plan.kill is not None else None
        exchange = Exchange(None, None)
        if plan.forwards:
            exchange = self.send(request, plan.upstreams, strike)
            if exchange.response is not None:
                exchange.response.read()
                exchange.response.close()
                if strike is not None:
                    strike.start()  # an inner transport that does not trace
        fault = plan.fault
        if strike is not None and not strike.finish():
            fault = UPSTREAM  # no upstream took it: nothing to kill
        self.record(
            request.method,
            request.url.path,
            request.headers,
            exchange.status,
            fault,
            began=began,
            upstream=exchange.upstream,
        )
        if strike is not None and strike.errors:
            raise strike.errors[0]
        raise httpx.ReadError("connection reset before the answer arrived (test)")

    def close(self) -> None:
        """Kept open across client reloads; :meth:`shutdown` closes it."""

    def shutdown(self) -> None:
        """Close the real transport."""
        self.inner.close()
