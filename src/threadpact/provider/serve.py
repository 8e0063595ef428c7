"""``threadpact serve``: run the reference provider under uvicorn."""

import sys

import uvicorn

from threadpact.errors import UsageError
from threadpact.provider.app import create_app
from threadpact.provider.config import TOKENS_HELP, Settings, dev_tokens, load_settings
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
    """Settings from arguments, falling back on the environment (see Settings)."""
    settings = load_settings(
        database_url=database_url,
        key_retention_seconds=key_retention,
        test_states=test_states or None,  # the flag turns test mode on, never off
        test_principal=test_principal,
    )
    if dev:
        demo = dev_tokens()
        settings = settings.model_copy(update={"tokens": {**settings.tokens, **demo}})
        for token, name in demo.items():
            print(f"dev token for {name}: {token}", file=sys.stderr)
    if not settings.tokens:
        raise UsageError(TOKENS_HELP)
    settings = settings.model_copy(update={"database_url": parse_url(settings.database_url).url})
    principal = settings.test_principal
    if principal and principal not in settings.tokens.values():
        where = "--test-principal" if test_principal else "THREADPACT_TEST_PRINCIPAL"
        raise UsageError(f"{where} {principal!r} has no token")
    return settings


def serve(settings: Settings, *, host: str, port: int) -> None:
    """Run the provider until interrupted."""
    config = uvicorn.Config(
        create_app(settings),
        host=host,
        port=port,
        log_level=settings.log_level,
        access_log=False,
        server_header=False,
        http=ProblemHttpProtocol,
    )
    uvicorn.Server(config).run()
