"""Reading an OpenAPI 3.0 or 3.1 document from a file and validating it, with one-line errors.

Swagger 2.0 is refused, with one line that says how to convert it; a file that is not
an OpenAPI document at all is told so.
"""

from pathlib import Path
from typing import Any

import yaml
from openapi_spec_validator import OpenAPIV30SpecValidator, OpenAPIV31SpecValidator
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
    check_version(path, document)
    return document


SUPPORTED = "threadpact reads OpenAPI 3.0 and 3.1"
CONVERT = "convert it first, e.g. `npx swagger2openapi SPEC -o openapi.yaml`"


def openapi_version(document: dict[str, Any]) -> str:
    """``3.0`` or ``3.1``: the minor version a supported document declares."""
    return str(document.get("openapi", ""))[:3]


def check_version(path: Path, document: dict[str, Any]) -> None:
    """A usage error, one line, unless the document declares OpenAPI 3.0 or 3.1."""
    if "swagger" in document:
        found = document.get("swagger")
        raise UsageError(
            f"{path}: a Swagger {found} document (swagger: {found!r}); {SUPPORTED}: {CONVERT}"
        )
    if "openapi" not in document:
        raise UsageError(
            f"{path}: not an OpenAPI document (it has no `openapi` version field); {SUPPORTED}"
        )
    if openapi_version(document) not in ("3.0", "3.1"):
        found = document.get("openapi")
        raise UsageError(f"{path}: OpenAPI {found!r} is not supported; {SUPPORTED}")


def validation_errors(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every validation error, by the rules of the OpenAPI version it declares, as
    (JSON pointer, message)."""
    version = openapi_version(document)
    if version not in ("3.0", "3.1"):
        found_version = document.get("openapi", document.get("swagger"))
        return [("/openapi", f"expected OpenAPI 3.0 or 3.1, got {found_version!r}")]
    found: list[tuple[str, str]] = []
    validator = OpenAPIV30SpecValidator if version == "3.0" else OpenAPIV31SpecValidator
    errors: Any = validator(document).iter_errors()
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
    """A parsed spec that is valid OpenAPI 3.0 or 3.1, or a one-line usage error."""
    document = read_spec(path)
    errors = validation_errors(document)
    if errors:
        pointer, message = errors[0]
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise UsageError(f"{path}: invalid OpenAPI at {pointer}: {message}{more}")
    return document
