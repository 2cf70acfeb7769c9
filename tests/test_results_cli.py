"""``screener results``: table and JSON lines, filters, one-line errors (issue 7)."""

from __future__ import annotations

import json
from pathlib import Path

import orjson
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
