"""The provider-state names in the code are the ones the spec publishes."""

from typing import get_args

import yaml

from tests.fixtures.processes import ROOT
from threadpact.names import (
    CONTENT_MAX_LENGTH,
    IDEMPOTENCY_KEY_MAX_LENGTH,
    IDEMPOTENCY_KEY_PATTERN,
    PROVIDER_STATES,
    TITLE_MAX_LENGTH,
    Role,
    is_valid_idempotency_key,
)


def test_spec_lists_exactly_the_provider_states() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    assert [state["name"] for state in spec["x-provider-states"]] == list(PROVIDER_STATES)


def test_the_constrained_values_are_the_specs() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    schemas = spec["components"]["schemas"]
    key = spec["components"]["parameters"]["IdempotencyKey"]["schema"]
    assert key["pattern"] == f"^{IDEMPOTENCY_KEY_PATTERN}$"
    assert key["maxLength"] == IDEMPOTENCY_KEY_MAX_LENGTH
    assert schemas["Title"]["maxLength"] == TITLE_MAX_LENGTH
    assert schemas["Content"]["maxLength"] == CONTENT_MAX_LENGTH
    assert list(get_args(Role)) == schemas["Role"]["enum"]


def test_the_key_rule_accepts_what_the_spec_accepts() -> None:
    assert is_valid_idempotency_key("7d3c9a52-4f0e-4a43-9a8a-1d52b1c2a0f1")
    assert is_valid_idempotency_key("a b")
    assert is_valid_idempotency_key("x" * 255)
    for bad in ("", " a", "a ", "x" * 256, "caf\u00e9", "tab\there"):
        assert not is_valid_idempotency_key(bad), bad
