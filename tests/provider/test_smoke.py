"""The provider starts on each backend and answers a create."""

from tests.fixtures.processes import Server


def test_create_answers_201_with_location(provider: Server) -> None:
    with provider.client() as client:
        response = client.post(
            "/threads",
            json={"agent_id": "a", "model": "m", "provider": "p"},
            headers={"Idempotency-Key": "k-1"},
        )
    assert response.status_code == 201
    assert response.headers["Location"] == f"/threads/{response.json()['id']}"
