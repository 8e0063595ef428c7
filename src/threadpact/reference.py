"""The thread contract's own spec, as shipped with threadpact.

The reference provider and client implement it, and ``threadpact init`` copies it
into a repository that has no spec yet. An installed wheel holds it as package
data; a source checkout has it at the repository's root.
"""

from importlib import resources
from pathlib import Path

from threadpact.errors import UsageError

SPEC_NAME = "openapi.yaml"


def reference_spec() -> Path:
    """The path of the shipped thread contract spec."""
    shipped = resources.files("threadpact") / SPEC_NAME
    if shipped.is_file():
        return Path(str(shipped))
    checkout = Path(__file__).resolve().parents[2] / SPEC_NAME
    if checkout.is_file():
        return checkout
    raise UsageError(f"this installation of threadpact has lost its {SPEC_NAME}; reinstall it")
