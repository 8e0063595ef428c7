"""``threadpact generate``: the configured outputs from the spec, and the staleness check.

Each output is a :class:`Target`: pydantic models by the pinned
datamodel-code-generator (:mod:`.pydantic`), TypeScript declarations by the pinned
openapi-typescript (:mod:`.typescript`, run from threadpact's own Node install,
:mod:`.node`). Both are byte-for-byte reproducible.
"""

from threadpact.codegen.outputs import generate, stale_diff, validate
from threadpact.codegen.target import Kind, Target, target, targets

__all__ = ["Kind", "Target", "generate", "stale_diff", "target", "targets", "validate"]
