"""The lint rules' registry: each rule registers under a stable name with :func:`rule`."""

from collections.abc import Callable, Iterator
from typing import Any

from threadpact.openapi import Spec, as_dict

LintRule = Callable[[Spec], Iterator[tuple[str, str]]]
LINT_RULES: dict[str, LintRule] = {}
"""Every rule by name, in the order they report."""


def rule(name: str) -> Callable[[LintRule], LintRule]:
    """Register a lint rule under a stable name."""

    def register(check: LintRule) -> LintRule:
        LINT_RULES[name] = check
        return check

    return register


def header_key(node: dict[str, Any], name: str) -> str | None:
    """The key of ``name`` in a headers mapping, matched case-insensitively."""
    return next((key for key in as_dict(node.get("headers")) if key.lower() == name.lower()), None)
