"""threadpact's configuration: its keys (:mod:`.schema`), its sources (:mod:`.files`)."""

from threadpact.config.files import Loaded, describe, load_config
from threadpact.config.schema import (
    DEFAULT_TOKEN_VARIABLES,
    PORT_PLACEHOLDER,
    TYPESCRIPT_DEFAULTS,
    Client,
    Config,
    Fuzz,
    Generate,
    PactLocation,
    Provider,
    PydanticOutput,
    TypescriptOutput,
)

__all__ = [
    "DEFAULT_TOKEN_VARIABLES",
    "PORT_PLACEHOLDER",
    "TYPESCRIPT_DEFAULTS",
    "Client",
    "Config",
    "Fuzz",
    "Generate",
    "Loaded",
    "PactLocation",
    "Provider",
    "PydanticOutput",
    "TypescriptOutput",
    "describe",
    "load_config",
]
