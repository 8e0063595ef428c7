"""Provider settings: THREADPACT_* variables under the command line's arguments."""

import os
from pathlib import Path

import pytest

from threadpact.errors import UsageError
from threadpact.provider.config import (
    DEFAULT_KEY_RETENTION_SECONDS,
    ENV_PREFIX,
    Settings,
    load_settings,
)


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    """No THREADPACT_* variable that names a setting, whatever the shell has."""
    for name in os.environ:
        if name.startswith(ENV_PREFIX) and name[len(ENV_PREFIX) :].lower() in Settings.model_fields:
            monkeypatch.delenv(name)


def test_arguments_win_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADPACT_DATABASE_URL", "sqlite:///from-env.db")
    monkeypatch.setenv("THREADPACT_KEY_RETENTION_SECONDS", "60")
    settings = load_settings(database_url="sqlite:///from-args.db", key_retention_seconds=None)
    assert settings.database_url == "sqlite:///from-args.db"
    assert settings.key_retention_seconds == 60


def test_tokens_come_from_the_file_and_the_variable(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    tokens_file = tmp_path / "tokens"
    tokens_file.write_text("# principals\na=alice\nb=bob\n")
    monkeypatch.setenv("THREADPACT_TOKENS_FILE", str(tokens_file))
    monkeypatch.setenv("THREADPACT_TOKENS", "b=bea, c=carl")
    assert load_settings().tokens == {"a": "alice", "b": "bea", "c": "carl"}


def test_empty_variables_count_as_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("TOKENS", "TOKENS_FILE", "KEY_RETENTION_SECONDS", "TEST_STATES", "LOG_LEVEL"):
        monkeypatch.setenv(ENV_PREFIX + name, "")
    settings = load_settings()
    assert settings.tokens == {}
    assert settings.key_retention_seconds == DEFAULT_KEY_RETENTION_SECONDS
    assert settings.test_states is False
    assert settings.log_level == "warning"


@pytest.mark.parametrize(("value", "on"), [("1", True), ("true", True), ("0", False)])
def test_test_mode_from_the_environment(
    value: str, on: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("THREADPACT_TEST_STATES", value)
    assert load_settings().test_states is on


def test_bad_variables_are_one_line_naming_each(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("THREADPACT_KEY_RETENTION_SECONDS", "soon")
    monkeypatch.setenv("THREADPACT_TEST_STATES", "maybe")
    with pytest.raises(UsageError) as caught:
        load_settings()
    message = str(caught.value)
    assert "\n" not in message
    assert "THREADPACT_KEY_RETENTION_SECONDS: input should be a valid number" in message
    assert "(got 'soon')" in message
    assert "THREADPACT_TEST_STATES: input should be a valid boolean" in message


def test_settings_made_in_code_take_a_token_mapping() -> None:
    settings = Settings(tokens={"t": "alice"}, log_level="INFO")
    assert settings.tokens == {"t": "alice"}
    assert settings.log_level == "info"
    assert settings.state_principal == "alice"
