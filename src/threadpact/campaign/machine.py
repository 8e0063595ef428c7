"""The campaign as a Hypothesis state machine: random operations under random faults.

Each example starts from a clean :class:`~threadpact.campaign.world.World` and runs
a random sequence of steps. A step is a user's action in one tab (create, send a
message, rename, delete, select, reload, sync, pull, online, time passing) or a
fault: the user's network goes offline or back; the next matching request's answer
is lost, the request is delivered twice, held back, or answered 5xx, 409 or 429 in
the server's place; a provider process is killed with SIGKILL while it handles the
next matching request, or restarted; the client process that sends the next
matching request is killed (before or after the request reaches the server), or a
tab is killed between two actions. Values are unique and name the action that made
them (a create's title is its origin tag ``c7``; renames ``c7 r3``; messages
``c7 m12``), so the checker can trace every server and local item to its action.

Every example ends with a heal (faults off, providers and clients up), each tab's
clock moved a day on, ``online``, ``sync`` and ``pull`` in every tab; then
:func:`threadpact.campaign.checker.check` compares the history with the final state
of the server and of every store. An anomaly fails the example, and Hypothesis
shrinks it to a minimal sequence of steps, which the failure prints as a script.
"""

import itertools
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from hypothesis import strategies as st
from hypothesis.stateful import (
    RuleBasedStateMachine,
    invariant,
    precondition,
    rule,
)

from threadpact.campaign.checker import Anomaly, check
from threadpact.campaign.history import Action, Fault, Final, History, Op, origin_of
from threadpact.campaign.kinds import FAULTS
from threadpact.campaign.world import Tab, User, World
from threadpact.client.errors import NotFound
from threadpact.conformance.driver import DriverBroken, DriverClient, DriverError
from threadpact.conformance.faults import MESSAGE_CREATE, THREAD, THREAD_CREATE, Sent
from threadpact.models import LocalThread

TARGETS: dict[str, tuple[str, re.Pattern[str]]] = {
    "create": ("POST", THREAD_CREATE),
    "message": ("POST", MESSAGE_CREATE),
    "rename": ("PATCH", THREAD),
    "delete": ("DELETE", THREAD),
    "list": ("GET", THREAD_CREATE),
}
"""The requests a fault can be aimed at."""
DELIVERED = {None, "delayed", "duplicate"}
FOCUSED = 3
"""A campaign injecting this many kinds of fault or fewer kills as often as it does anything."""
"""Record faults under which the client did get the server's answer."""


class CampaignAnomaly(AssertionError):
    """The checker found anomalies; the message lists them and the run as a script."""

    def __init__(self, anomalies: list[Anomaly], script: str) -> None:
        self.anomalies = anomalies
        self.script = script
        lines = "\n".join(f"- {a}" for a in anomalies)
        super().__init__(
            f"{len(anomalies)} anomal{'y' if len(anomalies) == 1 else 'ies'}:\n{lines}"
            f"\n\nthe run:\n{script}"
        )


@dataclass
class Tally:
    """What the campaign has run so far (all examples)."""

    operations: Counter[str] = field(default_factory=Counter)
    faults: Counter[str] = field(default_factory=Counter)
    examples: int = 0
    steps: int = 0
    """Steps run: user actions, faults, and picks that found no thread."""
    anomalies: list[CampaignAnomaly] = field(default_factory=list)


def campaign_machine(
    world: World, tally: Tally, faults: frozenset[str] = frozenset(FAULTS)
) -> type[RuleBasedStateMachine]:
    """A state machine class bound to ``world`` (its tabs and users) and ``tally``,
    injecting the ``faults`` named (all by default)."""

    def injects(kind: str) -> Callable[[Any], bool]:
        return lambda _machine: kind in faults

    tabs = world.tabs
    users = [u.name for u in world.users]
    tab_numbers = st.integers(0, len(tabs) - 1)
    user_names = st.sampled_from(users)
    aims = st.sampled_from(sorted(TARGETS))
    picks = st.integers(0, 1000)
    rarely = st.integers(0, 2) if len(faults) > FOCUSED else st.just(0)
    """A kill happens when this draws 0: kills cost a process start, so a third as often,
    unless the campaign injects only a few kinds of fault."""

    class Campaign(RuleBasedStateMachine):
        """One example of the campaign."""

        origins: ClassVar["itertools.count[int]"] = itertools.count(1)
        values: ClassVar["itertools.count[int]"] = itertools.count(1)

        def __init__(self) -> None:
            super().__init__()
            world.begin()
            self.history = History()
            self.keys: dict[str, tuple[str, str]] = {}
            """Idempotency-Key (temporary or message ID) -> (kind, origin or content)."""
            self.active: Tab | None = None
            self.last_tab: Tab | None = None
            self.first: dict[str, int] = {u.name: len(u.proxy.sent) for u in world.users}
            """Where this example's requests start in each user's record."""

        @invariant()
        def count_step(self) -> None:
            tally.steps += 1

        # -- running one action in a tab -------------------------------------------------

        def act(
            self,
            number: int,
            op: Op,
            call: Callable[[DriverClient], Any],
            origin: str | None = None,
            value: str | None = None,
        ) -> Any:
            tab = tabs[number]
            if not tab.alive:
                world.open(tab)
            assert tab.client is not None
            self.active = tab
            result, completed = None, True
            try:
                result = call(tab.client)
            except DriverBroken:
                completed = False  # killed mid-action: it may or may not have happened
                world.open(tab)
            except DriverError:
                completed = False  # the client refused (e.g. the thread was just deleted)
            finally:
                self.active = None
                self.last_tab = tab
            self.history.record(
                Action(len(self.history), tab.user, tab.number, op, origin, value, completed)
            )
            tally.operations[op] += 1
            return result

        def pick(self, number: int, choice: int) -> LocalThread | None:
            tab = tabs[number]
            if not tab.alive:
                world.open(tab)
            assert tab.client is not None
            try:
                threads = tab.client.threads()
            except (DriverBroken, DriverError):
                world.open(tab)
                return None
            return threads[choice % len(threads)] if threads else None

        def fault(self, user: str | None, kind: str, detail: str) -> None:
            self.history.record(Fault(len(self.history), user, kind, detail))

        # -- user actions ------------------------------------------------------------------

        @rule()
        def idle(self) -> None:
            """The user reads: nothing happens. Hypothesis orders a rule without
            arguments first, so a shrunk run pads with this, not with real actions."""

        @rule(number=tab_numbers)
        def create(self, number: int) -> None:
            origin = f"c{next(self.origins)}"
            temporary = self.act(
                number,
                "create",
                lambda c: c.create_thread(
                    title=origin, agent_id="campaign", model="m", provider="p"
                ),
                origin,
                origin,
            )
            if isinstance(temporary, str):
                self.keys[temporary] = ("create", origin)

        @rule(number=tab_numbers, choice=picks)
        def send(self, number: int, choice: int) -> None:
            thread = self.pick(number, choice)
            if thread is None:
                return
            origin = origin_of(thread.title)
            content = f"{origin} m{next(self.values)}"
            message = self.act(
                number,
                "send",
                lambda c: c.send_message(thread.id, role="user", content=content),
                origin,
                content,
            )
            if isinstance(message, str):
                self.keys[message] = ("send", content)

        @rule(number=tab_numbers, choice=picks)
        def rename(self, number: int, choice: int) -> None:
            thread = self.pick(number, choice)
            if thread is None:
                return
            origin = origin_of(thread.title)
            title = f"{origin} r{next(self.values)}"
            self.act(number, "rename", lambda c: c.rename_thread(thread.id, title), origin, title)

        @rule(number=tab_numbers, choice=picks)
        def delete(self, number: int, choice: int) -> None:
            thread = self.pick(number, choice)
            if thread is None:
                return
            origin = origin_of(thread.title)
            self.act(number, "delete", lambda c: c.delete_thread(thread.id), origin)

        @rule(number=tab_numbers, choice=picks)
        def select(self, number: int, choice: int) -> None:
            thread = self.pick(number, choice)
            if thread is None:
                return
            self.act(
                number, "select", lambda c: c.select_thread(thread.id), origin_of(thread.title)
            )

        @rule(number=tab_numbers)
        def reload(self, number: int) -> None:
            self.act(number, "reload", lambda c: c.driver.call("reload"))

        @rule(number=tab_numbers, once=st.booleans())
        def sync(self, number: int, once: bool) -> None:
            self.act(
                number,
                "sync_once" if once else "sync",
                lambda c: c.sync_once() if once else c.sync(),
            )

        @rule(number=tab_numbers)
        def pull(self, number: int) -> None:
            self.act(number, "pull", lambda c: c.pull())

        @rule(number=tab_numbers)
        def online(self, number: int) -> None:
            self.act(number, "online", lambda c: c.online())

        @rule(number=tab_numbers, seconds=st.sampled_from([1, 30, 600, 7200]))
        def time_passes(self, number: int, seconds: int) -> None:
            self.act(number, "advance", lambda c: c.advance(seconds), value=str(seconds))

        # -- faults --------------------------------------------------------------------------

        @rule(name=user_names, offline=st.booleans())
        @precondition(injects("offline"))
        def network(self, name: str, offline: bool) -> None:
            proxy = world.user(name).proxy
            if offline and not proxy.offline:
                tally.faults["offline"] += 1
            proxy.offline = offline
            self.fault(
                name,
                "offline" if offline else "online",
                "the network goes " + ("down" if offline else "up"),
            )

        @rule(name=user_names, aim=aims)
        @precondition(injects("lost"))
        def lose_answer(self, name: str, aim: str) -> None:
            world.user(name).proxy.lose_response(*TARGETS[aim])
            self.fault(name, "lost", f"the answer to the next {aim} is lost")

        @rule(name=user_names, aim=aims)
        @precondition(injects("duplicate"))
        def duplicate(self, name: str, aim: str) -> None:
            world.user(name).proxy.duplicate(*TARGETS[aim])
            self.fault(name, "duplicate", f"the next {aim} is delivered twice")

        @rule(name=user_names, aim=aims, seconds=st.sampled_from([0.02, 0.05, 0.15]))
        @precondition(injects("delay"))
        def delay(self, name: str, aim: str, seconds: float) -> None:
            world.user(name).proxy.delay(seconds, *TARGETS[aim])
            self.fault(name, "delayed", f"the next {aim} is held {seconds:g}s")

        @rule(name=user_names, aim=aims, status=st.sampled_from([500, 503, 409, 429]))
        @precondition(injects("answer"))
        def answer(self, name: str, aim: str, status: int) -> None:
            retry_after = 120.0 if status == 429 else None
            world.user(name).proxy.answer(status, *TARGETS[aim], retry_after=retry_after)
            self.fault(name, "answered", f"the next {aim} is answered {status}")

        @rule(name=user_names, aim=aims, process=st.integers(0, 7), chance=rarely)
        @precondition(injects("kill-provider"))
        def kill_provider(self, name: str, aim: str, process: int, chance: int) -> None:
            if not world.pool.killable or chance:
                return
            index = process % len(world.pool.base_urls)
            world.user(name).proxy.kill_during(
                *TARGETS[aim], action=lambda: world.pool.kill(index), upstream=index
            )
            self.fault(None, "provider-killed", f"provider {index} is killed mid {aim} of {name}")

        @rule()
        @precondition(injects("kill-provider"))
        def restart_providers(self) -> None:
            restarted = world.pool.restart_dead() if world.pool.killable else []
            for index in restarted:
                self.fault(None, "provider-restarted", f"provider {index} is restarted")

        @rule(name=user_names, aim=aims, forward=st.booleans(), chance=rarely)
        @precondition(injects("kill-sender"))
        def kill_sender(self, name: str, aim: str, forward: bool, chance: int) -> None:
            if chance:
                return

            def kill_active() -> None:
                if self.active is not None:
                    self.active.kill()

            world.user(name).proxy.kill_sender(*TARGETS[aim], action=kill_active, forward=forward)
            where = "after it reached the server" if forward else "before it reached the server"
            self.fault(name, "sender-killed", f"the tab sending the next {aim} is killed {where}")

        @rule(number=tab_numbers, chance=rarely, last=st.booleans())
        @precondition(injects("kill-tab"))
        def kill_tab(self, number: int, chance: int, last: bool) -> None:
            """Kill a tab between two actions: the one named, or (``last``) the tab that
            acted last, whose own work is the likeliest to be unsaved or in flight."""
            if chance:
                return
            tab = self.last_tab if last and self.last_tab is not None else tabs[number]
            tab.kill()
            tally.faults["tab-killed"] += 1
            self.fault(tab.user, "tab-killed", f"{tab.name} is killed between two actions")

        # -- the end of every example ----------------------------------------------------------

        def teardown(self) -> None:
            tally.examples += 1
            world.heal_network()
            for tab in tabs:
                if not tab.alive:
                    world.open(tab)
            for tab in tabs:
                self.finish(tab, settle)
            for tab in tabs:
                self.finish(tab, catch_up)
            self.count_fired_faults()
            anomalies = check(self.history, self.finals(), self.acknowledged())
            if anomalies:
                failure = CampaignAnomaly(anomalies, self.history.describe())
                tally.anomalies.append(failure)
                raise failure

        def finish(self, tab: Tab, call: Callable[[DriverClient], Any]) -> None:
            assert tab.client is not None
            try:
                call(tab.client)
            except (DriverBroken, DriverError) as exc:
                self.fault(tab.user, "final-sync-failed", f"{tab.name}: {exc}")

        def acknowledged(self) -> dict[str, set[str]]:
            """Per user: the creates (origins) and messages (contents) the client got a 201 for."""
            seen: dict[str, set[str]] = {}
            for user in world.users:
                mine = seen.setdefault(user.name, set())
                for sent in self.requests(user):
                    if sent.status == 201 and sent.fault in DELIVERED and sent.key in self.keys:
                        mine.add(self.keys[sent.key][1])
            return seen

        def requests(self, user: User) -> list[Sent]:
            """The requests of this example through ``user``'s network."""
            return user.proxy.sent[self.first[user.name] :]

        def count_fired_faults(self) -> None:
            """The one-shot faults that took effect (an outage counts once, when it starts)."""
            for user in world.users:
                fired = Counter(
                    s.fault for s in self.requests(user) if s.fault not in (None, "offline")
                )
                tally.faults.update(fired)

        def finals(self) -> dict[str, Final]:
            finals: dict[str, Final] = {}
            listed: dict[str, list[str]] = {}
            for user in world.users:
                with world.observer(user) as observer:
                    server = [
                        (t, list(observer.iter_messages(t.id))) for t in observer.iter_threads()
                    ]
                listed[user.name] = [str(t.id) for t, _ in server]
                stores = {tab.name: self.local(tab) for tab in user.tabs}
                finals[user.name] = Final(server=server, stores=stores, foreign=[])
            for user in world.users:
                others = [i for name, ids in listed.items() if name != user.name for i in ids]
                finals[user.name].foreign.extend(self.foreign(user, others))
            return finals

        def local(self, tab: Tab) -> list[LocalThread]:
            assert tab.client is not None
            try:
                return tab.client.threads()
            except (DriverBroken, DriverError):
                return []

        def foreign(self, user: User, thread_ids: list[str]) -> list[Any]:
            seen = []
            with world.observer(user) as observer:
                for thread_id in thread_ids:
                    try:
                        seen.append(observer.get_thread(thread_id).thread)
                    except NotFound:
                        continue
            return seen

    return Campaign


def settle(client: DriverClient) -> None:
    """After the heal: any Retry-After long past, back online, everything sent."""
    client.advance(86_400)
    client.online()
    client.sync()


def catch_up(client: DriverClient) -> None:
    """Then every tab learns what the others sent."""
    client.pull()
    client.sync()
