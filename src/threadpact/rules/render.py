"""The table as text: one block per statement, and what ``--check`` finds wrong."""

from collections.abc import Iterator
from pathlib import Path

from threadpact.rules.table import Entry, Table
from threadpact.rules.trace import Row, Trace, missing_tests, unknown_rules


def status(row: Row) -> str:
    """One line: the rules (and test count), the reason, the gap, or UNMAPPED."""
    entry = row.entry
    if entry is None:
        return "UNMAPPED: no entry in the table"
    if entry.rules:
        tests = f" ({len(entry.tests)} test(s))" if entry.tests else ""
        return f"rules: {', '.join(entry.rules)}{tests}"
    if entry.reason:
        return f"reason: {entry.reason}"
    return f"GAP: {entry.gap or 'neither a rule nor a reason'}"


def table_lines(found: Trace) -> Iterator[str]:
    """Every statement with its pointer and status."""
    for row in found.rows:
        yield f"{row.statement.pointer}: {row.statement.text}"
        yield f"    {status(row)}"


def summary(found: Trace) -> str:
    """How many statements are checked, explained, open and stale."""
    ruled = sum(1 for row in found.rows if row.entry is not None and row.entry.rules)
    reasoned = sum(1 for row in found.rows if row.settled) - ruled
    unmapped = sum(1 for row in found.rows if row.entry is None)
    gaps = len(found.unsettled) - unmapped
    return (
        f"{len(found.rows)} statement(s): {ruled} checked by a rule, {reasoned} with a reason, "
        f"{gaps} gap(s), {unmapped} unmapped; {len(found.stale)} stale table entr(y/ies)"
    )


def _where(entry: Entry) -> str:
    return f"{entry.pointer}: {entry.statement!r}"


def problems(
    found: Trace, table: Table, known: set[str], contract: set[str], root: Path | None
) -> list[str]:
    """Everything ``--check`` fails on, one line each."""
    lines = [
        f"{row.statement.pointer}: {row.statement.text!r}: {status(row)}" for row in found.unsettled
    ]
    lines += [f"{_where(entry)}: stale (the spec no longer says it)" for entry in found.stale]
    unknown = unknown_rules(table, known)
    lines += [f"{_where(entry)}: unknown rule {rule!r}" for entry, rule in unknown]
    if root is not None:
        lines += [
            f"{_where(entry)}: missing test {test}"
            for entry, test in missing_tests(table, root, contract)
        ]
    return lines
