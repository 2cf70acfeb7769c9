"""The program commands through the CLI: validate and schema, employers, record (by hand
and imported), pathway, waiting, funnel, export --pathway, take/batch --nominated-by,
and a whole program walked from the command line with every move checked.
"""

from __future__ import annotations

import csv
import json
import os
import re
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA, ROOT, CliResult, run_cli

BUNDLED = ROOT / "programs" / "wblc-mold-maintenance.yaml"
PILOT = DATA / "program"


def _content_root(tmp_path: Path, program_text: str, name: str = "mine.yaml") -> Path:
    """A content root holding only a programs/ folder with one file."""
    root = tmp_path / "content"
    (root / "programs").mkdir(parents=True, exist_ok=True)
    (root / "programs" / name).write_text(program_text)
    return root


# -- validate and schema ----------------------------------------------------------------


def test_validate_checks_the_bundled_program() -> None:
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    alone = run_cli("validate", str(BUNDLED))
    assert alone.returncode == 0, alone.stdout
    assert "ok: 1 file(s)" in alone.stderr


def test_validate_reports_a_program_fault_at_its_line(tmp_path: Path) -> None:
    text = BUNDLED.read_text().replace(
        "{event: elearning_done, to: shop_session_1}", "{event: elearning_done, to: shop_sesion_1}"
    )
    root = _content_root(tmp_path, text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "shop_sesion_1" in row)
    path = root / "programs" / "mine.yaml"
    for args in (
        ("validate", str(path)),
        ("validate", str(root)),
        ("--content-dir", str(root), "validate"),
    ):
        result = run_cli(*args)
        assert result.returncode == 1, args
        assert re.search(
            rf"^{re.escape(str(path))}:{line}:\d+: stage 'core_elearning': move 'elearning_done' "
            r"to unknown stage 'shop_sesion_1'$",
            result.stdout,
            re.M,
        ), result.stdout


def test_validate_checks_program_references_against_the_content(tmp_path: Path) -> None:
    # the small program's gate and left-out module are in tests/data/tiny, not in the bundle
    root = _content_root(tmp_path, (PILOT / "small.yaml").read_text())
    alone = run_cli("validate", str(root))
    assert alone.returncode == 1
    assert "gate: no assessment 'tiny'" in alone.stdout
    assert "route 'nominated': no module with id 'tiny-team'" in alone.stdout
    # checked together with the content it names: clean
    together = run_cli("validate", str(root), str(DATA / "tiny"))
    assert together.returncode == 0, together.stdout


def test_a_content_root_may_replace_the_bundled_program_but_one_folder_may_not_repeat_it(
    tmp_path: Path,
) -> None:
    text = BUNDLED.read_text().replace("waiting_days: 60", "waiting_days: 21")
    root = _content_root(tmp_path, text)
    assert run_cli("--content-dir", str(root), "validate").returncode == 0
    (root / "programs" / "again.yaml").write_text(text)
    twice = run_cli("--content-dir", str(root), "validate")
    assert twice.returncode == 1
    assert "program id 'wblc-mold-maintenance' is also used by" in twice.stdout


def test_a_programs_folder_is_not_read_as_assessments(tmp_path: Path) -> None:
    root = _content_root(tmp_path, BUNDLED.read_text())
    listed = run_cli("--content-dir", str(root), "assessments", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["id"] for a in json.loads(listed.stdout)] == ["wblc-screening"]
    assert run_cli("--content-dir", str(root), "modules").returncode == 0


def test_schema_program_is_the_docs_schema() -> None:
    result = run_cli("schema", "program")
    assert result.returncode == 0
    on_disk = json.loads((ROOT / "docs" / "schema" / "program.schema.json").read_text())
    assert json.loads(result.stdout) == on_disk
    every = json.loads(run_cli("schema").stdout)
    assert set(every) == {"assessment", "module", "program"}
    assert every["program"] == on_disk


# -- helpers: answers for the bundled screening, CLI runs ------------------------------


def _answer_files(folder: Path) -> dict[str, Path]:
    """For each form of the bundled screening: ``pass-X`` (every best answer) and
    ``gap-X`` (the worst answers to the friendliness items: a gap whose plan is
    interviewing and verbal-communication)."""
    import yaml

    from screener.catalog import load_catalog
    from screener.content import ChoiceItem, JudgementItem, LikertItem

    a = load_catalog().assessments["wblc-screening"]

    def answer(item: object, best: bool) -> object:
        if isinstance(item, ChoiceItem):
            return item.key if best else next(o.id for o in item.options if o.id != item.key)
        if isinstance(item, JudgementItem):
            pick = max if best else min
            return pick(item.options, key=lambda o: o.points).id
        if isinstance(item, LikertItem):
            scale = a.scale_of(item)
            return (
                (scale.min if item.reverse else scale.max)
                if best
                else (scale.max if item.reverse else scale.min)
            )
        return item.answer if best else item.answer + 1000  # type: ignore[attr-defined]

    out: dict[str, Path] = {}
    for form in a.form_names():
        for kind in ("pass", "gap"):
            path = folder / f"{kind}-{form}.yaml"
            path.write_text(
                yaml.safe_dump(
                    {
                        i.id: answer(i, kind == "pass" or i.competency != "friendliness")
                        for i in a.form_items(form)
                    }
                )
            )
            out[f"{kind}-{form}"] = path
    return out


def ok(*args: str) -> CliResult:
    result = run_cli(*args)
    assert result.returncode == 0, (args, result.stdout, result.stderr)
    return result


def refused(*args: str, code: int = 1) -> str:
    """The one error line of a refused command (nothing else on stderr)."""
    result = run_cli(*args)
    assert result.returncode == code, (args, result.stdout, result.stderr)
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    return lines[0]


def pathway(person: str, *extra: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(ok("pathway", person, "--json", *extra).stdout)
    return data


def route_so_far(person: str, *extra: str) -> list[tuple[str, str, str, bool]]:
    return [
        (h["event"], h["from"], h["to"], h["automatic"]) for h in pathway(person, *extra)["history"]
    ]


def stored_events() -> list[dict[str, Any]]:
    """What the store holds, read without the sync the program commands do."""
    rows: list[dict[str, Any]] = json.loads(ok("export", "--pathway", "--format", "json").stdout)
    return rows


# -- employers --------------------------------------------------------------------------


def test_employers_are_added_listed_and_edited() -> None:
    assert ok("employer", "add", "Apex Mold & Die", "--region", "GTA", "--seats", "2").stdout == (
        "apex-mold-die: Apex Mold & Die, GTA, 2 seat(s)\n"
    )
    ok("employer", "add", "Apex Mold & Die", "--region", "London")  # same name: another id
    ok("employer", "add", "Grand River Molds", "--region", "Kitchener-Waterloo", "--id", "e07")
    listed = json.loads(ok("employer", "list", "--json").stdout)
    assert [(e["id"], e["region"], e["seats"], e["open"]) for e in listed] == [
        ("apex-mold-die", "GTA", 2, 2),
        ("apex-mold-die-2", "London", 0, 0),
        ("e07", "Kitchener-Waterloo", 0, 0),
    ]
    ok("employer", "edit", "e07", "--seats", "3", "--name", "Grand River Molds Inc.")
    table = ok("employer", "list").stdout
    assert "Grand River Molds Inc." in table and "Kitchener-Waterloo" in table
    assert json.loads(ok("employer", "list", "--json").stdout)[2]["seats"] == 3
    # refusals: one line each, nothing changed
    assert "employer id 'e07' is already taken" in refused(
        "employer", "add", "Other", "--region", "GTA", "--id", "e07"
    )
    assert "no employer 'nope'" in refused("employer", "edit", "nope", "--seats", "1")
    assert "give --name, --region or --seats" in refused("employer", "edit", "e07", code=2)
    assert "--region" in refused("employer", "add", "Blank", "--region", "  ", code=2)
    assert run_cli("employer", "add", "Neg", "--region", "GTA", "--seats", "-1").returncode == 2
    assert "--id" in refused("employer", "add", "X", "--region", "GTA", "--id", "a b", code=2)
    assert len(json.loads(ok("employer", "list", "--json").stdout)) == 3


# -- a whole program from the command line -----------------------------------------------


def test_a_new_candidate_walks_the_whole_program(tmp_path: Path, isolated_db: Path) -> None:
    from screener.store import Store

    files = _answer_files(tmp_path)
    ok("employer", "add", "Apex Mold & Die", "--region", "GTA", "--seats", "1", "--id", "e01")
    ok("employer", "add", "Grand River Molds", "--region", "Kitchener-Waterloo", "--id", "e07")
    # screening with a gap: BCG coaching in exactly the gap's modules
    ok(
        "take",
        "--answers",
        str(files["gap-A"]),
        "--name",
        "Ana Silva",
        "--candidate",
        "ana",
        "--region",
        "GTA",
    )
    now = pathway("ana")
    assert (now["route"]["id"], now["stage"]["id"], now["region"]) == ("new", "bcg", "GTA")
    assert now["history"][0]["modules"] == ["interviewing", "verbal-communication"]
    assert [m["event"] for m in now["next"]] == ["plan_done", "withdrew"]
    # what only screener records, and moves the program does not allow here, are refused
    assert refused("record", "ana", "passed") == (
        "error: 'passed' is recorded by screener from ana's screening and coaching, not by hand"
    )
    assert refused("record", "ana", "interview_booked", "--employer", "e01") == (
        "error: cannot record 'interview_booked' for ana at 'BCG coaching' on route 'new'; "
        "allowed here: plan_done, withdrew"
    )
    # the coaching plan done (as coach stores it): retake due
    store = Store(isolated_db)
    store.record_check("ana", "interviewing", 100.0, passed=True)
    assert pathway("ana")["stage"]["id"] == "bcg"  # one module of two
    store.record_check("ana", "verbal-communication", 100.0, passed=True)
    assert pathway("ana")["stage"]["id"] == "retake_due"
    # the retake passes: waiting for an employer, on the waiting list of GTA
    ok("take", "--answers", str(files["pass-B"]), "--candidate", "ana")
    assert pathway("ana")["stage"]["id"] == "awaiting_interview"
    regions = json.loads(ok("waiting", "--json").stdout)
    assert [(r["region"], r["open"], [w["person"] for w in r["waiting"]]) for r in regions] == [
        ("GTA", 1, ["ana"]),
        ("Kitchener-Waterloo", 0, []),
    ]
    assert "cannot record 'hired' for ana at 'Waiting for an employer'" in refused(
        "record", "ana", "hired", "--employer", "e01"
    )
    assert refused("record", "ana", "interview_booked") == (
        "error: 'interview_booked' for ana needs an employer"
    )
    assert refused("record", "ana", "interview_booked", "--employer", "e99") == (
        "error: 'interview_booked' for ana: no employer 'e99'"
    )
    assert "is not an event of program wblc-mold-maintenance" in refused(
        "record", "ana", "promoted"
    )
    # interview, hire: the seat is taken
    # today's date means now: after the screening taken earlier today
    done = ok(
        "record",
        "ana",
        "interview_booked",
        "--employer",
        "e01",
        "--note",
        "Tuesday 10:00",
        "--date",
        _days_ago(0),
    )
    assert "interview_booked: Waiting for an employer -> Interview" in done.stdout
    assert "is now at: Interview" in done.stderr
    ok("record", "ana", "hired", "--employer", "e01")
    assert json.loads(ok("employer", "list", "--json").stdout)[0]["open"] == 0
    assert json.loads(ok("waiting", "--json").stdout)[0]["taken"] == 1
    # the core program, one component after another; nothing out of order
    assert "allowed here: elearning_done, withdrew" in refused(
        "record", "ana", "shop_session_1_done"
    )
    for kind in (
        "elearning_done",
        "shop_session_1_done",
        "shop_floor_done",
        "shop_session_2_done",
        "certified",
    ):
        ok("record", "ana", kind)
    assert refused("record", "ana", "withdrew") == (
        "error: cannot record 'withdrew' for ana: they are at 'Certified', where the program ends"
    )
    walked = pathway("ana")
    assert walked["ended"] and walked["stage"]["id"] == "certified" and walked["next"] == []
    assert route_so_far("ana") == [
        ("coaching", "screening", "bcg", True),
        ("plan_done", "bcg", "retake_due", True),
        ("passed", "retake_due", "awaiting_interview", True),
        ("interview_booked", "awaiting_interview", "interview", False),
        ("hired", "interview", "core_elearning", False),
        ("elearning_done", "core_elearning", "shop_session_1", False),
        ("shop_session_1_done", "shop_session_1", "shop_floor", False),
        ("shop_floor_done", "shop_floor", "shop_session_2", False),
        ("shop_session_2_done", "shop_session_2", "certification_exam", False),
        ("certified", "certification_exam", "certified", False),
    ]
    assert walked["history"][3]["note"] == "Tuesday 10:00"
    # the text view says the same
    text = ok("pathway", "ana").stdout
    assert "Now: Certified" in text and "The program has ended for them." in text
    figures = json.loads(ok("funnel", "--json").stdout)
    assert figures["people"] == 1 and figures["total"]["completed"] == 1
    assert figures["total"]["moves"]["hired"] == 1
    # refused commands stored nothing
    assert len(stored_events()) == 10


def test_a_nominated_employee_skips_the_interview_and_the_interviewing_module(
    tmp_path: Path, isolated_db: Path
) -> None:
    from screener.store import Store

    files = _answer_files(tmp_path)
    ok("employer", "add", "Grand River Molds", "--region", "Kitchener-Waterloo", "--id", "e07")
    # an unknown employer is refused before anything is stored
    bad = run_cli(
        "take",
        "--answers",
        str(files["gap-A"]),
        "--name",
        "Kim",
        "--candidate",
        "kim",
        "--nominated-by",
        "e99",
    )
    assert bad.returncode == 2 and "no employer 'e99' (registered: e07" in bad.stderr
    assert json.loads(ok("db", "info", "--json").stdout)["attempts"] == 0
    took = ok(
        "take",
        "--answers",
        str(files["gap-A"]),
        "--name",
        "Kim",
        "--candidate",
        "kim",
        "--nominated-by",
        "e07",
        "--json",
    )
    assert [e["module"] for e in json.loads(took.stdout)["plan"]] == [
        "interviewing",
        "verbal-communication",
    ]
    assert "nominated by e07" in took.stderr and "1 at BCG coaching" in took.stderr
    now = pathway("kim")
    assert (now["route"]["id"], now["employer"]["id"], now["region"]) == (
        "nominated",
        "e07",
        "Kitchener-Waterloo",  # the employer's
    )
    # the program's plan leaves out interviewing: one module finishes it
    assert now["history"][0]["modules"] == ["verbal-communication"]
    # and coach offers that plan: no interviewing for a nominated employee
    plan = ok("coach", "kim", "--no-input").stdout
    assert "Verbal Communication" in plan and "Interviewing" not in plan
    Store(isolated_db).record_check("kim", "verbal-communication", 90.0, passed=True)
    assert pathway("kim")["stage"]["id"] == "retake_due"
    ok("take", "--answers", str(files["pass-B"]), "--candidate", "kim", "--nominated-by", "e07")
    assert route_so_far("kim")[-1] == ("passed", "retake_due", "core_elearning", True)
    assert refused("record", "kim", "interview_booked", "--employer", "e07") == (
        "error: cannot record 'interview_booked' for kim at 'Core program: e-learning' on "
        "route 'nominated'; allowed here: elearning_done, withdrew"
    )
    # a new candidate cannot become nominated later
    ok("take", "--answers", str(files["pass-A"]), "--name", "Lee", "--candidate", "lee")
    ok("take", "--answers", str(files["gap-A"]), "--name", "Max", "--candidate", "max")
    assert "Interviewing" in ok("coach", "max", "--no-input").stdout  # route 'new' keeps it
    late = run_cli(
        "take", "--answers", str(files["pass-B"]), "--candidate", "lee", "--nominated-by", "e07"
    )
    assert late.returncode == 1
    assert "lee entered the program on route 'new'" in late.stderr
    assert "(the screening itself is stored)" in late.stderr


def _days_ago(days: int) -> str:
    from datetime import UTC, datetime, timedelta

    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


def test_record_dates_and_notes(tmp_path: Path) -> None:
    ok("employer", "add", "Apex", "--region", "GTA", "--seats", "1", "--id", "e01")
    _import(tmp_path, f"ben,Ben,GTA,passed,{_days_ago(30)},,,\n")
    assert "before their last event" in refused(
        "record", "ben", "interview_booked", "--employer", "e01", "--date", _days_ago(31)
    )
    assert "--date: 2999-01-01 is in the future" in refused(
        "record", "ben", "withdrew", "--date", "2999-01-01", code=2
    )
    assert "--date: cannot read 'soon'" in refused(
        "record", "ben", "withdrew", "--date", "soon", code=2
    )
    ok("record", "ben", "interview_booked", "--employer", "e01", "--date", _days_ago(20))
    ok("record", "ben", "not_hired", "--date", f"{_days_ago(13)}T15:30")
    ok("record", "ben", "withdrew", "--note", "moved to Alberta", "--date", _days_ago(2))
    history = pathway("ben")["history"]
    assert [h["at"] for h in history] == [
        f"{_days_ago(30)}T00:00:00+00:00",
        f"{_days_ago(20)}T00:00:00+00:00",
        f"{_days_ago(13)}T15:30:00+00:00",
        f"{_days_ago(2)}T00:00:00+00:00",
    ]
    assert history[-1]["note"] == "moved to Alberta"
    reasons = json.loads(ok("funnel", "--json").stdout)["total"]["reasons"]
    assert reasons == [{"reason": "moved to Alberta", "people": 1}]
    assert "no candidate 'nobody'" in refused("record", "nobody", "withdrew")
    assert "give CANDIDATE and EVENT" in refused("record", "ben", code=2)


# -- the waiting offer --------------------------------------------------------------------


def _import(tmp_path: Path, rows: str, *extra: str) -> CliResult:
    path = tmp_path / f"events-{abs(hash(rows))}.csv"
    path.write_text("person,name,region,kind,at,employer,note,route\n" + rows)
    return ok("record", "--import", str(path), *extra)


def test_the_elearning_offer_is_made_once_after_waiting_days(
    tmp_path: Path, isolated_db: Path
) -> None:
    from datetime import UTC, datetime, timedelta

    from screener.pathway import Event
    from screener.store import Store

    ok("employer", "add", "Apex", "--region", "GTA", "--seats", "1", "--id", "e01")
    # two people who passed: one 90 days ago, one 10 (stored as an earlier screener left them)
    store = Store(isolated_db)
    now = datetime.now(UTC)
    for person, name, region, days in (("w1", "Wen", "Windsor", 90), ("w2", "Wu", "GTA", 10)):
        store.add_candidate(name, candidate_id=person)
        at = (now - timedelta(days=days)).replace(hour=0, minute=0, second=0, microsecond=0)
        store.add_events([Event(person, "passed", at, region=region, route="new")])
    listed = run_cli("waiting", "--json")
    assert listed.returncode == 0
    assert "screener recorded 1 automatic event(s) now due: elearning_offered" in listed.stderr
    regions = {r["region"]: r for r in json.loads(listed.stdout)}
    assert [w["person"] for w in regions["GTA"]["waiting"]] == ["w2"]
    assert regions["GTA"]["waiting"][0]["days"] == 10
    assert "Windsor" not in regions  # offered the e-learning track: no longer waiting
    offer = pathway("w1")["history"][-1]
    assert (offer["event"], offer["to"], offer["automatic"]) == (
        "elearning_offered",
        "elearning_track",
        True,
    )
    assert offer["note"] == (
        "offered automatically: waited 90 days for an employer in Windsor, "
        "more than the program's 60"
    )
    # once: the next look records nothing more
    again = run_cli("waiting")
    assert again.returncode == 0 and "automatic" not in again.stderr
    assert [e["kind"] for e in stored_events()].count("elearning_offered") == 1
    assert pathway("w2")["waiting"] == {"days": 10, "waiting_days": 60, "offer_in_days": 51}
    # an imported history is brought up to now the same way
    done = _import(tmp_path, f"w3,Wil,London,passed,{_days_ago(75)},,,\n")
    assert "1 automatic event(s) with them" in done.stdout
    assert pathway("w3")["stage"]["id"] == "elearning_track"


# -- the pilot, imported: the funnel reproduces its published counts -----------------------


def _pilot_with_names(folder: Path) -> Path:
    """The pilot fixture's events with a name column (the people are registered by the
    import); the rows themselves unchanged."""
    with (PILOT / "pilot-events.csv").open(newline="") as f:
        rows = list(csv.DictReader(f))
    path = folder / "pilot-events-named.csv"
    with path.open("w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=["name", *rows[0]])
        writer.writeheader()
        for row in rows:
            writer.writerow({"name": f"Pilot person {row['person']}", **row})
    return path


def _register_pilot_employers() -> None:
    with (PILOT / "pilot-employers.csv").open(newline="") as f:
        for row in csv.DictReader(f):
            ok(
                "employer",
                "add",
                row["name"],
                "--region",
                row["region"],
                "--seats",
                row["seats"],
                "--id",
                row["id"],
            )


def _load_pilot(folder: Path) -> CliResult:
    _register_pilot_employers()
    return ok("record", "--import", str(_pilot_with_names(folder)))


def test_the_pilot_funnel_through_the_cli(tmp_path: Path) -> None:
    from test_funnel import PROGRAM, pilot_employers, pilot_states

    from screener.funnel import funnel, funnel_json

    loaded = _load_pilot(tmp_path)
    assert loaded.stdout == (
        "157 event(s) stored for 31 people (0 automatic event(s) with them; 0 row(s) already "
        "stored; 31 candidate(s) registered)\n"
    )
    figures = json.loads(ok("funnel", "--json").stdout)
    total = figures["total"]
    new, nominated = figures["routes"]
    stage = {s["stage"]: s for s in total["stages"]}
    # 31 workers, 10 employers (GTA and Kitchener-Waterloo), 7 hired, 11 nominated,
    # 15 certified, 8 to the e-learning track for want of an employer in their region
    assert figures["people"] == 31 and figures["employers"] == 10
    assert [r["region"] for r in figures["regions"]] == ["GTA", "Kitchener-Waterloo"]
    assert total["moves"]["hired"] == 7
    assert nominated["people"] == 11 and new["people"] == 20
    assert total["completed"] == 15 == stage["certified"]["reached"]
    assert stage["elearning_track"]["reached"] == 8
    # nominated employees finished in about half the time, computed from the dates
    assert figures["core_time_ratio"]["nominated"] == pytest.approx(91 / 182)
    # exactly the library's figures from the fixture: the import stored the file's events
    # and nothing else (no automatic event, nobody added or lost)
    direct = funnel_json(funnel(PROGRAM, pilot_states().values(), employers=pilot_employers()))
    assert figures == direct
    # importing the file again stores nothing twice
    again = ok("record", "--import", str(tmp_path / "pilot-events-named.csv"))
    assert "0 event(s) stored" in again.stdout and "157 row(s) already stored" in again.stdout
    assert json.loads(ok("funnel", "--json").stdout) == direct
    # --since: people whose first event is on or after the day
    later = json.loads(ok("funnel", "--json", "--since", "2019-02-01").stdout)
    assert later["people"] == 3 and later["since"] == "2019-02-01"  # 28 started in January
    assert "--since: write a date" in refused("funnel", "--since", "March", code=2)
    assert "--json and --format: choose one" in refused(
        "funnel", "--json", "--format", "html", code=2
    )
    # Markdown on stdout (the default) and to a file (0600, via the safe writer)
    md = ok("funnel").stdout
    assert md.startswith("# Program funnel: Work-Based Learning: Mold Maintenance Technician")
    assert "| Nominated employee | 11 | 11 | 10 |" in md
    out = tmp_path / "funnel.md"
    wrote = ok("funnel", "--output", str(out))
    assert wrote.stdout == "" and out.read_text() == md
    assert (out.stat().st_mode & 0o777) == 0o600
    db = Path(os.environ["SCREENER_DB"])
    assert "is the results database" in refused("funnel", "--output", str(db), code=2)


def test_the_pilot_funnel_as_html_in_chromium(tmp_path: Path) -> None:
    from test_report import A4_WIDTH_PX, headless

    _load_pilot(tmp_path)
    page = tmp_path / "funnel.html"
    ok("funnel", "--format", "html", "--output", str(page))
    source = page.read_text()
    assert "<script" not in source and "http" not in source.split("<body", 1)[1]
    probe = tmp_path / "probe.html"
    probe.write_text(
        source.replace(
            "</body>",
            "<script>document.body.insertAdjacentHTML('beforeend', '<p id=\"w\">W=' + "
            "document.documentElement.scrollWidth + '</p>')</script></body>",
        )
    )
    run = headless(probe, tmp_path / "profile", "--dump-dom")
    assert run.returncode == 0, run.stderr
    for text in ("Program funnel", "Stages: Nominated employee", "Why people left", "BCG"):
        assert text in run.stdout
    found = re.search(r'id="w">W=(\d+)<', run.stdout)
    assert found, run.stderr
    assert 0 < int(found.group(1)) <= A4_WIDTH_PX


# -- importing events: every row checked, all or nothing --------------------------------------


def test_an_import_with_bad_rows_lists_each_and_stores_nothing(
    tmp_path: Path, isolated_db: Path
) -> None:
    files = _answer_files(tmp_path)
    ok("employer", "add", "Apex", "--region", "GTA", "--seats", "1", "--id", "e01")
    ok("take", "--answers", str(files["pass-A"]), "--name", "Sam", "--candidate", "sam")
    before = stored_events()
    bad = tmp_path / "bad.csv"
    bad.write_text(
        "person,name,region,kind,at,employer,note,route\n"
        "p1,Pat,GTA,passed,2024-01-10,,,\n"  # fine
        "p1,,,certified,2024-01-20,,,\n"  # row 3: not from the interview
        "p2,,GTA,passed,2024-01-10,,,\n"  # row 4: nobody called p2, no name
        "p3,Pia,GTA,passed,someday,,,\n"  # row 5: the time
        "sam,,,passed,2024-02-01,,,\n"  # row 6: sam's screenings are in screener
        "p4,Poe,GTA,passed,2024-01-10,e77,,nominated\n"  # row 7: unknown employer
        "p5,Pam,GTA,withdrew,2999-01-01,,,\n"  # row 8: the future
        "p1,,,interview_booked,2024-01-15,e01,,\n"  # fine
        "p6,Ava,GTA,passed,2024-01-10,,,managers\n"  # row 10: no such route
    )
    errors_csv = tmp_path / "errors.csv"
    result = run_cli("record", "--import", str(bad), "--errors", str(errors_csv))
    assert result.returncode == 1
    assert result.stdout == (
        "7 of 9 row(s) refused: nothing was stored (an events file is stored whole or not at "
        "all; fix the rows and import it again)\n"
    )
    lines = result.stderr.splitlines()
    assert [re.match(rf"{re.escape(str(bad))}: row (\d+)", x).group(1) for x in lines] == [  # type: ignore[union-attr]
        "3",
        "4",
        "5",
        "6",
        "7",
        "8",
        "10",
    ]
    joined = "\n".join(lines)
    assert "row 3, column 'kind': cannot record 'certified' for p1 at 'Interview'" in joined
    assert "row 4, column 'person': no candidate with this id" in joined
    assert "row 5, column 'at': event 'passed' for p3: cannot read the time 'someday'" in joined
    assert "row 6, column 'kind': 'passed' is recorded by screener from sam's screening" in joined
    assert "row 7, column 'kind': 'passed' for p4: no employer 'e77'" in joined
    assert "row 8, column 'at': the time is in the future" in joined
    assert "row 10, column 'route'" in joined and "no route 'managers'" in joined
    with errors_csv.open(newline="") as f:
        written = list(csv.DictReader(f))
    assert [int(r["row"]) for r in written] == [3, 4, 5, 6, 7, 8, 10]
    assert (errors_csv.stat().st_mode & 0o777) == 0o600
    # nothing stored: no events, nobody registered
    assert stored_events() == before
    assert "no candidate 'p1'" in refused("pathway", "p1")
    # a dry run of a good file checks and stores nothing; the real import stores it
    good = tmp_path / "good.csv"
    good.write_text(
        "person,name,region,kind,at,employer\n"
        "p1,Pat,GTA,passed,2024-01-10,\n"
        "p1,,,interview_booked,2024-01-15,e01\n"
        "p1,,,hired,2024-01-20,e01\n"
    )
    dry = ok("record", "--import", str(good), "--dry-run")
    assert "3 event(s) checked, nothing stored (dry run)" in dry.stdout
    assert stored_events() == before
    ok("record", "--import", str(good))
    assert pathway("p1")["stage"]["id"] == "core_elearning"
    assert json.loads(ok("employer", "list", "--json").stdout)[0]["taken"] == 1


def test_an_import_file_must_be_an_events_file(tmp_path: Path) -> None:
    odd = tmp_path / "odd.csv"
    odd.write_text("person,kind,at,colour\np1,passed,2024-01-01,red\n")
    assert "unknown column 'colour'" in refused("record", "--import", str(odd))
    short = tmp_path / "short.csv"
    short.write_text("person,kind\np1,passed\n")
    assert "needs the columns person, kind and at" in refused("record", "--import", str(short))
    assert "not CANDIDATE" in refused("record", "x", "--import", str(short), code=2)
    assert "--errors and --dry-run go with --import" in refused(
        "record", "x", "withdrew", "--dry-run", code=2
    )
    jsonl = tmp_path / "events.jsonl"
    row = {"person": "j1", "name": "Jay", "kind": "passed", "at": _days_ago(5), "region": "GTA"}
    jsonl.write_text(json.dumps(row) + "\n")
    ok("record", "--import", str(jsonl))
    assert pathway("j1")["stage"]["id"] == "awaiting_interview"


# -- batch --nominated-by and --region --------------------------------------------------------


def test_batch_puts_a_cohort_on_its_route(tmp_path: Path) -> None:
    ok("employer", "add", "Grand River Molds", "--region", "Kitchener-Waterloo", "--id", "e07")
    staff = tmp_path / "staff.csv"
    ok("simulate", "wblc-screening", "--n", "6", "--seed", "3", "--output", str(staff))
    # a dry run stores no attempt and no event
    ok("batch", str(staff), "-a", "wblc-screening", "--nominated-by", "e07", "--dry-run")
    assert stored_events() == []
    done = ok("batch", str(staff), "-a", "wblc-screening", "--nominated-by", "e07", "--json")
    assert "nominated by e07" in done.stderr
    outcomes = json.loads(done.stdout)["outcomes"]
    with staff.open(newline="") as f:
        people = [row["candidate_id"] for row in csv.DictReader(f)]
    stages = {p: pathway(p) for p in people}
    where = [s["stage"]["id"] for s in stages.values()]
    # an incomplete screening moves nobody: the nomination goes on their first event
    entered = [s for s in stages.values() if s["history"]]
    assert len(entered) == outcomes["pass"] + outcomes["coaching"] > 0
    assert all(s["route"]["id"] == "nominated" for s in entered)
    assert all(s["employer"]["id"] == "e07" for s in entered)
    assert all(s["region"] == "Kitchener-Waterloo" for s in entered)
    assert where.count("core_elearning") == outcomes["pass"]
    assert where.count("bcg") == outcomes["coaching"]
    assert where.count("screening") == outcomes["incomplete"]
    # nominated employees' plans leave out the interviewing module
    for s in stages.values():
        for step in s["history"]:
            assert "interviewing" not in step["modules"]
    # the same file again: nothing stored twice, no event twice
    before = stored_events()
    ok("batch", str(staff), "-a", "wblc-screening", "--nominated-by", "e07")
    assert stored_events() == before
    # new candidates with their region: on the waiting list there
    cohort = tmp_path / "cohort.csv"
    ok("simulate", "wblc-screening", "--n", "8", "--seed", "4", "--output", str(cohort))
    rows = cohort.read_text().replace("sim-", "gta-")
    cohort.write_text(rows)
    new = json.loads(
        ok("batch", str(cohort), "-a", "wblc-screening", "--region", "GTA", "--json").stdout
    )
    regions = {r["region"]: r for r in json.loads(ok("waiting", "--json").stdout)}
    assert len(regions["GTA"]["waiting"]) == new["outcomes"]["pass"] > 0
    assert regions["GTA"]["short"] == new["outcomes"]["pass"]  # no employer in the GTA
    bad = run_cli("batch", str(cohort), "-a", "wblc-screening", "--nominated-by", "nope")
    assert bad.returncode == 2 and "no employer 'nope'" in bad.stderr


# -- export --pathway, and erasure -----------------------------------------------------


def test_export_pathway_rows_and_anonymised(tmp_path: Path) -> None:
    ok("employer", "add", "Apex", "--region", "GTA", "--seats", "1", "--id", "e01")
    _import(
        tmp_path,
        f"p1,=Pat,GTA,passed,{_days_ago(9)},,,\n"
        f"p1,,,interview_booked,{_days_ago(8)},e01,,\n"
        f"p1,,,withdrew,{_days_ago(7)},,found other work,\n",
    )
    text = ok("export", "--pathway", "--format", "csv").stdout
    rows = list(csv.DictReader(text.splitlines()))
    assert [r["kind"] for r in rows] == ["passed", "interview_booked", "withdrew"]
    assert rows[0]["name"] == "'=Pat"  # safe to open in a spreadsheet
    assert rows[1]["employer"] == "e01" and rows[2]["note"] == "found other work"
    anonymous = json.loads(ok("export", "--pathway", "--format", "json", "--anonymize").stdout)
    assert {r["person"] for r in anonymous} == {r["name"] for r in anonymous}
    assert all(r["person"].startswith("anon-") for r in anonymous)
    assert "note" not in anonymous[0] and "Pat" not in json.dumps(anonymous)
    out = tmp_path / "events.xlsx"
    ok("export", "--pathway", "--format", "xlsx", "--output", str(out))
    assert out.stat().st_size > 0 and (out.stat().st_mode & 0o777) == 0o600
    assert "needs --output" in refused("export", "--pathway", "--format", "xlsx", code=2)
    assert "--items is about attempts" in refused(
        "export", "--pathway", "--format", "csv", "--items", code=2
    )
    since = json.loads(
        ok("export", "--pathway", "--format", "json", "--since", _days_ago(7)).stdout
    )
    assert [r["kind"] for r in since] == ["withdrew"]
    # delete erases a person's events with them
    ok("delete", "p1", "--yes")
    assert stored_events() == []
    assert json.loads(ok("db", "info", "--json").stdout)["events"] == 0


# -- coach: a finished plan moves the person on at once --------------------------------


def test_a_screening_at_the_terminal_and_finishing_the_plan_in_coach_move_people(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import shutil

    from content_fixtures import tiny
    from test_session import module
    from test_take import DOWN, ENTER, typed

    from screener.session import module_option_order, option_order

    root = tmp_path / "content"
    shutil.copytree(DATA / "tiny", root)
    (root / "programs").mkdir()
    shutil.copy(PILOT / "small.yaml", root / "programs" / "small.yaml")
    content = ("--content-dir", str(root))
    # the screening taken at a terminal: its events are stored when it is submitted
    s1 = next(i for i in tiny().items if i.id == "s1")
    # m1 right, m2 wrong (a gap in math: tiny-math), t1 5, t2 1, s1 b
    keys = ENTER + DOWN + ENTER + "3" + ENTER + "5" + "1" + DOWN * option_order(s1, 1).index("b")
    keys += ENTER
    took = typed(
        monkeypatch,
        keys,
        *content,
        "take",
        "tiny",
        "--name",
        "Cal",
        "--candidate",
        "cal",
        "--seed",
        "1",
        "--region",
        "Hamilton",
    )
    assert took.returncode == 0 and "Coaching plan" in took.stdout, took.stderr
    assert "program small (region Hamilton): 1 at Coaching" in took.stderr
    assert [(e["kind"], e["region"]) for e in stored_events()] == [("coaching", "Hamilton")]
    # two programs are in use now (the bundled one and small): the commands name theirs
    assert "name a program" in refused(*content, "pathway", "cal")
    before = json.loads(ok(*content, "pathway", "cal", "--program", "small", "--json").stdout)
    assert before["stage"]["id"] == "bcg" and before["history"][0]["modules"] == ["tiny-math"]
    m = module("tiny-math")

    def pick(q: Any) -> str:
        return DOWN * module_option_order(q, 0).index(q.key) + ENTER

    keys = ENTER + " " + " " + ENTER + pick(m.check.items[0]) + pick(m.check.items[1])
    done = typed(monkeypatch, keys, *content, "coach", "cal")
    assert "Module complete: 2 of 2 right" in done.stdout, done.stdout + done.stderr
    # recorded by coach itself (export reads the store without the commands' catch-up)
    assert [e["kind"] for e in stored_events()] == ["coaching", "plan_done"]
    now = json.loads(ok(*content, "pathway", "cal", "--program", "small", "--json").stdout)
    assert now["stage"]["id"] == "screening" and now["history"][-1]["automatic"]


def test_record_json_and_hostile_text_shown_as_text(tmp_path: Path) -> None:
    assert "NAME: give printable text" in refused(
        "employer", "add", "Evil\x1b[31m", "--region", "GTA", code=2
    )
    ok("employer", "add", "Evil [bold]Corp[/bold]", "--region", "[GTA]", "--id", "e01")
    _import(tmp_path, f"x1,Zed [link=http://x]me[/link],[GTA],passed,{_days_ago(3)},,,\n")
    recorded = json.loads(
        ok("record", "x1", "withdrew", "--note", "left \x1b[2J [red]now[/red]", "--json").stdout
    )
    assert [e["kind"] for e in recorded["recorded"]] == ["withdrew"]
    assert recorded["pathway"]["stage"]["id"] == "withdrawn"
    assert recorded["pathway"]["history"][-1]["note"] == "left \x1b[2J [red]now[/red]"
    for args in (("pathway", "x1"), ("employer", "list"), ("waiting",), ("funnel",)):
        shown = ok(*args)
        assert "\x1b" not in shown.stdout + shown.stderr, args
    page = " ".join(ok("pathway", "x1").stdout.split())
    assert "Zed [link=http://x]me[/link]" in page and "[red]now[/red]" in page
    assert "\\x1b[2J" in page
    assert "Evil [bold]Corp[/bold]" in ok("employer", "list").stdout


def test_take_reads_which_assessment_a_program_gates_as_its_file_says_now(
    tmp_path: Path,
) -> None:
    """``take`` learns from the content cache that no program gates its assessment, without
    loading the program models (issue 15); a program file edited to gate it is read
    again, and its events are stored."""
    import shutil

    from test_startup_imports import _loaded

    root = tmp_path / "content"
    shutil.copytree(DATA / "tiny", root)
    (root / "programs").mkdir()
    program = root / "programs" / "small.yaml"
    text = (PILOT / "small.yaml").read_text()
    program.write_text(text.replace("gate: tiny", "gate: elsewhere"))
    answers = tmp_path / "answers.yaml"
    answers.write_text("m1: a\nm2: 3\nt1: 5\nt2: 1\ns1: b\n")  # a gap in math: coaching
    take = ("--content-dir", str(root), "take", "tiny", "--answers", str(answers))
    ok(*take, "--name", "First")
    out, loaded = _loaded(*take, "--name", "Second", probe=("screener.program",))
    assert "Coaching plan" in out and loaded == set()
    assert stored_events() == []
    program.write_text(text)  # now it gates tiny
    ok(*take, "--name", "Third")
    assert [(e["kind"], e["name"]) for e in stored_events()] == [("coaching", "Third")]
    _, loaded = _loaded(*take, "--name", "Fourth", probe=("screener.program",))
    assert loaded == {"screener.program"}  # a program gates it: loaded, its events stored
    assert [e["name"] for e in stored_events()] == ["Third", "Fourth"]
