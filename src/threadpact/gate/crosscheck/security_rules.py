"""The crosscheck rules for what a request must carry: a credential, and an Accept the
operation can answer.

Security requirements follow OpenAPI: the operation's list (else the spec's) holds
alternatives, any one of which must be met whole, every scheme in it. Each scheme type
is judged from the pact's request: ``http`` by the ``Authorization`` scheme (bearer,
basic, ...), ``apiKey`` by its header, query parameter or cookie, ``oauth2`` and
``openIdConnect`` by a bearer ``Authorization``. ``mutualTLS`` cannot be seen in a pact
and counts as met.
"""

from collections.abc import Iterator
from typing import Any

from threadpact.gate.crosscheck.target import Mismatch
from threadpact.openapi import Operation, Spec, as_dict
from threadpact.pacts import Interaction, media_type
from threadpact.pointers import child


def _authorization(ex: Interaction) -> str:
    return ex.request_headers.get("authorization", ("", ""))[1].strip().lower()


def met(scheme: dict[str, Any], ex: Interaction) -> bool:
    """Whether the pact's request carries the credential one security scheme asks for."""
    kind = scheme.get("type")
    if kind == "http":
        wanted = str(scheme.get("scheme", "")).lower()
        return _authorization(ex).startswith(f"{wanted} ")
    if kind in ("oauth2", "openIdConnect"):
        return _authorization(ex).startswith("bearer ")
    if kind == "apiKey":
        name, where = str(scheme.get("name", "")), scheme.get("in")
        if where == "header":
            return name.lower() in ex.request_headers
        if where == "query":
            return name in ex.query
        if where == "cookie":
            cookies = ex.request_headers.get("cookie", ("", ""))[1]
            return any(part.strip().startswith(f"{name}=") for part in cookies.split(";"))
    return True  # mutualTLS, or a type a pact cannot show


def describe(scheme: dict[str, Any], name: str) -> str:
    """What a scheme asks the request to carry, in a few words."""
    kind = scheme.get("type")
    if kind == "http":
        return f"Authorization: {str(scheme.get('scheme', '')).capitalize()} <credential>"
    if kind in ("oauth2", "openIdConnect"):
        return "Authorization: Bearer <token>"
    if kind == "apiKey":
        return f"the {scheme.get('in')} {scheme.get('name')!r} ({name})"
    return name


def query_credentials(spec: Spec, op: Operation) -> set[str]:
    """The query parameter names the operation's ``apiKey`` schemes take a credential in."""
    requirement = spec.security(op).value
    schemes = spec.component("securitySchemes")
    names = set()
    for alternative in requirement if isinstance(requirement, list) else []:
        for name in as_dict(alternative):
            scheme = as_dict(spec.resolve(schemes.get(name)).value)
            if scheme.get("type") == "apiKey" and scheme.get("in") == "query":
                names.add(str(scheme.get("name")))
    return names


def check_security(spec: Spec, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """The request meets one of the operation's security requirements, whole."""
    requirement = spec.security(op).value
    if not isinstance(requirement, list) or not requirement:
        return
    schemes = spec.component("securitySchemes")
    alternatives = [as_dict(alternative) for alternative in requirement]
    if any(not alternative for alternative in alternatives):
        return  # {} among the alternatives: anonymous calls are allowed
    resolved = [
        {name: as_dict(spec.resolve(schemes.get(name)).value) for name in alternative}
        for alternative in alternatives
    ]
    if any(all(met(scheme, ex) for scheme in alt.values()) for alt in resolved):
        return
    wanted = " or ".join(
        " and ".join(describe(scheme, name) for name, scheme in alt.items()) for alt in resolved
    )
    if "authorization" in ex.request_headers:
        pointer = ex.request_headers["authorization"][0]
        yield Mismatch("crosscheck.security", pointer, f"{op.label} needs {wanted}")
    else:
        pointer = child(ex.pointer, "request", "headers")
        yield Mismatch(
            "crosscheck.security", pointer, f"{op.label} requires a credential: {wanted}"
        )


def accepts(accept: str, media: str) -> bool:
    """Whether an ``Accept`` value admits ``media`` (ranges, wildcards, ``q=0`` refusals)."""
    kind, _, _ = media.partition("/")
    for item in accept.split(","):
        range_, *params = (part.strip() for part in item.split(";"))
        quality = next((p.split("=", 1)[1] for p in params if p.startswith("q=")), "1")
        try:
            refused = float(quality) == 0
        except ValueError:
            refused = False
        range_ = range_.lower()
        if not refused and range_ in ("*/*", f"{kind}/*", media):
            return True
    return False


def check_accept(spec: Spec, ex: Interaction, op: Operation) -> Iterator[Mismatch]:
    """An ``Accept`` header admits a media type the expected response is documented in."""
    if "accept" not in ex.request_headers:
        return
    found = spec.response_for(op, ex.status)
    content = as_dict(found[1].value.get("content")) if found is not None else {}
    if not content:
        return
    pointer, value = ex.request_headers["accept"]
    documented = [media_type(key) for key in content]
    if not any(accepts(value, media) for media in documented):
        yield Mismatch(
            "crosscheck.accept",
            pointer,
            f"{op.label} answers {ex.status} in {', '.join(documented)}; "
            f"Accept: {value} admits none of them",
        )
