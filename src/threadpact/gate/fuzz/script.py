"""A finding's reproduction as a POSIX shell script that needs a fresh server only.

The script sends every step again with curl: the requests that set up the state,
then the failing ones. What an earlier answer made (an ID in its JSON body, its
``Location`` or ``ETag``) and a later request uses is captured from the fresh
server's answer with ``python3`` and substituted, so nothing depends on the server
the run used. Idempotency-Keys the run issued are generated anew, one per key.
Tokens come from ``$TOKEN_A``/``$TOKEN_B``, the server from ``$BASE_URL`` (the
run's URL by default). The script ends by judging the answers against the rule's
expectations (:mod:`threadpact.gate.fuzz.verdicts`): exit 1 if the bug reproduces,
0 if not, 2 if the setup failed, curl's status if the server cannot be reached.
"""

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from threadpact.checks.context import KEY_PREFIX, Principal
from threadpact.gate.fuzz import replay_verdict
from threadpact.gate.fuzz.expect import Expectation
from threadpact.gate.fuzz.steps import MIN_MADE, Step
from threadpact.names import AUTHORIZATION, IDEMPOTENCY_KEY

_UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
ISSUED_KEYS = {
    "prefixed": re.compile(rf"{re.escape(KEY_PREFIX)}{_UUID}"),
    "uuid": re.compile(_UUID),
    "hex": re.compile(r"[0-9a-f]{32}"),
}
"""The shapes of keys a run issues (:meth:`RunState.issue_key`), and how to make one anew."""
NEW_KEY = {
    "prefixed": f"{KEY_PREFIX}$(python3 -c 'import uuid; print(uuid.uuid4())')",
    "uuid": "$(python3 -c 'import uuid; print(uuid.uuid4())')",
    "hex": "$(python3 -c 'import uuid; print(uuid.uuid4().hex)')",
}

HELPERS = r"""WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

# send N PURPOSE CURL-ARGUMENTS...: answer N's status, headers and body go to $WORK/N.*
send() {
  n="$1"; purpose="$2"; shift 2
  curl -sS -o "$WORK/$n.body" -D "$WORK/$n.headers" -w '%{http_code}' "$@" > "$WORK/$n.status"
  echo "step $n ($purpose): $(cat "$WORK/$n.status")" >&2
}

# pick N json POINTER | pick N header NAME: a value of answer N (exit 2 if it has none)
pick() {
  python3 -c '
import json, sys
path, kind, where = sys.argv[1:4]
try:
    if kind == "header":
        found = [line.partition(":")[2].strip() for line in open(path + ".headers")
                 if line.partition(":")[0].strip().lower() == where.lower()]
        value = found[-1]
    else:
        value = json.load(open(path + ".body", encoding="utf-8"))
        for part in where.split("/")[1:]:
            part = part.replace("~1", "/").replace("~0", "~")
            value = value[int(part)] if isinstance(value, list) else value[part]
except (OSError, ValueError, KeyError, IndexError, TypeError):
    sys.stderr.write("answer %s has no %s %s: the setup failed\n" % (path, kind, where))
    sys.exit(2)
print(value if isinstance(value, str) else json.dumps(value))
' "$WORK/$1" "$2" "$3"
}
"""

VERDICT = Path(replay_verdict.__file__).read_text(encoding="utf-8")
"""The verdict program (:mod:`threadpact.gate.fuzz.replay_verdict`), copied into scripts."""


def quote(text: str) -> str:
    """One shell word that stands for ``text`` literally."""
    return "'" + text.replace("'", "'\\''") + "'"


@dataclass(frozen=True)
class Source:
    """A value an answer made, and the shell variable that captures it."""

    step: int
    kind: str
    where: str
    value: str

    @property
    def variable(self) -> str:
        """``S1_id``, ``S2_location``."""
        return f"S{self.step}_{re.sub(r'[^A-Za-z0-9]+', '_', self.where).strip('_') or 'body'}"


def made_by(step: Step, number: int, sent: str) -> list[Source]:
    """What the answer to ``step`` (number ``number``) made that no request so far sent."""
    return [Source(number, kind, where, value) for kind, where, value in step.made(sent)]


class Renderer:
    """Turns steps into shell words, capturing and substituting what earlier answers made."""

    def __init__(self, base_url: str, principals: Sequence[Principal]) -> None:
        self.base_url = base_url.rstrip("/")
        self.principals = principals
        self.sources: list[Source] = []
        self.used: set[Source] = set()
        self.keys: dict[str, tuple[str, str]] = {}
        self.tokens: set[str] = set()

    def word(self, text: str, *, whole_only: bool = False) -> str:
        """``text`` as a shell word, earlier answers' values replaced by their variables.

        With ``whole_only`` a value replaces only the whole text (an ``If-Match`` that is
        an earlier ``ETag``); else long values also replace parts (an ID in a path).
        """
        for source in sorted(self.sources, key=lambda s: (s.kind != "json", -len(s.value), s.step)):
            fits = source.value == text or (
                not whole_only and len(source.value) >= MIN_MADE and source.value in text
            )
            if fits:
                self.used.add(source)
                head, _, tail = text.partition(source.value)
                return (
                    (self.word(head) if head else "")
                    + f'"${source.variable}"'
                    + (self.word(tail) if tail else "")
                )
        return quote(text)

    def header(self, name: str, value: str) -> str:
        """A ``-H`` argument: tokens and issued keys as variables, other values substituted."""
        if name.lower() == AUTHORIZATION.lower():
            for principal in self.principals:
                if value == principal.authorization:
                    self.tokens.add(principal.name)
                    return f'"{name}: Bearer {principal.variable}"'
        if name.lower() == IDEMPOTENCY_KEY.lower():
            for shape, pattern in ISSUED_KEYS.items():
                if pattern.fullmatch(value):
                    variable = self.keys.setdefault(value, (f"KEY_{len(self.keys) + 1}", shape))[0]
                    return f'"{name}: ${variable}"'
        rendered = self.word(value, whole_only=True)
        if rendered == quote(value):
            return quote(f"{name}: {value}")
        return quote(f"{name}: ") + rendered

    def url(self, url: str) -> str:
        """The URL below ``$BASE_URL``; a query value an answer made whole is its variable."""
        if not url.startswith(self.base_url):
            return self.word(url)
        path, mark, query = url[len(self.base_url) :].partition("?")
        words = ['"$BASE_URL"'] + ([self.word(path)] if path else [])
        for number, part in enumerate(query.split("&") if mark else []):
            name, equals, value = part.partition("=")
            words.append(quote("&" if number else "?"))
            whole = self.word(value, whole_only=True) if equals and value else quote(value)
            if equals and whole != quote(value):
                words += [quote(f"{name}="), whole]
            else:
                words.append(self.word(part))
        return "".join(words)

    def send(self, number: int, step: Step) -> str:
        """The ``send`` line of one step."""
        words = ["send", str(number), quote(step.purpose), "-X", step.method]
        for name, value in step.headers:
            words += ["-H", self.header(name, value)]
        if step.body is not None:
            words += ["--data-binary", self.word(step.body.decode(errors="replace"))]
        words.append(self.url(step.url))
        return " ".join(words) + (" &" if step.parallel else "")


def _captures(renderer: Renderer, number: int) -> list[str]:
    return [
        f"{source.variable}=$(pick {number} {source.kind} {quote(source.where)})"
        for source in renderer.sources
        if source.step == number and source in renderer.used
    ]


def _head(title: str, statement: str, base_url: str, renderer: Renderer) -> list[str]:
    names = sorted(renderer.tokens)
    usage = " ".join(f"TOKEN_{name}=..." for name in names)
    lines = ["#!/bin/sh", f"# threadpact reproduction: {title}"]
    lines += [f"# Spec statement: {statement}"] if statement else []
    lines += [
        f"# Replays the failure from a fresh server: {usage} sh THIS-SCRIPT",
        "# Exit 1: the bug reproduces; 0: it does not; 2: the setup failed.",
        "set -eu",
        f'BASE_URL="${{BASE_URL:-{base_url.rstrip("/")}}}"',
    ]
    lines += [
        f': "${{TOKEN_{name}:?export TOKEN_{name}, the bearer token of principal {name}}}"'
        for name in names
    ]
    lines += ["", HELPERS.rstrip(), ""]
    lines += [f'{variable}="{NEW_KEY[shape]}"' for variable, shape in renderer.keys.values()]
    return lines


def render(
    *,
    title: str,
    statement: str,
    steps: Sequence[Step],
    expectations: Sequence[Expectation],
    base_url: str,
    principals: Sequence[Principal],
) -> str:
    """The whole script: set-up, steps with their captures, and the verdict."""
    renderer = Renderer(base_url, principals)
    sends: list[str] = []
    sent = ""
    for number, step in enumerate(steps, start=1):
        sends.append(renderer.send(number, step))
        sent += step.sent()
        renderer.sources += made_by(step, number, sent)
    lines = _head(title, statement, base_url, renderer)
    for number, (step, line) in enumerate(zip(steps, sends, strict=True), start=1):
        lines += ["", f"# {number}. {step.purpose}", line]
        if step.parallel and (number == len(steps) or not steps[number].parallel):
            lines.append("wait")
        lines += _captures(renderer, number)
    lines += ["", "# The verdict: what the contract expects of these answers."]
    lines.append(f"python3 - \"$WORK\" {quote(json.dumps(list(expectations)))} <<'PY'")
    lines += [VERDICT.rstrip(), "PY", ""]
    return "\n".join(lines)
