"""Join the spec's statements with the table: what is mapped, unmapped, stale or unknown."""

import ast
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpact.rules.extract import Statement, statements
from threadpact.rules.table import Entry, Table

TEST_ID = re.compile(r"^(?P<path>[^:]+)::(?P<function>\w+)(?:\[(?P<param>[^\]]+)\])?$")


@dataclass(frozen=True)
class Row:
    """A statement of the spec and its entry in the table (None if it has none)."""

    statement: Statement
    entry: Entry | None

    @property
    def settled(self) -> bool:
        """Whether a rule or a reason covers it."""
        return self.entry is not None and self.entry.settled


@dataclass(frozen=True)
class Trace:
    """The spec's statements against the table."""

    rows: list[Row]
    stale: list[Entry]
    """Entries whose statement the spec no longer makes (edited or removed)."""

    @property
    def unsettled(self) -> list[Row]:
        """Statements with neither a rule nor a reason (unmapped, or a gap)."""
        return [row for row in self.rows if not row.settled]


def trace(document: dict[str, Any], table: Table) -> Trace:
    """Each statement of the spec with its entry, and the entries the spec lost."""
    found = statements(document)
    keys = {statement.key for statement in found}
    entries = table.by_key()
    rows = [Row(statement, entries.get(statement.key)) for statement in found]
    stale = [entry for entry in table.entries if entry.key not in keys]
    return Trace(rows, stale)


def unknown_rules(table: Table, known: set[str]) -> list[tuple[Entry, str]]:
    """Rules the table names that no check has."""
    return [(entry, rule) for entry in table.entries for rule in entry.rules if rule not in known]


def names_a_test(test_id: str, root: Path) -> bool:
    """Whether ``path::function[param id]`` names a test function (and parameter id) in ``root``."""
    matched = TEST_ID.match(test_id)
    path = root / matched["path"] if matched else None
    if matched is None or path is None or not path.is_file():
        return False
    source = path.read_text(encoding="utf-8")
    functions = {node.name for node in ast.parse(source).body if isinstance(node, ast.FunctionDef)}
    if matched["function"] not in functions:
        return False
    param = matched["param"]
    return param is None or f'id="{param}"' in source


def missing_tests(table: Table, root: Path, contract_rules: set[str]) -> list[tuple[Entry, str]]:
    """Tests the table names that do not exist, and contract-rule entries naming none."""
    missing = [
        (entry, test)
        for entry in table.entries
        for test in entry.tests
        if not names_a_test(test, root)
    ]
    missing += [
        (entry, "(no test for a threadpact rule)")
        for entry in table.entries
        if set(entry.rules) & contract_rules and not entry.tests
    ]
    return missing
