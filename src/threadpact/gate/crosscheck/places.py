"""Where a matching rule points: a body JSONPath as steps, and the spec schema and the
pact's example value at those steps.

A schema is followed through ``$ref``s, ``properties``, ``additionalProperties``,
``items`` and ``prefixItems``, and into ``allOf`` parts. Where the place is described
by more than one schema (two ``allOf`` parts, a ``oneOf`` or ``anyOf`` alternative),
no single schema can be named and :class:`CannotJudge` says so.
"""

import re
from dataclasses import dataclass
from typing import Any

from threadpact.openapi import Located, Spec, as_dict
from threadpact.pointers import child


class CannotJudge(Exception):
    """A matcher, or the schema it is held to, that cannot be judged exactly."""


@dataclass(frozen=True)
class Step:
    """One step of a JSONPath: a key, an index, any item (``[*]``) or any key (``.*``)."""

    kind: str
    """``key``, ``index``, ``items`` or ``anykey``."""
    key: str | int = ""

    def text(self) -> str:
        """The step as JSONPath."""
        if self.kind == "key":
            name = str(self.key)
            return f".{name}" if re.fullmatch(r"[A-Za-z_$][\w$-]*", name) else f"['{name}']"
        return {"index": f"[{self.key}]", "items": "[*]"}.get(self.kind, ".*")


Path = tuple[Step, ...]
TOKEN = re.compile(
    r"\.(?P<name>[^.\[\]'\"]+)|\[(?P<index>\d+)\]|(?P<items>\[\*\])"
    r"|\['(?P<quoted>(?:[^'\\]|\\.)*)'\]|\[\"(?P<dquoted>(?:[^\"\\]|\\.)*)\"\]"
)


def parse(jsonpath: str) -> Path:
    """``$.items[*].id`` as steps; :class:`CannotJudge` for a JSONPath it cannot read."""
    if not jsonpath.startswith("$"):
        raise CannotJudge(f"{jsonpath!r} is not a JSONPath")
    steps: list[Step] = []
    position = 1
    while position < len(jsonpath):
        found = TOKEN.match(jsonpath, position)
        if found is None:
            raise CannotJudge(f"cannot read the JSONPath {jsonpath!r}")
        position = found.end()
        if found["name"] is not None:
            name = found["name"]
            steps.append(Step("anykey") if name == "*" else Step("key", name))
        elif found["index"] is not None:
            steps.append(Step("index", int(found["index"])))
        elif found["items"] is not None:
            steps.append(Step("items"))
        else:
            steps.append(Step("key", found["quoted"] or found["dquoted"] or ""))
    return tuple(steps)


def render(path: Path) -> str:
    """Steps as JSONPath (``$`` for the whole body)."""
    return "$" + "".join(step.text() for step in path)


def covers(pattern: Path, concrete: Path) -> bool:
    """Whether a rule's path names the place ``concrete`` (wildcards match any step)."""
    if len(pattern) != len(concrete):
        return False
    for wanted, step in zip(pattern, concrete, strict=True):
        if wanted.kind == "items" and step.kind in ("items", "index"):
            continue
        if wanted.kind == "anykey" and step.kind == "key":
            continue
        if wanted != step:
            return False
    return True


def example_at(value: Any, path: Path) -> tuple[bool, Any]:
    """``(found, value)``: the pact's example at a path (the first item for ``[*]``)."""
    for step in path:
        if step.kind == "key" and isinstance(value, dict) and step.key in value:
            value = value[step.key]
        elif step.kind == "anykey" and isinstance(value, dict) and value:
            value = next(iter(value.values()))
        elif step.kind in ("items", "index") and isinstance(value, list):
            index = step.key if isinstance(step.key, int) else 0
            if index >= len(value):
                return False, None
            value = value[index]
        else:
            return False, None
    return True, value


def locate(spec: Spec, root: Located[Any], path: Path) -> Located[Any] | None:
    """The one schema at ``path`` below ``root``, resolved; None where any value is legal.

    :class:`CannotJudge` when more than one schema describes the place.
    """
    here = spec.resolve(root.value, root.pointer)
    for step in path:
        if not isinstance(here.value, dict) or not here.value:
            return None  # true, {} or a broken $ref: nothing to hold a matcher to
        found = step_into(spec, here, step, 0)
        if found is None:
            return None
        here = spec.resolve(found.value, found.pointer)
    return here if isinstance(here.value, dict) else None


def step_into(spec: Spec, here: Located[Any], step: Step, depth: int) -> Located[Any] | None:
    """The schema one step below a resolved schema, through its ``allOf`` parts."""
    node = as_dict(here.value)
    for word in ("oneOf", "anyOf"):
        if node.get(word) and depth < 16:
            raise CannotJudge(f"{word} at {here.pointer or '/'} allows more than one schema here")
    found = [] if (own := own_step(here, step)) is None else [own]
    for index, part in enumerate(node.get("allOf") or [] if depth < 16 else []):
        resolved = spec.resolve(part, child(here.pointer, "allOf", index))
        if isinstance(resolved.value, dict):
            below = step_into(spec, resolved, step, depth + 1)
            if below is not None:
                found.append(below)
    if len(found) > 1:
        places = ", ".join(place.pointer for place in found)
        raise CannotJudge(f"{len(found)} schemas of an allOf describe {step.text()} ({places})")
    return found[0] if found else None


def own_step(here: Located[Any], step: Step) -> Located[Any] | None:
    """The schema one step below, from this schema's own keywords only."""
    node = as_dict(here.value)
    if step.kind in ("key", "anykey"):
        properties = as_dict(node.get("properties"))
        if step.kind == "key" and step.key in properties:
            return Located(properties[str(step.key)], child(here.pointer, "properties", step.key))
        if node.get("patternProperties") or (step.kind == "anykey" and properties):
            raise CannotJudge(f"{here.pointer}: which schema applies depends on the key")
        extra = node.get("additionalProperties")
        return Located(extra, child(here.pointer, "additionalProperties")) if extra else None
    prefix = node.get("prefixItems")
    if isinstance(prefix, list) and prefix:
        if step.kind == "index" and isinstance(step.key, int) and step.key < len(prefix):
            return Located(prefix[step.key], child(here.pointer, "prefixItems", step.key))
        raise CannotJudge(f"{here.pointer}: the items have different schemas (prefixItems)")
    items = node.get("items")
    return Located(items, child(here.pointer, "items")) if isinstance(items, dict) else None
