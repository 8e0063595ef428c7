"""The provider's FastAPI application factory."""

import asyncio
import contextlib
from collections.abc import AsyncIterator

from fastapi import FastAPI

from threadpact.provider import problems
from threadpact.provider.config import Settings
from threadpact.provider.idempotency import purge_expired
from threadpact.provider.routes import messages, meta, states, threads
from threadpact.provider.storage.base import Database
from threadpact.provider.storage.connect import open_database
from threadpact.provider.timefmt import micros
from threadpact.reference import reference_spec

PURGE_EVERY_SECONDS = 600.0


async def purge_loop(database: Database, settings: Settings) -> None:
    """Purge the keys of deleted threads past their window now and then, while the app runs."""
    interval = min(PURGE_EVERY_SECONDS, max(settings.key_retention_seconds / 4, 1.0))
    clock = micros(settings.clock)
    while True:
        await asyncio.sleep(interval)
        with contextlib.suppress(Exception):
            await purge_expired(database, clock())


def create_app(settings: Settings) -> FastAPI:
    """A threads API for ``settings``; the database is migrated when it starts."""
    if settings.spec_path is None:
        settings = settings.model_copy(update={"spec_path": reference_spec()})

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        database = await open_database(settings.database_url)
        await purge_expired(database, micros(settings.clock)())
        app.state.database = database
        purger = asyncio.create_task(purge_loop(database, settings))
        try:
            yield
        finally:
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger
            await database.close()

    app = FastAPI(
        title="threadpact reference provider",
        openapi_url=None,
        docs_url=None,
        redoc_url=None,
        redirect_slashes=False,
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.test_tokens = {}
    problems.install(app)
    app.include_router(meta.router)
    app.include_router(threads.router)
    app.include_router(messages.router)
    if settings.test_states:
        app.include_router(states.router)
    return app
