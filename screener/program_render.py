"""The program commands' output: JSON shapes and rich tables for ``pathway``, ``record``,
``waiting`` and ``employer list``.

Kept apart from ``screener.render`` (the screening's screens) because it depends on
the program model only. Every text from people, the program file or the events
goes through ``printable`` and rich prints it as plain text (no markup).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from rich.console import Console, Group, RenderableType
from rich.table import Table
from rich.text import Text

from screener.pathway import Employer, Event, NextMove, PersonState, RegionWaiting, Step
from screener.program import Certification, Elearning, Program, ShopFloor, ShopSession
from screener.terminal import printable


def _day(at: datetime | None) -> str:
    return "-" if at is None else at.date().isoformat()


def _automatic(program: Program) -> frozenset[str]:
    return program.by_screening() | {program.automatic.waiting_offer}


def _step_automatic(program: Program, event: Event) -> bool:
    """Whether screener made this event: the screening kinds always; the waiting offer
    when its note says so (a coordinator may also record the offer by hand)."""
    if event.kind in program.by_screening():
        return True
    return event.kind == program.automatic.waiting_offer and (event.note or "").startswith(
        "offered automatically"
    )


def component_text(program: Program, stage_id: str) -> str | None:
    """A core or track stage's component in a few words, e.g. "11 modules, 40-50 hours
    over about 10 weeks"."""
    component_id = program.stage(stage_id).component
    if component_id is None:
        return None
    c = program.component(component_id)
    if isinstance(c, Elearning):
        hours = sum(m.hours for m in c.modules)
        return (
            f"{c.name}: {len(c.modules)} modules, {hours:g} hours "
            f"({c.hours.min:g}-{c.hours.max:g}) over about {c.weeks:g} weeks"
        )
    if isinstance(c, ShopSession):
        return f"{c.name}: {c.days} days in a training shop"
    if isinstance(c, ShopFloor):
        return f"{c.name}: {c.months.min:g}-{c.months.max:g} months with {c.trainer}"
    if isinstance(c, Certification):
        return f"{c.name}: {c.certificate}"
    return c.name  # pragma: no cover - every kind is above


# -- JSON ---------------------------------------------------------------------------------


def event_json(program: Program, step: Step) -> dict[str, Any]:
    e = step.event
    return {
        "at": e.at.isoformat(),
        "event": e.kind,
        "from": step.source,
        "from_name": program.stage(step.source).name,
        "to": step.target,
        "to_name": program.stage(step.target).name,
        "employer": e.employer,
        "region": e.region,
        "note": e.note,
        "modules": list(e.modules),
        "automatic": _step_automatic(program, e),
    }


def next_json(move: NextMove) -> dict[str, Any]:
    return {
        "event": move.event,
        "to": move.to,
        "to_name": move.to_name,
        "needs_employer": move.needs_employer,
        "automatic": move.automatic,
    }


def pathway_json(
    program: Program,
    state: PersonState,
    *,
    name: str | None,
    employers: Mapping[str, Employer],
    today: datetime,
) -> dict[str, Any]:
    """``screener pathway --json``: where the person is, how they got there, what may come."""
    stage = program.stage(state.stage)
    employer = employers.get(state.employer) if state.employer else None
    waiting = None
    if stage.kind == "waiting" and state.since is not None:
        days = (today - state.since).days
        waiting = {
            "days": days,
            "waiting_days": program.waiting_days,
            "offer_in_days": max(0, program.waiting_days + 1 - days),
        }
    return {
        "person": state.person,
        "name": name,
        "program": program.id,
        "route": {"id": state.route, "name": program.route(state.route).name},
        "stage": {
            "id": stage.id,
            "name": stage.name,
            "kind": stage.kind,
            "component": component_text(program, stage.id),
        },
        "since": state.since.isoformat() if state.since else None,
        "region": state.region,
        "employer": (
            {"id": employer.id, "name": employer.name, "region": employer.region}
            if employer
            else ({"id": state.employer, "name": None, "region": None} if state.employer else None)
        ),
        "ended": state.ended,
        "waiting": waiting,
        "history": [event_json(program, step) for step in state.history],
        "next": [next_json(m) for m in state.next_moves],
    }


def waiting_json(
    regions: Sequence[RegionWaiting], names: Mapping[str, str]
) -> list[dict[str, Any]]:
    """``screener waiting --json``: one object per region."""
    return [
        {
            "region": r.region,
            "employers": list(r.employers),
            "seats": r.seats,
            "taken": r.taken,
            "open": r.open_seats,
            "short": r.short,
            "waiting": [
                {
                    "person": w.person,
                    "name": names.get(w.person),
                    "stage": w.stage,
                    "since": w.since.isoformat(),
                    "days": w.days,
                    "offer_due": w.offer_due,
                }
                for w in r.waiting
            ],
        }
        for r in regions
    ]


def employer_json(e: Employer, taken: int) -> dict[str, Any]:
    return {
        "id": e.id,
        "name": e.name,
        "region": e.region,
        "seats": e.seats,
        "taken": taken,
        "open": max(0, e.seats - taken),
    }


# -- rich -----------------------------------------------------------------------------


def _next_command(person: str, move: NextMove) -> str:
    if move.automatic:
        return "(screener records it)"
    employer = " --employer EMPLOYER" if move.needs_employer else ""
    return f"screener record {printable(person)} {printable(move.event)}{employer}"


def pathway_view(
    program: Program,
    state: PersonState,
    *,
    name: str | None,
    employers: Mapping[str, Employer],
    today: datetime,
) -> RenderableType:
    """``screener pathway``: a summary, the route so far and what may come next."""
    data = pathway_json(program, state, name=name, employers=employers, today=today)
    who = printable(state.person) + (f" ({printable(name)})" if name else "")
    lines = [
        Text(f"{who}: {printable(program.title)}", style="bold"),
        Text(f"Route: {printable(data['route']['name'])}"),
        Text(f"Now: {printable(data['stage']['name'])} since {_day(state.since)}"),
    ]
    if data["stage"]["component"]:
        lines.append(Text(f"  {printable(data['stage']['component'])}"))
    if data["waiting"]:
        w = data["waiting"]
        lines.append(
            Text(
                f"Waiting for an employer for {w['days']} days; the e-learning track is "
                f"offered after {w['waiting_days']}"
            )
        )
    if state.region:
        lines.append(Text(f"Region: {printable(state.region)}"))
    if data["employer"]:
        e = data["employer"]
        shown = printable(e["name"]) + f" ({printable(e['id'])})" if e["name"] else e["id"]
        lines.append(Text(f"Employer: {shown}"))
    parts: list[RenderableType] = [*lines]
    if state.history:
        table = Table("date", "event", "from", "to", "employer", "note", title="Route so far")
        for step in state.history:
            e = step.event
            note = e.note or ("modules: " + ", ".join(e.modules) if e.modules else "")
            kind = e.kind + (" (auto)" if _step_automatic(program, e) else "")
            table.add_row(
                _day(e.at),
                printable(kind),
                printable(program.stage(step.source).name),
                printable(program.stage(step.target).name),
                printable(e.employer or ""),
                printable(note),
            )
        parts.append(table)
    else:
        parts.append(Text("No events yet: the screening is the first step."))
    if state.next_moves:
        nxt = Table("event", "moves them to", "how", title="What comes next")
        for move in state.next_moves:
            nxt.add_row(
                printable(move.event),
                printable(move.to_name),
                _next_command(state.person, move),
            )
        parts.append(nxt)
    else:
        parts.append(Text("The program has ended for them.", style="bold"))
    return Group(*parts)


def recorded_lines(program: Program, events: Iterable[tuple[Step, bool]]) -> list[str]:
    """One line per event stored: date, kind, from -> to; automatic ones marked."""
    out = []
    for step, automatic in events:
        e = step.event
        by = " (automatic)" if automatic else ""
        out.append(
            f"{_day(e.at)}  {printable(e.kind)}{by}: {printable(program.stage(step.source).name)}"
            f" -> {printable(program.stage(step.target).name)}"
        )
    return out


def waiting_view(regions: Sequence[RegionWaiting], names: Mapping[str, str]) -> RenderableType:
    """``screener waiting``: regions against open seats, then who waits where."""
    summary = Table(
        "region", "employers", "seats", "taken", "open", "waiting", "short", title="By region"
    )
    for r in regions:
        summary.add_row(
            printable(r.region or "(no region recorded)"),
            str(len(r.employers)),
            str(r.seats),
            str(r.taken),
            str(r.open_seats),
            str(len(r.waiting)),
            str(r.short),
        )
    people = Table("region", "person", "name", "since", "days", "offer", title="Who waits")
    for r in regions:
        for w in r.waiting:
            people.add_row(
                printable(r.region or "(none)"),
                printable(w.person),
                printable(names.get(w.person, "")),
                _day(w.since),
                str(w.days),
                "due" if w.offer_due else "",
            )
    if not any(r.waiting for r in regions):
        return Group(summary, Text("Nobody is waiting for an employer."))
    return Group(summary, people)


def employers_view(rows: Sequence[dict[str, Any]]) -> Table:
    table = Table("id", "name", "region", "seats", "taken", "open")
    for row in rows:
        table.add_row(
            printable(row["id"]),
            printable(row["name"]),
            printable(row["region"]),
            str(row["seats"]),
            str(row["taken"]),
            str(row["open"]),
        )
    return table


def print_all(con: Console, *things: RenderableType) -> None:
    for thing in things:
        con.print(thing)


__all__ = [
    "component_text",
    "employer_json",
    "employers_view",
    "event_json",
    "next_json",
    "pathway_json",
    "pathway_view",
    "print_all",
    "recorded_lines",
    "waiting_json",
    "waiting_view",
]
