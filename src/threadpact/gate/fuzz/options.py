"""What a fuzz run asks and how hard: the options, and the schemathesis configuration they make."""

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from threadpact.errors import UsageError
from threadpact.names import AUTHORIZATION
from threadpact.openapi import Spec

# The budget the gate uses; `threadpact fuzz` options override each. Measured on 2 shared
# cores against the reference provider: 20-28 s on SQLite, 21-40 s on PostgreSQL
# (the test suite runs it).
DEFAULT_SEED = 1
"""A fixed seed: the gate asks the same questions every run; pass --seed to explore."""
DEFAULT_MAX_EXAMPLES = 50
"""Generated cases per operation in the fuzzing phase (coverage and examples are fixed)."""
DEFAULT_WORKERS = 1
DEFAULT_MAX_TIME: float | None = None
"""No time budget: schemathesis fills a --max-time budget by repeating its phases."""
PHASES = ("examples", "coverage", "fuzzing", "stateful")
SAMPLES_PER_RULE = 3
"""How many fresh creates per operation each contract rule examines."""
BURST_SIZE = 8
"""Concurrent requests with one key in the idempotency.concurrency rule."""
REQUEST_TIMEOUT = 10.0
PROBE_TIMEOUT = 5.0
MAX_TOKENS = 2

# positive_data_acceptance: answers a schema-valid request may rightly get. Schemathesis's
# default (2xx, 3xx, 401, 403, 404, 409, 429, 5xx) lists answers that depend on server
# state rather than on the request's shape; 412 (a stale If-Match) is one more of those.
# 5xx stays in the list because not_a_server_error reports it on its own.
POSITIVE_STATUSES = ("2xx", "3xx", "401", "403", "404", "409", "412", "429", "5xx")
# negative_data_rejection: answers that reject a schema-invalid request. Schemathesis's
# default plus 412: an If-Match the server cannot match (even an over-long one) is rightly
# a failed precondition, and a 412 changes nothing, so the invalid data was rejected.
NEGATIVE_STATUSES = (
    "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx",
)  # fmt: skip
OPAQUE_QUERY_PARAMETERS = ("cursor",)
"""Server-issued tokens: a well-formed value the server never issued is rightly a 400
(the spec's Cursor parameter says so), so operations taking one also accept 400."""


@dataclass(frozen=True)
class FuzzOptions:
    """What to fuzz and how hard; the defaults are the gate's budget."""

    base_url: str
    tokens: tuple[str, ...]
    spec: Path | None = None
    seed: int = DEFAULT_SEED
    max_examples: int = DEFAULT_MAX_EXAMPLES
    max_time: float | None = DEFAULT_MAX_TIME
    workers: int = DEFAULT_WORKERS
    phases: tuple[str, ...] = PHASES


def check_options(options: FuzzOptions) -> None:
    """Reject options schemathesis would choke on, with one line."""
    if not options.base_url.startswith(("http://", "https://")):
        raise UsageError(f"--base-url: not an http(s) URL: {options.base_url!r}")
    if not 1 <= len(options.tokens) <= MAX_TOKENS:
        raise UsageError("give one or two --token values (principal A, then B)")
    for token in options.tokens:
        if not token or not token.isprintable() or any(c.isspace() for c in token):
            raise UsageError("--token must be a non-empty bearer token without spaces")
    if len(set(options.tokens)) != len(options.tokens):
        raise UsageError("the two --token values must name two different principals")
    unknown = set(options.phases) - set(PHASES)
    if unknown or not options.phases:
        raise UsageError(f"phases must be some of {', '.join(PHASES)}")


def check_links(spec: Spec, source: Path) -> None:
    """Every link names an operation the spec has (else schemathesis drops the stateful phase)."""
    for pointer, message in spec.link_errors():
        raise UsageError(f"{source}: {message} (at {pointer})")


def opaque_operations(spec: Spec) -> list[str]:
    """Operation IDs that take a server-issued query parameter (see OPAQUE_QUERY_PARAMETERS)."""
    return [
        op.operation_id or f"{op.method.upper()} {op.path}"
        for op in spec.operations
        if any(("query", name) in spec.parameters(op) for name in OPAQUE_QUERY_PARAMETERS)
    ]


def authorization(spec: Spec, token: str) -> dict[str, Any]:
    """Send A's token through the spec's bearer schemes, so schemathesis knows it is auth.

    As a plain header it would ride along on the cases that test a missing
    Authorization, and ``missing_required_header`` would blame the server for the 201.
    """
    schemes = spec.component("securitySchemes")
    bearer = {
        name: {"bearer": token}
        for name, scheme in schemes.items()
        if isinstance(scheme, dict)
        and scheme.get("type") == "http"
        and str(scheme.get("scheme", "")).lower() == "bearer"
    }
    if bearer:
        return {"auth": {"openapi": bearer}}
    return {"headers": {AUTHORIZATION: f"Bearer {token}"}}


def schemathesis_config(options: FuzzOptions, spec: Spec) -> dict[str, Any]:
    """The run's schemathesis configuration, in the shape of ``schemathesis.toml``."""
    statuses = {
        "positive_data_acceptance": {"expected-statuses": list(POSITIVE_STATUSES)},
        "negative_data_rejection": {"expected-statuses": list(NEGATIVE_STATUSES)},
    }
    config: dict[str, Any] = {
        "seed": options.seed,
        "cache": {"enabled": False},
        # Keys and tokens must show in curl lines; tokens are redacted to $TOKEN_A/B later.
        "output": {"sanitization": {"enabled": False}},
        "base-url": options.base_url,
        **authorization(spec, options.tokens[0]),
        "workers": options.workers,
        "request-timeout": REQUEST_TIMEOUT,
        "continue-on-failure": True,
        # No example database: a run must not replay what an earlier run stored.
        "generation": {"max-examples": options.max_examples, "mode": "all", "database": "none"},
        "phases": {phase: {"enabled": phase in options.phases} for phase in PHASES},
        "checks": statuses,
    }
    opaque = opaque_operations(spec)
    if opaque:
        with_400 = {"expected-statuses": [*POSITIVE_STATUSES, "400"]}
        config["operations"] = [
            {
                "include-operation-id": opaque,
                "checks": {"positive_data_acceptance": with_400},
            }
        ]
    if options.max_time is not None:
        config["max-time"] = max(1, math.ceil(options.max_time))
    return config
