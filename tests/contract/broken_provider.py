"""A deliberately broken provider: create answers an ID other than the one it stored.

Everything else is the reference provider. Serve with
``python -m uvicorn --factory tests.contract.broken_provider:app``; tokens come from
THREADPACT_TOKENS as for ``threadpact serve``.
"""

import json
import os
import sys
import uuid
from pathlib import Path

from fastapi import FastAPI

import threadpact.provider.service.threads as thread_service
from tests.fixtures.processes import free_port, start_process
from threadpact.conformance.databases import sqlite_url
from threadpact.conformance.processes import Server
from threadpact.models import ThreadCreate
from threadpact.provider.app import create_app
from threadpact.provider.config import Settings, tokens_from_env
from threadpact.provider.idempotency import StoredResponse
from threadpact.provider.storage.base import Statement

original_insert = thread_service.thread_insert


def lying_insert(owner: str, body: ThreadCreate, now: int) -> tuple[StoredResponse, Statement]:
    """Store the thread, but answer with a made-up ID."""
    answer, insert = original_insert(owner, body, now)
    made_up = str(uuid.uuid4())
    wire = {**json.loads(answer.body), "id": made_up}
    lie = StoredResponse(
        answer.status, json.dumps(wire).encode(), f"/threads/{made_up}", answer.etag
    )
    return lie, insert


def app() -> FastAPI:
    """The broken app (uvicorn --factory)."""
    # Both creates and provider states build their thread rows with this.
    thread_service.thread_insert = lying_insert  # type: ignore[assignment]
    settings = Settings(
        database_url=os.environ["THREADPACT_DATABASE_URL"],
        tokens=tokens_from_env(),
        test_states=True,
    )
    return create_app(settings)


def start(folder: Path) -> Server:
    """This provider as a real process on a free port, with a fresh SQLite file."""
    port = free_port()
    command = [
        sys.executable, "-m", "uvicorn", "--factory", "tests.contract.broken_provider:app",
        "--host", "127.0.0.1", "--port", str(port), "--log-level", "warning",
    ]  # fmt: skip
    env = {"THREADPACT_DATABASE_URL": sqlite_url(folder / "broken.db")}
    return start_process(command, port, folder / "broken.log", env)
