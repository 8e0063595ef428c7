"""The one mapping between local and server models, both ways, with generated data."""

import uuid
from datetime import UTC, datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from threadpact.client import mapping
from threadpact.models import LocalMessage, LocalThread, Message, ServerThread

MAX_MS = 253402300799999  # 9999-12-31T23:59:59.999Z
NAME = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), min_size=1, max_size=100)
TITLE = st.text(alphabet=st.characters(blacklist_categories=("Cc", "Cs")), max_size=200)
CONTENT = st.text(
    alphabet=st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=300,
)
ROLE = st.sampled_from(["user", "assistant", "system"])
MILLIS = st.integers(min_value=0, max_value=MAX_MS)
ZONES = st.sampled_from(
    [UTC, timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=-8))]
)
MOMENTS = st.datetimes(
    min_value=datetime(1970, 1, 2), max_value=datetime(9999, 12, 30), timezones=ZONES
)
SERVER_IDS = st.uuids().map(str)


@st.composite
def server_threads(draw: st.DrawFn, *, whole_ms: bool = False) -> ServerThread:
    created = draw(MOMENTS)
    if whole_ms:
        created = created.replace(microsecond=created.microsecond // 1000 * 1000)
    return ServerThread(
        id=draw(st.uuids()),
        title=draw(TITLE),
        agent_id=draw(NAME),
        model=draw(NAME),
        provider=draw(NAME),
        created_at=created,
        updated_at=created + draw(st.sampled_from([timedelta(0), timedelta(seconds=3)])),
    )


@st.composite
def local_messages(draw: st.DrawFn) -> LocalMessage:
    return LocalMessage(
        id=draw(SERVER_IDS),
        role=draw(ROLE),
        content=draw(CONTENT),
        createdAt=draw(MILLIS),
        syncStatus="synced",
        clientId=draw(st.none() | SERVER_IDS),
    )


@st.composite
def synced_local_threads(draw: st.DrawFn) -> LocalThread:
    created = draw(MILLIS)
    return LocalThread(
        id=draw(SERVER_IDS),
        title=draw(TITLE),
        agentId=draw(NAME),
        model=draw(NAME),
        provider=draw(NAME),
        messages=draw(st.lists(local_messages(), max_size=3)),
        createdAt=created,
        updatedAt=draw(st.integers(min_value=created, max_value=MAX_MS)),
        artifactId=draw(st.none() | st.text(max_size=20)),
        syncStatus="synced",
        aliases=draw(st.lists(st.text(min_size=1, max_size=40), max_size=2)),
    )


@given(MILLIS)
def test_millis_survive_a_trip_through_datetime(ms: int) -> None:
    moment = mapping.ms_to_datetime(ms)
    assert moment.tzinfo is UTC
    assert mapping.datetime_to_ms(moment) == ms


@given(MOMENTS)
def test_a_datetime_becomes_its_millisecond_rounded_down(moment: datetime) -> None:
    ms = mapping.datetime_to_ms(moment)
    back = mapping.ms_to_datetime(ms)
    assert back <= moment < back + timedelta(milliseconds=1)


def test_known_times() -> None:
    assert mapping.datetime_to_ms(datetime(1970, 1, 1, tzinfo=UTC)) == 0
    moment = datetime(2026, 11, 28, 9, 15, 2, 120999, tzinfo=UTC)
    assert mapping.datetime_to_ms(moment) == 1795857302120
    india = datetime(2026, 11, 28, 14, 45, 2, 120000, tzinfo=timezone(timedelta(hours=5.5)))
    assert mapping.datetime_to_ms(india) == 1795857302120
    assert mapping.ms_to_datetime(1795857302120).isoformat() == "2026-11-28T09:15:02.120000+00:00"


def test_a_naive_datetime_is_refused() -> None:
    with pytest.raises(ValueError, match="naive"):
        mapping.datetime_to_ms(datetime(2026, 1, 1))


@given(synced_local_threads())
def test_local_to_server_to_local_changes_nothing(local: LocalThread) -> None:
    server = mapping.server_thread(local)
    assert str(server.id) == local.id
    assert (server.title, server.agent_id, server.model, server.provider) == (
        local.title,
        local.agentId,
        local.model,
        local.provider,
    )
    back = mapping.local_thread(
        server, messages=local.messages, aliases=local.aliases, artifact_id=local.artifactId
    )
    assert back == local


@given(server_threads(whole_ms=True))
def test_server_to_local_to_server_changes_nothing(server: ServerThread) -> None:
    local = mapping.local_thread(server)
    assert local.syncStatus == "synced"
    assert local.messages == []
    back = mapping.server_thread(local)
    assert back == server
    assert back.created_at.utcoffset() == timedelta(0)


@given(server_threads())
def test_server_times_lose_only_their_microseconds(server: ServerThread) -> None:
    back = mapping.server_thread(mapping.local_thread(server))
    assert timedelta(0) <= server.created_at - back.created_at < timedelta(milliseconds=1)
    assert back.model_dump(exclude={"created_at", "updated_at"}) == server.model_dump(
        exclude={"created_at", "updated_at"}
    )


@given(synced_local_threads())
def test_thread_create_carries_no_id(local: LocalThread) -> None:
    body = mapping.thread_create(local)
    dumped = body.model_dump()
    assert "id" not in dumped
    assert dumped == {
        "agent_id": local.agentId,
        "model": local.model,
        "provider": local.provider,
        "title": local.title,
    }


@given(local_messages(), st.uuids().map(str))
def test_messages_round_trip(local: LocalMessage, thread_id: str) -> None:
    server = mapping.server_message(local, thread_id)
    assert str(server.thread_id) == thread_id
    back = mapping.local_message(server, client_id=local.clientId)
    assert back == local
    assert mapping.message_create(local).model_dump() == {
        "role": local.role,
        "content": local.content,
    }


@given(
    st.builds(
        Message,
        id=st.uuids(),
        thread_id=st.uuids(),
        role=ROLE,
        content=CONTENT,
        created_at=MOMENTS,
    )
)
def test_server_message_to_local_and_back(server: Message) -> None:
    local = mapping.local_message(server)
    back = mapping.server_message(local, str(server.thread_id))
    assert back.model_dump(exclude={"created_at"}) == server.model_dump(exclude={"created_at"})
    assert timedelta(0) <= server.created_at - back.created_at < timedelta(milliseconds=1)


def test_adopting_the_server_thread_keeps_local_data_and_aliases_the_old_id() -> None:
    local = LocalThread(
        id="temp-1",
        title="Renamed locally",
        agentId="a",
        model="m",
        provider="p",
        messages=[
            LocalMessage(id="m1", role="user", content="hi", createdAt=5, syncStatus="pending")
        ],
        createdAt=10,
        updatedAt=9_000_000_000_000,
        artifactId="art",
        syncStatus="pending",
        aliases=["legacy-1"],
    )
    server = ServerThread(
        id=uuid.uuid4(),
        title="Original",
        agent_id="a",
        model="m",
        provider="p",
        created_at=mapping.ms_to_datetime(20),
        updated_at=mapping.ms_to_datetime(30),
    )
    adopted = mapping.adopt_server_thread(local, server)
    assert adopted.id == str(server.id)
    assert adopted.aliases == ["legacy-1", "temp-1"]
    assert adopted.title == "Renamed locally"
    assert adopted.messages == local.messages
    assert adopted.artifactId == "art"
    assert adopted.createdAt == 20
    assert adopted.updatedAt == 9_000_000_000_000
    assert local.id == "temp-1"  # the input is not changed


def test_adopting_the_server_message_keeps_the_client_id() -> None:
    local = LocalMessage(
        id="client-1", role="user", content="hi", createdAt=5, syncStatus="pending"
    )
    server = Message(
        id=uuid.uuid4(),
        thread_id=uuid.uuid4(),
        role="user",
        content="hi",
        created_at=mapping.ms_to_datetime(77),
    )
    adopted = mapping.adopt_server_message(local, server)
    assert (adopted.id, adopted.clientId, adopted.syncStatus, adopted.createdAt) == (
        str(server.id),
        "client-1",
        "synced",
        77,
    )
