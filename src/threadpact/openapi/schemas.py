"""Validating values against the spec's schemas, each error located in the spec.

A real JSON Schema validator (the OAS 3.0 or 3.1 dialect, as the spec declares, so
3.0's ``nullable`` and boolean ``exclusiveMinimum`` work; ``$ref``s resolved against the
whole spec, the ``uuid`` and ``date-time`` formats asserted). Each error names
where in the value it is and which schema keyword of the spec it broke.
"""

from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

from openapi_schema_validator import (
    OAS30Validator,
    OAS31Validator,
    oas30_format_checker,
    oas31_format_checker,
)
from referencing.exceptions import Unresolvable

from threadpact.openapi.model import SPEC_URI, Spec, as_dict, walk
from threadpact.pointers import child

MESSAGE_LENGTH = 200


class SchemaChecker:
    """Validators for the schemas of one spec, made once per schema."""

    def __init__(self, spec: Spec) -> None:
        self.spec = spec
        self._places: dict[int, str] = {}
        for node, parts in walk(spec.document):
            if isinstance(node, dict):
                self._places.setdefault(id(node), child("", *parts))
        self._validators: dict[str, Any] = {}

    def errors(self, schema_pointer: str, instance: Any) -> Iterator[tuple[str, str, str]]:
        """``(pointer below the instance, message, spec pointer)`` per schema violation."""
        validator = self._validators.get(schema_pointer)
        if validator is None:
            is_30 = str(self.spec.document.get("openapi", "")).startswith("3.0")
            kind, formats = (
                (OAS30Validator, oas30_format_checker)
                if is_30
                else (OAS31Validator, oas31_format_checker)
            )
            validator = kind(
                {"$ref": f"{SPEC_URI}#{quote(schema_pointer, safe='/~')}"},
                registry=self.spec.registry,
                format_checker=formats,
            )
            self._validators[schema_pointer] = validator
        try:
            found = sorted(validator.iter_errors(instance), key=lambda e: list(map(str, e.path)))
        except Unresolvable as exc:
            yield "", f"the spec's schema has an unresolvable $ref {exc.ref!r}", schema_pointer
            return
        for error in found:
            where = self._places.get(id(error.schema), schema_pointer)
            spec_pointer = child(where, error.validator)
            path = child("", *error.path)
            extras = unexpected(error)
            if extras:
                for name in extras:
                    yield child(path, name), f"{name!r} is not allowed here", spec_pointer
            else:
                message = error.message
                if len(message) >= MESSAGE_LENGTH:
                    message = message[: MESSAGE_LENGTH - 3] + "..."
                yield path, message, spec_pointer


def unexpected(error: Any) -> list[str]:
    """The member names an ``additionalProperties: false`` error is about."""
    if error.validator != "additionalProperties" or not isinstance(error.instance, dict):
        return []
    schema = as_dict(error.schema)
    if schema.get("patternProperties"):
        return []
    return [name for name in error.instance if name not in as_dict(schema.get("properties"))]
