"""Running a program over the results store: automatic events, recording, importing.

``screener.pathway`` is the state machine and ``auto_events`` its one rule for
what screener records by itself; this module feeds it what the store knows
and stores what comes out:

* ``catch_up`` (pure) walks one person's screening data forward in time: each
  gate screening submitted after their last event, and the moment every module
  of their latest coaching plan was completed, become the program's automatic
  events, stamped with the time they happened (the attempt's submission, the
  last module's completion). The waiting offer is made at the time given as
  ``until`` (the moment a command looks), never at a guessed earlier time.
* ``sync`` stores those events for some people or everyone, in one write under
  the store's lock, so two commands never record the same automatic event twice
  (``take``/``batch``/``coach`` call it for their people; ``pathway``,
  ``waiting`` and ``funnel`` for everyone, which also makes the waiting offers).
* ``record`` checks one event typed in by a coordinator (``check_move`` with
  ``by_hand``) after bringing the person up to its time, and stores it with any
  automatic events before and after it, together or not at all.
* ``import_events`` does the same for a whole file, every row checked; the file
  is stored whole or not at all (a person's events are a chain: storing some
  rows would leave people at stages the file does not say).

Everything raises ``ScreenerError`` subclasses with one-line messages; nothing
prints.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from contextlib import nullcontext
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from screener.errors import ContentError, NotFoundError, PathwayError, RecordError, UsageError
from screener.pathway import (
    EVENT_FIELDS,
    Employer,
    Event,
    PersonState,
    apply,
    auto_events,
    check_move,
    replay,
    start,
)
from screener.program import Program
from screener.terminal import printable

if TYPE_CHECKING:
    from screener.importing import RowError
    from screener.store.interface import ResultsStore

#: The columns an events file may have: the event fields and the person's name.
IMPORT_COLUMNS = (*EVENT_FIELDS, "name")


def now_utc() -> datetime:
    """The current time in UTC, to the second (as the store stamps attempts)."""
    return datetime.now(UTC).replace(microsecond=0)


def parse_when(text: str, *, now: datetime) -> datetime:
    """A ``--date`` value: ISO 8601 text; a date alone is midnight UTC, except today's
    date, which means now; a time without a zone is UTC. Not after ``now``."""
    value = text.strip()
    try:
        at = datetime.fromisoformat(value)
    except ValueError:
        raise UsageError(
            f"--date: cannot read {printable(value)!r} (write 2024-03-01 or 2024-03-01T09:30)"
        ) from None
    if at.utcoffset() is None:
        at = at.replace(tzinfo=UTC)
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value) and at.date() == now.date():
        return now
    if at > now:
        raise UsageError(f"--date: {value} is in the future")
    return at


# -- one person's data, and the automatic events it gives ------------------------------


@dataclass(frozen=True)
class Screening:
    """One submitted attempt at a program's gate assessment."""

    at: datetime
    outcome: str
    modules: tuple[str, ...]  # the plan's required modules, in plan order


@dataclass
class PersonData:
    """What the store knows about a person besides their events."""

    screenings: list[Screening] = field(default_factory=list)  # by time
    completed: dict[str, datetime] = field(default_factory=dict)  # module -> completed


@dataclass(frozen=True)
class Entry:
    """How a person comes into the program, given by ``take``/``batch``: the route
    (``nominated`` with ``--nominated-by``), the employer who nominated them and their
    region. Put on the first event screener records for them."""

    route: str | None = None
    employer: str | None = None
    region: str | None = None


def to_datetime(text: str) -> datetime:
    """A store stamp (``2024-05-01T10:20:00Z``) or ISO 8601 text as an aware datetime."""
    at = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return at if at.utcoffset() is not None else at.replace(tzinfo=UTC)


def _can(program: Program, state: PersonState, kind: str) -> bool:
    return any(m.event == kind for m in program.moves_from(state.stage, state.route))


def _plan_done_at(program: Program, state: PersonState, data: PersonData) -> datetime | None:
    """When every module of the person's latest coaching plan was completed (never before
    they entered their stage), if it was and the plan-done move is open to them."""
    auto = program.automatic
    if state.since is None or not _can(program, state, auto.plan_done):
        return None
    plan = next(
        (
            s.event.modules
            for s in reversed(state.history)
            if s.event.kind == auto.screening_coaching
        ),
        None,
    )
    if plan is None or any(m not in data.completed for m in plan):
        return None
    return max([state.since, *(data.completed[m] for m in plan)])


def catch_up(
    program: Program,
    state: PersonState,
    data: PersonData,
    *,
    until: datetime,
    offer: bool = True,
    entry: Entry | None = None,
    employers: Mapping[str, Employer] | None = None,
) -> tuple[PersonState, list[Event]]:
    """The automatic events the person's data gives up to ``until``, applied in time order.

    Gate screenings submitted after the person's last event (each at its
    submission time) and the completion of their latest coaching plan (at the last
    module's completion) go through ``auto_events``; with ``offer``, the waiting
    offer is made at ``until`` when they have waited more than ``waiting_days``.
    ``entry`` is put on the first event recorded for someone without events, and
    its region and employer on the first one recorded now for anyone.
    """
    if entry is not None and entry.route is not None and state.route != entry.route:
        if state.history:
            raise PathwayError(
                f"{printable(state.person)} entered the program on route '{state.route}'; "
                f"they cannot be put on route '{printable(entry.route)}'"
            )
        state = start(program, state.person, entry.route)
    since = state.since
    auto = program.automatic
    # a screening turned into an event gave it its submission time: those are done (the
    # first ones of that second: two screenings may share one, as may the plan-done event)
    turned = Counter(
        step.event.at
        for step in state.history
        if step.event.kind in (auto.screening_pass, auto.screening_coaching)
    )
    pending: list[Screening] = []
    for screening in data.screenings:
        if turned[screening.at] > 0:
            turned[screening.at] -= 1
        elif (since is None or screening.at >= since) and screening.at <= until:
            pending.append(screening)
    out: list[Event] = []

    def take_in(events: list[Event]) -> None:
        nonlocal state
        for event in events:
            if not out and entry is not None:
                event = replace(
                    event,
                    employer=entry.employer or event.employer,
                    region=entry.region or event.region,
                )
            state = apply(program, state, event, employers=employers)
            out.append(event)

    while True:
        done_at = _plan_done_at(program, state, data)
        if done_at is not None and done_at > until:
            done_at = None
        following = pending[0] if pending else None
        if done_at is not None and (following is None or done_at <= following.at):
            take_in(auto_events(program, state, at=done_at, plan_done=True))
            continue
        if following is None:
            break
        pending.pop(0)
        if following.outcome in ("pass", "coaching"):
            take_in(
                auto_events(
                    program,
                    state,
                    at=following.at,
                    screening="pass" if following.outcome == "pass" else "coaching",
                    modules=following.modules,
                )
            )
    if offer:
        take_in(auto_events(program, state, at=until))
    return state, out


# -- reading the store ------------------------------------------------------------------


@dataclass
class Known:
    """What one transaction read: events and data by person, employers, candidates."""

    events: dict[str, list[Event]]
    data: dict[str, PersonData]
    employers: dict[str, Employer]
    names: dict[str, str]  # candidate id -> name

    def state(self, program: Program, person: str) -> PersonState:
        return replay(program, self.events.get(person, []), person=person)


def gather(store: ResultsStore, program: Program, people: Iterable[str] | None = None) -> Known:
    """Events, gate screenings and completed modules of ``people`` (everyone: None)."""
    wanted = None if people is None else set(people)
    one = next(iter(wanted)) if wanted is not None and len(wanted) == 1 else None
    events: dict[str, list[Event]] = {}
    for event in store.events(one):
        if wanted is None or event.person in wanted:
            events.setdefault(event.person, []).append(event)
    data: dict[str, PersonData] = {}
    for record in store.iter_attempts(candidate=one, assessment=program.gate):
        cid = record.candidate_id
        if wanted is not None and cid not in wanted:
            continue
        if record.submitted is None or record.outcome is None:
            continue
        modules = tuple(e.module for e in record.plan if e.required)
        data.setdefault(cid, PersonData()).screenings.append(
            Screening(to_datetime(record.submitted), record.outcome, modules)
        )
    for person in data.values():
        person.screenings.sort(key=lambda s: s.at)
    for progress in store.progress(one):
        cid = progress.candidate_id
        if progress.completed is None or (wanted is not None and cid not in wanted):
            continue
        data.setdefault(cid, PersonData()).completed[progress.module] = to_datetime(
            progress.completed
        )
    if one is not None:
        try:
            names = {one: store.get_candidate(one).name}
        except NotFoundError:
            names = {}
    else:
        names = {c.id: c.name for c in store.candidates() if wanted is None or c.id in wanted}
    return Known(events, data, {e.id: e for e in store.employers()}, names)


# -- storing automatic events -----------------------------------------------------------


def sync(
    store: ResultsStore,
    program: Program,
    people: Sequence[str] | None = None,
    *,
    now: datetime,
    entry: Entry | None = None,
) -> tuple[dict[str, PersonState], list[Event]]:
    """Store the automatic events due for ``people`` (everyone: None) up to ``now``, in
    one write; returns every such person's state and the events stored.

    Everyone means the people with events or gate screenings: a candidate who never
    took the gate screening and has no events is not in the program yet.
    """
    with store.transaction():
        known = gather(store, program, people)
        if (
            entry is not None
            and entry.employer is not None
            and entry.employer not in known.employers
        ):
            raise NotFoundError(
                f"no employer {printable(entry.employer)!r} (see: screener employer list)"
            )
        everyone = (
            list(dict.fromkeys([*known.events, *known.data]))
            if people is None
            else list(dict.fromkeys(people))
        )
        states: dict[str, PersonState] = {}
        new: list[Event] = []
        for person in everyone:
            state = known.state(program, person)
            data = known.data.get(person, PersonData())
            state, events = catch_up(
                program, state, data, until=now, entry=entry, employers=known.employers
            )
            states[person] = state
            new += events
        store.add_events(new)
    return states, new


# -- recording one event by hand --------------------------------------------------------


@dataclass(frozen=True)
class Recorded:
    """What ``record`` stored: automatic events before the event, the event, after it."""

    before: tuple[Event, ...]
    event: Event
    after: tuple[Event, ...]
    source: str  # the stage the event moved the person from
    state: PersonState


def _moved_first(before: Sequence[Event]) -> str:
    if not before:
        return ""
    shown = ", ".join(f"'{e.kind}' on {e.at.date().isoformat()}" for e in before)
    return f" (screener recorded {shown} first, from their screening data)"


def record(store: ResultsStore, program: Program, event: Event, *, now: datetime) -> Recorded:
    """Check ``event`` (typed in by a coordinator) and store it, with the automatic
    events due before and after it, in one write; ``PathwayError`` in one line if the
    program does not allow it."""
    with store.transaction():
        known = gather(store, program, [event.person])
        if event.person not in known.names:
            raise NotFoundError(f"no candidate {printable(event.person)!r}")
        data = known.data.get(event.person, PersonData())
        state = known.state(program, event.person)
        state, before = catch_up(
            program, state, data, until=event.at, offer=False, employers=known.employers
        )
        try:
            check_move(program, state, event, by_hand=True, employers=known.employers)
        except PathwayError as exc:
            raise PathwayError(f"{exc}{_moved_first(before)}") from None
        source = state.stage
        state = apply(program, state, event, employers=known.employers)
        state, after = catch_up(program, state, data, until=now, employers=known.employers)
        store.add_events([*before, event, *after])
    return Recorded(tuple(before), event, tuple(after), source, state)


# -- importing a file of events ---------------------------------------------------------


@dataclass
class Imported:
    """What ``import_events`` found and did."""

    file: str
    rows: int = 0
    stored: int = 0  # events of the file stored (0 when any row was refused, or a dry run)
    automatic: int = 0  # automatic events stored with them
    already: int = 0  # rows identical to a stored event: skipped, so a re-import adds nothing
    people: int = 0
    added: list[str] = field(default_factory=list)  # candidates registered from the name column
    errors: list[RowError] = field(default_factory=list)
    dry_run: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "rows": self.rows,
            "stored": self.stored,
            "automatic": self.automatic,
            "already": self.already,
            "people": self.people,
            "added": len(self.added),
            "refused": len({e.row for e in self.errors}),
            "dry_run": self.dry_run,
            "errors": [
                {"row": e.row, "column": e.column, "value": e.value, "message": e.message}
                for e in self.errors
            ],
        }


@dataclass(frozen=True)
class _Row:
    row: int
    event: Event
    name: str | None


def read_event_rows(path: Path) -> tuple[Any, list[_Row], list[RowError]]:
    """The rows of an events file (CSV/TSV, XLSX, JSON, JSON Lines: the batch readers,
    with ``person`` as the id column) as events, and the rows that are not events."""
    from screener.importing import RowError, cell_text, read_table

    table = read_table(path, id_column="person", name_column="name")
    unknown = [h for h in table.headers if h not in IMPORT_COLUMNS]
    if unknown:
        raise ContentError(
            [
                f"{path}: unknown column {printable(unknown[0])!r} "
                f"(an events file has: {', '.join(IMPORT_COLUMNS)})"
            ]
        )
    if "kind" not in table.columns or "at" not in table.columns:
        raise ContentError([f"{path}: an events file needs the columns person, kind and at"])
    # one person has many events: the batch readers' one-row-per-candidate rule is not ours
    errors = [e for e in table.errors if not e.message.startswith("duplicate candidate id")]
    bad = {e.row for e in errors}
    rows: list[_Row] = []
    for i, number in enumerate(table.rows.tolist()):
        if number in bad:
            continue
        cells = {key: cell_text(table.cell(i, key)) for key in table.columns}
        try:
            event = Event.from_dict({"person": table.ids[i], **cells})
        except PathwayError as exc:
            column = "at" if "time" in str(exc) else ""
            errors.append(
                RowError(number, column, cells.get(column, "") if column else "", str(exc))
            )
            continue
        rows.append(_Row(number, event, table.names[i]))
    return table, rows, errors


def import_events(
    store: ResultsStore,
    program: Program,
    path: Path,
    *,
    now: datetime,
    dry_run: bool = False,
) -> tuple[Imported, Any]:
    """Check every row of an events file and store them all, or nothing when any row is
    refused; returns what happened and the table read (for an errors file).

    A row's person is a stored candidate, or is registered with the row's ``name``.
    ``passed``, ``coaching`` and ``plan_done`` (the program's automatic kinds) are
    accepted for people whose gate screenings are not in screener (a history from
    before it), refused for the others: their data makes those events. A row equal to
    a stored event is skipped. Each person's rows are checked in time order after
    their stored events, with the automatic events their data gives in between.
    """
    from screener.importing import RowError
    from screener.store.records import check_candidate_id, clean_name

    table, rows, errors = read_event_rows(path)
    result = Imported(file=str(path), rows=len(table), dry_run=dry_run)
    people = list(dict.fromkeys(r.event.person for r in rows))
    result.people = len(people)
    with store.transaction() if not dry_run else nullcontext():
        known = gather(store, program, people)
        # people not stored yet: registered with the name their rows give (the first)
        new_people: dict[str, str] = {}
        for row in rows:
            person = row.event.person
            if person in known.names or row.name is None or person in new_people:
                continue
            try:
                check_candidate_id(person)
                new_people[person] = clean_name(row.name)
            except RecordError as exc:
                errors.append(RowError(row.row, "name", row.name, str(exc)))
        by_person: dict[str, list[_Row]] = {}
        stored_keys = {_key(e) for person in people for e in known.events.get(person, [])}
        for row in rows:
            person = row.event.person
            stored_name = known.names.get(person, new_people.get(person))
            if stored_name is None:
                errors.append(
                    RowError(
                        row.row,
                        "person",
                        person,
                        "no candidate with this id: give their name in a name column to "
                        "register them",
                    )
                )
                continue
            if row.name is not None and " ".join(row.name.split()).casefold() != (
                stored_name.casefold()
            ):
                errors.append(
                    RowError(
                        row.row,
                        "name",
                        row.name,
                        f"{person} is {stored_name!r} (stored or in an earlier row)",
                    )
                )
                continue
            if row.event.at > now:
                errors.append(
                    RowError(row.row, "at", row.event.at.isoformat(), "the time is in the future")
                )
                continue
            if _key(row.event) in stored_keys:
                result.already += 1
                continue
            by_person.setdefault(person, []).append(row)
        new_events: list[Event] = []
        for person, mine in by_person.items():
            data = known.data.get(person, PersonData())
            by_hand = bool(data.screenings)  # their screening data makes those events
            if known.events.get(person):
                state = known.state(program, person)
            else:  # the route is the first event's, as ``replay`` reads it
                ordered = sorted(mine, key=lambda r: r.event.at)
                route = next((r.event.route for r in ordered if r.event.route), None)
                try:
                    state = start(program, person, route)
                except PathwayError as exc:
                    errors.append(RowError(ordered[0].row, "route", route or "", str(exc)))
                    continue
            for row in sorted(mine, key=lambda r: r.event.at):  # stable: file order at one time
                try:
                    state, before = catch_up(
                        program,
                        state,
                        data,
                        until=row.event.at,
                        offer=False,
                        employers=known.employers,
                    )
                    check_move(
                        program, state, row.event, by_hand=by_hand, employers=known.employers
                    )
                except PathwayError as exc:
                    errors.append(RowError(row.row, "kind", row.event.kind, str(exc)))
                    continue
                state = apply(program, state, row.event, employers=known.employers)
                new_events += [*before, row.event]
                result.automatic += len(before)
                result.stored += 1
            state, after = catch_up(program, state, data, until=now, employers=known.employers)
            new_events += after
            result.automatic += len(after)
        result.errors = sorted(errors, key=lambda e: (e.row, e.column))
        if result.errors:
            result.stored = result.automatic = 0
        if result.errors or dry_run:
            return result, table
        for person, name in new_people.items():
            store.add_candidate(name, candidate_id=person)
        result.added = list(new_people)
        store.add_events(new_events)
    return result, table


def _key(event: Event) -> tuple[Any, ...]:
    data = event.as_dict()
    data["modules"] = tuple(data["modules"])
    return tuple(data[k] for k in EVENT_FIELDS)


# -- employers --------------------------------------------------------------------------


def employer_id_for(name: str, taken: Iterable[str]) -> str:
    """A short id from an employer's name (``Apex Mold & Die`` -> ``apex-mold-die``),
    with ``-2``, ``-3`` ... when taken."""
    base = re.sub(r"[^a-z0-9]+", "-", name.casefold()).strip("-")[:40].strip("-") or "employer"
    used = set(taken)
    chosen, n = base, 1
    while chosen in used:
        n += 1
        chosen = f"{base}-{n}"
    return chosen


EMPLOYER_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]{0,63}")


def check_employer_fields(
    *,
    employer_id: str | None = None,
    name: str | None = None,
    region: str | None = None,
    seats: int | None = None,
) -> None:
    """Refuse an employer id, name, region or seat count the program commands cannot use."""
    if employer_id is not None and not EMPLOYER_ID.fullmatch(employer_id):
        raise UsageError(
            f"--id: {printable(employer_id)!r} is not an id (letters, digits, _ . -; "
            "at most 64; starting with a letter or digit)"
        )
    for option, text in (("NAME", name), ("--region", region)):
        if text is not None and (not text.strip() or not text.isprintable() or len(text) > 200):
            raise UsageError(f"{option}: give printable text of 1 to 200 characters")
    if seats is not None and seats < 0:
        raise UsageError("--seats: a number of places, 0 or more")


def add_employer(
    store: ResultsStore,
    name: str,
    region: str,
    *,
    seats: int = 0,
    employer_id: str | None = None,
) -> Employer:
    """Register an employer (id from the name unless given)."""
    check_employer_fields(employer_id=employer_id, name=name, region=region, seats=seats)
    with store.transaction():
        taken = [e.id for e in store.employers()]
        chosen = employer_id if employer_id is not None else employer_id_for(name, taken)
        return store.add_employer(Employer(chosen, " ".join(name.split()), region.strip(), seats))


__all__ = [
    "IMPORT_COLUMNS",
    "Entry",
    "Imported",
    "Known",
    "PersonData",
    "Recorded",
    "Screening",
    "add_employer",
    "catch_up",
    "check_employer_fields",
    "employer_id_for",
    "gather",
    "import_events",
    "now_utc",
    "parse_when",
    "read_event_rows",
    "record",
    "sync",
]
