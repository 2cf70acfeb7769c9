"""The program's state machine: replay, refused moves, automatic events, the waiting list."""

from __future__ import annotations

import random
from collections import deque
from datetime import UTC, datetime, timedelta

import pytest
from helpers import ROOT
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.errors import PathwayError
from screener.pathway import (
    Employer,
    Event,
    PersonState,
    apply,
    auto_events,
    check_move,
    replay,
    replay_all,
    seats_taken,
    start,
    waiting_list,
)
from screener.program import Program, check_program_text

T0 = datetime(2024, 1, 8, 9, 0, tzinfo=UTC)
BUNDLED_FILE = ROOT / "programs" / "wblc-mold-maintenance.yaml"


def _program() -> Program:
    checked = check_program_text(BUNDLED_FILE.read_text(), str(BUNDLED_FILE))
    assert checked.model is not None and not checked.problems, checked.problems
    return checked.model


PROGRAM = _program()
EMPLOYERS = {
    "e1": Employer("e1", "Apex Molds", "GTA", 2),
    "e2": Employer("e2", "Grand River", "Kitchener-Waterloo", 1),
}


def day(n: float) -> datetime:
    return T0 + timedelta(days=n)


def ev(kind: str, n: float, person: str = "p1", **extra: object) -> Event:
    return Event(person, kind, day(n), **extra)  # type: ignore[arg-type]


def path_to(program: Program, route: str, target: str) -> list[str]:
    """The shortest list of event kinds taking a person on ``route`` to ``target``."""
    todo: deque[tuple[str, list[str]]] = deque([(program.start, [])])
    seen = {program.start}
    while todo:
        here, kinds = todo.popleft()
        if here == target:
            return kinds
        for move in program.moves_from(here, route):
            if move.to not in seen:
                seen.add(move.to)
                todo.append((move.to, [*kinds, move.event]))
    raise AssertionError(f"{target} unreachable on {route}")


def walk(program: Program, route: str, kinds: list[str], person: str = "p1") -> list[Event]:
    """Events for ``kinds`` one day apart, with an employer where the move needs one."""
    state = start(program, person, route)
    events = []
    for n, kind in enumerate(kinds):
        move = next(m for m in program.moves_from(state.stage, state.route) if m.event == kind)
        event = Event(
            person,
            kind,
            day(n),
            employer="e1" if move.needs_employer else None,
            route=route if n == 0 else None,
        )
        state = apply(program, state, event)
        events.append(event)
    return events


def state_at(program: Program, route: str, stage: str) -> PersonState:
    state = replay(
        program, walk(program, route, path_to(program, route, stage)), route=route, person="p1"
    )
    assert state.stage == stage
    return state


# -- replay ------------------------------------------------------------------------


def test_new_candidate_route_through_the_core_program() -> None:
    kinds = [
        "coaching", "plan_done", "passed", "interview_booked", "hired", "elearning_done",
        "shop_session_1_done", "shop_floor_done", "shop_session_2_done", "certified",
    ]  # fmt: skip
    state = replay(PROGRAM, walk(PROGRAM, "new", kinds))
    assert state.route == "new"
    assert state.stage == "certified" and state.ended and state.next_moves == ()
    assert [s.target for s in state.history] == [
        "bcg", "retake_due", "awaiting_interview", "interview", "core_elearning",
        "shop_session_1", "shop_floor", "shop_session_2", "certification_exam", "certified",
    ]  # fmt: skip
    assert state.employer == "e1"
    assert state.since == day(len(kinds) - 1)


def test_nominated_employee_goes_from_passing_straight_into_the_core_program() -> None:
    events = [
        ev("passed", 0, route="nominated", employer="e2", region="Kitchener-Waterloo"),
    ]
    state = replay(PROGRAM, events)
    assert state.route == "nominated" and state.stage == "core_elearning"
    assert state.employer == "e2" and state.region == "Kitchener-Waterloo"
    assert [m.event for m in state.next_moves] == ["elearning_done", "withdrew"]
    with pytest.raises(PathwayError, match="'interview_booked'"):
        check_move(
            PROGRAM,
            replay(PROGRAM, [], person="p1", route="nominated"),
            ev("interview_booked", 1, employer="e1"),
        )


def test_next_moves_say_what_may_come_next() -> None:
    state = state_at(PROGRAM, "new", "awaiting_interview")
    moves = {m.event: m for m in state.next_moves}
    assert list(moves) == ["interview_booked", "elearning_offered", "withdrew"]
    assert moves["interview_booked"].needs_employer and moves["interview_booked"].to == "interview"
    assert moves["elearning_offered"].automatic
    assert moves["elearning_offered"].to_name == "E-learning track"
    assert not moves["withdrew"].automatic


# -- every disallowed move ---------------------------------------------------------


def _cases() -> list[tuple[str, str, str]]:
    out = []
    for route in PROGRAM.routes:
        skipped = set(route.skips)
        for stage in PROGRAM.stages:
            if stage.id in skipped:
                continue
            allowed = {m.event for m in PROGRAM.moves_from(stage.id, route.id)}
            out += [(route.id, stage.id, k) for k in PROGRAM.event_kinds() if k not in allowed]
    return out


CASES = _cases()


def test_there_are_many_disallowed_moves() -> None:
    assert len(CASES) > 150


@pytest.mark.parametrize(("route", "stage", "kind"), CASES)
def test_every_disallowed_move_is_refused_in_one_line(route: str, stage: str, kind: str) -> None:
    state = state_at(PROGRAM, route, stage)
    event = ev(kind, 100, employer="e1")
    with pytest.raises(PathwayError) as caught:
        check_move(PROGRAM, state, event)
    message = str(caught.value)
    assert "\n" not in message
    assert f"'{kind}'" in message and "p1" in message
    name = PROGRAM.stage(stage).name
    assert f"'{name}'" in message
    allowed = [m.event for m in PROGRAM.moves_from(stage, route)]
    if allowed:
        assert message.endswith(f"allowed here: {', '.join(allowed)}"), message
    else:
        assert message.endswith("where the program ends"), message
    with pytest.raises(PathwayError):  # and replay refuses the same sequence
        replay(PROGRAM, [*walk(PROGRAM, route, path_to(PROGRAM, route, stage)), event])


def test_a_move_of_another_route_says_so() -> None:
    state = state_at(PROGRAM, "nominated", "screening")
    with pytest.raises(PathwayError) as caught:
        check_move(PROGRAM, state, ev("interview_booked", 1, employer="e1"))
    assert str(caught.value).startswith("cannot record 'interview_booked' for p1 at 'Screening")
    state = state_at(PROGRAM, "new", "elearning_track_done")
    with pytest.raises(PathwayError, match=r"allowed here: hired, withdrew$"):
        check_move(PROGRAM, state, ev("elearning_offered", 100))


@pytest.mark.parametrize(
    ("event", "kwargs", "message"),
    [
        (ev("hired", 30), {}, r"^'hired' for p1 needs an employer$"),
        (ev("hired", 30, employer="e9"), {"employers": EMPLOYERS}, r"no employer 'e9'$"),
        (ev("passed", 30), {"by_hand": True}, r"not by hand$"),
        (ev("hired", 30, employer="e1", route="nominated"), {}, r"is on route 'new'"),
        (ev("hired", 30, person="p2", employer="e1"), {}, r"^an event of p2 cannot move p1$"),
        (ev("promoted", 30), {}, r"^'promoted' is not an event of program wblc-mold-maint"),
        (ev("hired", -5, employer="e1"), {}, r"is before their last event \('interview_booked'"),
        (ev("hired", 30, employer="e\x1b[2J"), {"employers": EMPLOYERS}, r"'e\\x1b\[2J'$"),
    ],
)
def test_refusals_name_the_cause(event: Event, kwargs: dict[str, object], message: str) -> None:
    state = state_at(PROGRAM, "new", "interview")
    with pytest.raises(PathwayError, match=message) as caught:
        check_move(PROGRAM, state, event, **kwargs)  # type: ignore[arg-type]
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)


def test_employer_known_and_given_is_accepted() -> None:
    state = state_at(PROGRAM, "new", "interview")
    move = check_move(PROGRAM, state, ev("hired", 30, employer="e1"), employers=EMPLOYERS)
    assert move.to == "core_elearning" and move.takes_seat
    # a coordinator may record the waiting offer by hand; screening outcomes they may not
    waiting = state_at(PROGRAM, "new", "awaiting_interview")
    check_move(PROGRAM, waiting, ev("elearning_offered", 30), by_hand=True)
    with pytest.raises(PathwayError, match="not by hand"):
        check_move(PROGRAM, state_at(PROGRAM, "new", "bcg"), ev("plan_done", 30), by_hand=True)


def test_replay_refuses_mixed_people_and_conflicting_routes() -> None:
    with pytest.raises(PathwayError, match=r"several people together \(a, b\)"):
        replay(PROGRAM, [ev("passed", 0, person="a"), ev("passed", 0, person="b")])
    with pytest.raises(PathwayError, match="entered on route 'nominated', not 'new'"):
        replay(PROGRAM, [ev("passed", 0, route="nominated")], route="new")
    with pytest.raises(PathwayError, match="no route 'old'"):
        replay(PROGRAM, [ev("passed", 0, route="old")])
    with pytest.raises(PathwayError, match="no events and no person"):
        replay(PROGRAM, [])
    fresh = replay(PROGRAM, [], person="p9")
    assert fresh.stage == "screening" and fresh.route == "new" and fresh.since is None


# -- properties --------------------------------------------------------------------


@st.composite
def journeys(draw: st.DrawFn) -> tuple[str, list[Event]]:
    """A route and a sequence of allowed moves with random gaps (maybe zero) between them."""
    route = draw(st.sampled_from([r.id for r in PROGRAM.routes]))
    state = start(PROGRAM, "p1", route)
    events: list[Event] = []
    at = T0
    for n in range(draw(st.integers(0, 14))):
        if not state.next_moves:
            break
        move = draw(st.sampled_from(state.next_moves))
        at += timedelta(hours=draw(st.integers(0, 24 * 90)))
        event = Event(
            "p1",
            move.event,
            at,
            employer=draw(st.sampled_from(["e1", "e2"])) if move.needs_employer else None,
            route=route if n == 0 else None,
            note=draw(st.none() | st.text(max_size=5)),
        )
        state = apply(PROGRAM, state, event)
        events.append(event)
    return route, events


@settings(max_examples=150, deadline=None)
@given(journeys())
def test_allowed_moves_replay_to_exactly_that_history(journey: tuple[str, list[Event]]) -> None:
    route, events = journey
    state = replay(PROGRAM, events, person="p1", route=route)
    assert [step.event for step in state.history] == events
    assert state.route == route
    if events:
        assert state.stage == state.history[-1].target
        assert state.since == events[-1].at
    # each step went where the program says
    for step in state.history:
        moves = PROGRAM.moves_from(step.source, route)
        assert [m.to for m in moves if m.event == step.event.kind] == [step.target]


@settings(max_examples=150, deadline=None)
@given(journeys(), st.randoms(use_true_random=False))
def test_replay_sorts_events_by_time_stably(
    journey: tuple[str, list[Event]], rnd: random.Random
) -> None:
    route, events = journey
    shuffled = events[:]
    rnd.shuffle(shuffled)
    # events at the same time keep the order they were given in: put ties back in order
    key = {id(e): n for n, e in enumerate(events)}
    given_order = sorted(shuffled, key=lambda e: (e.at, key[id(e)]))
    assert replay(PROGRAM, given_order, person="p1", route=route) == replay(
        PROGRAM, events, person="p1", route=route
    )
    if len({e.at for e in events}) == len(events):  # distinct times: any order at all
        assert replay(PROGRAM, shuffled, person="p1", route=route) == replay(
            PROGRAM, events, person="p1", route=route
        )


def test_events_at_the_same_time_keep_their_given_order() -> None:
    same = [ev("coaching", 0), ev("plan_done", 0), ev("passed", 0)]
    assert replay(PROGRAM, same).stage == "awaiting_interview"
    with pytest.raises(PathwayError, match="cannot record 'plan_done'"):
        replay(PROGRAM, [same[1], same[0], same[2]])


# -- records -----------------------------------------------------------------------


def test_event_records_round_trip_and_read_plain_text() -> None:
    event = ev("coaching", 3, route="new", region="GTA", note="a <note>", modules=("a", "b"))
    assert Event.from_dict(event.as_dict()) == event
    row = {"person": " p1 ", "kind": "hired", "at": "2024-03-01", "employer": "e1", "note": "",
           "modules": "basic-math; safety"}  # fmt: skip
    read = Event.from_dict(row)
    assert read.person == "p1" and read.note is None
    assert read.at == datetime(2024, 3, 1, tzinfo=UTC)
    assert read.modules == ("basic-math", "safety")
    assert Event.from_dict({**row, "at": "2024-03-01T10:00"}).at.tzinfo is UTC
    offset = Event.from_dict({**row, "at": "2024-03-01T10:00-05:00"}).at
    assert offset == datetime(2024, 3, 1, 15, 0, tzinfo=UTC)
    with pytest.raises(PathwayError, match=r"cannot read the time '1 March'"):
        Event.from_dict({**row, "at": "1 March"})
    with pytest.raises(PathwayError, match="unknown event field 'colour'"):
        Event.from_dict({**row, "colour": "red"})
    with pytest.raises(PathwayError, match="needs a person and a kind"):
        Event.from_dict({**row, "kind": " "})
    with pytest.raises(PathwayError, match="needs a time zone"):
        Event("p1", "passed", datetime(2024, 1, 1))


# -- automatic events --------------------------------------------------------------


def test_screening_outcomes_and_plans_move_people() -> None:
    new = start(PROGRAM, "p1", "new")
    [passed] = auto_events(PROGRAM, new, at=day(0), screening="pass")
    assert (passed.kind, passed.route) == ("passed", "new")
    assert apply(PROGRAM, new, passed).stage == "awaiting_interview"

    nominated = start(PROGRAM, "p2", "nominated")
    [passed] = auto_events(PROGRAM, nominated, at=day(0), screening="pass")
    assert apply(PROGRAM, nominated, passed).stage == "core_elearning"

    [coached] = auto_events(
        PROGRAM, nominated, at=day(0), screening="coaching", modules=["interviewing", "safety"]
    )
    assert coached.kind == "coaching" and coached.modules == ("safety",)  # left out: interviewing
    state = apply(PROGRAM, nominated, coached)
    assert state.stage == "bcg"
    [done] = auto_events(PROGRAM, state, at=day(20), plan_done=True)
    assert apply(PROGRAM, state, done).stage == "retake_due"

    assert auto_events(PROGRAM, new, at=day(0), screening="incomplete") == []
    # a screening where the program has no move for it moves nobody
    core = state_at(PROGRAM, "new", "shop_floor")
    assert auto_events(PROGRAM, core, at=day(50), screening="pass", plan_done=True) == []
    # several triggers at once are applied in order
    both = auto_events(PROGRAM, new, at=day(1), screening="coaching", plan_done=True)
    assert [e.kind for e in both] == ["coaching", "plan_done"]


def test_the_elearning_offer_comes_once_after_waiting_days() -> None:
    state = replay(PROGRAM, [ev("passed", 0, route="new", region="London")])
    events: list[Event] = []
    offers: list[tuple[int, Event]] = []
    for today in range(0, PROGRAM.waiting_days + 40):
        for hour in (8, 17):  # the check may run more than once a day
            found = auto_events(PROGRAM, state, at=T0 + timedelta(days=today, hours=hour - 9))
            for event in found:
                state = apply(PROGRAM, state, event)
                events.append(event)
                offers.append((today, event))
    assert len(offers) == 1
    offered_on, offer = offers[0]
    # waited more than waiting_days: day waiting_days at 17:00 is 8 hours past the limit
    assert offered_on == PROGRAM.waiting_days
    assert offer.kind == "elearning_offered"
    assert offer.note is not None and "offered automatically" in offer.note
    assert f"waited {PROGRAM.waiting_days} days for an employer in London" in offer.note
    assert state.stage == "elearning_track"
    # recorded, it replays like any event
    assert replay(PROGRAM, [ev("passed", 0, route="new", region="London"), *events]) == state


def test_failed_interview_starts_the_waiting_clock_again() -> None:
    events = [
        ev("passed", 0, route="new"),
        ev("interview_booked", 50, employer="e1"),
        ev("not_hired", 55, employer="e1"),
    ]
    state = replay(PROGRAM, events)
    assert auto_events(PROGRAM, state, at=day(55 + PROGRAM.waiting_days)) == []
    [offer] = auto_events(PROGRAM, state, at=day(55 + PROGRAM.waiting_days + 1))
    assert offer.kind == "elearning_offered"


# -- the waiting list --------------------------------------------------------------


def test_waiting_list_by_region_against_open_seats() -> None:
    people = [
        [ev("passed", 0, "a", route="new", region="GTA")],
        [ev("passed", 10, "b", route="new", region="GTA")],
        [ev("passed", 5, "c", route="new", region="London")],
        [ev("passed", 1, "d", route="new")],  # no region recorded
        # hired by e1: takes one of its two seats
        [ev("passed", 0, "h", route="new", region="GTA"),
         ev("interview_booked", 3, "h", employer="e1"), ev("hired", 4, "h", employer="e1")],
        # hired by e2, then left: the seat is free again
        [ev("passed", 0, "w", route="new", region="Kitchener-Waterloo"),
         ev("interview_booked", 3, "w", employer="e2"), ev("hired", 4, "w", employer="e2"),
         ev("withdrew", 9, "w")],
        # interviewing: not waiting, and no seat taken
        [ev("passed", 0, "i", route="new", region="GTA"),
         ev("interview_booked", 3, "i", employer="e1")],
        # nominated by e1: no seat
        [ev("passed", 0, "n", route="nominated", region="GTA", employer="e1")],
    ]  # fmt: skip
    states = [replay(PROGRAM, p) for p in people]
    assert seats_taken(PROGRAM, states) == {"e1": 1}
    rows = waiting_list(PROGRAM, states, EMPLOYERS.values(), today=day(70))
    assert [r.region for r in rows] == ["GTA", "Kitchener-Waterloo", "London", None]
    gta, kw, london, unknown = rows
    assert [w.person for w in gta.waiting] == ["a", "b"]
    assert [w.days for w in gta.waiting] == [70, 60]
    assert [w.offer_due for w in gta.waiting] == [True, False]
    assert (gta.seats, gta.taken, gta.open_seats, gta.short) == (2, 1, 1, 1)
    assert (kw.seats, kw.taken, kw.open_seats, kw.waiting) == (1, 0, 1, ())
    assert (london.employers, london.seats, london.short) == ((), 0, 1)
    assert [w.person for w in unknown.waiting] == ["d"]


def test_replay_all_groups_people() -> None:
    events = [ev("passed", 1, "b", route="new"), ev("passed", 0, "a", route="nominated"),
              ev("interview_booked", 2, "b", employer="e1")]  # fmt: skip
    states = replay_all(PROGRAM, events)
    assert list(states) == ["b", "a"]
    assert states["b"].stage == "interview" and states["a"].stage == "core_elearning"
    with pytest.raises(PathwayError, match="no employer 'e1'"):
        replay_all(PROGRAM, events, employers={})
