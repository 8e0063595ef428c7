"""Clients of the shared provider, each acting as a principal no other test uses."""

from collections.abc import Iterator

import httpx
import pytest

from tests.fixtures.processes import new_principal
from threadpact.conformance.processes import Server


@pytest.fixture
def client(shared_provider: Server) -> Iterator[httpx.Client]:
    """A client of the shared provider for a fresh principal."""
    with shared_provider.client(new_principal()) as api:
        yield api


@pytest.fixture
def other_client(shared_provider: Server) -> Iterator[httpx.Client]:
    """A client for a second fresh principal."""
    with shared_provider.client(new_principal()) as api:
        yield api
