"""``threadpact gate``: everything CI needs, in one command."""

import argparse
from pathlib import Path
from typing import TYPE_CHECKING, Any

from threadpact.commands.arguments import base_url, positive_number
from threadpact.commands.configured import add_config_option, load, pact_locations, spec_path
from threadpact.gate.deadlines import DEFAULT_DEADLINES, STEPS, parse_deadline

if TYPE_CHECKING:  # both load pydantic or the gate: only when the gate runs
    from threadpact.config import Loaded, Provider
    from threadpact.gate.runner import GateOptions


def step_deadline(text: str) -> tuple[str, float]:
    """``STEP=SECONDS`` for --timeout."""
    try:
        return parse_deadline(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def provider_command(text: str) -> str:
    """A provider's start command: it must listen on ``{port}``."""
    from threadpact.config import PORT_PLACEHOLDER

    if PORT_PLACEHOLDER not in text:
        raise argparse.ArgumentTypeError(f"the command must contain {PORT_PLACEHOLDER}: {text!r}")
    return text


def chosen_provider(args: argparse.Namespace, loaded: "Loaded") -> "Provider | None":
    """``--base-url`` or ``--provider-command`` over the configured provider."""
    from threadpact.config import Provider

    configured = loaded.config.provider
    overrides: dict[str, Any] = {}
    if args.base_url:
        overrides = {"base_url": args.base_url, "command": None}
    elif args.provider_command:
        overrides = {"base_url": None, "command": args.provider_command}
    if args.states_url:
        overrides["states"] = args.states_url
    if configured is None:
        if "base_url" not in overrides:
            return None
        return Provider.model_validate(overrides)
    return Provider.model_validate({**configured.model_dump(), **overrides})


def options_from(args: argparse.Namespace) -> "GateOptions":
    """The gate's options: the configuration, with every given flag over its key."""
    from threadpact.codegen import targets
    from threadpact.gate.provider import given_tokens
    from threadpact.gate.runner import GateOptions

    loaded = load(args)
    config = loaded.config
    spec = spec_path(args, loaded)
    pacts = pact_locations(args, loaded)
    owned = [] if args.pacts else [
        (loaded.path(location.path), location.command or "")
        for location in config.pacts
        if location.kind == "owned"
    ]  # fmt: skip
    provider = chosen_provider(args, loaded)
    tokens = tuple(args.token or ())
    if provider is not None and provider.base_url is not None and not tokens:
        given_tokens(provider)  # fail now, not after the offline steps
    return GateOptions(
        report_dir=args.report or loaded.path(config.report),
        spec=spec,
        root=loaded.root,
        codegen=targets(loaded, spec),
        owned=tuple(owned),
        pacts=tuple(pacts),
        provider=provider,
        tokens=tokens,
        seed=args.seed if args.seed is not None else config.fuzz.seed,
        fuzz_budget=args.fuzz_budget or config.fuzz.budget,
        skip=frozenset(args.skip or ()),
        deadlines=dict(args.timeout or ()),
    )


def run(args: argparse.Namespace) -> int:
    """Run the gate."""
    from threadpact.gate.runner import run_gate

    return run_gate(options_from(args))


def register(commands: Any) -> None:
    """Add the subcommand."""
    parser = commands.add_parser("gate", help="run every contract check; the CI entry point")
    add_config_option(parser)
    parser.add_argument("--spec", type=Path, help="the spec (key: spec)")
    parser.add_argument(
        "--pacts",
        type=Path,
        action="append",
        metavar="PATH",
        help="a pact file or folder, cross-checked and verified but not drift-checked; "
        "repeatable; replaces the configured locations (key: pacts)",
    )
    provider = parser.add_mutually_exclusive_group()
    provider.add_argument(
        "--base-url",
        type=base_url,
        help="verify and fuzz this running provider (key: provider.base-url)",
    )
    provider.add_argument(
        "--provider-command",
        type=provider_command,
        metavar="COMMAND",
        help="start the provider with this shell command, which must contain {port} "
        "(key: provider.command)",
    )
    parser.add_argument(
        "--token",
        action="append",
        help="bearer token(s) for the provider: the first for verify and fuzz, a second "
        "for the cross-principal checks (key: provider.tokens names the variables)",
    )
    parser.add_argument(
        "--states-url", type=base_url, help="provider-state endpoint (key: provider.states)"
    )
    parser.add_argument("--report", type=Path, help="report directory (key: report)")
    parser.add_argument("--seed", type=int, help="fuzzing seed (key: fuzz.seed)")
    parser.add_argument(
        "--fuzz-budget", type=positive_number, help="seconds fuzzing may take (key: fuzz.budget)"
    )
    parser.add_argument("--skip", action="append", choices=STEPS, help="skip a step (repeatable)")
    defaults = ", ".join(f"{name} {seconds:g}" for name, seconds in DEFAULT_DEADLINES.items())
    parser.add_argument(
        "--timeout",
        action="append",
        type=step_deadline,
        metavar="STEP=SECONDS",
        help=f"a step's deadline (repeatable); defaults in seconds: {defaults}",
    )
    parser.set_defaults(run=run)
