"""What a configuration may say: every key, its type, its default, and the rules between keys.

The keys are kebab-case, as in ``[tool.threadpact]`` of pyproject.toml or in
threadpact.toml. Unknown keys are errors. Paths are relative to the directory of
the file that configures them.
"""

import re
from pathlib import Path
from typing import Annotated, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

DEFAULT_TOKEN_VARIABLES = ("THREADPACT_TOKEN_A", "THREADPACT_TOKEN_B")
"""Where the two principals' bearer tokens are, unless ``provider.tokens`` says otherwise."""

PORT_PLACEHOLDER = "{port}"
VARIABLE_NAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")

CodegenOption = str | bool | int | list[str]


def kebab(name: str) -> str:
    """``ready_path`` as the configuration spells it: ``ready-path``."""
    return name.replace("_", "-")


class Section(BaseModel):
    """A table of the configuration: kebab-case keys, nothing unknown, immutable."""

    model_config = ConfigDict(
        extra="forbid", alias_generator=kebab, populate_by_name=True, frozen=True
    )


class PydanticOutput(Section):
    """Pydantic models generated from the spec by datamodel-code-generator."""

    output: Path
    """The Python file to write (``generate``) and compare (``generate --check``)."""
    options: dict[str, CodegenOption] = Field(default_factory=dict)
    """datamodel-codegen options, by their command-line names without ``--``
    (``target-python-version = "3.11"``); ``true`` passes a flag, a list repeats values."""


TYPESCRIPT_DEFAULTS: dict[str, CodegenOption] = {
    "root-types": True,
    "root-types-no-schema-prefix": True,
    "default-non-nullable": False,
}
"""openapi-typescript options threadpact sets unless ``generate.typescript.options`` names
them: every schema also exported by its own name (``import type { LocalThread }``), and
a property optional exactly when the spec's ``required`` list leaves it out, even if it
has a default."""


class TypescriptOutput(Section):
    """TypeScript declarations generated from the spec by openapi-typescript."""

    output: Path
    """The TypeScript file to write (``generate``) and compare (``generate --check``)."""
    options: dict[str, CodegenOption] = Field(default_factory=lambda: dict(TYPESCRIPT_DEFAULTS))
    """openapi-typescript options, by their command-line names without ``--``
    (``immutable = true``), over :data:`TYPESCRIPT_DEFAULTS`; ``false`` passes ``--no-NAME``."""

    @field_validator("options")
    @classmethod
    def over_the_defaults(cls, given: dict[str, CodegenOption]) -> dict[str, CodegenOption]:
        """The given options over threadpact's defaults."""
        return {**TYPESCRIPT_DEFAULTS, **given}


class Generate(Section):
    """The generated outputs."""

    pydantic: PydanticOutput | None = None
    typescript: TypescriptOutput | None = None


class PactLocation(Section):
    """A pact file, or a folder of them, and who writes it."""

    path: Path
    kind: Literal["owned", "received"]
    """``owned``: this repository's consumer tests write it, so the gate checks that the
    committed files are what the tests write now. ``received``: another consumer
    committed it; never drift-checked, always cross-checked and verified."""
    command: str | None = None
    """For ``owned`` pacts: the command that runs the consumer tests. They must write
    their pact files into the folder named by the THREADPACT_PACT_DIR variable."""

    @model_validator(mode="after")
    def command_fits_kind(self) -> Self:
        """An owned location needs its command; a received one has none."""
        if self.kind == "owned" and not self.command:
            raise ValueError("an owned pact location needs the command that writes it")
        if self.kind == "received" and self.command:
            raise ValueError("a received pact location has no command (nothing here writes it)")
        return self


class Provider(Section):
    """The provider under test: one already running, or a command the gate starts."""

    base_url: Annotated[str, Field(pattern=r"^https?://[^/\s]+")] | None = None
    """A running provider's base URL."""
    command: str | None = None
    """A command that starts the provider on ``{port}``, a free loopback port the gate picks."""
    ready_path: str = "/"
    """The started provider is ready once GET on this path answers below 500."""
    ready_timeout: float = Field(default=60.0, gt=0)
    """Seconds the started provider may take to get ready."""
    env: dict[str, str] = Field(default_factory=dict)
    """Extra environment for the started provider; ``${NAME}`` takes a variable's value."""
    tokens: tuple[str, ...] = DEFAULT_TOKEN_VARIABLES
    """Names of the environment variables holding the bearer tokens of principal A and
    principal B. For a started provider, an unset one gets a fresh random token."""
    states: str | None = None
    """Where verification sets provider states: a URL, or a path on the provider."""

    @model_validator(mode="after")
    def one_way_to_reach_it(self) -> Self:
        """Exactly one of ``base-url`` and ``command``; the command listens on ``{port}``."""
        if (self.base_url is None) == (self.command is None):
            raise ValueError("give either base-url or command")
        if self.command is not None and PORT_PLACEHOLDER not in self.command:
            raise ValueError(f"the command must contain {PORT_PLACEHOLDER}")
        if not self.ready_path.startswith("/"):
            raise ValueError("ready-path must start with /")
        if not 1 <= len(self.tokens) <= 2:
            raise ValueError("tokens names one or two environment variables")
        bad = [name for name in (*self.tokens, *self.env) if not VARIABLE_NAME.match(name)]
        if bad:
            raise ValueError(f"not an environment variable name: {bad[0]!r}")
        if self.states is not None and not self.states.startswith(("/", "http://", "https://")):
            raise ValueError("states is a URL or a path starting with /")
        return self


class Client(Section):
    """The client the conformance suite drives."""

    factory: Annotated[str, Field(pattern=r"^[\w.]+:[\w.]+$")] | None = None
    """``module:attribute`` returning a client adapter (see threadpact.client.adapter)."""
    driver: Annotated[str, Field(min_length=1)] | None = None
    """A shell command starting a driver of a client in any language (the JSON-lines
    driver protocol), run in the configuration's folder."""

    @model_validator(mode="after")
    def one_client(self) -> Self:
        """A factory or a driver, not both."""
        if self.factory is not None and self.driver is not None:
            raise ValueError("give either factory or driver")
        return self


class Fuzz(Section):
    """How much fuzzing the gate does."""

    budget: float | None = Field(default=None, gt=0)
    """Seconds fuzzing may take (default: a fixed number of examples)."""
    seed: int | None = Field(default=None, ge=0)
    """The random seed (default: fixed, so runs are reproducible)."""


class Config(Section):
    """The whole configuration."""

    spec: Path = Path("openapi.yaml")
    generate: Generate = Generate()
    pacts: tuple[PactLocation, ...] = ()
    provider: Provider | None = None
    client: Client = Client()
    fuzz: Fuzz = Fuzz()
    report: Path = Path("reports")
    """Where the gate writes its JUnit and Markdown reports."""
    traceability: Path = Path("traceability.yaml")
    """The table mapping each statement of the spec to the rules and tests that check it
    (``threadpact rules``)."""
