"""A spec as objects: operations, parameters, responses, links and path templates.

Every lookup follows local ``$ref`` chains (through ``referencing``) and answers with
where the value lives, as a :class:`Located` JSON pointer, so a finding can name
the very place in the spec. Nothing here raises on a malformed spec: a broken or
remote reference resolves to ``None``.
"""

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from typing import Any, Generic, TypeVar
from urllib.parse import unquote

from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from threadpact.pointers import child, json_pointer

T = TypeVar("T")
SPEC_URI = "urn:threadpact:openapi"
HTTP_METHODS = ("get", "put", "post", "delete", "options", "head", "patch", "trace")
DATA_KEYS = frozenset({"example", "examples", "default", "const", "enum"})
"""Keys whose values are data, not spec objects: never look for $ref or schemas inside."""


@dataclass(frozen=True)
class Located(Generic[T]):
    """A value of the spec and the JSON pointer where it is."""

    value: T
    pointer: str


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


def walk(node: Any, parts: tuple[Any, ...] = ()) -> Iterator[tuple[Any, tuple[Any, ...]]]:
    """Every spec object under ``node`` with its path, skipping example data."""
    yield node, parts
    if isinstance(node, dict):
        for key, value in node.items():
            if key not in DATA_KEYS:
                yield from walk(value, (*parts, key))
    elif isinstance(node, list):
        for index, value in enumerate(node):
            yield from walk(value, (*parts, index))


@dataclass(frozen=True)
class Operation:
    """One operation of the spec, where it is, and its path item."""

    path: str
    method: str
    pointer: str
    node: dict[str, Any]
    item: dict[str, Any]
    item_pointer: str

    @property
    def operation_id(self) -> str | None:
        """The operationId, if it has one."""
        value = self.node.get("operationId")
        return value if isinstance(value, str) and value else None

    @property
    def label(self) -> str:
        """``POST /threads (createThread)``."""
        op_id = self.operation_id
        return self.label_path + (f" ({op_id})" if op_id else "")

    @property
    def label_path(self) -> str:
        """``POST /threads``."""
        return f"{self.method.upper()} {self.path}"

    @property
    def is_create(self) -> bool:
        """A POST that answers 201."""
        return self.method == "post" and "201" in map(str, as_dict(self.node.get("responses")))


@dataclass(frozen=True)
class Route:
    """A path template of the spec, as a regular expression, with its operations."""

    template: str
    pattern: re.Pattern[str]
    names: list[str]
    operations: dict[str, Operation]


def route(template: str, operations: dict[str, Operation]) -> Route:
    """Compile ``/threads/{thread_id}`` so each parameter is one path segment."""
    pieces = re.split(r"(\{[^{}/]+\})", template)
    names = [piece[1:-1] for piece in pieces[1::2]]
    regex = "".join("([^/]+)" if i % 2 else re.escape(piece) for i, piece in enumerate(pieces))
    return Route(template, re.compile(regex), names, operations)


@dataclass(frozen=True)
class Shape:
    """What an object schema says at its top level, ``allOf`` merged."""

    types: set[str]
    properties: set[str]
    required: set[str]


class Spec:
    """An OpenAPI document and the ways threadpact reads it."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT202012.create_resource(document)
        )
        self._resolver = self.registry.resolver(SPEC_URI)

    # $refs -------------------------------------------------------------------------

    def resolve(self, node: Any, pointer: str = "") -> Located[Any]:
        """Follow local ``$ref`` chains from ``node`` (at ``pointer``) to their target.

        The value is None for a broken, circular or remote reference.
        """
        seen: set[str] = set()
        while isinstance(node, dict) and isinstance(node.get("$ref"), str):
            ref: str = node["$ref"]
            if not ref.startswith("#") or ref in seen:
                return Located(None, pointer)
            seen.add(ref)
            pointer = unquote(ref[1:])
            try:
                node = self._resolver.lookup(ref).contents
            except (Unresolvable, LookupError, TypeError):
                return Located(None, pointer)
        return Located(node, pointer)

    def component(self, kind: str) -> dict[str, Any]:
        """``components.<kind>`` (schemas, parameters, securitySchemes, ...)."""
        return as_dict(as_dict(self.document.get("components")).get(kind))

    # Operations --------------------------------------------------------------------

    @cached_property
    def operations(self) -> list[Operation]:
        """Every operation under ``paths``, in document order."""
        found = []
        for path, raw in as_dict(self.document.get("paths")).items():
            item = self.resolve(raw, json_pointer(["paths", path]))
            for method, node in as_dict(item.value).items():
                if method in HTTP_METHODS and isinstance(node, dict):
                    found.append(
                        Operation(
                            path,
                            method,
                            f"{item.pointer}/{method}",
                            node,
                            as_dict(item.value),
                            item.pointer,
                        )
                    )
        return found

    @cached_property
    def by_id(self) -> dict[str, Operation]:
        """Operations by operationId."""
        return {op.operation_id: op for op in self.operations if op.operation_id}

    def parameters(self, op: Operation) -> dict[tuple[str, str], Located[dict[str, Any]]]:
        """The operation's parameters (path-item ones overridden by its own), resolved.

        Keyed by ``(in, name)``; header names are lower-cased.
        """
        found: dict[tuple[str, str], Located[dict[str, Any]]] = {}
        for owner, base in ((op.item, op.item_pointer), (op.node, op.pointer)):
            listed = owner.get("parameters")
            for index, raw in enumerate(listed if isinstance(listed, list) else []):
                param = self.resolve(raw, f"{base}/parameters/{index}")
                node = param.value
                if not isinstance(node, dict) or not isinstance(node.get("name"), str):
                    continue
                where = str(node.get("in", ""))
                name = node["name"].lower() if where == "header" else node["name"]
                found[(where, name)] = Located(node, param.pointer)
        return found

    def responses(self, op: Operation) -> list[tuple[str, Located[dict[str, Any]]]]:
        """``(status key, resolved response)`` for each documented response."""
        found = []
        for code, raw in as_dict(op.node.get("responses")).items():
            response = self.resolve(raw, f"{op.pointer}/responses/{code}")
            if isinstance(response.value, dict):
                found.append((str(code), Located(response.value, response.pointer)))
        return found

    def response_for(
        self, op: Operation, status: int
    ) -> tuple[str, Located[dict[str, Any]]] | None:
        """The response documented for a status: exact, then ``4XX``, then ``default``."""
        documented = {code.upper(): (code, found) for code, found in self.responses(op)}
        for key in (str(status), f"{status // 100}XX", "DEFAULT"):
            if key in documented:
                return documented[key]
        return None

    def find(self, method: str, path: str) -> Operation | None:
        """The operation at a path template and method, if the spec has it."""
        return next(
            (op for op in self.operations if op.method == method.lower() and op.path == path),
            None,
        )

    def request_body(self, op: Operation) -> Located[dict[str, Any]]:
        """The operation's resolved request body (empty if it has none)."""
        body = self.resolve(op.node.get("requestBody"), f"{op.pointer}/requestBody")
        return Located(as_dict(body.value), body.pointer)

    def security(self, op: Operation) -> Located[Any]:
        """The operation's effective security requirement and where it is declared."""
        if "security" in op.node:
            return Located(op.node["security"], f"{op.pointer}/security")
        return Located(self.document.get("security"), "/security")

    # Schemas -----------------------------------------------------------------------

    def schema_of(self, container: Located[dict[str, Any]], media: str) -> Located[Any]:
        """The resolved schema of ``container.content[media]``."""
        base = child(container.pointer, "content", media, "schema")
        schema = as_dict(as_dict(container.value.get("content")).get(media)).get("schema")
        return self.resolve(schema, base) if schema is not None else Located(None, base)

    def shape(self, schema: Any, depth: int = 0) -> Shape:
        """Types, property names and required names of a schema, merging its ``allOf``."""
        node = as_dict(self.resolve(schema).value) if depth < 16 else {}
        kind = node.get("type")
        types = {kind} if isinstance(kind, str) else {t for t in kind or [] if isinstance(t, str)}
        shape = Shape(
            types,
            set(as_dict(node.get("properties"))),
            {r for r in node.get("required") or [] if isinstance(r, str)},
        )
        for part in node.get("allOf") or []:
            more = self.shape(part, depth + 1)
            shape.types.update(more.types)
            shape.properties.update(more.properties)
            shape.required.update(more.required)
        return shape

    # Links and paths ---------------------------------------------------------------

    def link_target(self, link: dict[str, Any]) -> Operation | None:
        """The operation a link names, by operationId or operationRef."""
        if "operationRef" in link:
            ref = str(link["operationRef"])
            return next((op for op in self.operations if f"#{op.pointer}" == ref), None)
        return self.by_id.get(str(link.get("operationId"))) if "operationId" in link else None

    def links(self) -> Iterator[tuple[Operation, str, Located[dict[str, Any]]]]:
        """``(operation, link name, resolved link)`` for every response link."""
        for op in self.operations:
            for _code, response in self.responses(op):
                for name, raw in as_dict(response.value.get("links")).items():
                    link = self.resolve(raw, child(response.pointer, "links", name))
                    yield op, name, Located(as_dict(link.value), link.pointer)

    def link_errors(self) -> Iterator[tuple[str, str]]:
        """``(pointer, message)`` for each link naming a missing operation or parameter."""
        for _op, name, link in self.links():
            target = self.link_target(link.value)
            if target is None:
                wanted = link.value.get("operationId", link.value.get("operationRef"))
                yield link.pointer, f"link {name!r} names no operation of the spec ({wanted!r})"
                continue
            keys = self.parameters(target)
            known = {key[1] for key in keys} | {f"{key[0]}.{key[1]}" for key in keys}
            for param in as_dict(link.value.get("parameters")):
                if param not in known and param.lower() not in known:
                    yield (
                        child(link.pointer, "parameters", param),
                        f"link {name!r}: {target.label} has no parameter {param!r}",
                    )

    @cached_property
    def routes(self) -> list[Route]:
        """Path templates, the most specific first (fewest parameters, longest)."""
        grouped: dict[str, dict[str, Operation]] = {}
        for op in self.operations:
            grouped.setdefault(op.path, {})[op.method] = op
        return sorted(
            (route(path, ops) for path, ops in grouped.items()),
            key=lambda r: (len(r.names), -len(r.template)),
        )

    @cached_property
    def path_prefixes(self) -> list[str]:
        """``""``, then the path of each server URL (``/api/v1``), once each."""
        servers = self.document.get("servers")
        bases = [str(as_dict(server).get("url", "")) for server in servers or []]
        paths = (re.sub(r"^[a-z]+://[^/]+", "", base).rstrip("/") for base in bases)
        return list(dict.fromkeys(["", *paths]))
