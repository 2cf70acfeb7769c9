"""``screener results``: table and JSON lines, filters, one-line errors (issue 7)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
import pytest
from helpers import run_cli
from results_data import TINY_DIR, fill_tiny

from screener.store import Store

TINY = ("--content-dir", str(TINY_DIR))


def test_results_json_lines_are_the_documented_shape(isolated_db: Path) -> None:
    store = fill_tiny(isolated_db)
    done = run_cli(*TINY, "results", "--json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(x) for x in done.stdout.splitlines()]
    records = store.attempts()
    assert lines == [r.json_reference() for r in records]
    assert list(lines[0]) == [
        "attempt_id",
        "candidate_id",
        "name",
        "assessment",
        "version",
        "form",
        "submitted_at",
        "outcome",
        "competencies",
        "plan",
    ]


def test_fast_to_json_is_byte_identical(isolated_db: Path) -> None:
    store = fill_tiny(isolated_db)
    for rec in store.attempts():
        assert orjson.dumps(rec.to_json()) == orjson.dumps(rec.json_reference())
        assert rec.plan_modules == [e.module for e in rec.plan]
        assert [(e.module, e.competencies, e.gap) for e in rec.plan] == rec.plan_rows
        assert rec.statuses == tuple(c.status for c in rec.competencies)
    lazily = [r.attempt_id for r in store.iter_attempts()]
    assert lazily == [r.attempt_id for r in store.attempts()]


def test_results_filters_and_table(isolated_db: Path) -> None:
    store = fill_tiny(isolated_db)
    coaching = [a.attempt_id for a in store.attempts(outcome="coaching")]
    done = run_cli(*TINY, "results", "--outcome", "coaching", "--json")
    assert [json.loads(x)["attempt_id"] for x in done.stdout.splitlines()] == coaching
    done = run_cli(*TINY, "results", "--since", "2024-03-05", "--assessment", "tiny")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(" B ") >= 1 and "6 attempt(s)" in done.stderr
    assert "\x1b[" not in done.stdout


def test_results_bad_input_is_one_line(isolated_db: Path) -> None:
    fill_tiny(isolated_db)
    for args in (("--outcome", "maybe"), ("--since", "yesterday")):
        done = run_cli(*TINY, "results", *args)
        assert done.returncode == 2, args
        assert "Traceback" not in done.stderr


def test_reading_an_absent_database_creates_nothing(isolated_db: Path) -> None:
    done = run_cli(*TINY, "results", "--json")
    assert done.returncode == 0 and done.stdout == ""
    assert not isolated_db.exists() and not isolated_db.parent.exists()
    assert Store(isolated_db).info().exists is False


@pytest.mark.parametrize("command", ["results", "export"])
def test_unknown_assessment_or_module_filter_is_a_usage_error(
    isolated_db: Path, command: str
) -> None:
    """Issue 11 point 14: `-a nope` and `--module nonexistent` looked like empty results."""
    fill_tiny(isolated_db)
    extra = ("--format", "csv") if command == "export" else ()
    for args, known in (
        (("-a", "nope"), "known: tiny"),
        (("--module", "nonexistent"), "tiny-team, verbal-communication)"),
    ):
        done = run_cli(*TINY, command, *extra, *args)
        assert done.returncode == 2, (args, done.stderr)
        assert done.stdout == "" and done.stderr.count("\n") == 1, done.stderr
        assert "'nope'" in done.stderr or "'nonexistent'" in done.stderr
        assert known in done.stderr, done.stderr
    # a known id that matches nothing is still an empty result, not an error
    done = run_cli(*TINY, command, *extra, "-a", "tiny", "--since", "2099-01-01")
    assert done.returncode == 0, done.stderr
    # an assessment only the store knows (its content since removed) is known too
    done = run_cli(command, *extra, "-a", "tiny")
    assert done.returncode == 0, done.stderr


def test_results_at_80_columns_keep_names_whole(isolated_db: Path) -> None:
    """Issue 11 point 16: at 80 columns names were cut ("Cand…") while the plan kept its room."""
    people = [
        ("Amélie Tremblay-Côté", None),
        ("Bartholomew Featherstonehaugh", None),
        ("Jo Li", None),
    ]
    fill_tiny(isolated_db, people)
    done = run_cli(*TINY, "results", env={"COLUMNS": "80"})
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert max(map(len, lines)) <= 80
    assert "…" not in done.stdout
    words = done.stdout.split()
    for name, _ in people:
        for word in name.split():  # wrapped between words at most, never inside one
            assert word in words, (word, done.stdout)
    assert "tiny-math" in done.stdout  # the plan's modules by id, wrapped as needed


def test_writing_to_a_database_in_a_missing_folder_says_so(tmp_path: Path) -> None:
    """Issue 11 point 16: a --db in a folder that does not exist is a one-line error for a
    write (no folders made); reading it is an empty database, as before; $SCREENER_DB,
    configured once, has its folder made (as conftest's is)."""
    db = tmp_path / "no" / "such" / "screener.json"
    answers = tmp_path / "answers.yaml"
    answers.write_text("m1: a\n")
    done = run_cli(
        *TINY, "--db", str(db), "take", "tiny", "--answers", str(answers), "--name", "Ann"
    )
    assert done.returncode == 1, done.stderr
    assert done.stderr.count("\n") == 1 and "does not exist" in done.stderr
    assert str(db.parent) in done.stderr
    assert not (tmp_path / "no").exists()
    done = run_cli(*TINY, "--db", str(db), "results")
    assert done.returncode == 0 and not (tmp_path / "no").exists()
    done = run_cli(
        *TINY,
        "take",
        "tiny",
        "--answers",
        str(answers),
        "--name",
        "Bo",
        env={"SCREENER_DB": str(db)},
    )
    assert done.returncode == 0 and db.exists(), done.stderr
    db.unlink()
    # the folder there, the same command works
    done = run_cli(
        *TINY, "--db", str(db), "take", "tiny", "--answers", str(answers), "--name", "Ann"
    )
    assert done.returncode == 0, done.stderr
