"""``screener batch`` and ``screener simulate`` through the real entry point."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA, SHARED_BFI, record_forks, run_cli

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
    assert len(Store(isolated_db).candidates()) == 20


def test_a_changed_row_is_a_conflict_never_a_silent_second_attempt(
    tmp_path: Path, isolated_db: Path
) -> None:
    """Issue 11 point 12: fixing one answer and importing again added a second attempt on
    the same form with no warning. Now the row is rejected naming the earlier attempt
    (under any file name); --keep-both stores it beside the earlier one, audited."""
    path = write_csv(tmp_path / "in.csv", bfi_rows(20))
    assert batch(str(path), "-a", BFI)[0] == 0
    first = {r.candidate_id: r.attempt_id for r in Store(isolated_db).attempts()}
    rows = bfi_rows(20)
    rows[0][2] = "1" if rows[0][2] != "1" else "2"
    for name in ("in.csv", "in-fixed.csv"):
        fixed = write_csv(tmp_path / name, rows)
        code, out, err = batch(str(fixed), "-a", BFI, "--json")
        summary = json.loads(out)
        assert code == 3, err
        assert (summary["stored"], summary["skipped"], summary["rejected"]) == (0, 19, 1)
        [error] = summary["errors"]
        assert error["row"] == 2 and error["value"] == "p1"
        assert first["p1"] in error["message"] and "--keep-both" in error["message"]
        assert "row 2, column 'candidate_id': changed row? p1 already has" in err
        assert stored(isolated_db) == 20
    # the summary counts only the rows that are stored or were stored before
    assert sum(summary["outcomes"].values()) == 19
    code, out, err = batch(str(fixed), "-a", BFI, "--json", "--keep-both")
    summary = json.loads(out)
    assert code == 0, err
    assert (summary["stored"], summary["skipped"], summary["kept_both"]) == (1, 19, 1)
    store = Store(isolated_db)
    assert len(store.attempts(candidate="p1")) == 2 and stored(isolated_db) == 21
    [event] = store.audit_events(event="batch.kept-both")
    assert event.candidate_id == "p1" and event.detail == f"earlier {first['p1']}"
    # the file as it is now, again: nothing new, nothing refused
    code, out, _ = batch(str(fixed), "-a", BFI, "--json")
    assert code == 0 and json.loads(out)["stored"] == 0


def test_a_dry_run_finds_changed_rows_and_other_names_too(
    tmp_path: Path, isolated_db: Path
) -> None:
    path = write_csv(tmp_path / "in.csv", bfi_rows(3))
    assert batch(str(path), "-a", BFI)[0] == 0
    before = isolated_db.read_bytes()
    rows = bfi_rows(3)
    rows[0][2] = "1" if rows[0][2] != "1" else "2"
    rows[1][1] = "Someone Else"
    code, out, _ = batch(str(write_csv(path, rows)), "-a", BFI, "--json", "--dry-run")
    summary = json.loads(out)
    assert code == 3 and summary["dry_run"] and summary["rejected"] == 2
    assert isolated_db.read_bytes() == before


def test_an_existing_id_with_another_name_is_a_row_error(tmp_path: Path, isolated_db: Path) -> None:
    """Issue 11 point 11: `A1000,Totally Different Person` was added to Amélie Côté."""
    path = write_csv(tmp_path / "in.csv", [["A1000", "Amélie Côté", *bfi_rows(1)[0][2:]]])
    assert batch(str(path), "-a", BFI)[0] == 0
    rows = [
        ["A1000", "Totally Different Person", *bfi_rows(1)[0][2:]],  # same answers
        ["A1001", "New Person", *bfi_rows(1, start=3)[0][2:]],
    ]
    other = write_csv(tmp_path / "second.csv", rows)
    code, out, err = batch(str(other), "-a", BFI, "--json")
    assert code == 3, err
    summary = json.loads(out)
    assert (summary["stored"], summary["rejected"]) == (1, 1)
    [error] = summary["errors"]
    assert error["row"] == 2 and error["column"] == "name"
    assert "'Amélie Côté'" in error["message"] and "'Totally Different Person'" in error["message"]
    assert "--update-names" in error["message"]
    store = Store(isolated_db)
    assert store.get_candidate("A1000").name == "Amélie Côté"
    assert len(store.attempts(candidate="A1000")) == 1
    # the same name in another case or spacing is the same person
    same = write_csv(tmp_path / "third.csv", [["A1000", "  amélie   CÔTÉ ", *bfi_rows(1)[0][2:]]])
    assert batch(str(same), "-a", BFI)[0] == 0
    # --update-names renames them (audited) and stores the row
    code, out, err = batch(str(other), "-a", BFI, "--json", "--update-names")
    assert code == 0, err
    assert json.loads(out)["renamed"] == 1 and "1 stored candidate(s) renamed" in err
    store = Store(isolated_db)
    assert store.get_candidate("A1000").name == "Totally Different Person"
    assert [e.candidate_id for e in store.audit_events(event="candidate.renamed")] == ["A1000"]


def test_contact_and_extra_columns(tmp_path: Path, isolated_db: Path) -> None:
    """Issue 11 point 10: any extra column rejected the whole file (unknown column 'Email')."""
    header = ["Timestamp", "candidate_id", "name", "Email", "Phone", *ITEMS, "Notes"]
    rows = [
        ["2024-03-01 09:00", r[0], r[1], f"{r[0]}@example.com", "555-0101", *r[2:], "n/a"]
        for r in bfi_rows(3)
    ]
    path = write_csv(tmp_path / "in.csv", rows, header)
    code, _, err = batch(str(path), "-a", BFI)
    assert code == 1 and err.count("\n") == 1
    assert "unknown column 'Notes'" in err and "--ignore-extra" in err
    code, out, err = batch(str(path), "-a", BFI, "--ignore-extra", "--json")
    assert code == 0, err
    summary = json.loads(out)
    assert summary["ignored_columns"] == ["Timestamp", "Notes"]  # a form tool's, then extra
    assert summary["contact_columns"] == ["Email", "Phone"]
    assert "left out 2 column(s): 'Timestamp', 'Notes'" in err
    assert "contact details from 'Email', 'Phone'" in err
    assert summary["contacts_added"] == 3
    assert Store(isolated_db).get_candidate("p1").contact == "p1@example.com; 555-0101"
    # a map file's `ignore:` list, and --contact-column for another header
    mapping = tmp_path / "map.yaml"
    mapping.write_text("columns:\n  ignore: [notes]\n  Applicant: candidate_id\n")
    header2 = ["Applicant", "name", "Reach me at", *ITEMS, "Notes"]
    rows2 = [
        [f"q{k}", f"Q {k}", f"q{k}@example.org", *r[2:], "x"] for k, r in enumerate(bfi_rows(2))
    ]
    path2 = write_csv(tmp_path / "mapped.csv", rows2, header2)
    code, out, err = batch(
        str(path2), "-a", BFI, "--map", str(mapping), "--contact-column", "Reach me at", "--json"
    )
    assert code == 0, err
    assert Store(isolated_db).get_candidate("q0").contact == "q0@example.org"


def test_new_people_with_contacts_are_stored_by_the_one_bulk_save(
    tmp_path: Path, isolated_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each new person with contact details was once added by its own ``add_candidate``
    before the bulk save: quadratic on the file store (8,000 rows 13 s, 60,000 rows
    nearly 9 minutes). Now the bulk save stores them, contacts and all."""

    def one_by_one(*args: object, **kwargs: object) -> None:
        raise AssertionError("a batch added a person on their own")

    monkeypatch.setattr(Store, "add_candidate", one_by_one)
    header = ["candidate_id", "name", "Email", *ITEMS]
    rows = [[r[0], r[1], f"{r[0]}@example.com", *r[2:]] for r in bfi_rows(50)]
    code, out, err = batch(str(write_csv(tmp_path / "in.csv", rows, header)), "-a", BFI, "--json")
    assert code == 0, err
    assert json.loads(out)["contacts_added"] == 50
    people = Store(isolated_db).candidates()
    assert {c.id: c.contact for c in people} == {r[0]: f"{r[0]}@example.com" for r in rows}


def test_update_names_renames_everyone_in_one_call(
    tmp_path: Path, isolated_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``--update-names`` renamed each person by its own ``resolve_or_add_candidate``,
    which rewrote their segment each time: 8,000 renamed people took over two minutes.
    Now one ``rename_candidates`` call renames them all (and audits each)."""
    first = bfi_rows(40)
    assert batch(str(write_csv(tmp_path / "first.csv", first)), "-a", BFI)[0] == 0

    def one_by_one(*args: object, **kwargs: object) -> None:
        raise AssertionError("a batch renamed a person on their own")

    monkeypatch.setattr(Store, "resolve_or_add_candidate", one_by_one)
    later = [[r[0], f"Renamed {r[1]}", *r[2:]] for r in first]
    code, out, err = batch(
        str(write_csv(tmp_path / "later.csv", later)), "-a", BFI, "--update-names", "--json"
    )
    assert code == 0, err
    assert json.loads(out)["renamed"] == 40
    store = Store(isolated_db)
    assert {c.id: c.name for c in store.candidates()} == {r[0]: f"Renamed {r[1]}" for r in first}
    assert len(store.audit_events(event="candidate.renamed")) == 40


@pytest.mark.parametrize(
    ("header", "hint"),
    [
        ("Full Name", "--name-column 'Full Name'"),
        ("E-mail adres", "--contact-column 'E-mail adres'"),
        ("Comments", "--ignore-extra"),
    ],
)
def test_the_unknown_column_error_suggests_the_fix_that_applies(
    tmp_path: Path, header: str, hint: str
) -> None:
    rows = [[r[0], "x", *r[2:]] for r in bfi_rows(2)]
    path = write_csv(tmp_path / "in.csv", rows, ["candidate_id", header, *ITEMS])
    code, _, err = batch(str(path), "-a", BFI)
    assert code == 1 and err.count("\n") == 1
    assert f"unknown column '{header}'" in err and hint in err, err


def test_the_id_column_error_names_the_likely_column(tmp_path: Path) -> None:
    rows = bfi_rows(2)
    path = write_csv(tmp_path / "in.csv", rows, ["Applicant ID", "name", *ITEMS])
    code, _, err = batch(str(path), "-a", BFI)
    assert code == 1 and "--id-column 'Applicant ID'" in err, err


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
    txn = getattr(core, "Txn", None) or core._Txn  # the store's transaction class
    original = txn.append

    def failing(self: object, name: str, docs: list[dict[str, object]]) -> None:
        original(self, name, docs)  # the candidates go in, then the attempts fail
        appended.append(name)
        if name == "attempts":
            raise OSError("disk on fire")

    monkeypatch.setattr(txn, "append", failing)
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
        "errors_file", "ignored_columns", "contact_columns", "contacts_added", "renamed",
        "kept_both",
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


TINY_DIR = str(DATA / "tiny")


def test_template_csv_round_trip_with_upper_case_option_ids(
    tmp_path: Path, isolated_db: Path
) -> None:
    """Issue 11 point 13: no way to learn the columns. The template's headers and its
    row of allowed answers; filled in (option ids in capitals, as a spreadsheet's caps
    lock gives them) it goes straight into batch."""
    done = run_cli("--content-dir", TINY_DIR, "template", "tiny")
    assert done.returncode == 0, done.stderr
    header, allowed = list(csv.reader(done.stdout.splitlines()))
    assert header == ["candidate_id", "name", "contact", "m1", "m2", "t1", "t2", "s1"]
    assert allowed[0].startswith("# allowed answers: a candidate id")
    explained = dict(zip(header, allowed, strict=True))
    assert explained["m1"] == "one option id: a = 3; b = 4; c = 5; empty = not answered"
    assert explained["m2"].startswith("a number, in mm")
    assert explained["t1"].startswith("a whole number from 1 to 5 (1 = ")
    path = tmp_path / "filled.csv"
    lines = [*done.stdout.splitlines(), "c-1,Ann Lee,ann@example.com,B,25.4 mm,4,2,A"]
    path.write_text("Cohort 7 (title row)\n" + "\n".join(lines) + "\n", encoding="utf-8")
    done = run_cli("--content-dir", TINY_DIR, "batch", str(path), "-a", "tiny", "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["stored"] == 1
    [attempt] = Store(isolated_db).attempts()
    assert attempt.answers["m1"] == "b" and attempt.answers["s1"] == "a"  # stored as the ids
    assert Store(isolated_db).get_candidate("c-1").contact == "ann@example.com"


def test_template_xlsx_has_drop_downs_and_a_sheet_of_allowed_answers(
    tmp_path: Path, isolated_db: Path
) -> None:
    import openpyxl

    target = tmp_path / "tiny.xlsx"
    done = run_cli("--content-dir", TINY_DIR, "template", "tiny", "--form", "B", "-o", str(target))
    assert done.returncode == 0, done.stderr
    assert oct(target.stat().st_mode & 0o777) == "0o600"
    book = openpyxl.load_workbook(target)
    assert book.sheetnames == ["answers", "Allowed answers"]
    sheet = book["answers"]
    header = [c.value for c in sheet[1]]
    assert header == ["candidate_id", "name", "contact", "m3", "m4", "t3", "t4", "s2"]
    lists = {str(v.sqref).split(":")[0]: v.formula1 for v in sheet.data_validations.dataValidation}
    assert lists["D2"] == '"a,b"' and lists["F2"] == '"1,2,3,4,5"'
    assert "E2" not in lists  # a number: typed freely
    helper = list(book["Allowed answers"].iter_rows(values_only=True))
    assert helper[0] == ("column", "question", "allowed answers")
    assert helper[5][0] == "m4" and "a number" in helper[5][2]
    assert all(sheet.column_dimensions[c].width for c in "ABCDEFGH")
    # filled in and saved, the workbook (two sheets) goes into batch
    sheet.append(["w-1", "Wen Li", None, "B", 7, 3, 4, "a"])
    book.save(target)
    done = run_cli("--content-dir", TINY_DIR, "batch", str(target), "-a", "tiny", "--form", "B")
    assert done.returncode == 0, done.stderr
    assert Store(isolated_db).attempts()[0].answers["m3"] == "b"


def test_template_usage_errors(tmp_path: Path) -> None:
    done = run_cli("template", "wblc-screening", "--format", "xlsx")
    assert done.returncode == 2 and "needs --output" in done.stderr
    done = run_cli("template", "wblc-screening", "--format", "xlsx", "-o", str(tmp_path / "t.csv"))
    assert done.returncode == 2 and "use --format csv" in done.stderr
    done = run_cli("template", "wblc-screening", "--form", "Z")
    assert done.returncode == 2 and "--form" in done.stderr


def _read_ahead_file(tmp_path: Path) -> Path:
    """A CSV file with names, contacts, a form tool's column, a bad cell, a duplicate
    id and a missing id: every part of a table."""
    header = ["candidate_id", "name", "Timestamp", "email", *ITEMS]
    rows = [[r[0], r[1], "2024-05-01", f"{r[0]}@example.com", *r[2:]] for r in bfi_rows(3000)]
    rows[10][5] = "seven"
    rows[20][0] = rows[19][0]
    rows[30][0] = ""
    return write_csv(tmp_path / "ahead.csv", rows, header)


def _table_facts(table: Any) -> tuple[object, ...]:
    cells = [[table.values[c] for c in column] for column in table.codes.tolist()]
    return (
        table.rows.tolist(),
        table.ids,
        table.names,
        table.contacts,
        cells,
        table.errors,
        table.columns,
        table.headers,
        table.ignored,
        table.contact_headers,
        table.mapping,
    )


def _default_options(path: Path) -> Any:
    """``screen_file``'s read options for ``path`` with every default."""
    from screener.batch import _ReadOptions

    return _ReadOptions(path, "candidate_id", "name", None, None)


@pytest.fixture
def forks(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """The children forked from here on; ``read_ahead`` reads every file ahead (any size,
    however busy the machine)."""

    import screener.batch as batch_module
    import screener.forked

    found = record_forks(monkeypatch)
    monkeypatch.setattr(screener.forked, "spare_core", lambda: True)
    monkeypatch.setattr(batch_module, "_AHEAD_MIN", 0)
    return found


def test_a_file_read_ahead_is_the_table_screen_file_reads(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The table a forked child read while the assessment loaded is the one read here
    (rows, ids, names, contacts, cells, errors, columns left out), taken once; with
    other options it is not used, and its child is stopped."""
    import os

    from screener.batch import _read_file, read_ahead

    path = _read_ahead_file(tmp_path)
    ahead = read_ahead(path, contact_columns=None)
    assert ahead is not None and len(forks) == 1
    here = _read_file(ahead.options)
    taken = ahead.take(ahead.options)
    assert taken is not None and _table_facts(taken) == _table_facts(here)
    assert here.errors and here.ignored == ("Timestamp",) and here.contacts
    assert ahead.take(ahead.options) is None  # once only
    for other in ({"id_column": "name"}, {"contact_columns": ["email"]}):
        ahead = read_ahead(path, **{"contact_columns": None, **other})  # type: ignore[arg-type]
        assert ahead is not None
        assert ahead.take(_default_options(path)) is None
        with pytest.raises(ChildProcessError):  # stopped and reaped
            os.waitpid(forks[-1], os.WNOHANG)
    # a mapping file: read by the child too (a ``Mapping`` in the table it sends)
    mapping = tmp_path / "columns.yaml"
    mapping.write_text(
        'columns:\n  "Timestamp": candidate_id\n  "candidate_id": ref\n'
        'answers:\n  "*":\n    "seven": 7\n'
    )
    ahead = read_ahead(path, id_column="ref", map_file=mapping, contact_columns=None)
    assert ahead is not None
    taken = ahead.take(ahead.options)
    mapped = _read_file(ahead.options)
    assert taken is not None and _table_facts(taken) == _table_facts(mapped)
    assert mapped.mapping is not None and mapped.ids[0] == "p1"
    ahead = read_ahead(path, contact_columns=None)
    assert ahead is not None
    ahead.stop()  # the command failed before screening: stopped, reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(forks[-1], os.WNOHANG)


def _ahead_variants(tmp_path: Path) -> dict[str, tuple[Path, Path | None]]:
    """CSV files to read with a child reading their second half ahead: (the file, the
    file the child reads instead when it is to read a stale copy)."""
    plain = _read_ahead_file(tmp_path)
    text = plain.read_text()
    lines = text.splitlines(keepends=True)
    middle = len(lines) // 2
    quoted = tmp_path / "quoted.csv"  # a cell with newlines where the text is cut
    cells = lines[middle].rstrip("\n").split(",")
    cells[1] = '"Person\nover\nthree lines"'
    quoted.write_text("".join([*lines[:middle], ",".join(cells) + "\n", *lines[middle + 1 :]]))
    crlf = tmp_path / "crlf.csv"
    crlf.write_bytes(text.replace("\n", "\r\n").encode())
    lone_cr = tmp_path / "lone-cr.csv"
    lone_cr.write_bytes(text.replace("\n", "\r", 5).encode())
    header_only = tmp_path / "header.csv"
    header_only.write_text(lines[0])
    stale = tmp_path / "stale.csv"  # the child read the file before it was changed
    stale.write_text(text.replace("Person 17", "Someone 17"))
    return {
        "plain": (plain, None),
        "quoted newlines at the cut": (quoted, None),
        "crlf": (crlf, None),
        "lone carriage returns": (lone_cr, None),
        "header only": (header_only, None),
        "changed since the child read it": (plain, stale),
    }


@pytest.mark.parametrize(
    "variant",
    [
        "plain",
        "quoted newlines at the cut",
        "crlf",
        "lone carriage returns",
        "header only",
        "changed since the child read it",
    ],
)
def test_a_file_read_in_pieces_ahead_is_the_file_read_alone(
    tmp_path: Path, forks: list[int], variant: str
) -> None:
    """The child reads pieces while this process loads, this process those left
    (``ReadAhead.take``): the same table as one reader's, whatever the file, and the
    child's rows are dropped when it cut another text (the file changed) or cut inside
    a quoted cell."""
    import os
    from dataclasses import replace
    from functools import partial

    import screener.batch as batch_module
    from screener.batch import ReadAhead, _ahead_piece, _read_file
    from screener.forked import Shared
    from screener.importing import PIECES

    path, child_reads = _ahead_variants(tmp_path)[variant]
    options = replace(_default_options(path), contact_columns=None)
    alone = _table_facts(_read_file(options))
    child_options = replace(options, file=child_reads or path)
    ahead = ReadAhead(
        options, Shared([partial(_ahead_piece, child_options, i) for i in range(PIECES)])
    )
    taken = ahead.take(options)
    assert taken is not None and _table_facts(taken) == alone
    with pytest.raises(ChildProcessError):  # stopped and reaped
        os.waitpid(forks[-1], os.WNOHANG)
    if variant in ("plain", "crlf"):  # cut in two: the child's rows used
        child = _ahead_piece(options, 0)
        assert child is not None and len(child[1].part.ids) > 300  # type: ignore[index]
    assert batch_module._ReadOptions  # the options type the child gets


def test_read_ahead_only_for_a_big_regular_csv_file_and_an_idle_core(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    import os

    import screener.batch as batch_module
    import screener.forked
    from screener.batch import read_ahead

    path = _read_ahead_file(tmp_path)
    other = tmp_path / "ahead.json"
    other.write_text("[]")
    fifo = tmp_path / "in.csv"
    os.mkfifo(fifo)
    assert read_ahead(other) is None and read_ahead(fifo) is None
    assert read_ahead(tmp_path / "missing.csv") is None
    monkeypatch.setattr(batch_module, "_AHEAD_MAX", path.stat().st_size - 1)
    assert read_ahead(path) is None
    monkeypatch.setattr(batch_module, "_AHEAD_MAX", path.stat().st_size)
    monkeypatch.setattr(screener.forked, "spare_core", lambda: False)
    assert read_ahead(path) is None and not forks


@pytest.mark.parametrize("how", ["ahead", "child fails", "not utf-8"])
def test_batch_with_the_file_read_ahead_is_the_batch_without(
    tmp_path: Path, forks: list[int], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The whole command, its file read ahead or not: the same output, errors file and
    stored rows; a child that fails (or a file it cannot read) leaves the reading to
    ``screen_file``, which reports what is wrong as it always does."""
    import os

    import screener.batch as batch_module

    path = _read_ahead_file(tmp_path)
    if how == "not utf-8":
        path.write_bytes(path.read_bytes().replace(b"Person 2999", b"Person \xff"))
    if how == "child fails":
        parent = os.getpid()
        real = batch_module._ahead_piece

        def dies(*args: Any, **kwargs: Any) -> Any:
            if os.getpid() != parent:
                os._exit(3)
            return real(*args, **kwargs)

        monkeypatch.setattr(batch_module, "_ahead_piece", dies)
    runs = []
    for folder, big in (("plain", 10**12), ("ahead", 0)):
        monkeypatch.setattr(batch_module, "_AHEAD_MIN", big)
        (tmp_path / folder).mkdir()
        db, errors = tmp_path / folder / "db.json", tmp_path / folder / "errors.csv"
        done = run_cli("--db", str(db), "batch", str(path), "-a", BFI, "--errors", str(errors))
        attempts = Store(db).attempts() if db.exists() else []
        rows = [(r.candidate_id, r.answers, r.scorecard.competencies) for r in attempts]
        text = errors.read_text() if errors.exists() else ""
        runs.append((done.returncode, done.stdout, done.stderr, text, sorted(rows)))
    assert runs[0] == runs[1] and len(forks) == 1
    if how == "not utf-8":
        assert runs[0][0] == 1 and "not UTF-8" in runs[0][2]
    else:
        assert runs[0][0] == 3 and len(runs[0][4]) == 2997
