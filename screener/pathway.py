"""A person's way through a program, as a state machine over plain event records. Pure.

Everything that happens to a person after they register is an ``Event``: a
kind (a move of the program file, such as ``hired``), a time, and what the
move needs (an employer, a note). ``replay`` sorts a person's events by time
and applies them one by one from the program's start stage, checking each
with ``check_move``; the result is a ``PersonState``: where the person is,
on which route, since when, the history of moves and what may come next.

``auto_events`` is the one place that turns screening outcomes, finished
coaching plans and the passing of time into events, so the store only ever
records events and the rules live here. ``waiting_list`` puts the people
waiting for an employer next to the seats employers still have, by region.

No store, no clock: callers pass the events and the time.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Literal

from screener.errors import NotFoundError, PathwayError
from screener.program import TERMINAL_KINDS, Move, Program
from screener.terminal import printable

ScreeningOutcome = Literal["pass", "coaching", "incomplete"]
EVENT_FIELDS = ("person", "kind", "at", "employer", "region", "note", "route", "modules")


def _t(text: object) -> str:
    """User text inside a one-line message."""
    return printable(str(text))


@dataclass(frozen=True)
class Event:
    """One thing that happened to a person: a move of the program.

    ``at`` must carry a time zone. ``route`` is read from a person's first
    event (later ones may repeat it, not change it); ``modules`` lists the
    coaching plan's modules on a screening-coaching event.
    """

    person: str
    kind: str
    at: datetime
    employer: str | None = None
    region: str | None = None
    note: str | None = None
    route: str | None = None
    modules: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if not self.person or not self.kind:
            raise PathwayError("an event needs a person and a kind")
        if not isinstance(self.at, datetime) or self.at.utcoffset() is None:
            raise PathwayError(
                f"event '{_t(self.kind)}' for {_t(self.person)}: the time {_t(self.at)} "
                "needs a time zone"
            )
        if not isinstance(self.modules, tuple):
            object.__setattr__(self, "modules", tuple(self.modules))

    def as_dict(self) -> dict[str, Any]:
        """The event as JSON-ready data (``at`` in ISO 8601); ``from_dict`` reads it back."""
        return {
            "person": self.person,
            "kind": self.kind,
            "at": self.at.isoformat(),
            "employer": self.employer,
            "region": self.region,
            "note": self.note,
            "route": self.route,
            "modules": list(self.modules),
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Event:
        """An event from stored data or an import row.

        ``at`` may be a datetime or ISO 8601 text; a date alone is midnight UTC
        and a time without a zone is UTC. Empty text is no value. ``modules`` may be
        a list or text separated by ``;``, ``,`` or spaces. Unknown fields are refused.
        """
        unknown = sorted(str(k) for k in data if k not in EVENT_FIELDS)
        if unknown:
            raise PathwayError(f"unknown event field '{_t(unknown[0])}'")

        def text(name: str) -> str | None:
            value = data.get(name)
            if value is None:
                return None
            if not isinstance(value, str):
                raise PathwayError(f"event field '{name}': expected text, got {_t(value)!r}")
            value = value.strip()
            return value or None

        person, kind = text("person"), text("kind")
        if person is None or kind is None:
            raise PathwayError("an event needs a person and a kind")
        raw_at = data.get("at")
        if isinstance(raw_at, datetime):
            at = raw_at
        elif isinstance(raw_at, str) and raw_at.strip():
            try:
                at = datetime.fromisoformat(raw_at.strip())
            except ValueError:
                raise PathwayError(
                    f"event '{_t(kind)}' for {_t(person)}: cannot read the time {_t(raw_at)!r} "
                    "(write 2024-03-01 or 2024-03-01T09:30+00:00)"
                ) from None
        else:
            raise PathwayError(f"event '{_t(kind)}' for {_t(person)} has no time")
        if at.utcoffset() is None:
            at = at.replace(tzinfo=UTC)
        raw_modules = data.get("modules")
        if raw_modules is None:
            modules: tuple[str, ...] = ()
        elif isinstance(raw_modules, str):
            modules = tuple(m for m in re.split(r"[;,\s]+", raw_modules) if m)
        elif isinstance(raw_modules, list | tuple) and all(isinstance(m, str) for m in raw_modules):
            modules = tuple(raw_modules)
        else:
            raise PathwayError("event field 'modules': expected a list of module ids")
        return cls(
            person=person,
            kind=kind,
            at=at,
            employer=text("employer"),
            region=text("region"),
            note=text("note"),
            route=text("route"),
            modules=modules,
        )


@dataclass(frozen=True)
class Employer:
    """A participating employer and how many people it will hire through the program."""

    id: str
    name: str
    region: str
    seats: int = 0


@dataclass(frozen=True)
class Step:
    """One applied event: from which stage to which."""

    event: Event
    source: str
    target: str


@dataclass(frozen=True)
class NextMove:
    """A move open to the person now."""

    event: str
    to: str
    to_name: str
    needs_employer: bool
    automatic: bool  # made by screener from screening, coaching or the waiting rule


@dataclass(frozen=True)
class PersonState:
    """Where a person is in a program, how they got there and what may come next."""

    person: str
    route: str
    stage: str
    since: datetime | None  # when they entered ``stage``; None while they have no events
    region: str | None  # the latest region an event named
    employer: str | None  # the latest employer an event named (nominator, interviewer, hirer)
    history: tuple[Step, ...]
    next_moves: tuple[NextMove, ...]

    @property
    def ended(self) -> bool:
        """Whether the program has ended for this person (a completed or left stage)."""
        return not self.next_moves


def _next_moves(program: Program, stage_id: str, route: str) -> tuple[NextMove, ...]:
    automatic = program.by_screening() | {program.automatic.waiting_offer}
    return tuple(
        NextMove(m.event, m.to, program.stage(m.to).name, m.needs_employer, m.event in automatic)
        for m in program.moves_from(stage_id, route)
    )


def _route(program: Program, route: str | None) -> str:
    if route is None:
        return program.default_route
    try:
        return program.route(route).id
    except NotFoundError as exc:
        raise PathwayError(str(exc)) from None


def start(program: Program, person: str, route: str | None = None) -> PersonState:
    """A person who has just registered: at the start stage, no history."""
    chosen = _route(program, route)
    return PersonState(
        person,
        chosen,
        program.start,
        None,
        None,
        None,
        (),
        _next_moves(program, program.start, chosen),
    )


def check_move(
    program: Program,
    state: PersonState,
    event: Event,
    *,
    by_hand: bool = False,
    employers: Mapping[str, Employer] | None = None,
) -> Move:
    """The program's move for ``event`` from ``state``, or ``PathwayError`` in one line.

    ``by_hand``: the event is typed in by a coordinator, so kinds that only the
    screening and coaching data may produce are refused. ``employers``: when
    given, an employer the event names must be one of them.
    """
    who = _t(state.person)
    kind = _t(event.kind)
    if event.person != state.person:
        raise PathwayError(f"an event of {_t(event.person)} cannot move {who}")
    if event.route is not None and event.route != state.route:
        raise PathwayError(
            f"{who} is on route '{_t(state.route)}'; '{kind}' cannot put them on "
            f"route '{_t(event.route)}'"
        )
    known = program.event_kinds()
    if event.kind not in known:
        raise PathwayError(
            f"'{kind}' is not an event of program {program.id} (events: {', '.join(known)})"
        )
    if by_hand and event.kind in program.by_screening():
        raise PathwayError(
            f"'{kind}' is recorded by screener from {who}'s screening and coaching, not by hand"
        )
    if state.history and event.at < state.history[-1].event.at:
        last = state.history[-1].event
        raise PathwayError(
            f"'{kind}' for {who} at {event.at.isoformat()} is before their last event "
            f"('{_t(last.kind)}' at {last.at.isoformat()})"
        )
    stage = program.stage(state.stage)
    moves = program.moves_from(stage.id, state.route)
    chosen = next((m for m in moves if m.event == event.kind), None)
    if chosen is None:
        if stage.kind in TERMINAL_KINDS:
            raise PathwayError(
                f"cannot record '{kind}' for {who}: they are at '{stage.name}', "
                "where the program ends"
            )
        others = [
            r.id
            for r in program.routes
            if r.id != state.route
            and any(m.event == event.kind for m in program.moves_from(stage.id, r.id))
        ]
        only = f" (only on route {', '.join(others)})" if others else ""
        allowed = ", ".join(m.event for m in moves)
        raise PathwayError(
            f"cannot record '{kind}' for {who} at '{stage.name}' on route "
            f"'{state.route}'{only}; allowed here: {allowed}"
        )
    if chosen.needs_employer and event.employer is None:
        raise PathwayError(f"'{kind}' for {who} needs an employer")
    if employers is not None and event.employer is not None and event.employer not in employers:
        raise PathwayError(f"'{kind}' for {who}: no employer '{_t(event.employer)}'")
    return chosen


def apply(
    program: Program,
    state: PersonState,
    event: Event,
    *,
    employers: Mapping[str, Employer] | None = None,
) -> PersonState:
    """The state after ``event`` (checked by ``check_move``)."""
    move = check_move(program, state, event, employers=employers)
    return PersonState(
        person=state.person,
        route=state.route,
        stage=move.to,
        since=event.at,
        region=event.region if event.region is not None else state.region,
        employer=event.employer if event.employer is not None else state.employer,
        history=(*state.history, Step(event, state.stage, move.to)),
        next_moves=_next_moves(program, move.to, state.route),
    )


def sort_events(events: Iterable[Event]) -> list[Event]:
    """Events by time; events at the same time keep the order they were given in."""
    return sorted(events, key=lambda e: e.at)


def replay(
    program: Program,
    events: Iterable[Event],
    *,
    person: str | None = None,
    route: str | None = None,
    employers: Mapping[str, Employer] | None = None,
) -> PersonState:
    """One person's state from their events, in any order (sorted by time, stably).

    The route is the first event's, else ``route``, else the program's first; a
    ``route`` that disagrees with the events is an error. ``person`` is needed
    only when there are no events.
    """
    ordered = sort_events(events)
    people = sorted({e.person for e in ordered})
    if len(people) > 1:
        shown = ", ".join(_t(p) for p in people[:5])
        raise PathwayError(f"cannot replay the events of several people together ({shown})")
    if person is None:
        if not ordered:
            raise PathwayError("replay: no events and no person")
        person = ordered[0].person
    elif ordered and ordered[0].person != person:
        raise PathwayError(f"the events are {_t(ordered[0].person)}'s, not {_t(person)}'s")
    entered = next((e.route for e in ordered if e.route is not None), None)
    if entered is not None and route is not None and entered != route:
        raise PathwayError(f"{_t(person)} entered on route '{_t(entered)}', not '{_t(route)}'")
    state = start(program, person, entered or route)
    for event in ordered:
        state = apply(program, state, event, employers=employers)
    return state


def replay_all(
    program: Program,
    events: Iterable[Event],
    *,
    routes: Mapping[str, str] | None = None,
    employers: Mapping[str, Employer] | None = None,
) -> dict[str, PersonState]:
    """Every person's state, by person in order of first appearance."""
    by_person: dict[str, list[Event]] = {}
    for event in events:
        by_person.setdefault(event.person, []).append(event)
    return {
        person: replay(
            program,
            mine,
            person=person,
            route=(routes or {}).get(person),
            employers=employers,
        )
        for person, mine in by_person.items()
    }


def waiting_since(program: Program, state: PersonState) -> datetime | None:
    """When a person began waiting for an employer, or None if they are not waiting.

    The clock starts when they entered their current waiting stage, so an
    interview without a hire (back to waiting) starts it again."""
    if state.since is None or program.stage(state.stage).kind != "waiting":
        return None
    return state.since


def auto_events(
    program: Program,
    state: PersonState,
    *,
    at: datetime,
    screening: ScreeningOutcome | None = None,
    modules: Sequence[str] = (),
    plan_done: bool = False,
) -> list[Event]:
    """The events screener records by itself at time ``at``, in order.

    * a gate screening with outcome ``pass`` → the program's screening-pass event
      (new candidates wait for an interview; nominated employees enter the core
      program); ``coaching`` → the coaching event carrying the plan's ``modules``
      (those the route leaves out dropped); ``incomplete`` → nothing;
    * ``plan_done`` (every module of the plan completed) → the plan-done event
      (retake due);
    * someone who has waited for an employer more than ``waiting_days`` days at
      ``at`` → the waiting offer (the e-learning track), with a note saying so.

    A trigger the person's stage has no move for gives no event. Returned events
    are not stored: recording them is the caller's, and once recorded the same
    trigger gives nothing again (the person has moved on).
    """
    out: list[Event] = []
    auto = program.automatic

    def add(kind: str, **extra: Any) -> None:
        nonlocal state
        if not any(m.event == kind for m in program.moves_from(state.stage, state.route)):
            return
        event = Event(state.person, kind, at, route=state.route, **extra)
        state = apply(program, state, event)
        out.append(event)

    if screening == "pass":
        add(auto.screening_pass)
    elif screening == "coaching":
        add(auto.screening_coaching, modules=tuple(program.plan_modules(state.route, modules)))
    if plan_done:
        add(auto.plan_done)
    since = waiting_since(program, state)
    if since is not None and at - since > timedelta(days=program.waiting_days):
        where = f"in {state.region}" if state.region else "(no region recorded)"
        add(
            auto.waiting_offer,
            note=(
                f"offered automatically: waited {(at - since).days} days for an employer "
                f"{where}, more than the program's {program.waiting_days}"
            ),
        )
    return out


# -- the waiting list ----------------------------------------------------------------


@dataclass(frozen=True)
class Waiting:
    """Someone waiting for an employer."""

    person: str
    stage: str
    since: datetime
    days: int  # whole days waited at ``today``
    offer_due: bool  # waited more than waiting_days: auto_events makes the offer


@dataclass(frozen=True)
class RegionWaiting:
    """One region: who waits for an employer there, and the seats its employers have left."""

    region: str | None  # None: people whose region is not recorded
    waiting: tuple[Waiting, ...]  # longest wait first
    employers: tuple[str, ...]  # employer ids in the region
    seats: int
    taken: int

    @property
    def open_seats(self) -> int:
        return max(0, self.seats - self.taken)

    @property
    def short(self) -> int:
        """People waiting beyond the open seats (0 when every one of them has a seat)."""
        return max(0, len(self.waiting) - self.open_seats)


def seats_taken(program: Program, states: Iterable[PersonState]) -> dict[str, int]:
    """Seats taken per employer id: people whose latest seat-taking move (a hire) named
    the employer and who have not left the program."""
    taken: dict[str, int] = {}
    for state in states:
        if program.stage(state.stage).kind == "left":
            continue
        employer = None
        for step in state.history:
            move = _move_of(program, step, state.route)
            if move is not None and move.takes_seat:
                employer = step.event.employer
        if employer is not None:
            taken[employer] = taken.get(employer, 0) + 1
    return taken


def _move_of(program: Program, step: Step, route: str) -> Move | None:
    return next(
        (m for m in program.moves_from(step.source, route) if m.event == step.event.kind), None
    )


def waiting_list(
    program: Program,
    states: Iterable[PersonState],
    employers: Iterable[Employer],
    *,
    today: datetime,
) -> list[RegionWaiting]:
    """By region (sorted; unrecorded last): people waiting for an employer against the
    seats its employers have not filled. Regions with employers but nobody waiting
    are listed too."""
    states = list(states)
    employers = list(employers)
    taken = seats_taken(program, states)
    waiting: dict[str | None, list[Waiting]] = {}
    for state in states:
        since = waiting_since(program, state)
        if since is None:
            continue
        elapsed = today - since
        waiting.setdefault(state.region, []).append(
            Waiting(
                state.person,
                state.stage,
                since,
                elapsed.days,
                elapsed > timedelta(days=program.waiting_days),
            )
        )
    regions: set[str | None] = set(waiting) | {e.region for e in employers}
    out: list[RegionWaiting] = []
    for region in sorted(regions, key=lambda r: (r is None, (r or "").casefold(), r or "")):
        here = [e for e in employers if e.region == region]
        people = sorted(waiting.get(region, []), key=lambda w: (w.since, w.person))
        out.append(
            RegionWaiting(
                region,
                tuple(people),
                tuple(e.id for e in here),
                sum(e.seats for e in here),
                sum(taken.get(e.id, 0) for e in here),
            )
        )
    return out


__all__ = [
    "Employer",
    "Event",
    "NextMove",
    "PersonState",
    "RegionWaiting",
    "ScreeningOutcome",
    "Step",
    "Waiting",
    "apply",
    "auto_events",
    "check_move",
    "replay",
    "replay_all",
    "seats_taken",
    "sort_events",
    "start",
    "waiting_list",
    "waiting_since",
]
