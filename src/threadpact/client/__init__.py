"""The reference consumer: a local-first chat client that keeps the thread ID contract.

    store.py     the durable local store (one JSON file, atomic writes)
    api.py       the threads API over httpx; errors.py, its exception tree
    mapping.py   LocalThread <-> ServerThread, LocalMessage <-> Message (only here)
    outbox.py    queued changes; backoff.py, the retry schedule; clock.py, time
    swap.py      what a send's outcome changes in the store (the ID swap)
    local.py     the user's actions: local, atomic, offline-safe
    sync.py      the engine: outbox draining, online(), manual retry, pull()
    pull.py      what changed on the server elsewhere, and the old client's twins
    legacy.py    migration of the old client's localStorage data
    adapter.py   the protocol the conformance suite drives clients through
    invariants.py   the consumer rules, named, and the checks after a sync

Nothing here imports pact or schemathesis.
"""

from threadpact.client.api import Created, ThreadsApi, Versioned
from threadpact.client.backoff import RetryPolicy
from threadpact.client.clock import Clock, SystemClock, VirtualClock
from threadpact.client.store import Store, StoreCorrupt, StoreError, StoreVersionError
from threadpact.client.sync import PullReport, SyncEngine, SyncReport

__all__ = [
    "Clock",
    "Created",
    "PullReport",
    "RetryPolicy",
    "Store",
    "StoreCorrupt",
    "StoreError",
    "StoreVersionError",
    "SyncEngine",
    "SyncReport",
    "SystemClock",
    "ThreadsApi",
    "Versioned",
    "VirtualClock",
]
