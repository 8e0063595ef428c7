"""Find the spec's normative statements, mechanically.

A statement is one sentence of a ``description`` or ``summary`` (in ``info``, operations,
parameters, headers, responses and schemas) that promises something: it names a status
code or uses a word such as *must*, *never*, *only*, *every*, *answers*, *returns*;
every sentence of a response's own description is one (it says when that answer comes). A
``default`` in a schema is a statement too (no stock check tests that a provider applies
it). Sentences are normalised (Markdown emphasis dropped, white space collapsed), so a
changed sentence shows as a new statement.
"""

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from threadpact.openapi import as_dict
from threadpact.openapi.model import walk
from threadpact.pointers import json_pointer

TEXT_KEYS = ("summary", "description")
NORMATIVE = re.compile(
    r"\b(must|never|always|only|every|each|any|no|not|none|nothing|without|exactly|same|"
    r"answers?|returns?|rejected|requires?|required|accepts?|applies|changes?|holds|kept|"
    r"purged|scoped|belongs|waits?|replays?|made|makes|until|first|newest|oldest|present|"
    r"afterwards|idempotent|utc|owned|caller|current|new|naming|names|deleted?|"
    r"[1-5]\d\d)\b",
    re.IGNORECASE,
)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z`*(])")
HEADING = re.compile(r"^\*\*[^*]+\*\*\s*")
BULLET = re.compile(r"^\s*[-*]\s+")


@dataclass(frozen=True, order=True)
class Statement:
    """One promise of the spec: where it is, and its normalised sentence."""

    pointer: str
    text: str

    @property
    def key(self) -> tuple[str, str]:
        """What the table matches it by."""
        return (self.pointer, self.text)


def normalise(text: str) -> str:
    """A sentence without Markdown emphasis and with single spaces."""
    text = HEADING.sub("", text.strip())
    text = text.replace("**", "")
    return " ".join(text.split())


def chunks(text: str) -> Iterator[str]:
    """Paragraphs and list items of a Markdown text, each as one line."""
    current: list[str] = []
    for line in text.splitlines():
        if not line.strip() or BULLET.match(line):
            if current:
                yield " ".join(current)
            current = [BULLET.sub("", line)] if line.strip() else []
        else:
            current.append(line.strip())
    if current:
        yield " ".join(current)


def sentences(text: str) -> Iterator[str]:
    """The normalised sentences of a description."""
    for chunk in chunks(text):
        for sentence in SENTENCE_END.split(normalise(chunk)):
            if sentence.strip():
                yield sentence.strip()


def is_normative(sentence: str) -> bool:
    """Whether a sentence promises something a provider does."""
    return NORMATIVE.search(sentence) is not None


def statements(document: dict[str, Any]) -> list[Statement]:
    """Every normative statement of the spec, in document order."""
    found: list[Statement] = []
    for node, parts in walk(document):
        if not isinstance(node, dict) or any(str(p).startswith("x-") for p in parts):
            continue
        for key in TEXT_KEYS:
            text = node.get(key)
            if isinstance(text, str) and not _is_schema_property_named(parts, key):
                pointer = json_pointer([*parts, key])
                every = _is_response(parts)
                found += [
                    Statement(pointer, s) for s in sentences(text) if every or is_normative(s)
                ]
        if "default" in node and _is_schema(parts):
            value = json.dumps(node["default"], ensure_ascii=False)
            found.append(Statement(json_pointer([*parts, "default"]), f"default: {value}"))
    return _unique(found)


def _is_schema_property_named(parts: tuple[Any, ...], key: str) -> bool:
    """Whether ``key`` is a property *named* summary/description, not a text."""
    return bool(parts) and parts[-1] == "properties" and key in TEXT_KEYS


def _is_response(parts: tuple[Any, ...]) -> bool:
    """Whether the node at ``parts`` is a response (under an operation or components)."""
    return len(parts) >= 2 and parts[-2] == "responses"


def _is_schema(parts: tuple[Any, ...]) -> bool:
    """Whether the node at ``parts`` is a schema (or a property of one)."""
    return "schemas" in parts or "schema" in parts or "properties" in parts


def _unique(found: list[Statement]) -> list[Statement]:
    seen: set[tuple[str, str]] = set()
    unique = []
    for statement in found:
        if statement.key not in seen:
            seen.add(statement.key)
            unique.append(statement)
    return unique


__all__ = ["Statement", "as_dict", "is_normative", "normalise", "sentences", "statements"]
