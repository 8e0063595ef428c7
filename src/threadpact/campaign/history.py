"""The history of a campaign run: what each user did, the faults, and the final states.

Every value the campaign makes is unique and names the action that made it:

- a create's title is its *origin tag*, e.g. ``c7`` (unique per create, across users);
- a rename's title is ``"<origin> r<k>"``, e.g. ``"c7 r3"``;
- a message's content is ``"<origin> m<k>"``, e.g. ``"c7 m12"``.

So :func:`origin_of` of any title or message content is the tag of the create whose
thread it belongs to, whatever renames happened, and the create says whose it is.

A :class:`History` is an ordered list of :class:`Action` and :class:`Fault` entries
(one step number each, increasing); :meth:`History.describe` renders it as a numbered
script for anomaly reports. A :class:`Final` is what one user's side looked like after
the run: the server as that user reads it, every local store of that user, and the
other users' threads that user could see.

Pure data: nothing here does I/O.
"""

from collections.abc import Collection, Iterator
from dataclasses import dataclass, field, replace
from typing import Literal, get_args

from threadpact.models import LocalThread, Message, ServerThread

Op = Literal[
    "create",
    "send",
    "rename",
    "delete",
    "select",
    "retry",
    "reload",
    "sync",
    "sync_once",
    "pull",
    "online",
    "advance",
    "fault",
]
"""What a user did: the client operations (``retry`` is a manual retry of a failed
thread, ``advance`` the client's clock moved on), and ``fault``, a fault the machine
chose to record as one of the user's actions (e.g. "client killed"), described by
:attr:`Action.detail`."""

OPS: tuple[Op, ...] = get_args(Op)
THREAD_OPS: frozenset[Op] = frozenset({"create", "send", "rename", "delete", "select"})
"""The operations on one thread: their :attr:`Action.origin` is required."""
VALUE_OPS: frozenset[Op] = frozenset({"create", "send", "rename"})
"""The operations that carry a value: the create title, message content or new title."""


def origin_of(text: str) -> str:
    """The origin tag a title or message content starts with: ``"c7 r3"`` -> ``"c7"``."""
    return text.split(" ", 1)[0]


@dataclass(frozen=True)
class Action:
    """One thing a user did through one tab of a client."""

    step: int
    """Order in the run (shared with faults): each entry's step is greater than the last."""
    user: str
    tab: int
    op: Op
    origin: str | None = None
    """The thread's origin tag (create, send, rename, delete, select); None otherwise."""
    value: str | None = None
    """The create's title, the message's content or the new title (or any argument of
    another operation worth showing, e.g. the seconds of ``advance``)."""
    completed: bool = True
    """The client answered. False when its process was killed during the operation,
    which then may or may not have taken effect."""
    detail: str = ""
    """Free text: what a ``fault`` action was, or a note the report shows."""

    def __post_init__(self) -> None:
        if self.op not in OPS:
            raise ValueError(f"step {self.step}: unknown operation {self.op!r}")
        if self.op in THREAD_OPS and not self.origin:
            raise ValueError(f"step {self.step}: {self.op} needs the thread's origin tag")
        if self.origin is not None and (" " in self.origin or not self.origin):
            raise ValueError(f"step {self.step}: origin tag {self.origin!r} is not one word")
        if self.op in VALUE_OPS:
            if self.value is None:
                raise ValueError(f"step {self.step}: {self.op} needs its value")
            if origin_of(self.value) != self.origin:
                raise ValueError(
                    f"step {self.step}: {self.op} value {self.value!r} does not start with "
                    f"its origin tag {self.origin!r}"
                )

    @property
    def actor(self) -> str:
        """``alice/tab1``."""
        return f"{self.user}/tab{self.tab}"

    def describe(self) -> str:
        """One line of the script, without the step number."""
        if self.op == "create":
            what = f"create {_quote(self.value)}"
        elif self.op == "send":
            what = f"send {self.origin} <- {_quote(self.value)}"
        elif self.op == "rename":
            what = f"rename {self.origin} -> {_quote(self.value)}"
        elif self.op == "fault":
            what = f"fault: {self.detail}" if self.detail else "fault"
        else:
            what = " ".join(p for p in (self.op, self.origin, self.value) if p is not None)
        if self.op != "fault" and self.detail:
            what += f" ({self.detail})"
        if not self.completed:
            what += " [no answer: killed mid-operation]"
        return f"{self.actor} {what}"


@dataclass(frozen=True)
class Fault:
    """A fault the machine injected: on one user's client or network, or on the provider."""

    step: int
    user: str | None
    """The user whose client or connection it hit; None for the provider."""
    kind: str
    """What happened, e.g. "killed", "offline", "lost answer", "503"."""
    detail: str = ""
    """Where, e.g. "mid POST /threads"."""

    def describe(self) -> str:
        """One line of the script, without the step number."""
        who = self.user if self.user is not None else "provider"
        text = f"fault: {who} {self.kind}"
        return f"{text} {self.detail}" if self.detail else text


Entry = Action | Fault


@dataclass
class History:
    """The run, in order. Add entries through :meth:`act`, :meth:`fault` or :meth:`record`.

    Checked as it grows (a :class:`ValueError` means the machine recorded nonsense):
    steps increase; an origin tag is created once; a message content and a new title
    are used once. (An action may name an origin no create made: a client can show a
    thread nobody created, and the checker reports that thread.)
    """

    entries: list[Entry] = field(default_factory=list)
    _owners: dict[str, str] = field(default_factory=dict, init=False, repr=False, compare=False)
    _values: set[tuple[str, str]] = field(
        default_factory=set, init=False, repr=False, compare=False
    )

    def __post_init__(self) -> None:
        given, self.entries = self.entries, []
        for entry in given:
            self.record(entry)

    @property
    def actions(self) -> list[Action]:
        return [e for e in self.entries if isinstance(e, Action)]

    @property
    def faults(self) -> list[Fault]:
        return [e for e in self.entries if isinstance(e, Fault)]

    def __iter__(self) -> Iterator[Entry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self.entries)

    def next_step(self) -> int:
        """The step the next entry gets from :meth:`act` and :meth:`fault` (1, 2, ...)."""
        return self.entries[-1].step + 1 if self.entries else 1

    def record(self, entry: Entry) -> Entry:
        """Append an entry made elsewhere (its step must be greater than the last one)."""
        if self.entries and entry.step <= self.entries[-1].step:
            raise ValueError(
                f"step {entry.step} comes after step {self.entries[-1].step}: steps must increase"
            )
        if isinstance(entry, Action):
            self._check_unique(entry)
            if entry.op == "create" and entry.origin:
                self._owners[entry.origin] = entry.user
            elif entry.op in VALUE_OPS and entry.value is not None:
                self._values.add((entry.op, entry.value))
        self.entries.append(entry)
        return entry

    def act(
        self,
        user: str,
        op: Op,
        origin: str | None = None,
        value: str | None = None,
        *,
        tab: int = 0,
        completed: bool = True,
        detail: str = "",
    ) -> Action:
        """Record a user's action at the next step."""
        action = Action(self.next_step(), user, tab, op, origin, value, completed, detail)
        self.record(action)
        return action

    def fault(self, kind: str, detail: str = "", *, user: str | None = None) -> Fault:
        """Record a fault at the next step (``user`` None: the provider's)."""
        fault = Fault(self.next_step(), user, kind, detail)
        self.record(fault)
        return fault

    def settle(self, step: int, *, completed: bool) -> Action:
        """Set whether the action recorded at ``step`` completed, once that is known
        (an action may be recorded before it runs, so that faults during it follow it)."""
        for index, entry in enumerate(self.entries):
            if entry.step == step and isinstance(entry, Action):
                settled = replace(entry, completed=completed)
                self.entries[index] = settled
                return settled
        raise KeyError(f"no action at step {step}")

    def owner(self, origin: str) -> str | None:
        """The user whose create made ``origin``; None if no create did."""
        return self._owners.get(origin)

    def owners(self) -> dict[str, str]:
        """Every origin tag, with the user whose create made it."""
        return dict(self._owners)

    def users(self) -> list[str]:
        """The users who did something, sorted."""
        return sorted({a.user for a in self.actions})

    def describe(self, origins: Collection[str] | None = None) -> str:
        """The run as a numbered script, one line per action or fault::

            12. alice/tab1 rename c7 -> "c7 r3"
            13. fault: provider killed mid POST /threads

        With ``origins``, the actions on other threads are left out (faults, and the
        actions on no thread, stay: they may be why something went wrong).
        """
        width = len(str(self.entries[-1].step)) if self.entries else 1
        lines = [
            f"{entry.step:>{width}}. {entry.describe()}"
            for entry in self.entries
            if origins is None
            or not isinstance(entry, Action)
            or entry.origin is None
            or entry.origin in origins
        ]
        return "\n".join(lines)

    def _check_unique(self, action: Action) -> None:
        if action.op not in THREAD_OPS:
            return
        if action.op == "create" and action.origin in self._owners:
            raise ValueError(f"step {action.step}: origin {action.origin} is created twice")
        if action.op in VALUE_OPS and (action.op, action.value or "") in self._values:
            raise ValueError(f"step {action.step}: {action.op} value {action.value!r} reused")


@dataclass(frozen=True)
class Final:
    """One user's side at the end, after the network healed and every client synced."""

    server: list[tuple[ServerThread, list[Message]]] = field(default_factory=list)
    """The server as this user reads it: its own listing, each thread with its messages."""
    stores: dict[str, list[LocalThread]] = field(default_factory=dict)
    """Each local store of this user (tabs of one client share one), by name: its threads.
    Several stores are several devices; none means the user is only checked server-side."""
    foreign: list[ServerThread] = field(default_factory=list)
    """Threads of other users this user's principal could read (``GET /threads/{id}``
    answered something other than 404): each is an anomaly."""


def _quote(text: str | None) -> str:
    return '"' + (text or "").replace("\\", "\\\\").replace('"', '\\"') + '"'
