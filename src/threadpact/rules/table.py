"""The traceability table as data: a YAML list that the repository keeps beside its spec.

Its place is the ``traceability`` key of the configuration (default
``traceability.yaml``). A repository without one has every statement unmapped.
"""

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from threadpact.errors import UsageError

TABLE_NAME = "traceability table"


@dataclass(frozen=True)
class Entry:
    """One statement of the spec and what holds a provider to it."""

    pointer: str
    statement: str
    rules: tuple[str, ...] = ()
    tests: tuple[str, ...] = ()
    reason: str | None = None
    gap: str | None = None

    @property
    def key(self) -> tuple[str, str]:
        """What a statement extracted from the spec matches it by."""
        return (self.pointer, self.statement)

    @property
    def settled(self) -> bool:
        """Whether a rule checks it, or a reason says why none can."""
        return bool(self.rules) or bool(self.reason)


@dataclass(frozen=True)
class Table:
    """Every entry, in the table's order."""

    entries: list[Entry] = field(default_factory=list)

    def by_key(self) -> dict[tuple[str, str], Entry]:
        """Entries by (pointer, statement)."""
        return {entry.key: entry for entry in self.entries}


def _entry(number: int, raw: Any) -> Entry:
    if not isinstance(raw, dict) or not {"pointer", "statement"} <= raw.keys():
        raise UsageError(f"{TABLE_NAME}: entry {number} needs a pointer and a statement")
    return Entry(
        pointer=str(raw["pointer"]),
        statement=str(raw["statement"]),
        rules=tuple(str(rule) for rule in raw.get("rules") or ()),
        tests=tuple(str(test) for test in raw.get("tests") or ()),
        reason=str(raw["reason"]) if raw.get("reason") else None,
        gap=str(raw["gap"]) if raw.get("gap") else None,
    )


def parse(text: str) -> Table:
    """A table from its YAML text."""
    raw = yaml.safe_load(text) or []
    if not isinstance(raw, list):
        raise UsageError(f"{TABLE_NAME}: expected a list of entries")
    return Table([_entry(number, item) for number, item in enumerate(raw, start=1)])


def load_table(path: Path) -> Table:
    """The table at ``path``; an empty one if there is none."""
    if not path.is_file():
        return Table()
    try:
        return parse(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise UsageError(f"{path}: not valid YAML: {str(exc).splitlines()[0]}") from None
