"""The one model of pact files: finding them, and reading V2, V3 and V4 interactions.

Crosscheck, verify and the drift step all read pacts here, with the same rules:
a location is a pact file, or a folder searched (subfolders too) for ``*.json``.
Every interaction becomes one :class:`Interaction`, whatever the pact version, with
the JSON pointer of each part so that a finding can name the very place. The matching
rules and generators of a request or response are read into one :class:`Rules`, from
the flat V2 form (``"$.body.id"``) or the V3/V4 form (``{"body": {"$.id": ...}}``).
"""

import base64
import binascii
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

from threadpact.errors import UsageError
from threadpact.pointers import child

HTTP = "Synchronous/HTTP"


class BadPact(Exception):
    """A pact file or interaction that cannot be read as one."""

    def __init__(self, pointer: str, message: str) -> None:
        super().__init__(message)
        self.pointer = pointer


def as_dict(value: Any) -> dict[str, Any]:
    """``value`` if it is a mapping, else an empty one."""
    return value if isinstance(value, dict) else {}


@dataclass(frozen=True)
class Body:
    """A body as a value, its media type and where both are in the pact."""

    value: Any
    media: str
    media_pointer: str
    pointer: str


@dataclass(frozen=True)
class Rule:
    """The matchers a pact puts on one place, how they combine, and where the rule is."""

    matchers: tuple[dict[str, Any], ...]
    """Each with its ``match`` (V2 rules without one get ``regex`` or ``type``)."""
    combine: str
    """``AND`` or ``OR``."""
    pointer: str


@dataclass(frozen=True)
class Generator:
    """A value a pact generates at verification time (``ProviderState``, ``Uuid``, ...)."""

    kind: str
    attributes: dict[str, Any]
    pointer: str


Place = tuple[str, str]
"""``("body", "$.items[*].id")``, ``("header", "x-count")`` (lower-cased),
``("query", "limit")``, ``("path", "")`` or ``("status", "")``."""


@dataclass(frozen=True)
class Rules:
    """The matching rules and generators of a request or a response, by place.

    Body places are JSONPaths from the body (``$``); V2's ``$.body`` prefix is dropped.
    """

    matching: dict[Place, Rule] = field(default_factory=dict)
    generators: dict[Place, Generator] = field(default_factory=dict)


@dataclass(frozen=True)
class Interaction:
    """One HTTP interaction of a pact, the same whatever the pact's version."""

    file: Path
    description: str
    pointer: str
    states: list[tuple[str, str]]
    """``(pointer, name)`` of each provider state."""
    method: str
    """Lower-case."""
    path: str
    query: dict[str, list[tuple[str, str]]]
    request_headers: dict[str, tuple[str, str]]
    """Lower-cased name -> (pointer, value)."""
    request_body: Body | None
    status: int
    response_headers: dict[str, tuple[str, str]]
    response_body: Body | None
    request_rules: Rules = field(default_factory=Rules)
    response_rules: Rules = field(default_factory=Rules)

    @property
    def state_names(self) -> tuple[str, ...]:
        """The provider states' names, in order."""
        return tuple(name for _pointer, name in self.states)

    def label(self) -> str:
        """``METHOD path given 'STATE', ... (file)``."""
        given = ", ".join(repr(name) for name in self.state_names)
        return (
            f"{self.method.upper()} {self.path}"
            + (f" given {given}" if given else "")
            + f" ({self.file.name})"
        )


@dataclass
class PactFile:
    """What one pact file holds: its HTTP interactions, and what could not be read."""

    path: Path
    count: int = 0
    """How many interactions it lists, of any kind."""
    interactions: list[Interaction] = field(default_factory=list)
    problems: list[tuple[str, BadPact]] = field(default_factory=list)
    """``(description, problem)`` for each HTTP interaction that cannot be read; a problem
    with an empty description is about the whole file."""
    skipped: list[str] = field(default_factory=list)
    """The type of each interaction that is not HTTP (a V4 message, say): not checked."""


def listed(folder: Path) -> list[Path]:
    """Every ``*.json`` file below ``folder`` (subfolders too), sorted; none if it is missing."""
    return sorted(path for path in folder.rglob("*.json") if path.is_file())


def find_pacts(location: Path) -> list[Path]:
    """The pact files at ``location``: that file, or every ``*.json`` below that folder."""
    if location.is_file():
        return [location]
    if not location.is_dir():
        raise UsageError(f"{location}: no such pact directory")
    files = listed(location)
    if not files:
        raise UsageError(f"{location}: no pact files (*.json) found")
    return files


def load_document(path: Path) -> Any:
    """A pact file's JSON; :class:`BadPact` (for the whole file) if it has none."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as exc:
        raise BadPact("", f"cannot read it: {exc}") from None
    except json.JSONDecodeError as exc:
        where = f"line {exc.lineno}, column {exc.colno}"
        raise BadPact("", f"not valid JSON at {where}: {exc.msg}") from None


def read_pact(path: Path) -> PactFile:
    """Every interaction of one pact file (problems are recorded, never raised)."""
    pact = PactFile(path)
    try:
        document = load_document(path)
    except BadPact as exc:
        pact.problems.append(("", exc))
        return pact
    interactions = as_dict(document).get("interactions")
    if not isinstance(interactions, list):
        kind = "a message pact" if "messages" in as_dict(document) else "not a pact"
        pact.problems.append(("", BadPact("", f"{kind}: no HTTP interactions list")))
        return pact
    v4 = pact_version(document) >= 4
    pact.count = len(interactions)
    for index, raw in enumerate(interactions):
        pointer = child("/interactions", index)
        kind = as_dict(raw).get("type", HTTP)
        if kind != HTTP:
            pact.skipped.append(str(kind))
            continue
        try:
            pact.interactions.append(read_interaction(path, raw, pointer, v4))
        except BadPact as exc:
            pact.problems.append((str(as_dict(raw).get("description", pointer)), exc))
    return pact


def pact_version(pact: dict[str, Any]) -> int:
    """The pact specification's major version (4 if interactions carry a type)."""
    metadata = as_dict(pact.get("metadata"))
    spec = as_dict(metadata.get("pactSpecification") or metadata.get("pact-specification"))
    version = str(spec.get("version", ""))
    if version[:1].isdigit():
        return int(version.split(".", maxsplit=1)[0])
    interactions = pact.get("interactions")
    typed = isinstance(interactions, list) and any("type" in as_dict(i) for i in interactions)
    return 4 if typed else 3


def read_interaction(file: Path, raw: Any, pointer: str, v4: bool) -> Interaction:
    """One interaction; :class:`BadPact` if it is not a readable HTTP interaction."""
    if not isinstance(raw, dict):
        raise BadPact(pointer, "an interaction must be a JSON object")
    request, response = as_dict(raw.get("request")), as_dict(raw.get("response"))
    method, path, status = request.get("method"), request.get("path"), response.get("status")
    if not isinstance(method, str) or not isinstance(path, str) or not isinstance(status, int):
        raise BadPact(pointer, "needs request.method, request.path and an integer status")
    req, res = child(pointer, "request"), child(pointer, "response")
    request_headers = read_headers(request.get("headers"), child(req, "headers"))
    response_headers = read_headers(response.get("headers"), child(res, "headers"))
    return Interaction(
        file=file,
        description=str(raw.get("description", pointer)),
        pointer=pointer,
        states=read_states(raw, pointer),
        method=method.lower(),
        path=path,
        query=read_query(request.get("query"), child(req, "query")),
        request_headers=request_headers,
        request_body=read_pact_body(request, req, request_headers, v4),
        status=status,
        response_headers=response_headers,
        response_body=read_pact_body(response, res, response_headers, v4),
        request_rules=read_rules(request, req),
        response_rules=read_rules(response, res),
    )


def media_type(text: str) -> str:
    """``application/json`` from ``Application/JSON; charset=utf-8``."""
    return text.split(";", 1)[0].strip().lower()


def is_json(media: str) -> bool:
    """Whether a media type carries JSON."""
    return media == "application/json" or media.endswith("+json")


def read_headers(raw: Any, pointer: str) -> dict[str, tuple[str, str]]:
    """Lower-cased name -> (pointer, value); list values (V4) are joined with commas."""
    found: dict[str, tuple[str, str]] = {}
    for name, value in as_dict(raw).items():
        text = ", ".join(map(str, value)) if isinstance(value, list) else str(value)
        found[str(name).lower()] = (child(pointer, name), text)
    return found


def read_query(raw: Any, pointer: str) -> dict[str, list[tuple[str, str]]]:
    """Name -> [(pointer, value)], from a V3/V4 mapping or a V2 query string."""
    found: dict[str, list[tuple[str, str]]] = {}
    if isinstance(raw, str):
        for name, value in parse_qsl(raw, keep_blank_values=True):
            found.setdefault(name, []).append((pointer, value))
        return found
    for name, values in as_dict(raw).items():
        listed = values if isinstance(values, list) else [values]
        for index, value in enumerate(listed):
            spot = child(pointer, name, index) if isinstance(values, list) else child(pointer, name)
            found.setdefault(str(name), []).append((spot, str(value)))
    return found


def read_states(raw: dict[str, Any], pointer: str) -> list[tuple[str, str]]:
    """(pointer, name) of each provider state (V3/V4 list, or the V2 single state).

    An empty name is no state: some pact libraries write ``"providerState": ""``.
    """
    if isinstance(raw.get("providerState"), str):
        named = raw["providerState"].strip()
        return [(child(pointer, "providerState"), named)] if named else []
    states = raw.get("providerStates")
    return [
        (child(pointer, "providerStates", index, "name"), str(as_dict(state).get("name")))
        for index, state in enumerate(states if isinstance(states, list) else [])
        if str(as_dict(state).get("name") or "").strip()
    ]


def read_pact_body(
    side: dict[str, Any], pointer: str, headers: dict[str, tuple[str, str]], v4: bool
) -> Body | None:
    """The body of a request or response, decoded, or None if the pact has none.

    An empty body is no body: pact-js writes ``"body": ""`` for a request without one.
    """
    raw = side.get("body")
    if raw == "" or (v4 and isinstance(raw, dict) and raw.get("content") == ""):
        return None
    header_pointer, header_type = headers.get("content-type", (None, None))
    if v4 and isinstance(raw, dict):
        if raw.get("content") is None:
            return None
        stated = raw.get("contentType")
        declared = str(stated) if stated else header_type
        where = child(pointer, "body", "contentType") if stated else header_pointer
        value = decode(raw["content"], raw.get("encoded"), declared, child(pointer, "body"))
        spot = child(pointer, "body", "content")
    elif raw is None:
        return None
    else:
        declared, where, value, spot = header_type, header_pointer, raw, child(pointer, "body")
    if declared is None:
        declared = "text/plain" if isinstance(value, str) else "application/json"
    return Body(value, media_type(declared), where or spot, spot)


def decode(content: Any, encoded: Any, declared: str | None, pointer: str) -> Any:
    """A V4 body's content as a JSON value (or text, for non-JSON types)."""
    json_body = declared is None or is_json(media_type(declared))
    if isinstance(encoded, str) and encoded.lower() == "base64":
        try:
            content = base64.b64decode(str(content), validate=True).decode("utf-8")
        except (binascii.Error, UnicodeDecodeError):
            raise BadPact(pointer, "the body is marked base64 but does not decode") from None
    elif not (isinstance(encoded, str) and encoded.lower() == "json"):
        return content
    if json_body and isinstance(content, str):
        try:
            return json.loads(content)
        except ValueError:
            raise BadPact(pointer, "the body is not the JSON its content type says") from None
    return content


CATEGORIES = {"body": "body", "header": "header", "headers": "header", "query": "query"}
CATEGORIES |= {"path": "path", "status": "status"}


def read_rules(side: dict[str, Any], pointer: str) -> Rules:
    """The matching rules and generators of a request or response (V2, V3 or V4)."""
    rules = Rules()
    raw = as_dict(side.get("matchingRules"))
    base = child(pointer, "matchingRules")
    if any(str(key).startswith("$") for key in raw):  # V2: one flat map of JSONPaths
        for key, value in raw.items():
            place = v2_place(str(key))
            if place is not None and isinstance(value, dict):
                rules.matching[place] = Rule((matcher(value),), "AND", child(base, key))
    else:
        for category, key, value, spot in by_place(raw, base):
            matchers = value.get("matchers")
            if isinstance(matchers, list):
                combine = str(value.get("combine", "AND")).upper()
                listed = tuple(matcher(m) for m in matchers if isinstance(m, dict))
                rules.matching[(category, key)] = Rule(listed, combine, spot)
    for category, key, value, spot in by_place(
        as_dict(side.get("generators")), child(pointer, "generators")
    ):
        if isinstance(value.get("type"), str):
            rules.generators[(category, key)] = Generator(value["type"], value, spot)
    return rules


def by_place(raw: dict[str, Any], base: str) -> list[tuple[str, str, dict[str, Any], str]]:
    """``(category, key, entry, pointer)`` of each entry of a V3/V4 rules or generators map.

    Path and status entries are the entry itself (``{"matchers": ...}``), or keyed once.
    """
    found = []
    for name, entries in raw.items():
        category = CATEGORIES.get(str(name))
        if category is None or not isinstance(entries, dict):
            continue
        spot = child(base, name)
        if category in ("path", "status") and ("matchers" in entries or "type" in entries):
            found.append((category, "", entries, spot))
            continue
        for key, value in entries.items():
            if not isinstance(value, dict):
                continue
            if category == "body":
                place = body_path(str(key))
            elif category in ("path", "status"):
                place = ""
            else:
                place = str(key).lower() if category == "header" else str(key)
            found.append((category, place, value, child(spot, key)))
    return found


def v2_place(key: str) -> Place | None:
    """A V2 key's place (``$.body.id``, ``$.headers.Accept``, ``$.query.q``, ``$.path``)."""
    for prefix in ("$.body", "$.headers.", "$.header.", "$.query.", "$.path"):
        if not key.startswith(prefix):
            continue
        rest = key[len(prefix) :]
        if prefix == "$.body":
            return ("body", "$" + rest) if rest[:1] in ("", ".", "[") else None
        if prefix == "$.path":
            return ("path", "") if not rest else None
        name = rest.split("[", 1)[0]
        return ("header", name.lower()) if "header" in prefix else ("query", name)
    return None


def body_path(key: str) -> str:
    """A V3/V4 body JSONPath as ``$...`` (some writers drop the ``$``)."""
    if key.startswith("$"):
        return key
    return "$" + key if key.startswith("[") else "$." + key


def matcher(raw: dict[str, Any]) -> dict[str, Any]:
    """A matcher with its ``match`` (a V2 rule names none: a regex, else a type)."""
    if "match" in raw:
        return raw
    return {**raw, "match": "regex" if "regex" in raw else "type"}
