"""What the spec says about a created resource: the operations on it, and its collection.

Found by what the spec declares, never by path names: the operations on the resource
are the ones the create's answer links to with its ID; its collection is the GET at
the create's own path whose answer holds an array (a page); the next page is asked
for with the query parameter ``q`` whose value the page carries as ``next_q``.
"""

from collections.abc import Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from threadpact.checks.context import Principal, RunState
from threadpact.checks.exchange import Exchange, build, send
from threadpact.checks.links import LinkTarget, link_targets
from threadpact.checks.reading import read_back, target_case
from threadpact.checks.spec import model_of, view_of
from threadpact.checks.types import AnyCase, ApiOperation
from threadpact.openapi import as_dict
from threadpact.pointers import value_at

if TYPE_CHECKING:
    from threadpact.checks.created import KeyedCreate

NOT_FOUND = 404
MAX_PAGES = 50
"""How many pages a walk through a collection reads at most."""
SUCCESS = ("200", "201", "2XX")


def declares_header(operation: ApiOperation, name: str) -> bool:
    """Whether a 2xx answer of ``operation`` declares the response header ``name``."""
    view, op = view_of(operation), model_of(operation)
    if op is None:
        return False
    for code, response in view.spec.responses(op):
        if code.upper() in SUCCESS or code.startswith("2"):
            headers = as_dict(response.value.get("headers"))
            if any(str(key).lower() == name.lower() for key in headers):
                return True
    return False


def declares_parameter(operation: ApiOperation, where: str, name: str) -> str | None:
    """The declared spelling of a parameter of ``operation``, if it has one."""
    view, op = view_of(operation), model_of(operation)
    if op is None:
        return None
    key = (where, name.lower() if where == "header" else name)
    found = view.spec.parameters(op).get(key)
    return str(found.value["name"]) if found is not None else None


def returns_array(operation: ApiOperation) -> bool:
    """Whether the 200 answer of ``operation`` is an array, or an object holding one."""
    view, op = view_of(operation), model_of(operation)
    found = view.spec.response_for(op, 200) if op is not None else None
    if found is None:
        return False
    for media in as_dict(found[1].value.get("content")):
        schema = view.spec.schema_of(found[1], media).value
        shape = view.spec.shape(schema)
        if "array" in shape.types:
            return True
        properties = as_dict(as_dict(view.spec.resolve(schema).value).get("properties"))
        if any("array" in view.spec.shape(node).types for node in properties.values()):
            return True
    return False


def collection_of(case: AnyCase) -> ApiOperation | None:
    """The list operation of the collection a create adds to (a GET at its path)."""
    try:
        operation: ApiOperation = case.operation.schema.find_operation_by_label(
            f"GET {case.operation.path}"
        )
    except LookupError:
        return None
    return operation if operation is not None and returns_array(operation) else None


def page_items(body: Any) -> list[Any]:
    """The items of a page: the array itself, or the object's first array."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict):
        return next((value for value in body.values() if isinstance(value, list)), [])
    return []


def next_query(operation: ApiOperation, body: Any) -> dict[str, str] | None:
    """The query that asks for the next page, if the page names one."""
    if not isinstance(body, dict):
        return None
    for parameter in operation.query:
        value = body.get(f"next_{parameter.name}")
        if isinstance(value, str) and value:
            return {parameter.name: value}
    return None


@dataclass(frozen=True)
class Listing:
    """Every page of a collection one principal read, and the items on them."""

    pages: list[Exchange]

    @property
    def complete(self) -> bool:
        """Whether every page answered 200 and the last one names no next page."""
        last = self.pages[-1] if self.pages else None
        return (
            last is not None
            and all(page.status == 200 for page in self.pages)
            and next_query(last.case.operation, last.json()) is None
        )

    def items(self) -> Iterator[Any]:
        """Every item on every page."""
        for page in self.pages:
            if page.status == 200:
                yield from page_items(page.json())

    def holding(self, pointer: str, value: Any) -> list[Exchange]:
        """The pages that list an item whose ``pointer`` is ``value``."""
        return [
            page
            for page in self.pages
            if page.status == 200
            and any(value_at(item, pointer) == value for item in page_items(page.json()))
        ]


def limit_query(operation: ApiOperation) -> dict[str, Any]:
    """The largest page size the spec allows, to read a collection in few requests."""
    view = view_of(operation)
    for parameter in operation.query:
        schema = as_dict(view.spec.resolve(parameter.definition.get("schema")).value)
        if schema.get("type") == "integer" and isinstance(schema.get("maximum"), int):
            return {parameter.name: schema["maximum"]}
    return {}


def walk_collection(
    case: AnyCase,
    operation: ApiOperation,
    principal: Principal,
    purpose: str,
    size: dict[str, Any] | None = None,
) -> Listing:
    """Read every page of a collection as ``principal``, following its next-page values.

    Pages are as large as the spec allows, unless ``size`` gives the page-size query.
    """
    names = {parameter.name for parameter in operation.path_parameters}
    path = {k: v for k, v in case.path_parameters.items() if k in names}
    size = limit_query(operation) if size is None else size
    query = dict(size)
    pages: list[Exchange] = []
    while len(pages) < MAX_PAGES:
        request = build(
            case, operation=operation, principal=principal, path_parameters=path, query=query
        )
        page = send(f"{purpose} (page {len(pages) + 1})", request)
        pages.append(page)
        following = next_query(operation, page.json()) if page.status == 200 else None
        if following is None:
            break
        query = {**size, **following}
    return Listing(pages)


def item_targets(exchange: Exchange) -> list[LinkTarget]:
    """The operations the spec links a create's answer to, with their parameters filled."""
    return [t for t in link_targets(exchange.case, exchange.response) if t.parameters]


def takes_the_id(target: LinkTarget, id_pointer: str) -> bool:
    """Whether a link target's last path segment is the created resource's ID."""
    last = target.operation.path.rstrip("/").rsplit("/", 1)[-1]
    name = last[1:-1] if last.startswith("{") and last.endswith("}") else None
    return name is not None and target.expressions.get(name) == f"$response.body#{id_pointer}"


def with_method(targets: list[LinkTarget], method: str, id_pointer: str) -> LinkTarget | None:
    """The first target with ``method`` that addresses the resource itself."""
    return next(
        (
            t
            for t in targets
            if t.operation.method.upper() == method and takes_the_id(t, id_pointer)
        ),
        None,
    )


def request_to(
    exchange: Exchange, target: LinkTarget, principal: Principal, state: RunState
) -> AnyCase | None:
    """The request a link of ``exchange``'s answer leads to, as ``principal``."""
    return target_case(exchange.case, target, principal, state)


def own_resource(create: "KeyedCreate", rule: str) -> Exchange | None:
    """A resource of ``rule``'s own, made like the create under a fresh key.

    None, with a note, when none can be made; None too when the ID its answer names
    does not read back (id-authority reports that). Rules that change or delete work
    on their own resource, so the engine's stays as the engine left it.
    """
    own = create.another("a resource of the rule's own")
    if own is None or not own.ok:
        create.state.note(f"{rule}: no resource of its own on {create.label}")
        return None
    return None if unreadable(create, own) else own


def unreadable(create: "KeyedCreate", made: Exchange) -> bool:
    """Whether a resource the answer names cannot be read back: id-authority's finding.

    Rules that act on a resource by the ID its create answered skip it then, so one
    broken ID is reported once, by the rule about IDs.
    """
    state = create.state
    read = read_back(made.case, made.response, create.id_pointer, state.owner, state, "read it")
    if read is None or read.status != NOT_FOUND:
        return False
    state.note(f"{create.label}: an answered ID does not read back; left to id-authority")
    return True
