"""How the fuzz step configures schemathesis and checks its inputs."""

from pathlib import Path

import pytest
import schemathesis
import yaml

from threadpact.checks.context import Principal
from threadpact.errors import UsageError
from threadpact.gate.fuzz import (
    NEGATIVE_STATUSES,
    POSITIVE_STATUSES,
    FuzzOptions,
    authorization,
    check_links,
    check_options,
    load_schema,
    redact,
    schemathesis_config,
)
from threadpact.openapi import Spec, load_spec
from threadpact.reference import reference_spec

URL = "http://127.0.0.1:9"


@pytest.fixture(scope="module")
def document() -> Spec:
    return Spec(load_spec(reference_spec()))


def test_the_config_is_one_schemathesis_accepts(document: Spec) -> None:
    options = FuzzOptions(URL, ("token-a", "token-b"), seed=7, max_examples=3, max_time=2.5)
    config = schemathesis_config(options, document)
    assert config["seed"] == 7
    assert config["max-time"] == 3
    assert config["generation"] == {"max-examples": 3, "mode": "all", "database": "none"}
    assert config["output"] == {"sanitization": {"enabled": False}}
    assert all(phase["enabled"] for phase in config["phases"].values())
    project = schemathesis.Config.from_dict(config).projects.get_default()
    assert project.base_url == URL
    assert project.workers == 1


def test_checks_are_tuned_not_excluded(document: Spec) -> None:
    config = schemathesis_config(FuzzOptions(URL, ("token-a",)), document)
    checks = config["checks"]
    assert checks["positive_data_acceptance"]["expected-statuses"] == list(POSITIVE_STATUSES)
    assert checks["negative_data_rejection"]["expected-statuses"] == list(NEGATIVE_STATUSES)
    assert not any(section.get("enabled") is False for section in checks.values())
    [cursors] = config["operations"]
    assert sorted(cursors["include-operation-id"]) == ["listMessages", "listThreads"]
    assert "400" in cursors["checks"]["positive_data_acceptance"]["expected-statuses"]
    assert "400" not in POSITIVE_STATUSES


def test_the_token_goes_through_the_spec_bearer_scheme(document: Spec) -> None:
    assert authorization(document, "token-a") == {
        "auth": {"openapi": {"bearerAuth": {"bearer": "token-a"}}}
    }
    assert authorization(Spec({"paths": {}}), "token-a") == {
        "headers": {"Authorization": "Bearer token-a"}
    }


def test_tokens_are_redacted_to_shell_variables() -> None:
    principals = [Principal("A", "secret-a"), Principal("B", "secret-b")]
    curl = "curl -H 'Authorization: Bearer secret-b' http://x # secret-a"
    assert redact(curl, principals) == (
        'curl -H "Authorization: Bearer $TOKEN_B" http://x # $TOKEN_A'
    )


@pytest.mark.parametrize(
    ("tokens", "phases", "complaint"),
    [
        ((), ("coverage",), "one or two --token"),
        (("a", "b", "c"), ("coverage",), "one or two --token"),
        (("a", "a"), ("coverage",), "two different principals"),
        (("has space",), ("coverage",), "without spaces"),
        (("a",), ("smoke",), "phases must be"),
    ],
)
def test_bad_options_are_one_line_usage_errors(
    tokens: tuple[str, ...], phases: tuple[str, ...], complaint: str
) -> None:
    with pytest.raises(UsageError, match=complaint):
        check_options(FuzzOptions(URL, tokens, phases=phases))


def test_a_link_to_a_missing_operation_is_a_usage_error(document: Spec, tmp_path: Path) -> None:
    broken = yaml.safe_load(yaml.safe_dump(document.document))
    links = broken["paths"]["/threads"]["post"]["responses"]["201"]["links"]
    links["GetThread"]["operationId"] = "getThreadTypo"
    with pytest.raises(
        UsageError, match=r"link 'GetThread' names no operation of the spec \('getThreadTypo'\)"
    ):
        check_links(Spec(broken), tmp_path / "spec.yaml")


def test_a_broken_spec_file_is_a_usage_error(tmp_path: Path) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text("openapi: 3.1.0\npaths: [\n", encoding="utf-8")
    with pytest.raises(UsageError, match="not valid YAML"):
        load_schema(FuzzOptions(URL, ("a",), spec=spec))
