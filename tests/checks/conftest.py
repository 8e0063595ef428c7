"""The project's spec loaded by schemathesis, once per module."""

import pytest
from schemathesis.schemas import BaseSchema

from tests.checks.fakes import load_schema


@pytest.fixture(scope="module")
def schema() -> BaseSchema:
    """The project's spec, as schemathesis sees it."""
    return load_schema()
