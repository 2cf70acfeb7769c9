"""Program files: the bundled program says what the pilot published; every fault is located."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from helpers import DATA, ROOT

from screener.catalog import check_file
from screener.errors import ContentError, NotFoundError
from screener.program import (
    Certification,
    Elearning,
    Program,
    ShopFloor,
    ShopSession,
    check_program_text,
    check_programs,
    load_program,
    load_programs,
    reachable,
)

BUNDLED = ROOT / "programs" / "wblc-mold-maintenance.yaml"
SMALL = DATA / "program" / "small.yaml"


def _ids(folder: Path) -> dict[str, object]:
    """The content ids in a folder, each file read on its own: the program rules need only
    the ids, and these tests should not depend on the rest of the content being valid."""
    out: dict[str, object] = {}
    for path in sorted(folder.glob("*.yaml")):
        model = check_file(path).model
        assert model is not None, path
        out[model.id] = model
    return out


BUNDLED_ASSESSMENTS = {"wblc-screening": object()}
BUNDLED_MODULES = _ids(ROOT / "modules")
TINY_ASSESSMENTS = _ids(DATA / "tiny" / "assessments")
TINY_MODULES = _ids(DATA / "tiny" / "modules")


@pytest.fixture(scope="module")
def bundled() -> Program:
    return load_program(str(BUNDLED), assessments=BUNDLED_ASSESSMENTS, modules=BUNDLED_MODULES)


def test_bundled_program_loads_with_the_content_in_use(bundled: Program) -> None:
    """The real catalog: the gate screening and the modules exist and load."""
    assert list(load_programs()) == ["wblc-mold-maintenance"]
    assert load_program(None) == bundled
    assert load_program("wblc-mold-maintenance") == bundled
    assert bundled.gate == "wblc-screening"


def test_bundled_core_program_is_what_the_pilot_published(bundled: Program) -> None:
    elearning = [c for c in bundled.components if isinstance(c, Elearning)]
    sessions = [c for c in bundled.components if isinstance(c, ShopSession)]
    floors = [c for c in bundled.components if isinstance(c, ShopFloor)]
    certs = [c for c in bundled.components if isinstance(c, Certification)]
    assert len(elearning) == 1
    el = elearning[0]
    assert len(el.modules) == 11
    assert (el.hours.min, el.hours.max) == (40, 50)
    assert 40 <= sum(m.hours for m in el.modules) <= 50
    assert el.weeks == 10
    assert [s.days for s in sessions] == [4, 4]
    assert len(floors) == 1 and (floors[0].months.min, floors[0].months.max) == (3, 4)
    assert "employer" in floors[0].trainer.lower()
    assert [c.certificate for c in certs] == ["Mold Maintenance Technician, Level 1"]
    # every component is a stage of the core program
    core = {s.component for s in bundled.stages if s.kind == "core"}
    assert core == {c.id for c in bundled.components}


def test_bundled_routes_nominated_skip_interview_and_hiring(bundled: Program) -> None:
    assert [r.id for r in bundled.routes] == ["new", "nominated"]
    nominated = bundled.route("nominated")
    assert {"awaiting_interview", "interview"} <= set(nominated.skips)
    assert nominated.leaves_out_modules == ["interviewing"]
    reach_new = reachable(bundled, "new")
    reach_nominated = reachable(bundled, "nominated")
    assert {"awaiting_interview", "interview", "elearning_track"} <= reach_new
    assert not reach_nominated & set(nominated.skips)
    assert "certified" in reach_nominated
    # nobody on the nominated route is ever hired: no seat-taking move is open to them
    for stage in bundled.stages:
        if stage.id in reach_nominated:
            assert not any(m.takes_seat for m in bundled.moves_from(stage.id, "nominated"))
    assert bundled.plan_modules("nominated", ["basic-math", "interviewing"]) == ["basic-math"]
    assert bundled.plan_modules("new", ["basic-math", "interviewing"]) == [
        "basic-math",
        "interviewing",
    ]


def test_bundled_terminal_and_waiting_stages(bundled: Program) -> None:
    kinds = {s.id: s.kind for s in bundled.stages}
    assert kinds["certified"] == "completed" and kinds["withdrawn"] == "left"
    assert [s.id for s in bundled.stages if s.kind == "waiting"] == ["awaiting_interview"]
    assert bundled.automatic.waiting_offer == "elearning_offered"
    assert bundled.stage("awaiting_interview").moves[1].to == "elearning_track"
    # the e-learning track may re-enter the core program
    targets = {m.to for m in bundled.stage("elearning_track_done").moves}
    assert "shop_session_1" in targets
    assert bundled.waiting_days > 0


def test_docs_schema_file_matches_the_model() -> None:
    on_disk = json.loads((ROOT / "docs" / "schema" / "program.schema.json").read_text())
    assert on_disk == Program.model_json_schema(), (
        "regenerate docs/schema/program.schema.json from screener.program.Program"
    )


def test_small_fixture_is_valid() -> None:
    checked = check_program_text(SMALL.read_text(), str(SMALL))
    assert checked.problems == []
    assert checked.model is not None


# Each case edits the valid small program; the line carrying ``# FAULT: text`` must be the
# one and only fault reported, and its message must hold the text.
FAULTS: dict[str, list[tuple[str, str]]] = {
    "unknown field": [
        (
            "  - id: bcg\n    name: Coaching\n",
            "  - id: bcg\n    name: Coaching\n    colour: red  # FAULT: unknown field 'colour'\n",
        )
    ],
    "move to unknown stage": [
        (
            "{event: learned, to: exam}",
            "{event: learned, to: exams}  # FAULT: move 'learned' to unknown stage 'exams'",
        )
    ],
    "terminal stage with moves": [
        (
            "    kind: completed\n",
            "    kind: completed\n    moves:  # FAULT: which ends the program: it has no moves\n"
            "      - {event: again, to: screening}\n",
        )
    ],
    "stage without moves": [
        ("    moves:\n      - {event: certified, to: done}\n", ""),
        ("  - id: exam\n", "  - id: exam  # FAULT: stage 'exam' has no moves\n"),
    ],
    "unreachable stage": [
        (
            "funnel:",
            "  - id: limbo  # FAULT: stage 'limbo' cannot be reached from 'screening' on any "
            "route\n    name: Limbo\n    kind: left\nfunnel:",
        )
    ],
    "duplicate stage": [("  - id: gone\n", "  - id: done  # FAULT: duplicate stage id 'done'\n")],
    "move into a skipped stage": [
        (
            "      - {event: quit, to: gone}\n  - id: bcg",
            "      - {event: quit, to: track}  # FAULT: goes to 'track', which route "
            "'nominated' skips\n  - id: bcg",
        )
    ],
    "two moves on one event": [
        (
            "      - {event: coaching, to: bcg}\n",
            "      - {event: coaching, to: bcg}\n      - {event: coaching, to: gone, routes: "
            "[new]}  # FAULT: a second move on 'coaching' for route 'new'\n",
        )
    ],
    "e-learning hours": [
        ("{id: m2, title: Two, hours: 2}", "{id: m2, title: Two, hours: 4}"),
        (
            "    modules:\n",
            "    modules:  # FAULT: the modules add up to 6 hours, outside 3-5\n",
        ),
    ],
    "core stage without component": [
        (
            "    kind: core\n    component: el\n",
            "    kind: core  # FAULT: a core stage names its component\n",
        )
    ],
    "unknown component": [
        (
            "    kind: track\n    component: el\n",
            "    kind: track\n    component: ell  # FAULT: unknown component 'ell'\n",
        )
    ],
    "unused component": [
        (
            "  - id: cert\n",
            "  - id: ss  # FAULT: component 'ss' is in no stage\n    kind: shop_session\n"
            "    name: Shop\n    days: 4\n  - id: cert\n",
        )
    ],
    "unknown start": [("start: screening", "start: begin  # FAULT: start: unknown stage 'begin'")],
    "start that ends": [("start: screening", "start: done  # FAULT: ends the program")],
    "automatic event without a move": [
        (
            "  plan_done: plan_done\n",
            "  plan_done: plan_finished  # FAULT: automatic.plan_done: no stage has a move on "
            "'plan_finished'\n",
        )
    ],
    "waiting stage without the offer": [
        (
            "    kind: interview\n    moves:\n",
            "    kind: waiting\n    moves:  # FAULT: has no move on 'offered' for route 'new'\n",
        )
    ],
    "skips unknown stage": [
        (
            "skips: [waiting, interview, track]",
            "skips: [waiting, interview, track, nowhere]  # FAULT: skips unknown stage 'nowhere'",
        )
    ],
    "route that reaches less than it says": [
        ("skips: [waiting, interview, track]", "skips: [waiting, interview]"),
        (
            "  - id: track\n",
            "  - id: track  # FAULT: stage 'track' cannot be reached on route 'nominated'\n",
        ),
    ],
    "unknown route": [
        (
            "routes: [nominated]}",
            "routes: [nominatd]}  # FAULT: names unknown route 'nominatd'",
        )
    ],
    "funnel stage unknown": [
        (
            "funnel: [screening,",
            "funnel: [nowhere, screening,  # FAULT: funnel: unknown stage 'nowhere'\n ",
        )
    ],
    "text for a number": [
        ("waiting_days: 30", 'waiting_days: "30"  # FAULT: waiting_days: Input should be')
    ],
    "seat without employer": [
        (
            "{event: hired, to: learning, needs_employer: true, takes_seat: true}\n  - id: done",
            "{event: hired, to: learning, takes_seat: true}  # FAULT: takes a seat, so it "
            "needs_employer\n  - id: done",
        )
    ],
    "duplicate key": [
        (
            "title: Small program\n",
            "title: Small program\ntitle: Again  # FAULT: duplicate key 'title'\n",
        )
    ],
    "unknown stage kind": [
        ("    kind: coaching\n", "    kind: coach  # FAULT: Input should be 'screening'\n")
    ],
}


def _edit(edits: list[tuple[str, str]]) -> str:
    text = SMALL.read_text()
    for old, new in edits:
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.mark.parametrize("case", sorted(FAULTS))
def test_each_fault_is_reported_once_at_its_line(case: str) -> None:
    text = _edit(FAULTS[case])
    line, expected = next(
        (n, m.group(1).strip())
        for n, row in enumerate(text.splitlines(), 1)
        if (m := re.search(r"# FAULT: (.+)$", row))
    )
    checked = check_program_text(text, "small.yaml")
    assert len(checked.problems) == 1, [str(p) for p in checked.problems]
    problem = checked.problems[0]
    assert problem.line == line, str(problem)
    assert expected in problem.message, str(problem)
    assert re.match(rf"^small\.yaml:{line}:\d+: ", str(problem))


def test_references_to_other_files_are_checked(tmp_path: Path) -> None:
    checked, problems = check_programs([SMALL], TINY_ASSESSMENTS, TINY_MODULES)
    assert problems == [] and checked[0].model is not None
    # against the bundled content only, the gate and the left-out module are unknown
    _, problems = check_programs([SMALL], BUNDLED_ASSESSMENTS, BUNDLED_MODULES)
    messages = sorted(p.message for p in problems)
    assert messages == [
        "gate: no assessment 'tiny'",
        "route 'nominated': no module with id 'tiny-team'",
    ]
    lines = {p.message: p.line for p in problems}
    text = SMALL.read_text().splitlines()
    assert text[lines["gate: no assessment 'tiny'"] - 1].startswith("gate:")
    # the same id twice in one set
    copy = tmp_path / "copy.yaml"
    copy.write_text(SMALL.read_text())
    _, problems = check_programs([SMALL, copy], TINY_ASSESSMENTS, TINY_MODULES)
    assert [p.message for p in problems] == [f"program id 'small' is also used by {SMALL}"]


def test_load_program_errors_are_one_located_line(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text(_edit(FAULTS["move to unknown stage"]))
    with pytest.raises(ContentError) as caught:
        load_program(str(bad), assessments=TINY_ASSESSMENTS, modules=TINY_MODULES)
    assert re.match(rf"^{re.escape(str(bad))}:\d+:\d+: .*unknown stage 'exams'$", str(caught.value))
    with pytest.raises(NotFoundError, match=r"no program 'nope' \(known: wblc-mold-maintenance\)"):
        load_program("nope", assessments=BUNDLED_ASSESSMENTS, modules=BUNDLED_MODULES)
    assert load_program(str(SMALL), assessments=TINY_ASSESSMENTS, modules=TINY_MODULES).id == (
        "small"
    )


def test_a_content_root_can_replace_the_bundled_program(tmp_path: Path) -> None:
    root = tmp_path / "content"
    (root / "programs").mkdir(parents=True)
    text = BUNDLED.read_text().replace("waiting_days: 60", "waiting_days: 21")
    (root / "programs" / "mine.yaml").write_text(text)
    programs = load_programs([root], assessments=BUNDLED_ASSESSMENTS, modules=BUNDLED_MODULES)
    assert programs["wblc-mold-maintenance"].waiting_days == 21


def _doc_moves(program: Program, stage_id: str) -> str:
    parts = []
    for m in program.stage(stage_id).moves:
        text = f"`{m.event}` → {m.to}"
        if m.routes:
            text += f" ({', '.join(m.routes)})"
        if m.takes_seat:
            text += " *(employer, seat)*"
        elif m.needs_employer:
            text += " *(employer)*"
        parts.append(text)
    return "; ".join(parts) or "—"


def test_docs_table_is_the_bundled_program(bundled: Program) -> None:
    """docs/program.md's table of stages and moves says what the bundled file says."""
    doc = (ROOT / "docs" / "program.md").read_text()
    rows = {
        m.group(1): m.groups()[1:]
        for m in re.finditer(r"^\| `([a-z_0-9]+)` \| ([^|]+) \| ([a-z]+) \| (.+) \|$", doc, re.M)
    }
    assert list(rows) == [s.id for s in bundled.stages]
    for stage in bundled.stages:
        name, kind, moves = (x.strip() for x in rows[stage.id])
        assert (name, kind) == (stage.name, stage.kind)
        assert moves == _doc_moves(bundled, stage.id), stage.id
    for kind in bundled.event_kinds():
        assert f"`{kind}`" in doc
    sentence = re.search(r"The nominated route skips (.+?)\.", " ".join(doc.split()))
    assert sentence is not None
    assert re.findall(r"`(\w+)`", sentence.group(1)) == bundled.route("nominated").skips
