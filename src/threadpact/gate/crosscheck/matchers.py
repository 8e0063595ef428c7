"""Whether every value a pact matcher allows is legal: a search for a counter-example.

A matcher allows a set of values; the spec's schema allows another. The question is
whether the first is a subset of the second, and it is answered by looking for a
value the matcher allows that the schema rejects:

- ``type``: any value of the example's JSON type (pact has one number type, so a
  ``type`` matcher on ``5`` allows ``0.5``); probes are made to break each keyword a
  schema can add to a type (``enum``, ``const``, ``pattern``, ``format``, lengths,
  bounds, ``multipleOf``, ``type: integer``). ``notEmpty`` is the same without empty
  values.
- ``integer``, ``decimal``, ``number``, ``boolean``: probes of that kind.
- ``regex``: strings the regex matches whole, searched with Hypothesis (deterministic:
  ``derandomize``, no database, a bounded number of examples), and the regex's longest
  and shortest match held to ``maxLength`` and ``minLength`` exactly. A pact-rust regex
  that is not anchored also matches longer strings; only whole matches are judged.
- ``include``: strings that contain the value, searched the same way; ``semver``:
  version probes.
- ``date``, ``time``, ``timestamp``, ``datetime``: fixed moments (UTC and two other
  offsets, with and without fractions) written with the matcher's Java date pattern.
- ``equality`` and ``null`` allow the example alone, which the example check judges.

Other matchers (``contentType``, ``values``, ``arrayContains``, ``eachKey``,
``eachValue``, ``statusCode``, unknown ones) cannot be judged here:
:class:`~threadpact.gate.crosscheck.places.CannotJudge`.

Width formats (``int32``, ``int64``, ``float``, ``double``) are not held against
matchers: JSON has one number type, and no number matcher can promise a width.
"""

import importlib
import re
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from hypothesis import HealthCheck, Phase, find, settings
from hypothesis import strategies as st
from hypothesis.errors import HypothesisException, NoSuchExample

from threadpact.gate.crosscheck.places import CannotJudge

Illegal = Callable[[Any], tuple[str, str] | None]
"""Why the spec rejects a value, as ``(message, spec pointer)``; None if it is legal."""
Lengths = tuple[int | None, int | None, str, str]
"""``(minLength, maxLength, where minLength is, where maxLength is)``."""

SEARCH = settings(
    max_examples=100,
    derandomize=True,
    database=None,
    deadline=None,
    phases=[Phase.generate, Phase.shrink],
    suppress_health_check=list(HealthCheck),
)
LONG = 65_536
STRINGS = ["", " ", "\x00", "probe ☃ ~ 0", "-1", "a" * LONG]
NUMBERS = [0, 1, -1, 7, 0.5, -0.5, 1e300, -1e300]
INTEGERS = [0, 1, -1, 7, 10**15, -(10**15)]
DECIMALS = [0.5, -0.5, 12345678.25, -12345678.25, 1e300, -1e300]
VERSIONS = ["0.0.0", "1.2.3", "10.20.30-alpha.1+build.5", "999999.0.1-rc"]
MOMENTS = [
    datetime(2024, 1, 2, 3, 4, 5, tzinfo=UTC),
    datetime(2024, 2, 29, 23, 59, 59, 123456, tzinfo=timezone(timedelta(hours=5, minutes=30))),
    datetime(1999, 12, 31, 12, 0, 0, 500000, tzinfo=timezone(timedelta(hours=-8))),
]
# The narrower a matcher, the better it is as the source of candidates under AND.
NARROWNESS = {"equality": 0, "null": 0, "date": 1, "time": 1, "timestamp": 1, "datetime": 1}
NARROWNESS |= {"regex": 2, "semver": 2, "include": 3, "boolean": 4, "integer": 5}
NARROWNESS |= {"decimal": 6, "number": 6, "type": 7, "notEmpty": 7}


@dataclass(frozen=True)
class Counter:
    """A value a matcher allows and the spec forbids, and why."""

    matcher: str
    value: Any
    message: str
    spec_pointer: str
    described: str = ""
    """The value in words, where it is a kind of value rather than one (``strings of any
    length``)."""


def kind_of(matcher: dict[str, Any]) -> str:
    """The matcher's name (``type``, ``regex``, ...)."""
    return str(matcher.get("match", "type"))


def judge(
    matchers: Iterable[dict[str, Any]],
    combine: str,
    example: tuple[bool, Any],
    illegal: Illegal,
    *,
    text: bool = False,
    lengths: Lengths | None = None,
) -> Counter | None:
    """A value the matchers allow that ``illegal`` rejects, or None if there is none.

    ``example`` is ``(found, value)``; ``text`` says the value is a parameter's text
    (candidates are written as strings). ``lengths`` are the schema's ``minLength`` and
    ``maxLength`` and where they are, for the exact length check of a regex.
    """
    listed = list(matchers)
    if not listed:
        return None
    if combine.upper() == "OR":
        for one in listed:
            found = judge([one], "AND", example, illegal, text=text, lengths=lengths)
            if found is not None:
                return found
        return None
    for one in listed:
        if kind_of(one) not in NARROWNESS:
            raise CannotJudge(f"the {kind_of(one)} matcher is not judged")
    source = min(listed, key=lambda one: NARROWNESS[kind_of(one)])
    if NARROWNESS[kind_of(source)] == 0:
        return None  # the example alone, which the example check judges

    def allowed(value: Any) -> bool:
        return all(allows(one, value, example) for one in listed)

    if kind_of(source) == "regex" and lengths is not None:
        found = regex_lengths(str(source.get("regex", "")), lengths)
        if found is not None:
            return found
    for value in probes(source, example, text):
        if allowed(value) and (why := illegal(value)) is not None:
            return Counter(kind_of(source), value, why[0], why[1])
    strategy = search_space(source)
    if strategy is None:
        return None
    try:
        value = find(strategy, lambda v: allowed(v) and illegal(v) is not None, settings=SEARCH)
    except NoSuchExample:
        return None
    except (HypothesisException, re.error) as exc:
        raise CannotJudge(f"cannot search the {kind_of(source)} matcher: {exc}") from None
    why = illegal(value)
    assert why is not None
    return Counter(kind_of(source), value, why[0], why[1])


def as_text(value: Any) -> str:
    """A candidate as a parameter's text."""
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def probes(matcher: dict[str, Any], example: tuple[bool, Any], text: bool) -> Iterator[Any]:
    """Fixed values the matcher allows, chosen to break what a schema may add."""
    kind = kind_of(matcher)
    found, value = example
    values: list[Any]
    if kind in ("type", "notEmpty"):
        if not found:
            raise CannotJudge(f"the {kind} matcher has no example to take a type from")
        values = typed_probes(value, text)
    elif kind == "integer":
        values = list(INTEGERS)
    elif kind == "decimal":
        values = list(DECIMALS)
    elif kind == "number":
        values = list(NUMBERS)
    elif kind == "boolean":
        values = [True, False]
    elif kind == "include":
        part = str(matcher.get("value", ""))
        values = [part, part + "\x00", "a" * LONG + part, "probe " + part]
    elif kind == "semver":
        values = list(VERSIONS)
    elif kind in ("date", "time", "timestamp", "datetime"):
        pattern = date_pattern(matcher)
        values = [java_format(pattern, moment) for moment in MOMENTS]
    else:
        values = []
    for candidate in values:
        yield as_text(candidate) if text and not isinstance(candidate, str) else candidate


def typed_probes(example: Any, text: bool) -> list[Any]:
    """Values of the example's JSON type (any string, for a parameter's text)."""
    if text or isinstance(example, str):
        return list(STRINGS)
    if isinstance(example, bool):
        return [True, False]
    if isinstance(example, int | float):
        return list(NUMBERS)
    return [example]


def allows(matcher: dict[str, Any], value: Any, example: tuple[bool, Any]) -> bool:
    """Whether one matcher lets ``value`` through (used to combine matchers with AND)."""
    kind = kind_of(matcher)
    number = isinstance(value, int | float) and not isinstance(value, bool)
    if kind in ("type", "notEmpty"):
        same = not example[0] or type_name(value) == type_name(example[1])
        return same and (kind == "type" or value not in ("", [], {}))
    if kind == "regex":
        try:
            return re.fullmatch(str(matcher.get("regex", "")), as_text(value)) is not None
        except re.error:
            return True
    if kind == "include":
        return str(matcher.get("value", "")) in as_text(value)
    if kind == "integer":
        return (number and float(value).is_integer()) or bool(re.fullmatch(r"-?\d+", str(value)))
    if kind in ("decimal", "number"):
        return number or bool(re.fullmatch(r"-?\d+(\.\d+)?([eE][-+]?\d+)?", str(value)))
    if kind == "boolean":
        return isinstance(value, bool) or value in ("true", "false")
    return True


def type_name(value: Any) -> str:
    """The JSON type of a value, as pact's ``type`` matcher sees it (one number type)."""
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int | float):
        return "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list) else "object" if isinstance(value, dict) else "null"


def search_space(matcher: dict[str, Any]) -> Any:
    """A Hypothesis strategy of values the matcher allows, for those worth a search."""
    kind = kind_of(matcher)
    if kind == "regex":
        regex = str(matcher.get("regex", ""))
        try:
            re.compile(regex)
        except re.error as exc:
            raise CannotJudge(f"the regex {regex!r} is not one Python can read: {exc}") from None
        return st.from_regex(regex, fullmatch=True)
    if kind == "include":
        part = str(matcher.get("value", ""))
        return st.builds(lambda a, b: a + part + b, st.text(), st.text())
    return None


def regex_lengths(regex: str, lengths: Lengths) -> Counter | None:
    """The regex's shortest and longest whole match against ``minLength``/``maxLength``."""
    try:
        parser = importlib.import_module("re._parser")
        low, high = parser.parse(regex).getwidth()
    except (re.error, ImportError, AttributeError, TypeError):
        return None
    minimum, maximum, min_at, max_at = lengths
    unbounded = high >= int(getattr(parser, "MAXREPEAT", 2**31 - 1))
    if maximum is not None and high > maximum:
        longest = "strings of any length" if unbounded else f"strings of {high} characters"
        return Counter("regex", None, f"longer than maxLength {maximum}", max_at, longest)
    if minimum is not None and low < minimum:
        shortest = f"strings of {low} characters"
        return Counter("regex", None, f"shorter than minLength {minimum}", min_at, shortest)
    return None


def date_pattern(matcher: dict[str, Any]) -> str:
    """A date/time matcher's Java pattern (``format``, or V2/V3 ``timestamp``/``date``/``time``)."""
    for key in ("format", "timestamp", "datetime", "date", "time"):
        if isinstance(matcher.get(key), str) and matcher[key]:
            return str(matcher[key])
    raise CannotJudge(f"the {kind_of(matcher)} matcher names no format (each library has its own)")


JAVA_TOKEN = re.compile(r"'(?:[^']|'')*'|([A-Za-z])\1*|.", re.DOTALL)
MONTHS = "January February March April May June July August September October November December"
DAYS = "Monday Tuesday Wednesday Thursday Friday Saturday Sunday"


def java_format(pattern: str, moment: datetime) -> str:
    """``moment`` written with a Java date pattern (``yyyy-MM-dd'T'HH:mm:ss.SSSXXX``)."""
    out = []
    for token in JAVA_TOKEN.finditer(pattern):
        piece = token.group(0)
        if piece.startswith("'"):
            out.append("'" if piece == "''" else piece[1:-1].replace("''", "'"))
        elif piece[0].isalpha():
            out.append(java_field(piece[0], len(piece), moment))
        else:
            out.append(piece)
    return "".join(out)


def java_field(letter: str, width: int, moment: datetime) -> str:
    """One field of a Java date pattern; :class:`CannotJudge` for a letter not known here."""
    numbers = {"y": moment.year, "u": moment.year, "d": moment.day, "H": moment.hour}
    numbers |= {"m": moment.minute, "s": moment.second, "h": (moment.hour % 12) or 12}
    if letter in ("y", "u") and width == 2:
        return f"{moment.year % 100:02d}"
    if letter in numbers:
        return str(numbers[letter]).zfill(width)
    if letter == "M":
        name = MONTHS.split()[moment.month - 1]
        return str(moment.month).zfill(width) if width <= 2 else name[:3] if width == 3 else name
    if letter == "E":
        name = DAYS.split()[moment.weekday()]
        return name[:3] if width <= 3 else name
    if letter == "S":
        return f"{moment.microsecond:06d}".ljust(width, "0")[:width]
    if letter == "a":
        return "AM" if moment.hour < 12 else "PM"
    if letter in ("X", "x", "Z"):
        return offset(letter, width, moment)
    raise CannotJudge(f"the date pattern letter {letter!r} is not judged")


def offset(letter: str, width: int, moment: datetime) -> str:
    """A zone offset as Java's ``X``, ``x`` and ``Z`` letters write it."""
    delta = moment.utcoffset() or timedelta(0)
    minutes = int(delta.total_seconds() // 60)
    sign, minutes = ("-" if minutes < 0 else "+"), abs(minutes)
    hours, rest = divmod(minutes, 60)
    if letter == "X" and minutes == 0:
        return "Z"
    if letter == "Z" and width == 5:
        return "Z" if minutes == 0 else f"{sign}{hours:02d}:{rest:02d}"
    if letter == "Z" and width == 4:
        return f"GMT{sign}{hours:02d}:{rest:02d}"
    if letter == "Z" or width == 2:
        return f"{sign}{hours:02d}{rest:02d}"
    if width == 1:
        return f"{sign}{hours:02d}" + (f"{rest:02d}" if rest else "")
    return f"{sign}{hours:02d}:{rest:02d}"
