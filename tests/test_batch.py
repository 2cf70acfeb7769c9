"""``screener batch`` and ``screener simulate`` through the real entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from helpers import DATA, SHARED_BFI, run_cli

from screener.store import Store

BFI = str(DATA / "bfi" / "assessment.yaml")
ITEMS = [f"{s}{n}" for s in "ACENO" for n in range(1, 6)]


def bfi_rows(count: int, start: int = 1) -> list[list[str]]:
    """Plausible bfi rows: ids p<k>, answers cycling through 1..6."""
    return [
        [f"p{k}", f"Person {k}", *(str((k + j) % 6 + 1) for j in range(len(ITEMS)))]
        for k in range(start, start + count)
    ]


def write_csv(path: Path, rows: list[list[str]], header: list[str] | None = None) -> Path:
    with path.open("w", newline="", encoding="utf-8") as fh:
        writer = csv.writer(fh)
        writer.writerow(header or ["candidate_id", "name", *ITEMS])
        writer.writerows(rows)
    return path


def batch(*args: str) -> tuple[int, str, str]:
    done = run_cli("batch", *args)
    return done.returncode, done.stdout, done.stderr


def stored(db: Path) -> int:
    return len(Store(db).attempts()) if db.exists() else 0


@pytest.mark.parametrize("fmt", ["csv", "tsv", "bom", "xlsx", "json", "jsonl"])
def test_every_reader_through_the_cli(tmp_path: Path, isolated_db: Path, fmt: str) -> None:
    rows = bfi_rows(4)
    header = ["candidate_id", "name", *ITEMS]
    if fmt in ("csv", "tsv", "bom"):
        path = tmp_path / ("in.tsv" if fmt == "tsv" else "in.csv")
        with path.open("w", newline="", encoding="utf-8-sig" if fmt == "bom" else "utf-8") as fh:
            writer = csv.writer(fh, delimiter="\t" if fmt == "tsv" else ",")
            writer.writerow(header)
            writer.writerows(rows)
    elif fmt == "xlsx":
        from openpyxl import Workbook

        book = Workbook()
        sheet = book.active
        assert sheet is not None
        sheet.append(header)
        for row in rows:
            sheet.append([row[0], row[1], *(int(v) for v in row[2:])])
        path = tmp_path / "in.xlsx"
        book.save(path)
    else:
        objects = [
            {
                "candidate_id": r[0],
                "name": r[1],
                **{i: int(v) for i, v in zip(ITEMS, r[2:], strict=True)},
            }
            for r in rows
        ]
        path = tmp_path / f"in.{fmt}"
        text = (
            json.dumps(objects)
            if fmt == "json"
            else "\n".join(json.dumps(o) for o in objects) + "\n"
        )
        path.write_text(text, encoding="utf-8")
    code, out, err = batch(str(path), "--assessment", BFI, "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert (summary["rows"], summary["scored"], summary["stored"]) == (4, 4, 4)
    records = Store(isolated_db).attempts()
    assert sorted(r.candidate_id for r in records) == ["p1", "p2", "p3", "p4"]
    assert {r.name for r in records} == {"Person 1", "Person 2", "Person 3", "Person 4"}
    first = next(r for r in records if r.candidate_id == "p1")
    assert first.answers["A1"] == 2 and first.answers["O5"] == 2


def test_row_errors_of_each_kind_are_reported_and_good_rows_stored(
    tmp_path: Path, isolated_db: Path
) -> None:
    rows = bfi_rows(6)
    rows[1][2] = "7"  # row 3: out of the 1-6 scale
    rows[2][5] = "often"  # row 4: not a number
    rows[3][0] = ""  # row 5: missing candidate id
    rows[4][0] = "p1"  # row 6: duplicate of row 2
    path = write_csv(tmp_path / "in.csv", rows)
    errors = tmp_path / "errors.csv"
    code, out, err = batch(str(path), "-a", BFI, "--errors", str(errors))
    assert code == 3, err
    assert "row 3, column 'A1'" in err and "'7'" in err
    assert "row 4, column 'A4'" in err and "often" in err
    assert "row 5, column 'candidate_id': missing candidate id" in err
    assert "row 6, column 'candidate_id': duplicate candidate id (first at row 2)" in err
    assert "4 row(s) rejected" in err
    assert "Traceback" not in err
    assert "2 scored, 4 rejected" in out
    with errors.open(newline="") as fh:
        listed = list(csv.DictReader(fh))
    assert [(e["row"], e["column"]) for e in listed] == [
        ("3", "A1"),
        ("4", "A4"),
        ("5", "candidate_id"),
        ("6", "candidate_id"),
    ]
    assert listed[0]["candidate_id"] == "p2" and listed[0]["value"] == "7"
    assert listed[1]["value"] == "often" and listed[3]["candidate_id"] == "p1"
    assert sorted(r.candidate_id for r in Store(isolated_db).attempts()) == ["p1", "p6"]


def test_unknown_option_and_bad_id_are_row_errors(tmp_path: Path, isolated_db: Path) -> None:
    cohort = tmp_path / "cohort.csv"
    done = run_cli("simulate", "wblc-screening", "--n", "5", "--seed", "3", "-o", str(cohort))
    assert done.returncode == 0, done.stderr
    lines = cohort.read_text().splitlines()
    header = lines[0].split(",")
    cells = lines[2].split(",")
    cells[header.index("bm-a2")] = "z"  # row 3: not an option
    lines[2] = ",".join(cells)
    lines[4] = lines[4].replace("sim-000004", "sim 4", 1)  # row 5: a space in the id
    cohort.write_text("\n".join(lines) + "\n")
    code, _, err = batch(str(cohort), "-a", "wblc-screening")
    assert code == 3
    assert "row 3, column 'bm-a2'" in err and "'z'" in err
    # the store's own id rule (check_candidate_id) and its words
    assert "row 5, column 'candidate_id': invalid candidate id 'sim 4': 1-64 printable" in err
    assert "no spaces" in err
    assert stored(isolated_db) == 3


def test_reimport_stores_nothing_twice(tmp_path: Path, isolated_db: Path) -> None:
    path = write_csv(tmp_path / "in.csv", bfi_rows(20))
    code, out, _ = batch(str(path), "-a", BFI, "--json")
    assert code == 0 and json.loads(out)["stored"] == 20
    code, out, _ = batch(str(path), "-a", BFI, "--json")
    summary = json.loads(out)
    assert code == 0 and (summary["stored"], summary["skipped"]) == (0, 20)
    assert stored(isolated_db) == 20
    # a changed answer is a new submission for that person; the rest are known
    rows = bfi_rows(20)
    rows[0][2] = "1" if rows[0][2] != "1" else "2"
    write_csv(path, rows)
    summary = json.loads(batch(str(path), "-a", BFI, "--json")[1])
    assert (summary["stored"], summary["skipped"]) == (1, 19)
    assert len(Store(isolated_db).candidates()) == 20


def test_a_failure_mid_write_stores_nothing(
    tmp_path: Path, isolated_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from typer.testing import CliRunner

    import screener.store.core as core
    from screener.cli.app import app

    first = write_csv(tmp_path / "first.csv", bfi_rows(5))
    assert batch(str(first), "-a", BFI)[0] == 0
    before = isolated_db.read_bytes()
    second = write_csv(tmp_path / "second.csv", bfi_rows(50, start=100))
    appended: list[str] = []
    original = core._Txn.append

    def failing(self: core._Txn, name: str, docs: list[dict[str, object]]) -> None:
        original(self, name, docs)  # the candidates go in, then the attempts fail
        appended.append(name)
        if name == "attempts":
            raise OSError("disk on fire")

    monkeypatch.setattr(core._Txn, "append", failing)
    result = CliRunner().invoke(app, ["batch", str(second), "-a", BFI])
    assert isinstance(result.exception, OSError)
    assert appended == ["candidates", "attempts"]
    monkeypatch.undo()
    assert isolated_db.read_bytes() == before
    assert stored(isolated_db) == 5 and len(Store(isolated_db).candidates()) == 5
    assert not list(isolated_db.parent.glob("*.tmp"))


def test_unwritable_database_is_one_line_and_exit_1(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    path = write_csv(tmp_path / "in.csv", bfi_rows(3))
    done = run_cli("--db", str(blocker / "db.json"), "batch", str(path), "-a", BFI)
    assert done.returncode == 1
    assert done.stderr.startswith("error: cannot ") and done.stderr.count("\n") == 1
    assert "is a file, not a folder" in done.stderr


def test_mapping_file(tmp_path: Path, isolated_db: Path) -> None:
    labels = ["Very inaccurate", "Moderately inaccurate", "Slightly inaccurate"]
    labels += ["Slightly accurate", "Moderately accurate", "Very accurate"]
    header = ["Applicant ID", "Full name", *(f"Question {i}?" for i in ITEMS)]
    rows = [[r[0], r[1], *(labels[int(v) - 1] for v in r[2:])] for r in bfi_rows(3)]
    path = write_csv(tmp_path / "form-export.csv", rows, header)
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(
        "columns:\n"
        '  "Applicant ID": candidate_id\n'
        '  "Full name": name\n'
        + "".join(f'  "Question {i}?": {i}\n' for i in ITEMS)
        + "answers:\n"
        + '  "*":\n'
        + "".join(f'    "{label}": {n}\n' for n, label in enumerate(labels, 1))
    )
    code, out, err = batch(str(path), "-a", BFI, "--map", str(mapping), "--json")
    assert code == 0, err
    assert json.loads(out)["stored"] == 3
    record = next(r for r in Store(isolated_db).attempts() if r.candidate_id == "p1")
    assert record.answers["A1"] == 2 and record.name == "Person 1"
    # without the mapping there is no id column: one line naming the file, exit 1
    code, _, err = batch(str(path), "-a", BFI)
    assert code == 1 and err.startswith("error: ") and "form-export.csv:1" in err


def test_dry_run_stores_nothing(tmp_path: Path, isolated_db: Path) -> None:
    path = write_csv(tmp_path / "in.csv", bfi_rows(5))
    code, out, _ = batch(str(path), "-a", BFI, "--dry-run")
    assert code == 0 and "dry run: nothing stored" in out
    assert not isolated_db.exists()


def test_json_summary_shape(tmp_path: Path) -> None:
    rows = bfi_rows(10)
    rows[0][3] = "9"
    path = write_csv(tmp_path / "in.csv", rows)
    code, out, _ = batch(str(path), "-a", BFI, "--json")
    assert code == 3
    summary = json.loads(out)
    assert set(summary) == {
        "file", "assessment", "version", "form", "rows", "scored", "rejected", "stored",
        "skipped", "dry_run", "outcomes", "below_cut", "seats", "recommended", "errors",
        "errors_file",
    }  # fmt: skip
    assert (summary["rows"], summary["scored"], summary["rejected"]) == (10, 9, 1)
    assert set(summary["outcomes"]) == {"pass", "coaching", "incomplete"}
    assert sum(summary["outcomes"].values()) == 9
    assert {c["competency"] for c in summary["below_cut"]} == {
        "agree", "conscientious", "extraversion", "neuroticism", "openness",
    }  # fmt: skip
    counts = [c["candidates"] for c in summary["below_cut"]]
    assert counts == sorted(counts, reverse=True)
    assert all(set(s) == {"module", "candidates"} for s in summary["seats"])
    assert summary["recommended"] == []  # bfi has no borderline rule
    assert all(c["close"] == 0 for c in summary["below_cut"])
    assert summary["seats"][0]["candidates"] == summary["outcomes"]["coaching"]
    assert summary["errors"] == [
        {"row": 2, "column": "A2", "value": "9", "message": summary["errors"][0]["message"]}
    ]


def test_help_documents_the_exit_codes() -> None:
    done = run_cli("batch", "--help")
    assert done.returncode == 0
    text = " ".join(done.stdout.split())
    assert "0 every row scored and stored" in text and "3 some rows were rejected" in text


def test_file_level_problems_are_one_line(tmp_path: Path) -> None:
    code, _, err = batch(str(tmp_path / "missing.csv"), "-a", BFI)
    assert code == 1 and err.startswith("error: ") and "missing.csv" in err
    path = write_csv(tmp_path / "in.csv", bfi_rows(2))
    code, _, err = batch(str(path), "-a", BFI, "--form", "Z")
    assert code == 2 and err.startswith("error: --form: no form 'Z'") and "Traceback" not in err


def test_simulate_is_deterministic(tmp_path: Path) -> None:
    one = run_cli("simulate", "wblc-screening", "--n", "50", "--seed", "7")
    two = run_cli("simulate", "wblc-screening", "--n", "50", "--seed", "7")
    other = run_cli("simulate", "wblc-screening", "--n", "50", "--seed", "8")
    assert one.returncode == 0 and one.stdout == two.stdout != other.stdout
    lines = one.stdout.splitlines()
    assert len(lines) == 51 and lines[0].startswith("candidate_id,name,")
    out = tmp_path / "cohort.csv"
    done = run_cli("simulate", "wblc-screening", "--n", "50", "--seed", "7", "--output", str(out))
    assert done.returncode == 0 and out.read_text() == one.stdout
    form_b = run_cli("simulate", "wblc-screening", "--n", "5", "--form", "B")
    assert form_b.stdout.splitlines()[0] != lines[0]


def test_simulated_cohort_screens_cleanly(tmp_path: Path, isolated_db: Path) -> None:
    out = tmp_path / "cohort.csv"
    run_cli("simulate", "wblc-screening", "--n", "300", "--seed", "1", "-o", str(out))
    code, summary, err = batch(str(out), "-a", "wblc-screening", "--json")
    assert code == 0, err
    data = json.loads(summary)
    assert data["stored"] == 300
    records = Store(isolated_db).attempts()
    assert len(records) == 300 and any(r.plan for r in records)
    # the cohort summary counts what was stored: gaps and close scores per competency,
    # required seats and recommended modules per module
    for row in data["below_cut"]:
        statuses = [r.scorecard.competency(row["competency"]).status for r in records]
        assert (row["candidates"], row["close"]) == (
            statuses.count("below"),
            statuses.count("borderline"),
        )
    for key, required in (("seats", True), ("recommended", False)):
        counted = {m["module"]: m["candidates"] for m in data[key]}
        planned = [e.module for r in records for e in r.plan if e.required is required]
        assert counted == {m: planned.count(m) for m in set(planned)}
    assert data["recommended"]  # the bundled screening's follow-up rule leaves some close


@pytest.mark.skipif(not SHARED_BFI.is_dir(), reason="shared/reference/bfi is not beside the repo")
def test_bfi_through_batch_equals_psych(isolated_db: Path) -> None:
    code, _, err = batch(str(SHARED_BFI / "responses.csv"), "--assessment", BFI)
    assert code == 0, err
    with (SHARED_BFI / "psych_scores.csv").open(newline="") as fh:
        expected = {row["candidate_id"]: row for row in csv.DictReader(fh)}
    records = Store(isolated_db).attempts(assessment="bfi")
    assert len(records) == 2800
    checked = 0
    for record in records:
        want = expected[record.candidate_id]
        for comp in record.competencies:
            if want[comp.id] == "NA":
                assert comp.score is None
                continue
            assert comp.score is not None
            assert abs(comp.score - (float(want[comp.id]) - 1) / 5 * 100) <= 1e-9
            checked += 1
    assert checked >= 2800 * 5 - 50


def test_missing_item_columns_are_warned_about(tmp_path: Path) -> None:
    path = tmp_path / "few.csv"
    path.write_text("candidate_id,name,m1\nq1,Q,b\n")
    result = run_cli(
        "--content-dir", str(DATA / "tiny"), "batch", str(path), "-a", "tiny", "--dry-run"
    )
    assert result.returncode == 0, result.stderr
    assert "no column for 4 item(s) of form A (m2, t1, t2, s1)" in result.stderr


def test_a_workbook_with_several_sheets_is_refused(tmp_path: Path) -> None:
    from openpyxl import Workbook

    book = Workbook()
    first = book.active
    assert first is not None
    first.title = "Day1"
    first.append(["candidate_id", "name", "m1"])
    first.append(["q1", "Q", "b"])
    second = book.create_sheet("Day2")
    second.append(["candidate_id", "name", "m1"])
    second.append(["q2", "R", "a"])
    path = tmp_path / "two.xlsx"
    book.save(path)
    result = run_cli("--content-dir", str(DATA / "tiny"), "batch", str(path), "-a", "tiny")
    assert result.returncode == 1
    assert "has 2 sheets ('Day1', 'Day2')" in result.stderr and result.stderr.count("\n") == 1


def test_simulated_follow_up_answers_go_through_batch(tmp_path: Path, isolated_db: Path) -> None:
    """With a follow-up rule the simulated file carries the reserve items the rule asked
    (empty where it asked none), and batch stores them as each attempt's follow-ups."""
    from content_fixtures import load_assessment

    sixitem = str(DATA / "measure" / "sixitem.yaml")
    model = load_assessment("measure/sixitem.yaml")
    out = tmp_path / "six.csv"
    done = run_cli("simulate", sixitem, "--n", "80", "--seed", "5", "-o", str(out))
    assert done.returncode == 0, done.stderr
    with out.open(newline="") as fh:
        rows = list(csv.DictReader(fh))
    reserve = [i.id for i in model.reserve_items()]
    assert list(rows[0])[2:] == [i.id for i in model.form_items("A")] + reserve
    asked = {r["candidate_id"]: [i for i in reserve if r[i]] for r in rows}
    assert any(asked.values()) and not all(asked.values())
    code, _, err = batch(str(out), "-a", sixitem)
    assert code == 0, err
    for record in Store(isolated_db).attempts():
        assert [i for i, _, _ in record.follow_ups] == asked[record.candidate_id]


def test_a_header_only_file_prints_one_line(tmp_path: Path, isolated_db: Path) -> None:
    """Issue 11 point 16: a file with a header and no rows printed a table of zeros."""
    path = write_csv(tmp_path / "empty.csv", [])
    code, out, err = batch(str(path), "--assessment", BFI)
    assert code == 0, err
    assert out == f"{path}: no candidate rows under the header; nothing to screen\n"
    assert err == ""
    code, out, _ = batch(str(path), "--assessment", BFI, "--json")
    assert code == 0 and json.loads(out)["rows"] == 0
