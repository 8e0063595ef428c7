"""The server is the ID authority.

The created resource's ID is where the spec's links read it (``$response.body#/id``).
``Location`` names that ID, reading the ID back returns the same resource, and a
client-sent ID in the body is rejected (4xx) or ignored (the answer carries another ID,
which reads back).
"""

import uuid
from typing import Any
from urllib.parse import urlparse

import schemathesis
from schemathesis import CheckContext

from threadpact.checks.created import KeyedCreate, created
from threadpact.checks.exchange import Exchange, evidence, reproduce, send
from threadpact.checks.failures import ID_AUTHORITY, IdAuthorityBroken
from threadpact.checks.reading import read_back
from threadpact.checks.types import AnyCase, Response
from threadpact.names import LOCATION


def declares_location(create: KeyedCreate) -> bool:
    """Whether the spec declares a Location header on the create's answer."""
    response = create.case.operation.responses.find_by_status_code(create.first.status)
    headers = response.definition.get("headers", {}) if response is not None else {}
    return any(str(name).lower() == LOCATION.lower() for name in headers)


def location_problems(create: KeyedCreate) -> list[str]:
    """Whether the answer names its own ID, in the body and in Location."""
    resource_id = create.resource_id
    if resource_id is None:
        return [f"the answer has no ID at {create.id_pointer}"]
    location = create.first.header(LOCATION)
    if location is None:
        return [f"the answer has no {LOCATION} header"] if declares_location(create) else []
    if not urlparse(location).path.rstrip("/").endswith(f"/{resource_id}"):
        return [f"{LOCATION} {location} does not name the body's ID {resource_id}"]
    return []


def differing_fields(created_body: Any, read_body: Any) -> list[str]:
    """Top-level fields whose values differ between two JSON objects."""
    if not isinstance(created_body, dict) or not isinstance(read_body, dict):
        return [] if created_body == read_body else ["the body"]
    shared = created_body.keys() & read_body.keys()
    return sorted(name for name in shared if created_body[name] != read_body[name])


def read_problems(create: KeyedCreate, read: Exchange) -> list[str]:
    """Whether reading the ID back gives the resource the create answered with."""
    if read.status != 200:
        return [f"reading {create.resource_id} back answered {read.status}"]
    fields = differing_fields(create.first.json(), read.json())
    if fields:
        return [f"reading it back returned another resource ({', '.join(fields)} differ)"]
    return []


def client_id_probe(create: KeyedCreate) -> tuple[list[str], list[Exchange]]:
    """Send a create whose body carries its own ID: rejected, or ignored for a server-made one."""
    name = create.id_pointer.removeprefix("/")
    body = create.case.body
    key = create.fresh_key()
    if "/" in name or not isinstance(body, dict) or key is None:
        return [], []
    client_id = str(uuid.uuid4())
    probe = send(
        f"a create whose body carries its own {name}",
        create.again(key=key, body={**body, name: client_id}),
    )
    if probe.status >= 500:
        return [f"a body with its own {name} answered {probe.status}"], [probe]
    if not probe.ok:
        return [], []
    if probe.value(create.id_pointer) == client_id:
        return [f"the server took the client's {name} {client_id}"], [probe]
    owner, state = create.state.owner, create.state
    read = read_back(probe.case, probe.response, create.id_pointer, owner, state, "read it back")
    if read is not None and read.status != 200:
        made = f"the {name} made for a body with its own {name}"
        return [f"{made} cannot be read back ({read.status})"], [probe, read]
    return [], []


@schemathesis.check
def id_authority(_ctx: CheckContext, response: Response, case: AnyCase) -> bool | None:
    """Location names the body's ID, the ID reads back, and a client-sent ID is not taken."""
    create = created(case, response, ID_AUTHORITY)
    if create is None:
        return True
    problems = location_problems(create)
    shown = [create.first]
    state = create.state
    read = read_back(case, response, create.id_pointer, state.owner, state, "read the ID back")
    if read is None:
        state.note(f"{ID_AUTHORITY}: the spec links {create.label} to no read; not read back")
    elif create.resource_id is not None:
        problems += read_problems(create, read)
        shown.append(read)
    probe_problems, probes = client_id_probe(create)
    problems += probe_problems
    shown += probes
    if problems and not create.disturbed():
        raise IdAuthorityBroken(
            operation=create.label,
            summary=f"The server is not the ID authority: {'; '.join(problems)}.",
            evidence=evidence(shown),
            reproduce=reproduce(shown),
        )
    return None
