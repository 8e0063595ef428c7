"""What ``threadpact generate`` writes: one :class:`Target` per configured output."""

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from threadpact.config import Loaded
from threadpact.config.schema import CodegenOption
from threadpact.errors import UsageError

Kind = Literal["pydantic", "typescript"]
"""Which generator writes an output: datamodel-code-generator or openapi-typescript."""


@dataclass(frozen=True)
class Target:
    """One generated file: which generator, from which spec, where to, with which options."""

    kind: Kind
    spec: Path
    output: Path
    options: Mapping[str, CodegenOption]
    """The generator's options by their command-line names without ``--``."""
    root: Path
    """The configuration's directory (the pydantic generator's formatters read settings there)."""

    @property
    def name(self) -> str:
        """The output as messages name it: relative to the configuration, where it can be."""
        if self.output.is_relative_to(self.root):
            return str(self.output.relative_to(self.root))
        return str(self.output)

    @property
    def key(self) -> str:
        """The configuration table this output comes from: ``generate.typescript``."""
        return f"generate.{self.kind}"

    def writing(self, output: Path) -> "Target":
        """The same target, writing ``output`` instead."""
        return dataclasses.replace(self, output=output)


def targets(loaded: Loaded, spec: Path | None = None) -> tuple[Target, ...]:
    """Every configured output, pydantic first; none if nothing is configured."""
    chosen = spec or loaded.path(loaded.config.spec)
    generate = loaded.config.generate
    found: list[Target] = []
    if generate.pydantic is not None:
        output = loaded.path(generate.pydantic.output)
        found.append(Target("pydantic", chosen, output, generate.pydantic.options, loaded.root))
    if generate.typescript is not None:
        output = loaded.path(generate.typescript.output)
        found.append(Target("typescript", chosen, output, generate.typescript.options, loaded.root))
    return tuple(found)


def target(loaded: Loaded, spec: Path | None = None) -> Target:
    """The configured pydantic output; a usage error if there is none."""
    for found in targets(loaded, spec):
        if found.kind == "pydantic":
            return found
    raise UsageError(
        f"nothing to generate: {loaded.where} has no generate.pydantic output "
        "(set [tool.threadpact.generate.pydantic] output = PATH)"
    )
