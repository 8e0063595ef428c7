"""Reading an OpenAPI document from a file and validating it, with one-line errors."""

from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import OpenAPIV31SpecValidator
from openapi_spec_validator.validation.exceptions import OpenAPIValidationError
from referencing.exceptions import Unresolvable

from threadpact.errors import UsageError
from threadpact.pointers import json_pointer


def read_spec(path: Path) -> dict[str, Any]:
    """Parse a YAML or JSON spec file; a usage error names what is wrong."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise UsageError(f"{path}: no such spec file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: cannot read the spec: {exc}") from None
    try:
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or "invalid YAML"
        raise UsageError(f"{path}: not valid YAML{where}: {problem}") from None
    if not isinstance(document, dict):
        raise UsageError(f"{path}: the spec must be a YAML or JSON object")
    return document


def validation_errors(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every OpenAPI 3.1 validation error as (JSON pointer, message)."""
    if not str(document.get("openapi", "")).startswith("3.1"):
        return [("/openapi", f"expected an OpenAPI 3.1 document, got {document.get('openapi')!r}")]
    found: list[tuple[str, str]] = []
    errors: Any = OpenAPIV31SpecValidator(document).iter_errors()
    try:
        if not isinstance(document.get("paths", {}), dict):
            return [("/paths", "paths must be an object")]
        for error in errors:
            assert isinstance(error, OpenAPIValidationError)
            found.append((json_pointer(error.absolute_path), error.message.splitlines()[0][:300]))
    except Unresolvable as exc:
        ref = getattr(exc, "ref", None) or str(exc).splitlines()[0][:200]
        found.append(("/", f"unresolvable $ref: {ref}"))
    except (KeyError, TypeError, AttributeError, ValueError) as exc:
        # The validator assumes a roughly well-shaped document; say so instead of crashing.
        found.append(("/", f"the document is not shaped like OpenAPI: {exc!r}"[:300]))
    return found


def load_spec(path: Path) -> dict[str, Any]:
    """A parsed spec that is valid OpenAPI 3.1, or a one-line usage error."""
    document = read_spec(path)
    errors = validation_errors(document)
    if errors:
        pointer, message = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise UsageError(f"{path}: invalid OpenAPI at {pointer}: {message}{more}")
    return document
