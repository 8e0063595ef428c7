"""Type-checking TypeScript with the pinned compiler, strict, as a front end would.

The compiler is the ``typescript`` of threadpact's own Node install (:mod:`.node`),
so generated declarations can be proven to compile, and to reject what the spec
rejects, without the front end's toolchain.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from threadpact.codegen.node import run_node

TSC = "typescript/bin/tsc"
STRICT = (
    "--noEmit",
    "--strict",
    "--pretty", "false",
    "--target", "es2022",
    "--lib", "es2022",
    "--module", "preserve",
    "--moduleResolution", "bundler",
    "--skipLibCheck",
)  # fmt: skip
"""Strict, nothing written, imports resolved as a bundler does (``./api-types``)."""
DIAGNOSTIC = re.compile(r"^(?P<file>.+?)\((?P<line>\d+),(?P<column>\d+)\): error (?P<code>TS\d+): ")


@dataclass(frozen=True)
class Diagnostic:
    """One compiler error: where, and its TS code."""

    file: str
    line: int
    code: str
    text: str
    """The whole line the compiler printed."""


@dataclass(frozen=True)
class Compiled:
    """What ``tsc`` said about some files."""

    exit_code: int
    errors: tuple[Diagnostic, ...]
    output: str


def typecheck(folder: Path, files: Sequence[str]) -> Compiled:
    """``tsc --noEmit --strict`` of ``files`` (relative to ``folder``), run in ``folder``."""
    done = run_node(TSC, [*STRICT, *files], folder)
    output = (done.stdout + done.stderr).decode("utf-8", errors="replace")
    errors = tuple(
        Diagnostic(found["file"], int(found["line"]), found["code"], line)
        for line in output.splitlines()
        if (found := DIAGNOSTIC.match(line))
    )
    return Compiled(done.returncode, errors, output)
