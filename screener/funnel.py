"""Whether a program works: the funnel figures from people's replayed states. Pure.

Every figure is computed from the states ``pathway.replay`` builds, that is from
the recorded events and their dates; nothing is assumed. The definitions
(docs/program.md, "The funnel"):

* **reached** a stage: people who ever entered it (everyone is in the start stage
  from the beginning); **now**: people in it at present;
* **from previous**: reached this stage over reached the stage before it on the
  program's ``funnel`` line (stages the route skips left out; for all routes
  together, stages any route skips left out); **from start**: reached over people;
* **exits**: per event kind, people who ever left the stage by that event;
* **days in a stage**: from entering it to leaving it for another stage, per
  finished stay (stays still going, and the start stage's first stay, whose
  beginning no event records, are not counted); median and quartiles;
* **core program**: from the first entry into a core stage to the entry into a
  completed stage, for people who completed;
* **reasons for leaving**: for people now in a ``left`` stage, the note of the
  event that took them there, else its kind;
* **BCG**: people given coaching; of those, people who later passed the
  screening, and the plan modules they had before that pass;
* **certification rate**: people who reached a completed stage over people, and
  over people who entered the core program.

Quartiles use the inclusive method (linear interpolation between order
statistics, as numpy's and R's default).
"""

from __future__ import annotations

import statistics
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from screener.pathway import Employer, PersonState
from screener.program import Program

DAY = 86400.0


@dataclass(frozen=True)
class Spread:
    """The middle and spread of some values: median and first and third quartiles."""

    n: int
    median: float | None
    q1: float | None
    q3: float | None

    @property
    def iqr(self) -> float | None:
        return None if self.q1 is None or self.q3 is None else self.q3 - self.q1


def spread(values: Iterable[float]) -> Spread:
    data = sorted(values)
    if not data:
        return Spread(0, None, None, None)
    if len(data) == 1:
        return Spread(1, data[0], data[0], data[0])
    q1, median, q3 = statistics.quantiles(data, n=4, method="inclusive")
    return Spread(len(data), median, q1, q3)


@dataclass(frozen=True)
class StageFigures:
    stage: str
    name: str
    kind: str
    reached: int
    now: int
    from_previous: float | None  # None: not on the funnel line, or nobody reached the one before
    from_start: float | None
    exits: tuple[tuple[str, int], ...]  # (event kind, people), most first
    days: Spread


@dataclass(frozen=True)
class BcgFigures:
    coached: int  # people given a coaching plan at least once
    passed_after: int  # of them, people who passed a later screening
    modules: tuple[tuple[str, int], ...]  # module -> people who had it in a plan before passing
    modules_per_pass: Spread  # distinct modules per person before passing


@dataclass(frozen=True)
class RouteFigures:
    route: str | None  # None: every route together
    name: str
    people: int
    stages: tuple[StageFigures, ...]
    moves: tuple[tuple[str, int], ...]  # (event kind, people who made that move), file order
    entered_core: int
    completed: int
    left: int
    certification_rate: float | None  # completed / people
    core_completion_rate: float | None  # completed / entered_core
    core_days: Spread  # first core stage -> completed stage, for people who completed
    reasons: tuple[tuple[str, int], ...]  # why people left, most first
    bcg: BcgFigures

    def stage(self, stage_id: str) -> StageFigures:
        for figures in self.stages:
            if figures.stage == stage_id:
                return figures
        raise KeyError(stage_id)

    def move(self, kind: str) -> int:
        return dict(self.moves).get(kind, 0)


@dataclass(frozen=True)
class RegionSeats:
    region: str
    employers: int
    seats: int


@dataclass(frozen=True)
class Funnel:
    program: str
    title: str
    since: date | None
    people: int
    employers: int
    regions: tuple[RegionSeats, ...]
    total: RouteFigures
    routes: tuple[RouteFigures, ...]  # one per route of the program, in file order
    #: each route's median core-program days over the first route's (None when either is unknown)
    core_time_ratio: tuple[tuple[str, float | None], ...]

    def route(self, route_id: str) -> RouteFigures:
        for figures in self.routes:
            if figures.route == route_id:
                return figures
        raise KeyError(route_id)

    def ratio(self, route_id: str) -> float | None:
        return dict(self.core_time_ratio)[route_id]


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def _days(start: datetime, end: datetime) -> float:
    return (end - start).total_seconds() / DAY


def _entered(state: PersonState) -> set[str]:
    return {step.target for step in state.history}


def _stays(state: PersonState) -> list[tuple[str, float]]:
    """(stage, days) for every finished stay; moves within one stage continue the stay."""
    out: list[tuple[str, float]] = []
    steps = state.history
    k = 0
    while k < len(steps):
        stage, began = steps[k].target, steps[k].event.at
        j = k + 1
        while j < len(steps) and steps[j].target == stage:
            j += 1
        if j < len(steps):
            out.append((stage, _days(began, steps[j].event.at)))
        k = j
    return out


def _core_days(program: Program, state: PersonState) -> float | None:
    kinds = {s.id: s.kind for s in program.stages}
    began: datetime | None = None
    for step in state.history:
        if began is None and kinds[step.target] == "core":
            began = step.event.at
        if began is not None and kinds[step.target] == "completed":
            return _days(began, step.event.at)
    return None


def _bcg(program: Program, states: Sequence[PersonState]) -> BcgFigures:
    auto = program.automatic
    coached = passed = 0
    modules: Counter[str] = Counter()
    per_pass: list[float] = []
    for state in states:
        seen: set[str] = set()
        was_coached = False
        for step in state.history:
            if step.event.kind == auto.screening_coaching:
                was_coached = True
                seen.update(step.event.modules)
            elif step.event.kind == auto.screening_pass and was_coached:
                passed += 1
                modules.update(seen)
                per_pass.append(float(len(seen)))
                break
        coached += was_coached
    return BcgFigures(
        coached,
        passed,
        tuple(sorted(modules.items(), key=lambda kv: (-kv[1], kv[0]))),
        spread(per_pass),
    )


def _route_figures(
    program: Program, states: Sequence[PersonState], route: str | None
) -> RouteFigures:
    kinds = {s.id: s.kind for s in program.stages}
    stages = program.stages if route is None else program.route_stages(route)
    shown = {s.id for s in stages}
    people = len(states)
    entered = [_entered(s) for s in states]
    reached = {s.id: sum(1 for e in entered if s.id in e or s.id == program.start) for s in stages}
    if route is None:  # together: only the stages every route passes through
        skipped = {s for r in program.routes for s in r.skips}
        line = [s for s in program.funnel if s not in skipped]
    else:
        line = [s for s in program.funnel if s in shown]
    previous = {here: line[k - 1] for k, here in enumerate(line) if k > 0}
    stays: dict[str, list[float]] = {}
    exits: dict[str, Counter[str]] = {}
    for state in states:
        for stay_stage, days in _stays(state):
            stays.setdefault(stay_stage, []).append(days)
        left_by: set[tuple[str, str]] = set()
        for step in state.history:
            if step.source != step.target:
                left_by.add((step.source, step.event.kind))
        for source, kind in left_by:
            exits.setdefault(source, Counter())[kind] += 1
    figures = []
    for stage in stages:
        before = previous.get(stage.id)
        figures.append(
            StageFigures(
                stage=stage.id,
                name=stage.name,
                kind=stage.kind,
                reached=reached[stage.id],
                now=sum(1 for s in states if s.stage == stage.id),
                from_previous=_rate(reached[stage.id], reached[before])
                if before is not None
                else None,
                from_start=_rate(reached[stage.id], people),
                exits=tuple(
                    sorted(exits.get(stage.id, Counter()).items(), key=lambda kv: (-kv[1], kv[0]))
                ),
                days=spread(stays.get(stage.id, [])),
            )
        )
    made: Counter[str] = Counter()
    for state in states:
        made.update({step.event.kind for step in state.history})
    moves = tuple((kind, made[kind]) for kind in program.event_kinds())
    entered_core = sum(1 for e in entered if any(kinds[s] == "core" for s in e))
    completed = sum(1 for e in entered if any(kinds[s] == "completed" for s in e))
    left = [s for s in states if kinds[s.stage] == "left"]
    reasons: Counter[str] = Counter()
    for state in left:
        last = state.history[-1].event
        reasons[" ".join((last.note or last.kind).split())] += 1
    core = [d for d in (_core_days(program, s) for s in states) if d is not None]
    name = "All routes" if route is None else program.route(route).name
    return RouteFigures(
        route=route,
        name=name,
        people=people,
        stages=tuple(figures),
        moves=moves,
        entered_core=entered_core,
        completed=completed,
        left=len(left),
        certification_rate=_rate(completed, people),
        core_completion_rate=_rate(completed, entered_core),
        core_days=spread(core),
        reasons=tuple(sorted(reasons.items(), key=lambda kv: (-kv[1], kv[0]))),
        bcg=_bcg(program, states),
    )


def _first_day(state: PersonState) -> date | None:
    return state.history[0].event.at.date() if state.history else None


def funnel(
    program: Program,
    states: Iterable[PersonState],
    *,
    employers: Iterable[Employer] = (),
    since: date | None = None,
) -> Funnel:
    """The funnel of ``program`` over people's states.

    ``since``: only people whose first event is on or after that day (UTC date of
    the event's time); people with no events are then left out too.
    """
    if isinstance(since, datetime):
        since = since.date()
    chosen = [
        s
        for s in states
        if since is None or ((first := _first_day(s)) is not None and first >= since)
    ]
    employer_list = list(employers)
    regions: dict[str, list[Employer]] = {}
    for employer in employer_list:
        regions.setdefault(employer.region, []).append(employer)
    total = _route_figures(program, chosen, None)
    routes = tuple(
        _route_figures(program, [s for s in chosen if s.route == r.id], r.id)
        for r in program.routes
    )
    base = routes[0].core_days.median
    ratios = tuple(
        (
            r.route or "",
            r.core_days.median / base if base and r.core_days.median is not None else None,
        )
        for r in routes
    )
    return Funnel(
        program=program.id,
        title=program.title,
        since=since,
        people=len(chosen),
        employers=len(employer_list),
        regions=tuple(
            RegionSeats(region, len(found), sum(e.seats for e in found))
            for region, found in sorted(regions.items())
        ),
        total=total,
        routes=routes,
        core_time_ratio=ratios,
    )


def _spread_json(s: Spread) -> dict[str, Any]:
    return {"n": s.n, "median": s.median, "q1": s.q1, "q3": s.q3}


def _route_json(r: RouteFigures) -> dict[str, Any]:
    return {
        "route": r.route,
        "name": r.name,
        "people": r.people,
        "entered_core": r.entered_core,
        "completed": r.completed,
        "left": r.left,
        "certification_rate": r.certification_rate,
        "core_completion_rate": r.core_completion_rate,
        "core_days": _spread_json(r.core_days),
        "moves": dict(r.moves),
        "reasons": [{"reason": reason, "people": n} for reason, n in r.reasons],
        "bcg": {
            "coached": r.bcg.coached,
            "passed_after": r.bcg.passed_after,
            "modules": dict(r.bcg.modules),
            "modules_per_pass": _spread_json(r.bcg.modules_per_pass),
        },
        "stages": [
            {
                "stage": s.stage,
                "name": s.name,
                "kind": s.kind,
                "reached": s.reached,
                "now": s.now,
                "from_previous": s.from_previous,
                "from_start": s.from_start,
                "exits": dict(s.exits),
                "days": _spread_json(s.days),
            }
            for s in r.stages
        ],
    }


def funnel_json(f: Funnel) -> dict[str, Any]:
    """The funnel as JSON-ready data (the shape ``screener funnel --json`` prints)."""
    return {
        "program": f.program,
        "title": f.title,
        "since": f.since.isoformat() if f.since else None,
        "people": f.people,
        "employers": f.employers,
        "regions": [
            {"region": r.region, "employers": r.employers, "seats": r.seats} for r in f.regions
        ],
        "core_time_ratio": dict(f.core_time_ratio),
        "total": _route_json(f.total),
        "routes": [_route_json(r) for r in f.routes],
    }


__all__ = [
    "BcgFigures",
    "Funnel",
    "RegionSeats",
    "RouteFigures",
    "Spread",
    "StageFigures",
    "funnel",
    "funnel_json",
    "spread",
]
