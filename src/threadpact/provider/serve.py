"""``threadpact serve``: run the reference provider under uvicorn."""

import os
import sys

import uvicorn

from threadpact.errors import UsageError
from threadpact.provider.app import create_app
from threadpact.provider.config import (
    DEFAULT_DATABASE_URL,
    DEFAULT_KEY_RETENTION_SECONDS,
    TOKENS_HELP,
    Settings,
    dev_tokens,
    tokens_from_env,
)
from threadpact.provider.protocol import ProblemHttpProtocol
from threadpact.provider.storage.urls import parse_url


def build_settings(
    *,
    database_url: str | None,
    dev: bool,
    test_states: bool,
    test_principal: str | None,
    key_retention: float | None,
) -> Settings:
    """Settings from arguments, falling back on the environment."""
    tokens = tokens_from_env()
    if dev:
        demo = dev_tokens()
        tokens.update(demo)
        for token, name in demo.items():
            print(f"dev token for {name}: {token}", file=sys.stderr)
    if not tokens:
        raise UsageError(TOKENS_HELP)
    retention = key_retention
    if retention is None:
        raw = os.environ.get("THREADPACT_KEY_RETENTION_SECONDS")
        try:
            retention = float(raw) if raw else DEFAULT_KEY_RETENTION_SECONDS
        except ValueError:
            raise UsageError(f"THREADPACT_KEY_RETENTION_SECONDS: not a number: {raw!r}") from None
    if retention <= 0:
        raise UsageError("the key retention must be a positive number of seconds")
    url = database_url or os.environ.get("THREADPACT_DATABASE_URL") or DEFAULT_DATABASE_URL
    test_states = test_states or os.environ.get("THREADPACT_TEST_STATES", "") in ("1", "true")
    settings = Settings(
        database_url=parse_url(url).url,
        tokens=tokens,
        key_retention_seconds=retention,
        test_states=test_states,
        test_principal=test_principal,
    )
    if test_principal and test_principal not in tokens.values():
        raise UsageError(f"--test-principal {test_principal!r} has no token")
    return settings


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run the provider until interrupted."""
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level=os.environ.get("THREADPACT_LOG_LEVEL", "warning"),
        access_log=False,
        server_header=False,
        http=ProblemHttpProtocol,
    )
    uvicorn.Server(config).run()
