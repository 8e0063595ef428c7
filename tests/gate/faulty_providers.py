"""The reference provider with one fault that used to make the gate wait forever.

The fault is chosen by the FAULT variable; AFTER counts the requests served
normally before a mid-run fault starts (the health probes included):

    FAULT=state-500      the state-change endpoint answers 500 problem+json
    FAULT=state-silent   the state-change endpoint never answers
    FAULT=exit           the process exits at the AFTER-th state change (mid-verify)
    FAULT=silent         after AFTER requests, accepts connections and never answers
    FAULT=5xx            after AFTER requests, answers 500 to everything

Serve with ``python -m uvicorn --factory tests.gate.faulty_providers:app``;
tokens come from THREADPACT_TOKENS, as for ``threadpact serve``.
"""

import asyncio
import os
import sys
from pathlib import Path

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from tests.fixtures.databases import sqlite_url
from tests.fixtures.processes import Server, free_port, start_process
from threadpact.names import STATES_PATH
from threadpact.provider.app import create_app
from threadpact.provider.config import Settings, tokens_from_env

FAULTS = ("state-500", "state-silent", "exit", "silent", "5xx")
FOREVER = 3600.0
PROBLEM = (
    b'{"type": "about:blank", "title": "Internal Server Error", "status": 500, '
    b'"detail": "the state could not be built"}'
)


class Faulty:
    """ASGI middleware that injects ``fault`` in front of the reference provider."""

    def __init__(self, app: ASGIApp, fault: str, after: int) -> None:
        self.app = app
        self.fault = fault
        self.after = after
        self.requests = 0
        self.state_changes = 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        is_state = scope["path"] == STATES_PATH
        self.state_changes += is_state
        fault, late = self.fault, self.requests > self.after
        if (fault == "state-500" and is_state) or (fault == "5xx" and late):
            await send(
                {
                    "type": "http.response.start",
                    "status": 500,
                    "headers": [(b"content-type", b"application/problem+json")],
                }
            )
            await send({"type": "http.response.body", "body": PROBLEM})
            return
        if (fault == "state-silent" and is_state) or (fault == "silent" and late):
            await asyncio.sleep(FOREVER)
        if fault == "exit" and is_state and self.state_changes >= self.after:
            os._exit(3)
        await self.app(scope, receive, send)


def app() -> Faulty:
    """The faulty app (uvicorn --factory)."""
    settings = Settings(
        database_url=os.environ["THREADPACT_DATABASE_URL"],
        tokens=tokens_from_env(),
        test_states=True,
        test_principal="alice",
    )
    reference: FastAPI = create_app(settings)
    return Faulty(reference, os.environ["FAULT"], int(os.environ.get("AFTER", "0")))


def start_faulty(fault: str, folder: Path, after: int = 0) -> Server:
    """This provider as a real process on a free port, with a fresh SQLite file."""
    assert fault in FAULTS, fault
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "tests.gate.faulty_providers:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    env = {
        "THREADPACT_DATABASE_URL": sqlite_url(folder / f"{fault}.db"),
        "FAULT": fault,
        # start_process's readiness probe is the first request.
        "AFTER": str(after),
    }
    return start_process(command, port, folder / f"{fault}.log", env)
