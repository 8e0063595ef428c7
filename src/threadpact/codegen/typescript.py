"""TypeScript declarations from the spec, by openapi-typescript.

openapi-typescript runs from threadpact's own Node install (:mod:`.node`), at the
version its lockfile pins, on the spec alone: in a scratch folder, so no
``redocly.yaml`` of the repository changes its input or output. Its header has no
timestamp, so the output is byte-for-byte reproducible.
"""

import difflib
import tempfile
from collections.abc import Mapping
from pathlib import Path

from threadpact.codegen.node import run_node
from threadpact.codegen.target import Target
from threadpact.config.schema import CodegenOption
from threadpact.errors import UsageError

CLI = "openapi-typescript/bin/cli.js"
"""openapi-typescript's command line, inside ``node_modules``."""
SWITCHES = frozenset(
    {
        "additional-properties",
        "alphabetize",
        "array-length",
        "conditional-enums",
        "content-never",
        "dedupe-enums",
        "default-non-nullable",
        "empty-objects-unknown",
        "enum",
        "enum-values",
        "exclude-deprecated",
        "export-type",
        "generate-path-params",
        "immutable",
        "make-paths-enum",
        "path-params-as-types",
        "properties-required-by-default",
        "read-write-markers",
        "root-types",
        "root-types-keep-casing",
        "root-types-no-schema-prefix",
    }
)
"""Every option of openapi-typescript 7.13 that shapes the output (all are on/off switches)."""
NOT_HERE = {
    "output": "threadpact sets this itself; remove it",
    "check": "threadpact sets this itself (generate --check); remove it",
    "redocly": "threadpact runs openapi-typescript on the spec alone; remove it",
    "help": "not an output option; remove it",
    "version": "not an output option; remove it",
}
"""openapi-typescript options that cannot be configured, with the reason."""


def flags(options: Mapping[str, CodegenOption]) -> list[str]:
    """openapi-typescript's flags for ``options``; a usage error for a bad one."""
    argv: list[str] = []
    for name, value in options.items():
        where = f"generate.typescript.options.{name}"
        if name in NOT_HERE:
            raise UsageError(f"{where}: {NOT_HERE[name]}")
        if name not in SWITCHES:
            close = difflib.get_close_matches(name, sorted(SWITCHES), n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise UsageError(f"{where}: not an openapi-typescript option{hint}")
        if not isinstance(value, bool):
            raise UsageError(f"{where}: a switch; give true or false, got {value!r}")
        argv.append(f"--{name}" if value else f"--no-{name}")
    return argv


def render(chosen: Target, destination: Path) -> None:
    """Run the pinned openapi-typescript, writing ``destination``."""
    argv = [chosen.spec.resolve().as_uri(), *flags(chosen.options)]
    with tempfile.TemporaryDirectory(prefix="threadpact-openapi-typescript-") as scratch:
        done = run_node(CLI, argv, Path(scratch))
    if done.returncode != 0 or not done.stdout:
        stderr = done.stderr.decode("utf-8", errors="replace")
        lines = [line.strip() for line in stderr.splitlines() if line.strip()]
        message = next((line for line in lines if not line.startswith("at ")), "no message")
        raise UsageError(f"openapi-typescript failed: {message}")
    destination.write_bytes(done.stdout)
