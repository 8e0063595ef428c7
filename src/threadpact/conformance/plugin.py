"""The pytest plugin that runs the suite: load it with ``-p threadpact.conformance.plugin``.

It adds ``--client``, ``--driver`` and ``--postgres-url``, checks that a factory
client loads before any provider starts, runs every scenario on SQLite (and on
PostgreSQL when given a server), brings in the fixtures of
:mod:`threadpact.conformance.fixtures`, and adds the tail of a driver's stderr to
the report of a test that failed.
"""

from collections.abc import Generator

import pytest

from threadpact.conformance.driver import DriverBroken, DriverError
from threadpact.conformance.openers import DRIVER
from threadpact.conformance.options import (
    add_options,
    backends,
    chosen_driver,
    chosen_factory,
    driver_timeout,
)

pytest_plugins = ["threadpact.conformance.fixtures"]


def pytest_addoption(parser: pytest.Parser) -> None:
    """``--client``, ``--driver``, ``--driver-timeout`` and ``--postgres-url``."""
    add_options(parser)


def pytest_configure(config: pytest.Config) -> None:
    """Register the ``postgres`` mark; fail before any provider starts if the client won't load."""
    config.addinivalue_line(
        "markers", "postgres: runs on the PostgreSQL server --postgres-url names"
    )
    driver_timeout(config)
    if chosen_driver(config) is None:
        chosen_factory(config)


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Run every test that uses the live provider once per backend."""
    if "live" in metafunc.fixturenames:
        metafunc.parametrize("live", backends(metafunc.config), indirect=True, scope="session")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item: pytest.Item) -> Generator[None, None, None]:
    """A driver that crashed, hung, broke the protocol or answered an error: one message."""
    del item
    message = None
    try:
        yield
    except (DriverBroken, DriverError) as exc:
        message = f"{type(exc).__name__}: {exc}"
    if message is not None:
        pytest.fail(message, pytrace=False)  # outside the except: no chained traceback


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    """A failed test driven through a driver shows the tail of the driver's stderr."""
    del call
    report = yield
    opener = item.stash.get(DRIVER, None)
    shown = "--- driver stderr" in str(report.longrepr)
    if report.failed and opener is not None and opener.process is not None and not shown:
        tail = opener.process.stderr_tail()
        report.sections.append((f"driver stderr ({report.when}, last lines)", tail or "(empty)"))
    return report
