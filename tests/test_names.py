"""The provider-state names in the code are the ones the spec publishes."""

import yaml

from tests.fixtures.processes import ROOT
from threadpact.names import PROVIDER_STATES


def test_spec_lists_exactly_the_provider_states() -> None:
    spec = yaml.safe_load((ROOT / "openapi.yaml").read_text())
    assert [state["name"] for state in spec["x-provider-states"]] == list(PROVIDER_STATES)
