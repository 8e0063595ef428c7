"""threadpact's configuration: its keys (:mod:`.schema`), its sources (:mod:`.files`)."""

from threadpact.config.files import Loaded, describe, load_config
from threadpact.config.schema import (
    DEFAULT_TOKEN_VARIABLES,
    PORT_PLACEHOLDER,
    Client,
    Config,
    Fuzz,
    Generate,
    PactLocation,
    Provider,
    PydanticOutput,
)

__all__ = [
    "DEFAULT_TOKEN_VARIABLES",
    "PORT_PLACEHOLDER",
    "Client",
    "Config",
    "Fuzz",
    "Generate",
    "Loaded",
    "PactLocation",
    "Provider",
    "PydanticOutput",
    "describe",
    "load_config",
]
