"""What the crosscheck rules check against: the spec, its schemas, its provider states;
and how one value or body is held to its schema."""

import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

from threadpact.openapi import Located, SchemaChecker, Spec, as_dict
from threadpact.pacts import Body, media_type
from threadpact.pointers import child

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Mismatch:
    """One way an interaction breaks the spec, located in the pact file.

    A warning is reported but does not fail the step: something that cannot be judged
    exactly, or a consumer that accepts more than the spec lets the provider send.
    """

    rule: str
    pointer: str
    message: str
    severity: Severity = "error"


@dataclass
class Target:
    """The spec the pacts are checked against, with its validators and provider states."""

    spec: Spec
    schemas: SchemaChecker = field(init=False)
    states: set[str] | None = field(init=False)
    """The provider states the spec declares (``x-provider-states``); None if it declares
    none, and then any state is accepted."""
    verdicts: dict[Any, Any] = field(init=False, default_factory=dict)
    """Matcher judgements already made, by matcher and schema (pacts repeat their rules)."""

    def __post_init__(self) -> None:
        self.schemas = SchemaChecker(self.spec)
        declared = self.spec.document.get("x-provider-states")
        self.states = (
            {str(as_dict(s).get("name", s)) for s in declared}
            if isinstance(declared, list)
            else None
        )


def coerce(spec: Spec, schema: Any, text: str) -> Any:
    """A parameter's text as the JSON value its schema expects, when it can be one."""
    types = spec.shape(schema).types
    if not types or "string" in types:
        return text
    if "integer" in types and re.fullmatch(r"-?\d+", text):
        return int(text)
    if "number" in types and re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", text):
        return float(text)
    if "boolean" in types and text in ("true", "false"):
        return text == "true"
    if "array" in types:
        items = as_dict(spec.resolve(schema).value).get("items")
        return [coerce(spec, items, part) for part in text.split(",")]
    return text


def check_value(
    target: Target, rule: str, label: str, param: Located[dict[str, Any]], value: Any, where: str
) -> Iterator[Mismatch]:
    """A parameter or header value against its schema."""
    if "schema" not in param.value:
        return
    schema = target.spec.resolve(param.value["schema"], child(param.pointer, "schema"))
    if isinstance(value, str):
        value = coerce(target.spec, schema.value, value)
    for _path, message, spec_pointer in target.schemas.errors(schema.pointer, value):
        yield Mismatch(rule, where, f"{label}: {message} (spec: {spec_pointer})")


def pick_media(content: dict[str, Any], media: str) -> str | None:
    """The key of ``content`` that ``media`` falls under (exact, ``type/*``, ``*/*``)."""
    keys = {media_type(key): key for key in content}
    for candidate in (media, media.split("/", maxsplit=1)[0] + "/*", "*/*"):
        if candidate in keys:
            return keys[candidate]
    return None


def check_body(
    target: Target, side: str, body: Body, owner: Located[dict[str, Any]], what: str
) -> Iterator[Mismatch]:
    """A body against the content a request body or response documents (``side``)."""
    content = as_dict(owner.value.get("content"))
    if not content:
        yield Mismatch(
            f"crosscheck.{side}-body", body.pointer, f"{what}: the spec has no body here"
        )
        return
    key = pick_media(content, body.media)
    if key is None:
        documented = ", ".join(content)
        yield Mismatch(
            f"crosscheck.{side}-content-type",
            body.media_pointer,
            f"{what}: the spec documents {documented}, not {body.media}",
        )
        return
    if "schema" not in as_dict(content[key]):
        return
    schema = target.spec.schema_of(owner, key)
    for path, message, spec_pointer in target.schemas.errors(schema.pointer, body.value):
        yield Mismatch(
            f"crosscheck.{side}-body",
            body.pointer + path,
            f"{what}: {message} (spec: {spec_pointer})",
        )
