"""`threadpact verify` passes on the reference provider and fails on a broken one."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from pact import Pact, generate, match
from pact.match.matcher import GenericMatcher

from tests.contract import broken_provider
from tests.fixtures.processes import TOKENS, free_port, run_threadpact
from threadpact.conformance.processes import Server
from threadpact.names import CONSUMER, PROVIDER, STATE_THREAD_EXISTS

EXAMPLE_ID = "3f2504e0-4f89-41d3-9a0c-0305e82c3301"
UUID = r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$"
THREAD = {
    "id": match.uuid(EXAMPLE_ID),
    "title": match.str("Refund"),
    "agent_id": match.str("support-bot"),
    "model": match.str("gpt-4o"),
    "provider": match.str("openai"),
    "created_at": match.regex("2026-11-28T09:15:02.120000Z", regex=r"^\d{4}-.*Z$"),
    "updated_at": match.regex("2026-11-28T09:15:02.120000Z", regex=r"^\d{4}-.*Z$"),
}


@pytest.fixture(scope="module")
def pacts(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small pact with a stateless create and a stateful read."""
    folder = tmp_path_factory.mktemp("pacts")
    pact = Pact(CONSUMER, PROVIDER).with_specification("V4")
    (
        pact.upon_receiving("a create")
        .with_request("POST", "/threads")
        .with_header("Authorization", "Bearer example-token")
        .with_header("Idempotency-Key", match.uuid("0b7e7f7c-8a1e-4d6a-9f59-2f8f1f2f6c11"))
        .with_body(
            {"agent_id": "support-bot", "model": "gpt-4o", "provider": "openai", "title": "Refund"},
            "application/json",
        )
        .will_respond_with(201)
        .with_header(
            "Location", match.regex(f"/threads/{EXAMPLE_ID}", regex=r"^/threads/[0-9a-f-]{36}$")
        )
        .with_body(THREAD, "application/json")
    )
    (
        pact.upon_receiving("a read of an existing thread")
        .given(STATE_THREAD_EXISTS, {"title": "Refund"})
        .with_request(
            "GET",
            match.type(
                f"/threads/{EXAMPLE_ID}", generator=generate.provider_state("/threads/${thread_id}")
            ),
        )
        .with_header("Authorization", "Bearer example-token")
        .will_respond_with(200)
        .with_body(
            {
                **THREAD,
                "id": GenericMatcher(
                    "regex",
                    EXAMPLE_ID,
                    regex=UUID,
                    generator=generate.provider_state("${thread_id}"),
                ),
            },
            "application/json",
        )
    )
    import httpx

    with pact.serve() as mock:
        headers = {"Authorization": "Bearer example-token"}
        httpx.post(
            f"{mock.url}/threads",
            json={
                "agent_id": "support-bot",
                "model": "gpt-4o",
                "provider": "openai",
                "title": "Refund",
            },
            headers={**headers, "Idempotency-Key": "0b7e7f7c-8a1e-4d6a-9f59-2f8f1f2f6c11"},
        )
        httpx.get(f"{mock.url}/threads/{EXAMPLE_ID}", headers=headers)
    pact.write_file(folder, overwrite=True)
    return folder


def verify(base_url: str, pacts: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return run_threadpact("verify", "--base-url", base_url, "--pacts", str(pacts), *extra)


@pytest.mark.contract
def test_reference_provider_passes(shared_provider: Server, pacts: Path) -> None:
    done = verify(shared_provider.base_url, pacts, "--token", TOKENS["alice"])
    assert done.returncode == 0, done.stdout + done.stderr
    assert "verify: passed: 2 interaction(s)" in done.stdout


@pytest.mark.contract
def test_without_the_right_token_every_interaction_fails(
    shared_provider: Server, pacts: Path
) -> None:
    done = verify(shared_provider.base_url, pacts)
    assert done.returncode == 1
    assert (
        "expected: 201" in done.stdout
        or "Expected status 201" in done.stdout
        or "401" in done.stdout
    )


@pytest.mark.contract
def test_a_provider_whose_create_lies_about_the_id_fails(tmp_path: Path, pacts: Path) -> None:
    server = broken_provider.start(tmp_path)
    try:
        done = verify(server.base_url, pacts, "--token", TOKENS["alice"])
    finally:
        server.stop()
    assert done.returncode == 1, done.stdout
    assert "[pact.verification] 'a read of an existing thread': " in done.stdout
    assert (
        "interaction: GET /threads/3f2504e0-4f89-41d3-9a0c-0305e82c3301 given 'a thread exists'"
        in done.stdout
    )
    assert "expected: 200" in done.stdout
    assert "actual:   404" in done.stdout
    assert "verify: failed: 1 of 2 interaction(s)" in done.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--base-url", "ftp://x"), "not an http(s) URL"),
        (
            ("--base-url", "http://127.0.0.1:9", "--pacts", "/nonexistent"),
            "--pacts /nonexistent: no such file or directory",
        ),
    ],
)
def test_usage_errors_are_one_line_exit_2(
    args: tuple[str, ...], message: str, tmp_path: Path
) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "threadpact", "verify", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert message in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_an_unreachable_provider_is_a_usage_error(pacts: Path) -> None:
    done = verify(f"http://127.0.0.1:{free_port()}", pacts)
    assert done.returncode == 2
    assert "cannot reach the provider" in done.stderr
    assert json.loads((next(pacts.glob("*.json"))).read_text())["consumer"]["name"] == CONSUMER
