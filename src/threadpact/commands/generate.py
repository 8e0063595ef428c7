"""``threadpact generate [--check]``."""

import argparse
import sys
from typing import Any


def run(args: argparse.Namespace) -> int:
    """Regenerate generated/ from openapi.yaml, or check that it is current."""
    from threadpact.codegen import generate, stale_diff
    from threadpact.project import require_root

    root = require_root()
    if args.check:
        diff = stale_diff(root)
        if diff:
            sys.stdout.write(diff)
            print(
                "generated/ is stale: run `threadpact generate` and commit the result",
                file=sys.stderr,
            )
            return 1
        print("generated/ is up to date with openapi.yaml")
        return 0
    written = generate(root)
    print(f"wrote {written.relative_to(root)}")
    return 0


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser("generate", help="generate pydantic models from openapi.yaml")
    parser.add_argument(
        "--check", action="store_true", help="exit 1 with a diff if generated/ is stale"
    )
    parser.set_defaults(run=run)
