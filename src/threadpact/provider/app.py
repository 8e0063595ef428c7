"""The provider's FastAPI application factory."""

import asyncio
import contextlib
from collections.abc import AsyncIterator
from dataclasses import replace

from fastapi import FastAPI
from sqlalchemy.ext.asyncio import AsyncEngine

from threadpact.project import default_spec
from threadpact.provider import problems
from threadpact.provider.config import Settings
from threadpact.provider.db import create_engine, migrate
from threadpact.provider.idempotency import purge_expired
from threadpact.provider.routes import messages, meta, states, threads
from threadpact.provider.timefmt import micros

PURGE_EVERY_SECONDS = 600.0


async def purge_loop(engine: AsyncEngine, settings: Settings) -> None:
    """Delete expired idempotency keys now and then, for as long as the app runs."""
    interval = min(PURGE_EVERY_SECONDS, max(settings.key_retention_seconds / 4, 1.0))
    clock = micros(settings.clock)
    while True:
        await asyncio.sleep(interval)
        with contextlib.suppress(Exception):
            await purge_expired(engine, clock())


def create_app(settings: Settings) -> FastAPI:
    """A threads API for ``settings``; the database is migrated when it starts."""
    if settings.spec_path is None:
        settings = replace(settings, spec_path=default_spec())

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        engine = create_engine(settings.database_url)
        await migrate(engine)
        await purge_expired(engine, micros(settings.clock)())
        app.state.engine = engine
        purger = asyncio.create_task(purge_loop(engine, settings))
        try:
            yield
        finally:
            purger.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await purger
            await engine.dispose()

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
