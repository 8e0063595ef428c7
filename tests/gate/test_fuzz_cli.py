"""``threadpact fuzz`` refuses bad input with one line and exit code 2."""

from pathlib import Path

import pytest

from tests.fixtures.processes import free_port
from threadpact.cli import main


def usage_error(capsys: pytest.CaptureFixture[str], *argv: str) -> str:
    """Run the command; it must exit 2 with exactly one line on stderr."""
    assert main(["fuzz", *argv]) == 2
    captured = capsys.readouterr()
    lines = captured.err.strip().splitlines()
    assert len(lines) == 1, captured.err
    assert "Traceback" not in captured.err + captured.out
    return lines[0]


def test_a_missing_token_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    line = usage_error(capsys, "--base-url", "http://127.0.0.1:9")
    assert "--token" in line


def test_a_bad_url_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    line = usage_error(capsys, "--base-url", "ftp://example.org", "--token", "t")
    assert "not an http(s) URL" in line


@pytest.mark.parametrize(
    ("option", "value"),
    [("--max-examples", "0"), ("--workers", "65"), ("--seed", "-1"), ("--phases", "smoke")],
)
def test_bad_budgets_are_usage_errors(
    capsys: pytest.CaptureFixture[str], option: str, value: str
) -> None:
    line = usage_error(capsys, "--base-url", "http://127.0.0.1:9", "--token", "t", option, value)
    assert option in line


def test_an_unreachable_provider_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    url = f"http://127.0.0.1:{free_port()}"
    line = usage_error(capsys, "--base-url", url, "--token", "t")
    assert f"cannot reach the provider at {url}" in line


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("openapi: 3.1.0\npaths: {}\n", "invalid OpenAPI at"),
        ("openapi: 3.1.0\ninfo: {title: x, version: '1'}\npaths: 7\n", "invalid OpenAPI at /paths"),
        ("openapi: 3.1.0\npaths: [\n", "not valid YAML"),
    ],
)
def test_a_broken_spec_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str, complaint: str
) -> None:
    spec = tmp_path / "openapi.yaml"
    spec.write_text(text, encoding="utf-8")
    line = usage_error(
        capsys, "--base-url", "http://127.0.0.1:9", "--token", "t", "--spec", str(spec)
    )
    assert line.startswith(f"threadpact: {spec}: ")
    assert complaint in line


def test_a_missing_spec_is_a_usage_error(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    missing = tmp_path / "nope.yaml"
    line = usage_error(
        capsys, "--base-url", "http://127.0.0.1:9", "--token", "t", "--spec", str(missing)
    )
    assert line.endswith(f"--spec: {missing} does not exist")
