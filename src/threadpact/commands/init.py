"""``threadpact init [DIR]``: set a repository up for threadpact.

Writes a commented threadpact.toml, a GitHub Actions workflow that runs the gate,
and a pre-commit configuration; copies the thread contract spec if the repository
has no openapi.yaml. It never overwrites a file unless ``--force`` is given.
"""

import argparse
from dataclasses import dataclass
from importlib import metadata, resources
from pathlib import Path
from typing import Any

from threadpact.errors import UsageError
from threadpact.reference import SPEC_NAME, reference_spec

TEMPLATES = "threadpact.templates"


@dataclass(frozen=True)
class Planned:
    """One file init writes: where, from which template."""

    path: Path
    template: str


def planned() -> tuple[Planned, ...]:
    """The files init writes (the spec aside, which it only adds)."""
    # Imported here: the configuration's module loads pydantic, which `--help` need not.
    from threadpact.config.files import OWN_FILE

    return (
        Planned(Path(OWN_FILE), "threadpact.toml"),
        Planned(Path(".github/workflows/threadpact.yml"), "workflow.yml"),
        Planned(Path(".pre-commit-config.yaml"), "pre-commit-config.yaml"),
    )


def version() -> str:
    """The installed threadpact's version, which the workflow and hooks pin."""
    try:
        return metadata.version("threadpact")
    except metadata.PackageNotFoundError:
        return "0.1.0"


def text_of(template: str) -> str:
    """A template with this version of threadpact filled in."""
    text = (resources.files(TEMPLATES) / template).read_text(encoding="utf-8")
    return text.replace("{version}", version())


def check_free(folder: Path, force: bool) -> None:
    """A usage error naming the first file init would overwrite, unless ``force``."""
    from threadpact.config.files import OWN_FILE, PYPROJECT, table_in

    project = folder / PYPROJECT
    if project.is_file() and table_in(project) is not None:
        raise UsageError(
            f"{project} already configures threadpact ([tool.threadpact]); "
            f"remove that table to use {OWN_FILE}, or keep it and skip init"
        )
    if force:
        return
    for file in planned():
        if (folder / file.path).exists():
            raise UsageError(f"{folder / file.path} exists; pass --force to overwrite it")


def run(args: argparse.Namespace) -> int:
    """Write the files; print one line per file."""
    folder: Path = args.directory
    if not folder.is_dir():
        raise UsageError(f"{folder}: no such directory")
    check_free(folder, args.force)
    for file in planned():
        target = folder / file.path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text_of(file.template), encoding="utf-8")
        print(f"wrote {file.path}")
    spec = folder / SPEC_NAME
    if spec.exists():
        print(f"kept {SPEC_NAME} (threadpact.toml's spec points at it)")
    else:
        spec.write_bytes(reference_spec().read_bytes())
        print(f"wrote {SPEC_NAME} (the thread contract, to start from)")
    print("next: set [provider] and [[pacts]] in threadpact.toml, then run `threadpact gate`")
    return 0


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser(
        "init", help="write threadpact.toml, a CI workflow and pre-commit hooks into a repository"
    )
    parser.add_argument(
        "directory", nargs="?", type=Path, default=Path(), help="the repository (default: here)"
    )
    parser.add_argument("--force", action="store_true", help="overwrite files that exist")
    parser.set_defaults(run=run)
