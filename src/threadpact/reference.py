"""Where the project's files are: the spec, generated/ and contracts/."""

from importlib import resources
from pathlib import Path

from threadpact.errors import UsageError

SPEC_NAME = "openapi.yaml"


def find_root(start: Path | None = None) -> Path | None:
    """The nearest directory at or above ``start`` that holds a threadpact checkout."""
    here = (start or Path.cwd()).resolve()
    for candidate in (here, *here.parents):
        if (candidate / SPEC_NAME).is_file() and (candidate / "pyproject.toml").is_file():
            return candidate
    source_root = Path(__file__).resolve().parents[2]
    if (source_root / SPEC_NAME).is_file():
        return source_root
    return None


def default_spec() -> Path:
    """The spec of the checkout we run in, else the copy shipped in the package."""
    root = find_root()
    if root is not None:
        return root / SPEC_NAME
    shipped = resources.files("threadpact") / SPEC_NAME
    if shipped.is_file():
        return Path(str(shipped))
    raise UsageError(f"no {SPEC_NAME} found; pass --spec PATH")


def require_root() -> Path:
    """The checkout's root, or a usage error saying where to run."""
    root = find_root()
    if root is None:
        raise UsageError(
            "run this inside a threadpact checkout (no openapi.yaml and pyproject.toml found)"
        )
    return root
