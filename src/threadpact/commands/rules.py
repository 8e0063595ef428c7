"""``threadpact rules [--spec FILE] [--table FILE] [--check]``: the spec's statements and
what checks each."""

import argparse
from pathlib import Path
from typing import Any

from threadpact.commands.configured import add_config_option, load, spec_path


def run(args: argparse.Namespace) -> int:
    """Print the table; with --check, exit 1 listing what has neither a rule nor a reason."""
    from threadpact.openapi import load_spec
    from threadpact.rules.known import contract_rules, known_rules
    from threadpact.rules.render import problems, summary, table_lines
    from threadpact.rules.table import load_table
    from threadpact.rules.trace import trace

    loaded = load(args)
    spec = spec_path(args, loaded)
    where = args.table or loaded.path(loaded.config.traceability)
    table = load_table(where)
    found = trace(load_spec(spec), table)
    if not args.check:
        for line in table_lines(found):
            print(line)
        print(summary(found))
        return 0
    # The tests the table names are looked up from the table's own folder.
    wrong = problems(found, table, known_rules(), contract_rules(), where.resolve().parent)
    for line in wrong:
        print(line)
    print(summary(found))
    return 1 if wrong else 0


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "rules", help="list the spec's normative statements and the rule that checks each"
    )
    add_config_option(parser)
    parser.add_argument("--spec", type=Path, help="the spec (key: spec)")
    parser.add_argument(
        "--table",
        type=Path,
        help="the traceability table (key: traceability; default: traceability.yaml)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 listing statements with neither a rule nor a reason, and stale entries",
    )
    parser.set_defaults(run=run)
