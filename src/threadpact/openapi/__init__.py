"""The one model of an OpenAPI spec that lint, crosscheck and fuzz read specs through.

documents   reading a file, validating it, one-line errors
model       Spec: $refs, operations, parameters, responses, links, path templates
schemas     SchemaChecker: values against the spec's schemas, errors located
"""

from threadpact.openapi.documents import load_spec, openapi_version, read_spec, validation_errors
from threadpact.openapi.model import Located, Operation, Route, Shape, Spec, as_dict, walk
from threadpact.openapi.schemas import SchemaChecker

__all__ = [
    "Located",
    "Operation",
    "Route",
    "SchemaChecker",
    "Shape",
    "Spec",
    "as_dict",
    "load_spec",
    "openapi_version",
    "read_spec",
    "validation_errors",
    "walk",
]
