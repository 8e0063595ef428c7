"""The old client's data: threads it already made on the server are adopted, not copied.

The old client made thread IDs itself, posted each create without the ID under a
random key and never read the answer. Its localStorage dump therefore names threads
the server has under IDs the dump does not know (docs/driver-protocol.md, "The
legacy dump").
"""

import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from threadpact.client.api import ThreadsApi
from threadpact.conformance.lab import Lab, expect
from threadpact.conformance.scenarios.common import THREAD, contents, server_contents
from threadpact.models import LocalThread, ThreadCreate


@dataclass
class Legacy:
    """One thread as the old client kept it."""

    title: str
    model: str
    messages: list[tuple[str, str]] = field(default_factory=list)
    id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def dump(self, created_ms: int) -> dict[str, Any]:
        """The thread in the dump's format."""
        return {
            "id": self.id,
            "title": self.title,
            "agentId": THREAD["agent_id"],
            "model": self.model,
            "provider": THREAD["provider"],
            "artifactId": None,
            "createdAt": created_ms,
            "updatedAt": created_ms,
            "messages": [
                {"id": str(uuid.uuid4()), "role": role, "content": text, "timestamp": created_ms}
                for role, text in self.messages
            ],
        }


def made_by_old_client(observer: ThreadsApi, legacy: Legacy) -> str:
    """Post the thread as the old client did (a random key, no ID); the server's ID."""
    body = ThreadCreate(
        title=legacy.title,
        agent_id=THREAD["agent_id"],
        model=legacy.model,
        provider=THREAD["provider"],
    )
    return str(observer.create_thread(body, idempotency_key=str(uuid.uuid4())).value.id)


def local_twin(threads: list[LocalThread], legacy: Legacy) -> LocalThread | None:
    """The local thread migrated from ``legacy`` (by its title and model, unique here)."""
    found = [t for t in threads if (t.title, t.model) == (legacy.title, legacy.model)]
    return found[0] if len(found) == 1 else None


def test_threads_the_old_client_made_are_adopted(lab: Lab, observer: ThreadsApi) -> None:
    """Two legacy threads the old client had already made are adopted (the local thread
    takes the server's ID, the legacy messages are posted to it), one it never made is
    created: one server thread per legacy thread."""
    refund = Legacy(
        "Refund for order 1042",
        "gpt-4o",
        [("user", "Where is my refund?"), ("assistant", "Checking order 1042.")],
    )
    shipping = Legacy("Shipping address", "gpt-4o")
    # Same title, agent and provider as the first, another model: not the same thread.
    unsent = Legacy("Refund for order 1042", "gpt-4o-mini", [("user", "Never reached it")])
    created_ms = int(time.time() * 1000) - 2000  # made locally just before it was posted
    server_ids = {refund.id: made_by_old_client(observer, refund)}
    server_ids[shipping.id] = made_by_old_client(observer, shipping)
    dump = {
        "threads": [t.dump(created_ms) for t in (refund, shipping, unsent)],
        "currentThreadId": refund.id,
    }

    client = lab.open()
    client.import_legacy(dump)
    client.sync()
    client.pull()

    rule = "adopts-legacy"
    view = lab.server()
    titles = sorted((t.title, t.model) for t in view.threads)
    expect(
        len(view.threads) == 3,
        rule,
        f"the server has {len(view.threads)} threads for the 3 legacy threads, 2 of which "
        f"the old client had made: {titles}",
    )
    threads = client.threads()
    for legacy in (refund, shipping, unsent):
        local = local_twin(threads, legacy)
        expect(
            local is not None,
            "nothing-deleted",
            f"legacy thread {legacy.id} ({legacy.title!r}, {legacy.model}) is not shown once; "
            f"the client shows {[(t.id, t.title, t.model) for t in threads]}",
        )
        assert local is not None
        if legacy.id in server_ids:
            expect(
                local.id == server_ids[legacy.id],
                rule,
                f"legacy thread {legacy.id} ({legacy.title!r}) is now {local.id}, not "
                f"{server_ids[legacy.id]}, the server thread the old client made",
            )
        expect(
            legacy.id in local.aliases,
            "alias",
            f"the legacy id {legacy.id} is not among the aliases {local.aliases} of thread "
            f"{local.id}",
        )
        on_server = server_contents(view.messages.get(local.id, []))
        wanted = [text for _, text in legacy.messages]
        expect(
            on_server == wanted and contents(local) == wanted,
            rule,
            f"legacy thread {legacy.id} ({legacy.title!r}, now {local.id}) has the messages "
            f"{contents(local)} locally and {on_server} on the server; the dump had {wanted}",
        )
    expect(
        client.current_thread_id() == server_ids[refund.id],
        "current-follows",
        f"the current thread is {client.current_thread_id()}; the dump's current thread "
        f"was adopted as {server_ids[refund.id]}",
    )
    lab.check_synced(client, temporary_ids={refund.id, shipping.id, unsent.id}, creations=3)
