"""Provider settings, read once from arguments and the environment."""

import os
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from threadpact.errors import UsageError

DEFAULT_DATABASE_URL = "sqlite:///threadpact.db"
DEFAULT_KEY_RETENTION_SECONDS = 24 * 60 * 60
# Enough for the longest valid message (32000 characters, each escaped as \uXXXX\uXXXX).
DEFAULT_MAX_BODY_BYTES = 512 * 1024

TOKENS_HELP = (
    "no API tokens configured: set THREADPACT_TOKENS='token1=alice,token2=bob' "
    "(or THREADPACT_TOKENS_FILE=path with one token=principal per line), "
    "or pass --dev-tokens for two random demo tokens"
)


def wall_clock() -> float:
    """Seconds since the epoch, as the provider's default clock."""
    return time.time()


@dataclass(frozen=True)
class Settings:
    """Everything the provider needs to run."""

    database_url: str = DEFAULT_DATABASE_URL
    tokens: Mapping[str, str] = field(default_factory=dict)
    key_retention_seconds: float = DEFAULT_KEY_RETENTION_SECONDS
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    test_states: bool = False
    test_principal: str | None = None
    spec_path: Path | None = None
    clock: Callable[[], float] = wall_clock

    @property
    def state_principal(self) -> str:
        """The principal that provider-state changes create data for."""
        if self.test_principal:
            return self.test_principal
        if not self.tokens:
            raise UsageError("--test-states needs at least one token")
        return next(iter(self.tokens.values()))


def parse_tokens(text: str, *, source: str) -> dict[str, str]:
    """Parse ``token=principal`` pairs separated by commas or newlines."""
    tokens: dict[str, str] = {}
    for raw in text.replace("\n", ",").split(","):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        token, sep, principal = item.partition("=")
        if not sep or not token.strip() or not principal.strip():
            raise UsageError(f"{source}: expected token=principal, got {item!r}")
        tokens[token.strip()] = principal.strip()
    return tokens


def tokens_from_env(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """Tokens from THREADPACT_TOKENS and THREADPACT_TOKENS_FILE (both may be set)."""
    env = os.environ if environ is None else environ
    tokens: dict[str, str] = {}
    path = env.get("THREADPACT_TOKENS_FILE")
    if path:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except OSError as exc:
            raise UsageError(f"THREADPACT_TOKENS_FILE: cannot read {path}: {exc.strerror}") from exc
        tokens.update(parse_tokens(text, source=path))
    if env.get("THREADPACT_TOKENS"):
        tokens.update(parse_tokens(env["THREADPACT_TOKENS"], source="THREADPACT_TOKENS"))
    return tokens


def dev_tokens() -> dict[str, str]:
    """Two demo principals with random tokens."""
    return {f"dev-{secrets.token_urlsafe(18)}": name for name in ("alice", "bob")}
