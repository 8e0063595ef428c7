"""Provider settings: the THREADPACT_* environment variables, under the command line's."""

import secrets
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import Field, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from threadpact.errors import UsageError

ENV_PREFIX = "THREADPACT_"
DEFAULT_DATABASE_URL = "sqlite:///threadpact.db"
DEFAULT_KEY_RETENTION_SECONDS = 24 * 60 * 60
# Enough for the longest valid message (32000 characters, each escaped as \uXXXX\uXXXX).
DEFAULT_MAX_BODY_BYTES = 512 * 1024

TOKENS_HELP = (
    "no API tokens configured: set THREADPACT_TOKENS='token1=alice,token2=bob' "
    "(or THREADPACT_TOKENS_FILE=path with one token=principal per line), "
    "or pass --dev-tokens for two random demo tokens"
)

LogLevel = Literal["critical", "error", "warning", "info", "debug", "trace"]


def wall_clock() -> float:
    """Seconds since the epoch, as the provider's default clock."""
    return time.time()


def parse_tokens(text: str, *, source: str) -> dict[str, str]:
    """Parse ``token=principal`` pairs separated by commas or newlines (ValueError if bad)."""
    tokens: dict[str, str] = {}
    for raw in text.replace("\n", ",").split(","):
        item = raw.strip()
        if not item or item.startswith("#"):
            continue
        token, sep, principal = item.partition("=")
        if not sep or not token.strip() or not principal.strip():
            raise ValueError(f"{source}: expected token=principal, got {item!r}")
        tokens[token.strip()] = principal.strip()
    return tokens


class Settings(BaseSettings):
    """Everything the provider needs to run.

    Each field is read from THREADPACT_<FIELD> unless it is passed in (arguments win);
    empty variables count as unset.
    """

    model_config = SettingsConfigDict(env_prefix=ENV_PREFIX, env_ignore_empty=True, frozen=True)

    database_url: str = DEFAULT_DATABASE_URL
    """``sqlite:///FILE`` or ``postgresql://...``."""
    tokens: Annotated[dict[str, str], NoDecode] = Field(default_factory=dict)
    """Bearer token to principal; in THREADPACT_TOKENS, ``token=principal`` pairs."""
    tokens_file: Path | None = None
    """A file of more ``token=principal`` pairs, one a line; ``tokens`` wins a clash."""
    key_retention_seconds: float = Field(DEFAULT_KEY_RETENTION_SECONDS, gt=0)
    """How long an Idempotency-Key and its answer outlive the deletion of what it created.

    A key never expires while its resource exists; once a thread is deleted, its key and
    its messages' keys still count for this many seconds, then are purged.
    """
    test_states: bool = False
    """Whether the provider-state endpoint for pact verification is open."""
    test_principal: str | None = None
    """Who provider states create data for (by default the first token's principal)."""
    log_level: LogLevel = "warning"
    """uvicorn's log level."""
    max_body_bytes: int = Field(DEFAULT_MAX_BODY_BYTES, gt=0)
    """The largest request body read."""
    spec_path: Path | None = None
    """The openapi.yaml served at the spec path (by default the checkout's)."""
    clock: Callable[[], float] = wall_clock
    """Seconds since the epoch (tests pass a clock they move by hand)."""

    @model_validator(mode="before")
    @classmethod
    def _merge_tokens(cls, values: Any) -> Any:
        """``tokens`` from THREADPACT_TOKENS text and the tokens file, as one mapping."""
        if not isinstance(values, dict):
            return values
        merged: dict[str, str] = {}
        path = values.get("tokens_file")
        if path:
            try:
                text = Path(path).read_text(encoding="utf-8")
            except OSError as exc:
                message = f"{ENV_PREFIX}TOKENS_FILE: cannot read {path}: {exc.strerror}"
                raise ValueError(message) from exc
            merged.update(parse_tokens(text, source=str(path)))
        tokens = values.get("tokens") or {}
        if isinstance(tokens, str):
            tokens = parse_tokens(tokens, source=f"{ENV_PREFIX}TOKENS")
        return {**values, "tokens": {**merged, **tokens}}

    @field_validator("log_level", mode="before")
    @classmethod
    def _lower_case(cls, value: Any) -> Any:
        """Log levels in any case, as uvicorn names them in lower case."""
        return value.lower() if isinstance(value, str) else value

    @property
    def state_principal(self) -> str:
        """The principal that provider-state changes create data for."""
        if self.test_principal:
            return self.test_principal
        if not self.tokens:
            raise UsageError("--test-states needs at least one token")
        return next(iter(self.tokens.values()))


def describe(error: ValidationError, arguments: Mapping[str, object]) -> str:
    """A ValidationError of Settings as one line, naming each variable (or argument) at fault."""
    problems = []
    for item in error.errors():
        message = item["msg"].removeprefix("Value error, ")
        if not item["loc"]:
            problems.append(message)
            continue
        field = str(item["loc"][0])
        where = field if field in arguments else f"{ENV_PREFIX}{field.upper()}"
        problems.append(f"{where}: {message[:1].lower()}{message[1:]} (got {item['input']!r})")
    return "; ".join(problems)


def load_settings(**arguments: Any) -> Settings:
    """Settings from the environment under ``arguments`` (those that are not None).

    Raises UsageError, one line, for a value that will not do.
    """
    given = {name: value for name, value in arguments.items() if value is not None}
    try:
        return Settings(**given)
    except ValidationError as exc:
        raise UsageError(describe(exc, given)) from None


def tokens_from_env() -> dict[str, str]:
    """The tokens THREADPACT_TOKENS and THREADPACT_TOKENS_FILE give (both may be set)."""
    return dict(load_settings().tokens)


def dev_tokens() -> dict[str, str]:
    """Two demo principals with random tokens."""
    return {f"dev-{secrets.token_urlsafe(18)}": name for name in ("alice", "bob")}
