"""Request-scoped dependencies shared by the routers.

All are ``async def``: FastAPI runs a plain ``def`` dependency in a worker thread,
a thread hop per dependency per request.
"""

import uuid
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request

from threadpact.provider.auth import authenticate
from threadpact.provider.config import Settings
from threadpact.provider.problems import ProblemError
from threadpact.provider.storage.base import Database


async def database(request: Request) -> Database:
    """The app's database."""
    result: Database = request.app.state.database
    return result


async def settings(request: Request) -> Settings:
    """The app's settings."""
    result: Settings = request.app.state.settings
    return result


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request's principal, with the database and settings it works on."""

    principal: str
    database: Database
    settings: Settings


async def caller(request: Request) -> Caller:
    """The caller of an API route, or a 401.

    One dependency instead of three: FastAPI's dependency solving costs about as much
    per dependency as a database read (seen in the provider benchmark's profile).
    """
    state = request.app.state
    return Caller(authenticate(request), state.database, state.settings)


DatabaseDep = Annotated[Database, Depends(database)]
SettingsDep = Annotated[Settings, Depends(settings)]
CallerDep = Annotated[Caller, Depends(caller)]


def parse_id(value: str, what: str) -> str:
    """A canonical UUID string, or the same 404 a missing resource gets."""
    try:
        return str(uuid.UUID(value))
    except ValueError:
        raise ProblemError(404, f"no such {what}", slug="not-found") from None
