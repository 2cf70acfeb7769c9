"""The funnel: the pilot's published counts from its events, times computed from dates, reports.

The pilot published only totals: 31 workers, 10 employers (GTA and
Kitchener-Waterloo), 7 hired, 11 nominated, 15 certified, 8 eligible people who
could not finish because no employer in their region took part, and nominated
employees finishing the core program in about half the time of new hires.
tests/data/program/pilot-events.csv is one set of events consistent with those
totals; the people, employers, dates, regions of the 8 and who left why are the
fixture's own.
"""

from __future__ import annotations

import csv
import json
import re
import statistics
from datetime import UTC, date, datetime
from pathlib import Path

import numpy as np
import pytest
from helpers import DATA, ROOT
from hypothesis import given
from hypothesis import strategies as st

from screener.funnel import Funnel, funnel, funnel_json, spread
from screener.funnel_report import funnel_html, funnel_markdown
from screener.pathway import Employer, Event, PersonState, replay_all, waiting_list
from screener.program import Program, check_program_text

PILOT = DATA / "program"
BUNDLED_FILE = ROOT / "programs" / "wblc-mold-maintenance.yaml"


def _program() -> Program:
    checked = check_program_text(BUNDLED_FILE.read_text(), str(BUNDLED_FILE))
    assert checked.model is not None and not checked.problems
    return checked.model


PROGRAM = _program()


def pilot_events() -> list[Event]:
    with (PILOT / "pilot-events.csv").open(newline="") as f:
        return [Event.from_dict(row) for row in csv.DictReader(f)]


def pilot_employers() -> list[Employer]:
    with (PILOT / "pilot-employers.csv").open(newline="") as f:
        return [
            Employer(r["id"], r["name"], r["region"], int(r["seats"])) for r in csv.DictReader(f)
        ]


def pilot_states(events: list[Event] | None = None) -> dict[str, PersonState]:
    return replay_all(PROGRAM, pilot_events() if events is None else events)


@pytest.fixture(scope="module")
def pilot() -> Funnel:
    return funnel(PROGRAM, pilot_states().values(), employers=pilot_employers())


def test_pilot_counts(pilot: Funnel) -> None:
    new, nominated = pilot.route("new"), pilot.route("nominated")
    assert pilot.people == 31
    assert pilot.employers == 10
    assert [(r.region, r.employers) for r in pilot.regions] == [
        ("GTA", 6),
        ("Kitchener-Waterloo", 4),
    ]
    assert pilot.total.move("hired") == 7
    assert nominated.people == 11
    assert pilot.total.completed == 15 == pilot.total.stage("certified").reached
    assert pilot.total.stage("elearning_track").reached == 8
    # the arithmetic between them
    assert new.people + nominated.people == pilot.people
    assert new.move("hired") == 7 and nominated.move("hired") == 0
    assert pilot.total.entered_core == 7 + 11 == new.entered_core + nominated.entered_core
    assert new.completed + nominated.completed == 15
    assert (new.completed, nominated.completed) == (5, 10)
    assert pilot.total.certification_rate == pytest.approx(15 / 31)
    assert pilot.total.core_completion_rate == pytest.approx(15 / 18)
    assert nominated.certification_rate == pytest.approx(10 / 11)
    assert new.certification_rate == pytest.approx(5 / 20)
    # where everybody is now adds up to everybody
    assert sum(s.now for s in pilot.total.stages) == 31
    assert pilot.total.left == 6
    eligible = pilot.total.move("passed")
    assert eligible == 7 + 8 + 11 + 1  # hired, no employer, nominated, one never hired


def test_the_eight_without_an_employer_live_where_no_employer_takes_part(pilot: Funnel) -> None:
    states = pilot_states()
    track = [s for s in states.values() if any(x.target == "elearning_track" for x in s.history)]
    assert len(track) == 8
    employer_regions = {e.region for e in pilot_employers()}
    assert {s.region for s in track}.isdisjoint(employer_regions)
    assert all(s.history[-1].target.startswith("elearning_track") for s in track)


def test_conversion_at_every_stage(pilot: Funnel) -> None:
    new = pilot.route("new")
    conversions = {s.stage: s.from_previous for s in new.stages}
    assert conversions["screening"] is None  # the start of the line
    assert conversions["awaiting_interview"] == pytest.approx(16 / 20)
    assert conversions["interview"] == pytest.approx(8 / 16)
    assert conversions["core_elearning"] == pytest.approx(7 / 8)
    assert conversions["certified"] == pytest.approx(5 / 5)
    assert conversions["bcg"] is None  # not on the funnel line
    # together, a stage any route skips is not on the line
    total = {s.stage: s.from_previous for s in pilot.total.stages}
    assert total["awaiting_interview"] is None
    assert total["core_elearning"] == pytest.approx(18 / 31)
    assert dict(new.stage("interview").exits) == {"hired": 7, "not_hired": 2}
    nominated_stages = [s.stage for s in pilot.route("nominated").stages]
    assert "interview" not in nominated_stages and "elearning_track" not in nominated_stages


def _core_days_by_hand(route: str) -> list[float]:
    """From the CSV alone: the first core-program date (hire, or the pass of a nominated
    employee) to the certification date."""
    rows = list(csv.DictReader((PILOT / "pilot-events.csv").open(newline="")))
    routes = {r["person"]: r["route"] for r in rows if r["route"]}
    out = []
    for person in sorted(routes):
        if routes[person] != route:
            continue
        mine = {r["kind"]: date.fromisoformat(r["at"]) for r in rows if r["person"] == person}
        if "certified" in mine:
            began = mine["hired"] if route == "new" else mine["passed"]
            out.append(float((mine["certified"] - began).days))
    return out


def test_nominated_half_the_time_is_computed_from_event_dates(pilot: Funnel) -> None:
    new, nominated = pilot.route("new").core_days, pilot.route("nominated").core_days
    assert new.median == statistics.median(_core_days_by_hand("new")) == 182
    assert nominated.median == statistics.median(_core_days_by_hand("nominated")) == 91
    assert (new.n, nominated.n) == (5, 10)
    assert pilot.ratio("new") == 1.0
    assert pilot.ratio("nominated") == pytest.approx(0.5)


def _stretch(events: list[Event], route: str, factor: float) -> list[Event]:
    """The same events, with each ``route`` person's events after their first core stage
    moved ``factor`` times as far from that start."""
    states = replay_all(PROGRAM, events)
    out = []
    for person, state in states.items():
        core_start = next(
            (s.event.at for s in state.history if PROGRAM.stage(s.target).kind == "core"), None
        )
        for step in state.history:
            e = step.event
            if state.route == route and core_start is not None and e.at > core_start:
                e = Event(**{**e.__dict__, "at": core_start + (e.at - core_start) * factor})
            out.append(e)
        assert person == state.person
    return out


def test_a_different_history_gives_a_different_ratio() -> None:
    slower = _stretch(pilot_events(), "nominated", 1.6)
    figures = funnel(PROGRAM, pilot_states(slower).values())
    assert figures.route("nominated").core_days.median == pytest.approx(91 * 1.6)
    assert figures.ratio("nominated") == pytest.approx(0.8)
    # the counts do not change with the dates
    assert figures.total.completed == 15 and figures.people == 31
    faster_new = _stretch(pilot_events(), "new", 0.5)
    assert funnel(PROGRAM, pilot_states(faster_new).values()).ratio("nominated") == (
        pytest.approx(1.0)
    )


def test_time_in_each_stage(pilot: Funnel) -> None:
    # coaching -> plan done: 21, 21, 14, 25, 28, 18 days (n02, n05, n09, n16, n20, m10)
    bcg = pilot.total.stage("bcg").days
    assert (bcg.n, bcg.median) == (6, 21)
    assert (bcg.q1, bcg.q3) == (18.75, 24.0)
    assert bcg.iqr == pytest.approx(5.25)
    # still-running stays are not counted: nobody has left "certified"
    assert pilot.total.stage("certified").days.n == 0
    shop_floor = pilot.route("nominated").stage("shop_floor").days
    assert shop_floor.n == 11  # ten finished it, one withdrew during it


def test_reasons_for_leaving_and_bcg(pilot: Funnel) -> None:
    reasons = dict(pilot.total.reasons)
    assert sum(reasons.values()) == pilot.total.left == 6
    assert reasons["Moved out of the province"] == 1
    assert reasons["Shift change at work"] == 1
    bcg = pilot.total.bcg
    assert (bcg.coached, bcg.passed_after) == (7, 4)
    assert dict(bcg.modules) == {"basic-math": 3, "safety": 2, "spatial-visualization": 1}
    assert bcg.modules_per_pass.median == 1.5
    assert pilot.route("nominated").bcg.coached == 1


def test_since_counts_people_who_started_that_day_or_later() -> None:
    states = pilot_states()
    cut = date(2019, 1, 20)
    expected = sum(1 for s in states.values() if s.history[0].event.at.date() >= cut)
    figures = funnel(PROGRAM, states.values(), since=cut)
    assert 0 < figures.people == expected < 31
    assert figures.since == cut
    assert funnel(PROGRAM, states.values(), since=datetime(2019, 1, 20, tzinfo=UTC)).people == (
        expected
    )


@given(st.lists(st.floats(0, 1000, allow_nan=False), min_size=1, max_size=40))
def test_spread_is_the_linear_quartiles(values: list[float]) -> None:
    s = spread(values)
    q1, median, q3 = np.percentile(values, [25, 50, 75])
    assert s.n == len(values)
    assert s.median == pytest.approx(median)
    assert s.q1 == pytest.approx(q1) and s.q3 == pytest.approx(q3)


def test_json_shape(pilot: Funnel) -> None:
    data = json.loads(json.dumps(funnel_json(pilot)))
    assert data["people"] == 31 and data["employers"] == 10
    assert data["core_time_ratio"] == {"new": 1.0, "nominated": 0.5}
    assert data["total"]["moves"]["hired"] == 7
    assert [r["route"] for r in data["routes"]] == ["new", "nominated"]
    stage = next(s for s in data["total"]["stages"] if s["stage"] == "bcg")
    assert stage["days"] == {"n": 6, "median": 21.0, "q1": 18.75, "q3": 24.0}
    assert data["total"]["bcg"]["modules"]["basic-math"] == 3


# -- reports ----------------------------------------------------------------------

HOSTILE = '<script>alert("x")</script> & \x1b[2J'


def _hostile_funnel() -> tuple[Funnel, list[object]]:
    """The pilot, with a note, a region and the program title that are markup."""
    events = pilot_events()
    events = [
        Event(**{**e.__dict__, "note": HOSTILE}) if e.kind == "withdrew" else e for e in events
    ]
    events = [
        Event(**{**e.__dict__, "region": "<b>Lon|don</b>"}) if e.region == "London" else e
        for e in events
    ]
    program = PROGRAM.model_copy(update={"title": "Mold <i>maintenance</i>"})
    states = replay_all(program, events)
    today = datetime(2019, 2, 20, tzinfo=UTC)  # the London people are waiting
    then = replay_all(program, [e for e in events if e.at <= today])
    waiting = waiting_list(program, then.values(), pilot_employers(), today=today)
    return funnel(program, states.values(), employers=pilot_employers()), list(waiting)


def test_html_is_self_contained_and_escapes_every_text() -> None:
    figures, waiting = _hostile_funnel()
    page = funnel_html(figures, generated="2019-12-01", waiting=waiting)  # type: ignore[arg-type]
    for needle in ("http://", "https://", "<script", "<link", "@import", "src=", "url("):
        assert needle not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; \\x1b[2J" in page
    assert "\x1b" not in page
    assert "&lt;b&gt;Lon|don&lt;/b&gt;" in page and "<b>" not in page
    assert "Mold &lt;i&gt;maintenance&lt;/i&gt;" in page and "<i>" not in page
    assert "Waiting for an employer" in page
    assert "0.50 times" in page


def test_markdown_escapes_and_reads(pilot: Funnel) -> None:
    figures, _ = _hostile_funnel()
    text = funnel_markdown(figures, generated="2019-12-01")
    assert "<script>" not in text and "\x1b" not in text
    assert "\\<script\\>" in text
    assert "Mold \\<i\\>maintenance\\</i\\>" in text
    plain = funnel_markdown(pilot, generated="2019-12-01")
    row = next(line for line in plain.splitlines() if line.startswith("| All routes"))
    assert row.startswith("| All routes | 31 | 18 | 15 | 48% | 83% |")
    assert (
        "Nominated employee: a median 91 days from the start of the core program to completing "
        "it, 0.50 times the 182 days of New candidate" in plain
    )


def test_html_funnel_in_chromium(tmp_path: Path) -> None:
    from test_report import A4_WIDTH_PX, headless

    figures, waiting = _hostile_funnel()
    source = funnel_html(figures, generated="2019-12-01", waiting=waiting)  # type: ignore[arg-type]
    probe = tmp_path / "funnel.html"
    probe.write_text(
        source.replace(
            "</body>",
            "<script>document.body.insertAdjacentHTML('beforeend', '<p id=\"w\">W=' + "
            "document.documentElement.scrollWidth + '</p>')</script></body>",
        )
    )
    run = headless(probe, tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0, run.stderr
    for text in ("Program funnel", "Stages: New candidate", "Why people left", "BCG coaching"):
        assert text in run.stdout
    assert "&lt;script&gt;alert" in run.stdout  # shown as text
    found = re.search(r'id="w">W=(\d+)<', run.stdout)
    assert found, run.stderr
    assert 0 < int(found.group(1)) <= A4_WIDTH_PX
