"""The reference driver: a Python client behind the driver protocol (docs/driver-protocol.md).

    threadpact check-client --driver "python -m threadpact.conformance.refdriver"
    threadpact check-client --driver "python -m threadpact.conformance.refdriver --factory pkg:make"

It reads requests from stdin in one thread and runs each in a thread of its own,
so a request sent while an earlier one waits on the network is answered at once
(the suite relies on that). Answers go to stdout, one JSON line each, under a
lock; anything else the client prints goes to stderr, the driver's log. The client
comes from a factory of :mod:`threadpact.client.adapter` (default: the reference
client), with a plain httpx transport: the faults come from the suite's proxy.
"""

import argparse
import json
import sys
import threading
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx

from threadpact.client.adapter import (
    DEFAULT_CLIENT,
    ClientFactory,
    ClientUnderTest,
    ReferenceClient,
    load_factory,
)

Handler = Callable[[dict[str, Any]], Any]


class ReferenceDriver:
    """The protocol's operations on clients built by one factory."""

    def __init__(self, factory: ClientFactory) -> None:
        self.factory = factory
        self.client: ClientUnderTest | None = None
        self.arguments: dict[str, str] | None = None
        self.operations: dict[str, Handler] = {
            "open": self.open,
            "reload": self.reload,
            "close": self.close,
            "create_thread": lambda a: self.require().create_thread(
                title=a["title"], agent_id=a["agent_id"], model=a["model"], provider=a["provider"]
            ),
            "send_message": lambda a: self.require().send_message(
                a["thread_id"], role=a["role"], content=a["content"]
            ),
            "rename_thread": lambda a: self.require().rename_thread(a["thread_id"], a["title"]),
            "delete_thread": lambda a: self.require().delete_thread(a["thread_id"]),
            "select_thread": lambda a: self.require().select_thread(a["thread_id"]),
            "current_thread_id": lambda _: self.require().current_thread_id(),
            "threads": lambda _: [t.model_dump(mode="json") for t in self.require().threads()],
            "sync_once": lambda _: self.require().sync_once(),
            "sync": lambda _: self.require().sync(),
            "skip_backoff": lambda _: skip_backoff(self.require()),
            "online": lambda _: self.require().online(),
            "advance": lambda a: self.require().advance(float(a["seconds"])),
            "pull": lambda _: self.require().pull(),
            "import_legacy": lambda a: self.require().import_legacy(a["dump"]),
            "retry": lambda a: self.require().retry(a["thread_id"]),
        }

    def require(self) -> ClientUnderTest:
        """The open client (an error answer if there is none)."""
        if self.client is None:
            raise RuntimeError("no client is open: send open first")
        return self.client

    def open(self, arguments: dict[str, Any]) -> None:
        """Close any open client; build one on the store."""
        self.close(arguments)
        self.arguments = {
            "base_url": str(arguments["base_url"]),
            "token": str(arguments["token"]),
            "store_path": str(arguments["store_path"]),
        }
        self.client = self.factory(
            base_url=self.arguments["base_url"],
            token=self.arguments["token"],
            store_path=Path(self.arguments["store_path"]),
            # A transport per client: closing a client closes its transport.
            transport=httpx.HTTPTransport(verify=False),  # loopback HTTP; no CA bundle
        )

    def reload(self, arguments: dict[str, Any]) -> None:
        """A page reload: a new client with the same arguments on the same store."""
        del arguments
        if self.arguments is None:
            raise RuntimeError("nothing to reload: send open first")
        self.open(dict(self.arguments))

    def close(self, arguments: dict[str, Any]) -> None:
        """Close the open client, if any."""
        del arguments
        if self.client is not None:
            client, self.client = self.client, None
            client.close()

    def handle(self, request: dict[str, Any]) -> dict[str, Any]:
        """The answer to one request."""
        number = request.get("id")
        operation = self.operations.get(str(request.get("op")))
        if operation is None:
            return {"id": number, "error": f"unknown op {request.get('op')!r}"}
        try:
            return {"id": number, "result": operation(request)}
        except Exception as exc:
            traceback.print_exc(file=sys.stderr)
            return {"id": number, "error": f"{type(exc).__name__}: {exc}"}


def skip_backoff(client: ClientUnderTest) -> None:
    """Make every retry that waits on a backoff timer due now."""
    own = getattr(client, "skip_backoff", None)
    if callable(own):
        own()
        return
    if not isinstance(client, ReferenceClient):
        raise RuntimeError(f"{type(client).__name__} has no skip_backoff()")
    with client.engine.store.transaction() as state:
        for entry in state.outbox:
            if entry.state == "queued":
                entry.notBefore = 0.0


def serve(driver: ReferenceDriver, requests: IO[bytes], answers: IO[str]) -> None:
    """Answer every request line until ``requests`` ends, then close the client."""
    lock = threading.Lock()
    running: list[threading.Thread] = []

    def answer(request: dict[str, Any]) -> None:
        line = json.dumps(driver.handle(request))
        with lock:
            answers.write(line + "\n")
            answers.flush()

    for raw in requests:
        try:
            request = json.loads(raw)
        except ValueError:
            print(f"refdriver: ignoring a line that is not JSON: {raw[:200]!r}", file=sys.stderr)
            continue
        if not isinstance(request, dict):
            print(
                f"refdriver: ignoring a line that is not an object: {raw[:200]!r}", file=sys.stderr
            )
            continue
        worker = threading.Thread(target=answer, args=(request,), daemon=True)
        worker.start()
        running.append(worker)
        running[:] = [t for t in running if t.is_alive()]
    for worker in running:
        worker.join(timeout=30)
    driver.close({})


def main(argv: list[str] | None = None) -> int:
    """Run the driver on stdin and stdout."""
    parser = argparse.ArgumentParser(prog="python -m threadpact.conformance.refdriver")
    parser.add_argument(
        "--factory",
        default=DEFAULT_CLIENT,
        help=f"module:factory of the client to drive (default {DEFAULT_CLIENT})",
    )
    args = parser.parse_args(argv)
    try:
        factory = load_factory(args.factory)
    except (ImportError, ValueError) as exc:
        print(f"refdriver: --factory {args.factory}: {exc}", file=sys.stderr)
        return 2
    answers = sys.stdout
    sys.stdout = sys.stderr  # nothing but answers on the protocol's stdout
    serve(ReferenceDriver(factory), sys.stdin.buffer, answers)
    return 0


if __name__ == "__main__":
    sys.exit(main())
