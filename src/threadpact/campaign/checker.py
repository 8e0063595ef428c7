"""The campaign's verdict: which anomalies a history and the final states prove.

:func:`check` runs once the network healed and every client is online, synced and
pulled, so every action a user completed must show on the server and in every local
store of that user. It compares the :class:`~threadpact.campaign.history.History`
(who did what, what the server acknowledged) with each user's
:class:`~threadpact.campaign.history.Final` and returns one :class:`Anomaly` per
problem, sorted by user, then origin tag (``c2`` before ``c10``), then kind in the
order lost, duplicated, orphaned, stale, wrong-owner.

What each thread must be
------------------------
Each create makes one origin tag, the first word of every title and message content
of its thread, and the create's user owns it. Threads and messages are found by that
tag. By the actions of its owner U, a thread is:

- **deleted** if a delete of it by U completed (a delete is final);
- **expected** otherwise, if its create completed or the server acknowledged it: a
  201 to the create, or to a message create in it (``acknowledged``);
- **optional** otherwise (its create, or a delete of it, was cut short): it may
  exist or not, but at most once, and if it exists it must be whole and coherent.

Its expected title is the title of U's last completed rename of it (its create's
title if none); the title of any rename cut short after that one is also accepted.
Its expected messages are those of U's completed sends to it, plus the acknowledged
contents; a send cut short may have happened or not, at most once.

A user's places are the server ("the server": the user's own listing), each store
("store <name>") and, for leaks, the ``GET /threads/{id}`` that answered. A local
thread is *matched* when its ID is the ID of one of the user's server threads. When
one problem shows in several places, it is one anomaly naming all of them.

The rules, per user U
---------------------
**wrong-owner** (origin: the tag that is not U's):

- a thread of another user in U's listing or in a store of U, and any thread in
  U's ``foreign`` (readable by U by ID, though not U's); nothing else is checked of it;
- in a thread of U, a message of another user's thread or a message another user
  sent, and a server title another user's rename gave.

**orphaned**:

- a thread in U's listing or stores whose origin no create made;
- a server thread of U no store shows, while the thread is optional (an expected
  one that no store shows is *lost* from each store instead);
- a local thread, synced, that matches no server thread of U: its server twin is
  gone or never existed, or it was never swapped to it. Unless the thread is
  expected and missing from the server: that is reported *lost*, once;
- a message nobody sent, or a message of another thread of U (it is also *lost*
  from its own thread if its send completed);
- local message IDs that are not the server's (all else about the messages agreeing).

**lost**:

- an expected thread missing from the server or from a store;
- an optional thread on the server and in one store but missing from another (not
  pulled);
- an expected message missing from its thread, on the server or in a store's
  matched copy. A missing thread's messages are not reported again.

**duplicated**: two or more server threads of U with one origin (the thread is then
checked through the copy a store shows, the others are part of this anomaly); two
or more local threads with one origin in one store; one message content more than
once in a thread, on the server or in a store.

**stale**:

- a deleted thread still on the server or in a store (nothing else is checked of it);
- a local thread not synced after the final sync: unmatched and not ``synced``
  (never reached the server, or never swapped to its server thread), or matched but
  the thread or one of its messages not ``synced``; its messages are then not
  compared with the server's (the difference is the cause, not another problem);
- a server title other than the expected title;
- a store title other than the server's title of the same thread;
- a store's messages for a thread that differ from the server's (contents, in
  order), when no message of that thread was reported on either side already.

Limits: two devices (stores) of one user that rename a thread before either synced
are decided by the server (on a 412 the server wins), so the last completed rename
may lose: sync a device before another renames the same thread. A user with no
store is checked on the server side only.
"""

import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, get_args

from threadpact.campaign.history import Action, Final, History, origin_of
from threadpact.models import LocalThread, Message, ServerThread

AnomalyKind = Literal["lost", "duplicated", "orphaned", "stale", "wrong-owner"]
KINDS: tuple[AnomalyKind, ...] = get_args(AnomalyKind)

SERVER = "the server"
PLACES = "{places}"
Status = Literal["expected", "optional", "deleted"]


@dataclass(frozen=True)
class Anomaly:
    """One problem the final states prove, about one origin tag of one user's side."""

    kind: AnomalyKind
    user: str
    """The user on whose side (listing, stores, foreign probes) it was found."""
    origin: str
    """The origin tag it is about: the thread's, or for a message its content's."""
    detail: str

    def __str__(self) -> str:
        return f"{self.kind} ({self.user}, {self.origin}): {self.detail}"


def check(
    history: History,
    finals: Mapping[str, Final],
    acknowledged: Mapping[str, set[str]] | None = None,
) -> list[Anomaly]:
    """Every anomaly, sorted by user, origin tag and kind.

    ``finals``: each user's side after the final sync; every user of the history
    needs one. ``acknowledged``: per user, the origin tags of creates and the message
    contents the server answered 201 to (to that user's client), whether or not the
    client lived to complete the action.
    """
    missing = [user for user in history.users() if user not in finals]
    if missing:
        raise ValueError(f"no final state for {', '.join(missing)}")
    acks = acknowledged or {}
    owners = history.owners()
    made = {
        a.value: a for a in history.actions if a.op in {"send", "rename"} and a.value is not None
    }
    found: list[Anomaly] = []
    for user in sorted(finals):
        side = _Side(user, history, finals[user], owners, made, acks.get(user, set()))
        found.extend(side.check())
    return sorted(found, key=lambda a: (a.user, _natural(a.origin), KINDS.index(a.kind)))


def report(history: History, anomalies: Sequence[Anomaly]) -> str:
    """The anomalies, then the actions and faults on their threads, as a script."""
    if not anomalies:
        return "no anomaly"
    lines = [f"{len(anomalies)} anomal{'y' if len(anomalies) == 1 else 'ies'}:"]
    lines += [f"  {anomaly}" for anomaly in anomalies]
    lines += ["", "history (the actions on those threads, and every fault):"]
    lines.append(history.describe({a.origin for a in anomalies}))
    return "\n".join(lines)


@dataclass(frozen=True)
class _Intent:
    """What one of the user's threads must be, by the history."""

    origin: str
    status: Status
    why: str
    titles: frozenset[str]
    title: str
    title_why: str
    messages: dict[str, str]
    """Expected message contents, with why each is expected."""


class _Findings:
    """Anomalies of one user, grouped: one per (kind, origin, text), listing its places."""

    def __init__(self, user: str) -> None:
        self.user = user
        self._groups: dict[tuple[AnomalyKind, str, str], list[str]] = {}

    def add(self, kind: AnomalyKind, origin: str, text: str, place: str = "") -> None:
        places = self._groups.setdefault((kind, origin, text), [])
        if place and place not in places:
            places.append(place)

    def anomalies(self) -> list[Anomaly]:
        return [
            Anomaly(kind, self.user, origin, text.replace(PLACES, _join(places)))
            for (kind, origin, text), places in self._groups.items()
        ]


class _Side:
    """The check of one user's side."""

    def __init__(
        self,
        user: str,
        history: History,
        final: Final,
        owners: Mapping[str, str],
        made: Mapping[str, Action],
        acknowledged: set[str],
    ) -> None:
        self.user = user
        self.final = final
        self.owners = owners
        self.made = made
        """Every message content and new title, with the action that made it."""
        self.found = _Findings(user)
        self.actions: dict[str, list[Action]] = defaultdict(list)
        for action in history.actions:
            if action.user == user and action.origin and owners.get(action.origin) == user:
                self.actions[action.origin].append(action)
        self.acked_messages = {a for a in acknowledged if " " in a}
        self.acked_threads = {origin_of(a) for a in acknowledged}
        self.server_by_id = {str(t.id): (t, ms) for t, ms in final.server}
        self.server_by_origin: dict[str, list[tuple[ServerThread, list[Message]]]] = defaultdict(
            list
        )
        for thread, messages in final.server:
            self.server_by_origin[origin_of(thread.title)].append((thread, messages))
        self.stores = sorted(final.stores)
        self.local: dict[str, dict[str, list[LocalThread]]] = {}
        for name in self.stores:
            by_origin: dict[str, list[LocalThread]] = defaultdict(list)
            for local in final.stores[name]:
                by_origin[origin_of(local.title)].append(local)
            self.local[name] = by_origin

    def check(self) -> list[Anomaly]:
        for thread in self.final.foreign:
            origin = origin_of(thread.title)
            self.found.add("wrong-owner", origin, self._leak(origin), f"GET /threads/{thread.id}")
        origins = set(self.actions) | set(self.server_by_origin)
        for by_origin in self.local.values():
            origins |= set(by_origin)
        for origin in sorted(origins, key=_natural):
            if self.owners.get(origin) != self.user:
                self._not_mine(origin)
                continue
            intent = self._intent(origin)
            if intent.status == "deleted":
                self._deleted(intent)
            else:
                self._thread(intent)
        return self.found.anomalies()

    # What the history says

    def _intent(self, origin: str) -> _Intent:
        actions = self.actions[origin]
        create = next(a for a in actions if a.op == "create")
        deletes = [a for a in actions if a.op == "delete"]
        deleted = next((a for a in deletes if a.completed), None)
        status: Status
        if deleted is not None:
            status, why = "deleted", f"deleted at step {deleted.step}"
        elif deletes:
            status, why = "optional", f"its delete at step {deletes[0].step} was cut short"
        elif create.completed:
            status, why = "expected", f"created at step {create.step}"
        elif origin in self.acked_threads:
            status = "expected"
            why = f"its create at step {create.step} was cut short after the server's 201"
        else:
            status, why = "optional", f"its create at step {create.step} was cut short"
        renames = [a for a in actions if a.op == "rename"]
        done = [a for a in renames if a.completed]
        last = done[-1] if done else create
        title = last.value or origin
        later = [a.value or "" for a in renames if not a.completed and a.step > last.step]
        titles = frozenset([title, *later])
        title_why = f"{'renamed' if last.op == 'rename' else 'created'} at step {last.step}"
        if later:
            title_why += ", or a rename cut short after it"
        messages = {
            a.value: f"sent at step {a.step}"
            for a in actions
            if a.op == "send" and a.completed and a.value is not None
        }
        for content in sorted(self.acked_messages):
            if origin_of(content) == origin:
                messages.setdefault(content, "acknowledged by a 201")
        return _Intent(origin, status, why, titles, title, title_why, messages)

    # The rules

    def _leak(self, origin: str) -> str:
        owner = self.owners.get(origin)
        whose = f"{owner}'s thread {origin}" if owner else f"thread {origin} (no create made it)"
        return f"{whose} is visible to {self.user}: {PLACES}"

    def _places(self, origin: str) -> list[str]:
        places = [SERVER] if origin in self.server_by_origin else []
        return places + [f"store {name}" for name in self.stores if self.local[name].get(origin)]

    def _not_mine(self, origin: str) -> None:
        if self.owners.get(origin) is None:
            text = f"thread {origin} was made by no create of any user, yet is on {PLACES}"
            for place in self._places(origin):
                self.found.add("orphaned", origin, text, place)
            return
        for place in self._places(origin):
            self.found.add("wrong-owner", origin, self._leak(origin), place)

    def _deleted(self, intent: _Intent) -> None:
        text = f"thread {intent.origin} was {intent.why}, yet is still on {PLACES}"
        for place in self._places(intent.origin):
            self.found.add("stale", intent.origin, text, place)

    def _thread(self, intent: _Intent) -> None:
        origin = intent.origin
        expected = intent.status == "expected"
        on_server = self.server_by_origin.get(origin, [])
        copies = {name: self.local[name].get(origin, []) for name in self.stores}
        missing = f"thread {origin} ({intent.why}) is missing from {PLACES}"
        if len(on_server) > 1:
            ids = ", ".join(str(t.id) for t, _ in on_server)
            self.found.add(
                "duplicated",
                origin,
                f"thread {origin} is on the server {len(on_server)} times: {ids}",
            )
        elif not on_server and expected:
            self.found.add("lost", origin, missing, SERVER)
        shown = {local.id for locals_ in copies.values() for local in locals_}
        primary = next((s for s in on_server if str(s[0].id) in shown), None)
        if primary is None and on_server:
            primary = on_server[0]
        server_bad = False
        if primary is not None:
            self._server_title(intent, primary[0])
            server_bad = self._messages(intent, SERVER, [m.content for m in primary[1]])
        for name, locals_ in copies.items():
            place = f"store {name}"
            if not locals_:
                if expected:
                    self.found.add("lost", origin, missing, place)
                elif on_server and shown:
                    self.found.add(
                        "lost",
                        origin,
                        f"thread {origin} ({intent.why}) is on the server and in another "
                        f"store, but missing from {PLACES}",
                        place,
                    )
                continue
            if len(locals_) > 1:
                self.found.add(
                    "duplicated",
                    origin,
                    f"thread {origin} is shown more than once in {PLACES}",
                    f"{place} ({len(locals_)} times)",
                )
            local = next((t for t in locals_ if t.id in self.server_by_id), None)
            if local is not None:
                twin = self.server_by_id[local.id]
                is_primary = primary is not None and twin[0].id == primary[0].id
                self._copy(intent, place, local, twin, is_primary and not server_bad)
            elif on_server or not expected:
                self._unmatched(intent, place, locals_[0], on_server)
        if on_server and not shown and self.stores and not expected:
            thread = (primary or on_server[0])[0]
            self.found.add(
                "orphaned",
                origin,
                f"server thread {origin} ({thread.id}) is shown by no store ({intent.why})",
            )

    def _server_title(self, intent: _Intent, thread: ServerThread) -> None:
        rename = self.made.get(thread.title)
        if rename is not None and rename.user != self.user:
            self.found.add(
                "wrong-owner",
                intent.origin,
                f"thread {intent.origin} has the title {_q(thread.title)}, given by "
                f"{rename.user} at step {rename.step}",
            )
        elif thread.title not in intent.titles:
            self.found.add(
                "stale",
                intent.origin,
                f"the server's title of thread {intent.origin} is {_q(thread.title)}, not "
                f"{_q(intent.title)} ({intent.title_why})",
            )

    def _unmatched(
        self,
        intent: _Intent,
        place: str,
        local: LocalThread,
        on_server: list[tuple[ServerThread, list[Message]]],
    ) -> None:
        origin = intent.origin
        server = f"its server thread {on_server[0][0].id}" if on_server else None
        if local.syncStatus != "synced":
            text = (
                f"thread {origin} was never swapped to {server}: {PLACES}"
                if server
                else f"thread {origin} never reached the server: {PLACES}"
            )
            self.found.add("stale", origin, text, f"{place} ({local.id}, {_status(local)})")
            return
        twin = f"not {server}" if server else "the server has no such thread"
        self.found.add(
            "orphaned",
            origin,
            f"thread {origin} is held as {local.id}, synced, but {twin}: {PLACES}",
            place,
        )

    def _copy(
        self,
        intent: _Intent,
        place: str,
        local: LocalThread,
        twin: tuple[ServerThread, list[Message]],
        compare: bool,
    ) -> None:
        origin = intent.origin
        thread, messages = twin
        if local.title != thread.title:
            self.found.add(
                "stale",
                origin,
                f"thread {origin} is titled {_q(local.title)} on {PLACES}, "
                f"{_q(thread.title)} on the server",
                place,
            )
        contents = [m.content for m in local.messages]
        bad = self._messages(intent, place, contents)
        unsynced = [m for m in local.messages if m.syncStatus != "synced"]
        if local.syncStatus != "synced" or unsynced:
            what = [f"thread {_status(local)}"] if local.syncStatus != "synced" else []
            what += [f"{_q(m.content)} {m.syncStatus}" for m in unsynced]
            self.found.add(
                "stale",
                origin,
                f"thread {origin} is not synced after the final sync: {PLACES}",
                f"{place} ({'; '.join(what)})",
            )
            return
        if not compare or bad:
            return
        theirs = [m.content for m in messages]
        if contents != theirs:
            self.found.add(
                "stale",
                origin,
                f"the messages of thread {origin} are {_list(theirs)} on the server, "
                f"but differ on {PLACES}",
                f"{place}: {_list(contents)}",
            )
            return
        kept = [
            f"{_q(m.content)} is {m.id}, not {server.id}"
            for m, server in zip(local.messages, messages, strict=True)
            if m.id != str(server.id)
        ]
        if kept:
            self.found.add(
                "orphaned",
                origin,
                f"thread {origin} keeps local IDs for its messages on {PLACES}",
                f"{place} ({'; '.join(kept)})",
            )

    def _messages(self, intent: _Intent, place: str, contents: Iterable[str]) -> bool:
        """Reports the messages of one copy of a thread; whether any was wrong."""
        origin = intent.origin
        counts = Counter(contents)
        bad = False
        for content, count in counts.items():
            tag = origin_of(content)
            owner = self.owners.get(tag)
            message = f"message {_q(content)}"
            if owner is not None and owner != self.user:
                text = f"{message} of {owner}'s thread {tag} is in thread {origin} on {PLACES}"
                self.found.add("wrong-owner", tag, text, place)
            elif content not in self.made or self.made[content].op != "send":
                text = f"{message} in thread {origin} was never sent: {PLACES}"
                self.found.add("orphaned", origin, text, place)
            elif self.made[content].user != self.user:
                sender = self.made[content]
                text = (
                    f"{message}, sent by {sender.user} at step {sender.step}, is in "
                    f"thread {origin} on {PLACES}"
                )
                self.found.add("wrong-owner", tag, text, place)
            elif tag != origin:
                text = f"{message} of thread {tag} is filed under thread {origin} on {PLACES}"
                self.found.add("orphaned", tag, text, place)
            elif count > 1:
                text = f"{message} is in thread {origin} more than once: {PLACES}"
                self.found.add("duplicated", origin, text, f"{place} ({count} times)")
            else:
                continue
            bad = True
        for content, why in intent.messages.items():
            if content not in counts:
                text = f"message {_q(content)} ({why}) is missing from thread {origin} on {PLACES}"
                self.found.add("lost", origin, text, place)
                bad = True
        return bad


def _status(local: LocalThread) -> str:
    return f"{local.syncStatus}: {local.syncError}" if local.syncError else local.syncStatus


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _list(contents: Sequence[str]) -> str:
    return "[" + ", ".join(_q(c) for c in contents) + "]"


def _join(places: Sequence[str]) -> str:
    if len(places) <= 1:
        return "".join(places)
    return ", ".join(places[:-1]) + " and " + places[-1]


def _natural(text: str) -> tuple[tuple[int, int, str], ...]:
    """Sort key putting ``c2`` before ``c10``."""
    return tuple(
        (0, int(part), "") if part.isdigit() else (1, 0, part) for part in re.split(r"(\d+)", text)
    )
