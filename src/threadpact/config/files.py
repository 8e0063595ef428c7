"""Finding and reading the configuration: threadpact.toml, or [tool.threadpact] in pyproject.toml.

The search starts in the working directory and goes up to the repository's root
(the directory holding ``.git``). The first directory with either file wins; both
in one directory is an error. Without any, every key has its default and paths are
relative to the working directory.
"""

import difflib
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from threadpact.config.schema import Config
from threadpact.errors import UsageError

OWN_FILE = "threadpact.toml"
PYPROJECT = "pyproject.toml"
TABLE = ("tool", "threadpact")
SHOWS_INPUT = frozenset(
    {
        "literal_error",
        "string_type",
        "float_parsing",
        "int_parsing",
        "bool_type",
        "string_pattern_mismatch",
    }
)
"""Errors whose message is clearer with the value that was given."""


@dataclass(frozen=True)
class Loaded:
    """A configuration and the directory its paths are relative to."""

    config: Config
    root: Path
    source: Path | None = None
    """The file it came from; None when no file configures threadpact."""

    def path(self, relative: Path) -> Path:
        """A configured path, made absolute against the configuration's directory."""
        return relative if relative.is_absolute() else self.root / relative

    @property
    def where(self) -> str:
        """How messages name the configuration."""
        if self.source is None:
            return "the defaults (no threadpact.toml or [tool.threadpact] found)"
        return describe(self.source)


def describe(source: Path) -> str:
    """``pyproject.toml [tool.threadpact]`` or ``threadpact.toml``, with the file's path."""
    return f"{source} [tool.threadpact]" if source.name == PYPROJECT else str(source)


def read_toml(path: Path) -> dict[str, Any]:
    """A TOML file's tables; a one-line usage error if it cannot be read or parsed."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise UsageError(f"{path}: cannot read it: {exc.strerror or exc}") from None
    except tomllib.TOMLDecodeError as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None


def table_in(path: Path) -> dict[str, Any] | None:
    """The threadpact keys in ``path``: its ``[tool.threadpact]`` or, for threadpact.toml, all."""
    document = read_toml(path)
    if path.name != PYPROJECT:
        return document
    found: Any = document
    for key in TABLE:
        found = found.get(key) if isinstance(found, dict) else None
    if found is not None and not isinstance(found, dict):
        raise UsageError(f"{path}: tool.threadpact must be a table")
    return found


def discover(start: Path) -> Path | None:
    """The nearest file configuring threadpact, from ``start`` up to the repository's root."""
    here = start.resolve()
    for folder in (here, *here.parents):
        own = folder / OWN_FILE
        project = folder / PYPROJECT
        in_project = project.is_file() and table_in(project) is not None
        if own.is_file() and in_project:
            raise UsageError(
                f"both {own} and {project} [tool.threadpact] configure threadpact; keep one"
            )
        if own.is_file():
            return own
        if in_project:
            return project
        if (folder / ".git").exists():
            return None
    return None


def key_path(location: tuple[int | str, ...]) -> str:
    """A pydantic error location as the configuration spells it: ``pacts[0].kind``."""
    text = ""
    for part in location:
        if isinstance(part, int):
            text += f"[{part}]"
        else:
            text += f".{part}" if text else part
    return text or "(top level)"


def known_keys(model: type[BaseModel], location: tuple[int | str, ...]) -> list[str]:
    """The keys the table at ``location`` accepts, for "did you mean"."""
    current: Any = model
    for part in location:
        if isinstance(part, int):
            continue
        fields = getattr(current, "model_fields", {})
        match = next(
            (info for name, info in fields.items() if part in (name, info.alias)),
            None,
        )
        if match is None:
            return []
        current = match.annotation
        for candidate in getattr(current, "__args__", ()):  # Optional[X], tuple[X, ...]
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                current = candidate
    fields = getattr(current, "model_fields", {})
    return [info.alias or name for name, info in fields.items()]


def first_problem(error: ValidationError) -> str:
    """The first validation error as ``key: what is wrong``."""
    problem = error.errors()[0]
    location = tuple(problem["loc"])
    key = key_path(location)
    if problem["type"] == "extra_forbidden":
        name = str(location[-1])
        keys = known_keys(Config, location[:-1])
        close = difflib.get_close_matches(name, keys, n=1)
        hint = f" (did you mean {close[0]!r}?)" if close else f" (known: {', '.join(keys)})"
        return f"{key}: unknown key{hint}"
    message = str(problem["msg"]).removeprefix("Value error, ")
    if problem["type"] in SHOWS_INPUT:
        message = f"{message}, got {problem['input']!r}"
    return f"{key}: {message}"


def parse(keys: dict[str, Any], source: Path) -> Config:
    """Validate ``keys``; a one-line usage error naming the key and what is wrong."""
    try:
        return Config.model_validate(keys)
    except ValidationError as exc:
        raise UsageError(f"{describe(source)}: {first_problem(exc)}") from None


def load_config(explicit: Path | None = None, start: Path | None = None) -> Loaded:
    """The configuration: from ``explicit`` (``--config``), else the nearest file, else defaults."""
    if explicit is not None:
        if not explicit.is_file():
            raise UsageError(f"--config {explicit}: no such file")
        keys = table_in(explicit)
        if keys is None:
            raise UsageError(f"--config {explicit}: it has no [tool.threadpact] table")
        return Loaded(parse(keys, explicit), explicit.resolve().parent, explicit)
    source = discover(start or Path.cwd())
    if source is None:
        return Loaded(Config(), (start or Path.cwd()).resolve())
    keys = table_in(source)
    return Loaded(parse(keys or {}, source), source.parent, source)
