"""The crosscheck rules for a pact's matching rules: every value a matcher allows is legal.

An example value is one value; a matcher stands for many, and a pact's consumer is
tested against all of them. Each rule of the body, the query, the headers, the path
and the status is held to the spec's schema for that place (:mod:`.places`), and a
value the matcher allows but the schema rejects is a finding (:mod:`.matchers`).

Direction. On a **request** the consumer may send any value its matcher allows (the
mock server accepts it, so consumer code that sends it passes its own tests), and the
provider must accept it: a matcher wider than the spec is an error,
``crosscheck.matcher``. On a **response** a matcher says what the consumer accepts;
the provider only sends what the spec allows, so a matcher wider than the spec is a
lenient consumer, harmless to compatibility: a warning, ``crosscheck.matcher-lenient``,
that the pact promises less than the spec. (The converse, a response matcher narrower
than the spec, would reject legal answers; it is not judged here.)

A ``type`` matcher on an object or array applies to everything below it (pact's
cascade) until a more specific rule takes over; on an array its ``min`` and ``max``
bound the length, held to ``minItems``, ``maxItems`` and ``uniqueItems``.

What cannot be judged exactly is a warning naming the place: a value a
``ProviderState`` generator sets at verification time (``crosscheck.provider-state-value``;
a request path whose expression puts each ``${...}`` in a whole path parameter is
judged by place, as :mod:`.request_rules` judges such paths); a matcher not judged here
or a place more than one schema describes (``crosscheck.matcher-unjudged``).
``Authorization`` and ``Accept`` values are judged by their examples only
(:mod:`.security_rules`): a credential varies by design.
"""

import json
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

from threadpact.gate.crosscheck.matchers import Counter, Illegal, Lengths, judge, kind_of
from threadpact.gate.crosscheck.places import (
    CannotJudge,
    Path,
    Step,
    covers,
    example_at,
    locate,
    parse,
    render,
)
from threadpact.gate.crosscheck.request_rules import check_path, find_operation
from threadpact.gate.crosscheck.target import Mismatch, Target, coerce, pick_media
from threadpact.openapi import Located, Operation, Spec, as_dict
from threadpact.pacts import Body, Interaction, Rule, Rules, media_type
from threadpact.pointers import child, value_at

UNJUDGED = "crosscheck.matcher-unjudged"
STATE_VALUE = "crosscheck.provider-state-value"
WIDTHS = frozenset({"int32", "int64", "float", "double"})
LONG_ARRAY = 1001
STATUS_CLASSES = {"information": (100, 200), "success": (200, 300), "redirect": (300, 400)}
STATUS_CLASSES |= {"clientError": (400, 500), "serverError": (500, 600)}
STATUS_CLASSES |= {"nonError": (100, 400), "error": (400, 600)}
SKIPPED_HEADERS = frozenset({"authorization", "accept"})


@dataclass(frozen=True)
class Side:
    """A request or a response, as its matching rules are judged."""

    request: bool
    rules: Rules
    body: Body | None
    content: Located[dict[str, Any]]
    """The request body or response object whose ``content`` documents the body."""
    what: str
    """``POST /threads (createThread) request``."""


def check_request_rules(target: Target, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """The request's matching rules: anything they let the consumer send is legal."""
    side = Side(
        True,
        ex.request_rules,
        ex.request_body,
        target.spec.request_body(op),
        f"{op.label} request",
    )
    params = target.spec.parameters(op)
    headers = {name: param for (where, name), param in params.items() if where == "header"}
    queries = {name: param for (where, name), param in params.items() if where == "query"}
    yield from provider_states(side)
    yield from path_rule(target, ex, op, side)
    yield from parameter_rules(target, side, "query", queries, example_query(ex))
    yield from parameter_rules(target, side, "header", headers, example_headers(ex, True))
    yield from body_rules(target, side)


def check_response_rules(target: Target, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """The response's matching rules: what the consumer accepts, against what is sent."""
    found = target.spec.response_for(op, ex.status)
    if found is None:
        return
    code, response = found
    side = Side(False, ex.response_rules, ex.response_body, response, f"{op.label} {code} response")
    headers: dict[str, Located[dict[str, Any]]] = {}
    for name, raw in as_dict(response.value.get("headers")).items():
        header = target.spec.resolve(raw, child(response.pointer, "headers", name))
        if isinstance(header.value, dict):
            headers[name.lower()] = Located(header.value, header.pointer)
    yield from provider_states(side)
    yield from status_rule(target, op, side)
    yield from parameter_rules(target, side, "header", headers, example_headers(ex, False))
    yield from body_rules(target, side)


# Reporting ---------------------------------------------------------------------------


def shown(value: Any) -> str:
    """A counter-example, short enough for one line."""
    if isinstance(value, str) and len(value) > 40:
        return f"a string of {len(value)} characters"
    if isinstance(value, list) and len(value) > 3:
        return f"an array of {len(value)} items"
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 60 else f"{text[:40]}... ({len(text)} characters)"


Judged = tuple[tuple[dict[str, Any], ...], tuple[bool, Any], Illegal, bool, Lengths | None]
"""What :func:`judge` is given: matchers, example, why a value is illegal, text, lengths."""


def verdict(
    target: Target, side: Side, place: str, rule: Rule, judged: Judged, key: str
) -> Iterator[Mismatch]:
    """The finding for one rule at one place (``key``: the schema), judged once per run."""
    matchers, example, illegal, text, lengths = judged
    cache_key = (key, json.dumps([matchers, rule.combine, repr(example), text], default=str))
    if cache_key not in target.verdicts:
        try:
            found: Counter | str | None = judge(
                matchers, rule.combine, example, illegal, text=text, lengths=lengths
            )
        except CannotJudge as exc:
            found = str(exc)
        target.verdicts[cache_key] = found
    yield from report(side, place, rule, target.verdicts[cache_key])


def report(side: Side, place: str, rule: Rule, found: Counter | str | None) -> Iterator[Mismatch]:
    """A counter-example as an error (request) or a warning (response); a reason not to
    judge as a warning."""
    if found is None:
        return
    where = f"{side.what} {place}"
    if isinstance(found, str):
        yield Mismatch(UNJUDGED, rule.pointer, f"{where}: not judged: {found}", "warning")
        return
    spec = f" (spec: {found.spec_pointer})" if found.spec_pointer else ""
    value = found.described or shown(found.value)
    if side.request:
        message = (
            f"{where}: the {found.matcher} matcher allows {value}, "
            f"which the spec forbids: {found.message}{spec}"
        )
        yield Mismatch("crosscheck.matcher", rule.pointer, message)
    else:
        message = (
            f"{where}: the {found.matcher} matcher accepts {value}, which the "
            f"spec never lets the provider send: {found.message}{spec} (harmless: the "
            "consumer is more lenient than the spec)"
        )
        yield Mismatch("crosscheck.matcher-lenient", rule.pointer, message, "warning")


def schema_illegal(target: Target, pointer: str, text: bool = False) -> Illegal:
    """Why the schema at ``pointer`` rejects a value (a parameter's text is coerced first)."""

    def illegal(value: Any) -> tuple[str, str] | None:
        if text and isinstance(value, str):
            value = coerce(target.spec, target.spec.resolve({"$ref": f"#{pointer}"}).value, value)
        for path, message, spec_pointer in target.schemas.errors(pointer, value):
            if path or width_format(target.spec, spec_pointer):
                continue
            if len(message) > 100:  # it quotes a long value: name the keyword instead
                return f"{shown(value)} breaks {spec_pointer.rsplit('/', 1)[-1]}", spec_pointer
            return message, spec_pointer
        return None

    return illegal


def width_format(spec: Spec, spec_pointer: str) -> bool:
    """Whether a schema error is a number width format (not held against matchers)."""
    return spec_pointer.endswith("/format") and value_at(spec.document, spec_pointer) in WIDTHS


def lengths_of(spec: Spec, schema: Located[Any]) -> Lengths:
    """``minLength``/``maxLength`` of a schema and its ``allOf`` parts, and where they are."""
    low: tuple[int | None, str] = (None, "")
    high: tuple[int | None, str] = (None, "")
    stack = [schema]
    while stack:
        here = spec.resolve(stack.pop().value)
        node = as_dict(here.value)
        minimum, maximum = node.get("minLength"), node.get("maxLength")
        if isinstance(minimum, int) and (low[0] is None or minimum > low[0]):
            low = (minimum, child(here.pointer or schema.pointer, "minLength"))
        if isinstance(maximum, int) and (high[0] is None or maximum < high[0]):
            high = (maximum, child(here.pointer or schema.pointer, "maxLength"))
        stack += [Located(part, "") for part in node.get("allOf") or [] if len(stack) < 32]
    return low[0], high[0], low[1], high[1]


# Provider states, path and status ----------------------------------------------------


def provider_states(side: Side) -> Iterator[Mismatch]:
    """A warning for each value a ``ProviderState`` generator sets (the path aside)."""
    for (category, key), generator in side.rules.generators.items():
        if generator.kind != "ProviderState" or category == "path":
            continue
        place = f"{category} {key}".strip()
        expression = generator.attributes.get("expression")
        yield Mismatch(
            STATE_VALUE,
            generator.pointer,
            f"{side.what} {place}: set from the provider state ({expression!r}) at "
            "verification time; only the example is judged",
            "warning",
        )


def from_state(side: Side, category: str, key: str) -> bool:
    """Whether a ``ProviderState`` generator sets the value at a place."""
    generator = side.rules.generators.get((category, key))
    return generator is not None and generator.kind == "ProviderState"


def path_rule(target: Target, ex: Interaction, op: Operation, side: Side) -> Iterator[Mismatch]:
    """The path's matcher, or its provider-state expression, keeps to the operation."""

    def illegal(path: Any) -> tuple[str, str] | None:
        moved = replace(ex, path=str(path))
        found = find_operation(target.spec, moved)
        if isinstance(found, Mismatch):
            return found.message, ""
        other, values = found
        if other.pointer != op.pointer:
            return f"{path} is {other.label}, not {op.label}", other.pointer
        return next(((m.message, "") for m in check_path(target, moved, other, values)), None)

    generator = side.rules.generators.get(("path", ""))
    if generator is not None and generator.kind == "ProviderState":
        expression = str(generator.attributes.get("expression", ""))
        why = illegal(expression)
        if why is not None:
            yield Mismatch(
                STATE_VALUE,
                generator.pointer,
                f"{side.what} path: set from the provider state ({expression!r}) at "
                f"verification time, and not judged: {why[0]}",
                "warning",
            )
        return
    rule = side.rules.matching.get(("path", ""))
    if rule is not None:
        judged = (rule.matchers, (True, ex.path), illegal, True, None)
        yield from verdict(target, side, "path", rule, judged, f"path {op.pointer}")


def status_rule(target: Target, op: Operation, side: Side) -> Iterator[Mismatch]:
    """A ``statusCode`` matcher's statuses are all documented (else the consumer is lenient)."""
    rule = side.rules.matching.get(("status", ""))
    if rule is None:
        return
    for matcher in rule.matchers:
        status = matcher.get("status")
        if kind_of(matcher) != "statusCode" or not (
            status in STATUS_CLASSES or isinstance(status, list)
        ):
            message = f"{side.what} status: not judged: the {kind_of(matcher)} matcher"
            yield Mismatch(UNJUDGED, rule.pointer, message, "warning")
            continue
        codes = range(*STATUS_CLASSES[status]) if isinstance(status, str) else status
        missing = [c for c in codes if target.spec.response_for(op, int(c)) is None]
        if missing:
            yield Mismatch(
                "crosscheck.matcher-lenient",
                rule.pointer,
                f"{side.what} status: the statusCode matcher accepts {missing[0]}, which "
                f"{op.label} does not document (harmless: the consumer is more lenient "
                "than the spec)",
                "warning",
            )


# Parameters --------------------------------------------------------------------------


def example_query(ex: Interaction) -> dict[str, str]:
    """The first value of each query parameter."""
    return {name: values[0][1] for name, values in ex.query.items() if values}


def example_headers(ex: Interaction, request: bool) -> dict[str, str]:
    """Each header's value, by lower-cased name."""
    headers = ex.request_headers if request else ex.response_headers
    return {name: value for name, (_pointer, value) in headers.items()}


def parameter_rules(
    target: Target,
    side: Side,
    category: str,
    documented: dict[str, Located[dict[str, Any]]],
    examples: dict[str, str],
) -> Iterator[Mismatch]:
    """Query or header matchers against the parameter (or response header) schemas."""
    for (kind, key), rule in side.rules.matching.items():
        if kind != category or from_state(side, kind, key) or key in SKIPPED_HEADERS:
            continue
        found = key in examples
        example = (found, examples.get(key))
        place = f"{category} {key}"
        if category == "header" and key == "content-type":
            if side.body is not None:
                media: Judged = (rule.matchers, example, content_illegal(side), True, None)
                yield from verdict(target, side, place, rule, media, side.content.pointer)
            continue
        param = documented.get(key)
        if param is None or "schema" not in param.value:
            continue  # an undocumented parameter is reported by the example rules
        schema = target.spec.resolve(param.value["schema"], child(param.pointer, "schema"))
        if not isinstance(schema.value, dict):
            continue
        illegal = schema_illegal(target, schema.pointer, text=True)
        lengths = lengths_of(target.spec, schema)
        judged: Judged = (rule.matchers, example, illegal, True, lengths)
        yield from verdict(target, side, place, rule, judged, schema.pointer)


def content_illegal(side: Side) -> Illegal:
    """Why a Content-Type value names a media type the body is not documented in."""
    content = as_dict(side.content.value.get("content"))

    def illegal(value: Any) -> tuple[str, str] | None:
        media = media_type(str(value))
        if not content or pick_media(content, media) is not None:
            return None
        return f"{media or 'no media type'} is not among {', '.join(content)}", child(
            side.content.pointer, "content"
        )

    return illegal


# Bodies ------------------------------------------------------------------------------


def body_rules(target: Target, side: Side) -> Iterator[Mismatch]:
    """Each body matcher against the schema at its JSONPath."""
    listed = [(key, rule) for (kind, key), rule in side.rules.matching.items() if kind == "body"]
    if not listed or side.body is None:
        return
    content = as_dict(side.content.value.get("content"))
    media = pick_media(content, side.body.media)
    if media is None or "schema" not in as_dict(content[media]):
        return  # no schema to hold matchers to (the example rules report a wrong body)
    root = target.spec.schema_of(side.content, media)
    paths: dict[str, Path] = {}
    for key, rule in listed:
        try:
            paths[key] = parse(key)
        except CannotJudge as exc:
            message = f"{side.what} body {key}: not judged: {exc}"
            yield Mismatch(UNJUDGED, rule.pointer, message, "warning")
    for key, rule in listed:
        if key not in paths or from_state(side, "body", key):
            continue
        others = [path for other, path in paths.items() if other != key]
        yield from body_rule(target, side, root, paths[key], rule, others)


def body_rule(
    target: Target, side: Side, root: Located[Any], path: Path, rule: Rule, others: list[Path]
) -> Iterator[Mismatch]:
    """One body rule: a leaf value, or a ``type`` matcher cascading through a structure."""
    assert side.body is not None
    example = example_at(side.body.value, path)
    kinds = {kind_of(matcher) for matcher in rule.matchers}
    if example[0] and isinstance(example[1], dict | list) and kinds <= {"type", "notEmpty"}:
        yield from cascade(target, side, root, path, rule, example[1], others, top=True)
    else:
        yield from leaf(target, side, root, path, rule, rule.matchers, example)


def cascade(
    target: Target,
    side: Side,
    root: Located[Any],
    path: Path,
    rule: Rule,
    value: Any,
    others: list[Path],
    top: bool,
) -> Iterator[Mismatch]:
    """A ``type`` matcher on everything below its place that no other rule names."""
    if isinstance(value, list):
        yield from array_length(target, side, root, path, rule, value, top)
        below: list[tuple[Path, Any]] = [((*path, Step("items")), value[0])] if value else []
    elif isinstance(value, dict):
        below = [((*path, Step("key", key)), item) for key, item in value.items()]
    else:
        typed = rule.matchers if top else ({"match": "type"},)
        yield from leaf(target, side, root, path, rule, typed, (True, value))
        return
    for place, item in below:
        if not any(covers(other, place) for other in others):
            yield from cascade(target, side, root, place, rule, item, others, top=False)


def array_length(
    target: Target,
    side: Side,
    root: Located[Any],
    path: Path,
    rule: Rule,
    value: list[Any],
    top: bool,
) -> Iterator[Mismatch]:
    """The lengths a ``type`` matcher allows an array (``min``..``max``) are legal."""
    low, high = 0, None
    for matcher in rule.matchers if top else ():
        if isinstance(matcher.get("min"), int):
            low = max(low, matcher["min"])
        if isinstance(matcher.get("max"), int):
            high = matcher["max"] if high is None else min(high, matcher["max"])
        if kind_of(matcher) == "notEmpty":
            low = max(low, 1)
    try:
        schema = locate(target.spec, root, path)
    except CannotJudge as exc:
        message = f"{side.what} body {render(path)}: not judged: {exc}"
        yield Mismatch(UNJUDGED, rule.pointer, message, "warning")
        return
    if schema is None or not value:
        return
    illegal = schema_illegal(target, schema.pointer)
    lengths = sorted({low, LONG_ARRAY if high is None else high} | ({2} if low <= 2 else set()))
    for count in lengths:
        if high is not None and count > high:
            continue
        why = illegal(value[:1] * count)
        if why is not None:
            bounds = f"min {low}" + (f", max {high}" if high is not None else ", no max")
            found = Counter(
                f"type ({bounds})", None, why[0], why[1], f"an array of {count} item(s)"
            )
            yield from report(side, f"body {render(path)}", rule, found)
            return


def leaf(
    target: Target,
    side: Side,
    root: Located[Any],
    path: Path,
    rule: Rule,
    matchers: tuple[dict[str, Any], ...],
    example: tuple[bool, Any],
) -> Iterator[Mismatch]:
    """Matchers on one value, against the one schema at its place."""
    try:
        schema = locate(target.spec, root, path)
    except CannotJudge as exc:
        message = f"{side.what} body {render(path)}: not judged: {exc}"
        yield Mismatch(UNJUDGED, rule.pointer, message, "warning")
        return
    if schema is None:
        return
    illegal = schema_illegal(target, schema.pointer)
    judged = (matchers, example, illegal, False, lengths_of(target.spec, schema))
    yield from verdict(target, side, f"body {render(path)}", rule, judged, schema.pointer)
