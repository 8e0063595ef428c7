"""``threadpact rules [--spec FILE] [--check]``: the spec's statements and what checks each."""

import argparse
from pathlib import Path
from typing import Any

from threadpact.errors import UsageError


def source_root() -> Path | None:
    """The checkout whose tests the table names, if threadpact runs from one."""
    root = Path(__file__).resolve().parents[3]
    return root if (root / "tests").is_dir() else None


def run(args: argparse.Namespace) -> int:
    """Print the table; with --check, exit 1 listing what has neither a rule nor a reason."""
    from threadpact.openapi import load_spec
    from threadpact.reference import reference_spec
    from threadpact.rules.known import contract_rules, known_rules
    from threadpact.rules.render import problems, summary, table_lines
    from threadpact.rules.table import load_table
    from threadpact.rules.trace import trace

    spec = args.spec or reference_spec()
    if not spec.is_file():
        raise UsageError(f"--spec: no such file: {spec}")
    table = load_table()
    found = trace(load_spec(spec), table)
    if not args.check:
        for line in table_lines(found):
            print(line)
        print(summary(found))
        return 0
    wrong = problems(found, table, known_rules(), contract_rules(), source_root())
    for line in wrong:
        print(line)
    print(summary(found))
    return 1 if wrong else 0


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "rules", help="list the spec's normative statements and the rule that checks each"
    )
    parser.add_argument("--spec", type=Path, help="the spec (default: threadpact's own)")
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 listing statements with neither a rule nor a reason, and stale entries",
    )
    parser.set_defaults(run=run)
