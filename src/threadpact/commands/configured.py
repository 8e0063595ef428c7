"""The configuration as the commands see it: ``--config``, and flags over keys.

Every flag overrides its key: ``--spec`` the ``spec``, ``--pacts`` every pact
location (given ones count as received), ``--base-url`` or ``--provider-command``
the ``provider``, and so on.
"""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING

from threadpact.errors import UsageError

if TYPE_CHECKING:  # the configuration's model loads pydantic: only when a command runs
    from threadpact.config import Loaded


def add_config_option(parser: argparse.ArgumentParser) -> None:
    """``--config FILE``: a threadpact.toml or pyproject.toml instead of the nearest one."""
    parser.add_argument(
        "--config",
        type=Path,
        metavar="FILE",
        help="threadpact.toml, or a pyproject.toml with [tool.threadpact] "
        "(default: the nearest one, from here up to the repository's root)",
    )


def load(args: argparse.Namespace) -> "Loaded":
    """The configuration the command line names, or the nearest one."""
    from threadpact.config import load_config

    return load_config(getattr(args, "config", None))


def spec_path(args: argparse.Namespace, loaded: "Loaded") -> Path:
    """``--spec``, else the configured ``spec``; a usage error if the file is missing."""
    given = getattr(args, "spec", None)
    spec: Path = given if given is not None else loaded.path(loaded.config.spec)
    if not spec.is_file():
        origin = "--spec" if given is not None else f"spec (in {loaded.where})"
        raise UsageError(f"{origin}: {spec} does not exist")
    return spec


def pact_locations(args: argparse.Namespace, loaded: "Loaded") -> list[Path]:
    """``--pacts`` (repeatable), else every configured location; each must exist."""
    given: list[Path] | None = getattr(args, "pacts", None)
    if given:
        for path in given:
            if not path.exists():
                raise UsageError(f"--pacts {path}: no such file or directory")
        return list(given)
    found: list[Path] = []
    for index, location in enumerate(loaded.config.pacts):
        path = loaded.path(location.path)
        if not path.exists() and location.kind == "received":
            raise UsageError(f"pacts[{index}].path: {path} does not exist (in {loaded.where})")
        found.append(path)
    return found
