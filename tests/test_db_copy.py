"""``screener db copy SOURCE DEST`` and the store's ``dump``/``restore`` (issue 16).

A copy reads the same as its source through every command (results, show, report,
the audit trail plus one ``db.copied`` event, coaching progress, program employers
and events) and an attempt in progress goes on in the copy. The destination is
``store_url``: a TinyDB file now, a PostgreSQL database too once the test server
(tests/pgserver.py, the ``pg_server`` fixture) is there; the TinyDB sources are
tried with everything in the live file and with almost everything in archive
segments.
"""

from __future__ import annotations

import itertools
import json
import multiprocessing
import os
import signal
import stat
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from screener.errors import StoreError
from screener.pathway import Employer, Event
from screener.store import NewCandidate, Store, connect
from screener.store.records import StoreDump
from screener.store.transfer import copy_store
from tests.helpers import ROOT, run_cli
from tests.results_data import TINY_DIR, fill_tiny
from tests.storefiles import archive_of, segment_files, snapshot, temp_files
from tests.test_store import LAYOUT, answers_for, row, scored
from tests.test_take import CTRL_C, DOWN, ENTER, typed

TINY = ("--content-dir", str(TINY_DIR))
FORK = multiprocessing.get_context("fork")

#: The backends a copy is written into. PostgreSQL joins once the test server is there.
PG_SERVER = (ROOT / "tests" / "pgserver.py").is_file()
BACKENDS = ["tinydb", *(["postgresql"] if PG_SERVER else [])]


def _pg_url(request: pytest.FixtureRequest) -> Callable[[], str]:
    """New PostgreSQL databases (migrated, empty) of the session's test server."""
    try:
        server = request.getfixturevalue("pg_server")
    except pytest.FixtureLookupError:
        pytest.skip("tests/conftest.py has no pg_server fixture yet")
    new_database: Callable[[], str] = server.new_database
    return new_database


@pytest.fixture(params=BACKENDS)
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], str]:
    """A new, empty database's location per call: a file path (in a folder that exists)
    for TinyDB, a fresh database's URL for PostgreSQL."""
    if request.param == "postgresql":
        return _pg_url(request)
    numbers = itertools.count()

    def new_file() -> str:
        folder = tmp_path / f"copy{next(numbers)}"
        folder.mkdir()
        return str(folder / "screener.json")

    return new_file


@pytest.fixture(params=["live", "archive"])
def layout(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Every TinyDB database of the test with the built-in sizes (all in the live file),
    or with tiny ones (almost everything in archive segments of three attempts)."""
    if request.param == "archive":
        monkeypatch.setenv("SCREENER_LIVE_LIMIT", "2")
        monkeypatch.setenv("SCREENER_SEGMENT_ATTEMPTS", "3")
    return str(request.param)


# -- a source with one of everything ---------------------------------------------------


WHEN = datetime(2024, 5, 1, 9, 30, tzinfo=UTC)


def fill_source(db: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """Attempts of people with awkward names and contacts, a take, an attempt left in
    progress (its id returned), coaching progress, free-text audit, employers and
    program events: written through the commands and the store as users would."""
    fill_tiny(db)
    answers = db.parent / "answers.yaml"
    answers.write_text("m1: b\nm2: 25.4\nt1: 5\nt2: 1\ns1: b\n")
    took = run_cli(
        "--db", str(db), *TINY, "take", "tiny", "--answers", str(answers),
        "--name", "Tess Taker", "--candidate", "tess",
    )  # fmt: skip
    assert took.returncode == 0, took.stderr
    halfway = typed(
        monkeypatch,
        ENTER + DOWN + ENTER + "25.4" + ENTER + CTRL_C + "y",
        "--db", str(db), *TINY, "take", "tiny", "--name", "Una Unfinished", "--candidate", "una",
    )  # fmt: skip
    assert halfway.returncode == 130, halfway.stderr
    store = Store(db)
    [unfinished] = store.attempts(candidate="una", status="in_progress")
    store.start_module("tess", "tiny-math", when=WHEN)
    store.view_lesson("tess", "tiny-math", "intro", when=WHEN)
    store.record_check("tess", "tiny-math", 90.0, passed=True, when=WHEN)
    store.audit("plan.assigned", command="coach", candidate_id="tess", detail="2 modules")
    store.add_employer(Employer("acme", "Acme Molds", "North", 2))
    store.add_employer(Employer("bolt", "Bolt & Co", "South", 0))
    store.add_events(
        [
            Event("tess", "applied", WHEN),
            Event("tess", "hired", WHEN.replace(day=9), employer="acme", note="first shift"),
        ]
    )
    return unfinished.attempt_id


def cli(db: str, *args: str) -> Any:
    done = run_cli("--db", db, *TINY, *args)
    assert done.returncode == 0, done.stderr
    return done


def views(db: str) -> dict[str, Any]:
    """What the commands and the interface show of a database (the audit trail apart)."""
    store = connect(db)
    people = store.candidates()
    return {
        "results": cli(db, "results", "--json").stdout,
        "show": {p.id: json.loads(cli(db, "show", p.id, "--json").stdout) for p in people},
        "report": cli(db, "report", "tess").stdout,
        "candidates": people,
        "in_progress": [
            (a.attempt_id, a.candidate_id, a.started, a.answers, a.order, a.seed)
            for a in store.attempts(status="in_progress")
        ],
        "progress": store.progress(),
        "employers": store.employers(),
        "events": store.events(),
        "secret": store.secret(),
    }


# -- the round trip ---------------------------------------------------------------------


def test_a_copy_reads_as_its_source(
    layout: str, store_url: Callable[[], str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source" / "screener.json"
    unfinished = fill_source(source, monkeypatch)
    if layout == "archive":
        assert segment_files(source)  # the source's results are in the archive
    before = views(str(source))
    dest = store_url()
    done = run_cli("db", "copy", str(source), dest)
    assert done.returncode == 0, done.stderr
    assert done.stdout == ""
    summary = done.stderr.splitlines()[-1]
    assert summary.startswith("copied into ") and "8 candidate(s), 14 attempt(s)" in summary
    assert views(dest) == before
    if layout == "archive" and not dest.startswith("postgresql:"):
        assert segment_files(Path(dest))  # written as the bulk save would

    # the audit trail as it was, plus the copy's own event (counts only)
    old, new = connect(str(source)).audit_events(), connect(dest).audit_events()
    assert [e for e in new if e.event != "db.copied"] == old
    [copied] = [e for e in new if e.event == "db.copied"]
    if dest.endswith(".json"):
        assert new[-1] == copied  # the last, even when events of the same second came before
    assert (copied.event, copied.command, copied.candidate_id) == ("db.copied", "db copy", None)
    assert copied.detail is not None and "8 candidate(s), 14 attempt(s)" in copied.detail

    # the attempt left unfinished goes on in the copy (and only there)
    resumed = typed(
        monkeypatch,
        ENTER + "5" + "1" + ENTER,
        "--db", dest, *TINY, "take", "tiny", "--candidate", "una", "--attempt", unfinished,
    )  # fmt: skip
    assert resumed.returncode == 0, resumed.stderr
    assert connect(dest).attempt(unfinished).status == "submitted"
    assert connect(str(source)).attempt(unfinished).status == "in_progress"


def test_copy_json_prints_the_counts(tmp_path: Path, store_url: Callable[[], str]) -> None:
    source = tmp_path / "source" / "screener.json"
    fill_tiny(source)
    dest = store_url()
    done = run_cli("db", "copy", str(source), dest, "--json")
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout) == {
        "candidates": 6,
        "attempts": 12,
        "progress": 0,
        "audit_events": 0,
        "employers": 0,
        "events": 0,
    }
    assert connect(dest).info().attempts == 12


def test_tinydb_to_postgresql_and_back_gives_identical_results(
    tmp_path: Path, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16's round trip: TinyDB -> PostgreSQL -> TinyDB, the same `results --json`."""
    if not PG_SERVER:
        pytest.skip("no PostgreSQL test server (tests/pgserver.py) yet")
    server = _pg_url(request)()
    source = tmp_path / "source" / "screener.json"
    fill_source(source, monkeypatch)
    back = tmp_path / "back" / "screener.json"
    back.parent.mkdir()
    assert run_cli("db", "copy", str(source), server).returncode == 0
    assert run_cli("db", "copy", server, str(back)).returncode == 0
    assert (
        cli(str(back), "results", "--json").stdout == cli(str(source), "results", "--json").stdout
    )
    assert views(str(back)) == views(str(source))
    events = [e.event for e in connect(str(back)).audit_events()]
    assert events.count("db.copied") == 2  # one per copy


# -- what the store keeps -------------------------------------------------------------------


def test_restore_keeps_the_files_private_and_the_archive_in_order(tmp_path: Path) -> None:
    source = Store(tmp_path / "a" / "screener.json", live_limit=2, segment_attempts=3)
    rows = [
        row(NewCandidate(f"P {n}", f"p{n}@example.com", id=f"p{n % 9}"), n, key=f"k{n}")
        for n in range(40)
    ]
    source.save_attempts(rows, command="batch")
    dest_db = tmp_path / "b" / "screener.json"
    dest = Store(dest_db, live_limit=2, segment_attempts=3)
    counts = copy_store(source, dest)
    assert (counts.candidates, counts.attempts, counts.audit_events) == (9, 40, 1)
    assert stat.S_IMODE(dest_db.stat().st_mode) == 0o600
    assert stat.S_IMODE(archive_of(dest_db).stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in archive_of(dest_db).iterdir()} == {0o600}
    assert len(segment_files(dest_db)) == 14  # thirteen full segments and the rest
    assert dest.info().candidates == 9 and dest.info().attempts == 40
    ids = [a.attempt_id for a in source.attempts()]
    assert [a.attempt_id for a in dest.attempts()] == ids
    assert [r.to_json() for r in dest.attempts()] == [r.to_json() for r in source.attempts()]
    assert dest.candidates_named("p 3") == source.candidates_named("p 3")
    # the copy works as a database of its own: lookups, keys, erasure
    assert dest.save_attempts(rows[:5]).stored == 0  # the keys came along
    erased = dest.delete_candidate("p4")
    assert erased.attempts == 4 and not erased.still_present
    assert temp_files(dest_db) == []


def test_the_audit_trail_keeps_its_order_whichever_file_holds_it(tmp_path: Path) -> None:
    """Store events go into the segments of their time, free-text ones stay in the live
    file (erasure reads their text there): the trail reads as before, in order, also
    when the audit events alone take the copy past the live file's limit."""
    source = Store(tmp_path / "a" / "screener.json")
    person = source.add_candidate("Ann Audit", "ann@example.com", candidate_id="ann")
    for n in range(12):
        when = datetime(2024, 1, 1 + n, 9, tzinfo=UTC)
        started = source.start_attempt("ann", LAYOUT, started=when, command="take")
        source.audit("note", candidate_id=person.id, detail=f"note {n}", when=when)
        if n % 4:
            card, plan = scored(answers_for(n, blank=0))
            for item, answer in answers_for(n, blank=0).items():
                source.record_answer(started.attempt_id, item, answer)
            source.submit_attempt(
                started.attempt_id, card, plan, submitted=when.replace(hour=10), command="take"
            )
    for limits in ({"live_limit": 2, "segment_attempts": 3}, {"live_limit": 10}):
        dest_db = tmp_path / f"b{len(limits)}" / "screener.json"
        dest = Store(dest_db, **limits)  # type: ignore[arg-type]
        copy_store(source, dest)
        assert segment_files(dest_db)
        assert dest.audit_events()[:-1] == source.audit_events()
        assert [e.detail for e in dest.audit_events(event="note")] == [
            f"note {n}" for n in range(12)
        ]
        everything = source.attempts(status=None)
        assert [a.attempt_id for a in dest.attempts(status=None)] == [
            a.attempt_id for a in everything
        ]
        assert dest.attempts(status="in_progress")[0].answers == everything[0].answers
        erased = dest.delete_candidate("ann")  # the free-text events went with her
        assert erased.audit_events == 12 + 12 + 9  # notes, started, submitted
        assert dest.audit_events(event="note") == []


def test_a_small_copy_stays_in_the_live_file(tmp_path: Path) -> None:
    source = Store(tmp_path / "a" / "screener.json", live_limit=2, segment_attempts=3)
    source.save_attempts([row(NewCandidate("P", id="p"), n) for n in range(5)])
    dest_db = tmp_path / "b" / "screener.json"
    copy_store(source, Store(dest_db))  # the built-in sizes: 6 records fit the live file
    assert segment_files(dest_db) == [] and not archive_of(dest_db).exists()
    assert len(Store(dest_db).attempts()) == 5


def test_the_secret_is_copied_so_pseudonyms_stay(tmp_path: Path) -> None:
    source = fill_tiny(tmp_path / "a" / "screener.json")
    dest = Store(tmp_path / "b" / "screener.json")
    copy_store(source, dest)
    assert dest.secret() == source.secret()
    anonymised = ("export", "--format", "jsonl", "--anonymize")
    first = cli(source.location, *anonymised).stdout
    assert first and first == cli(dest.location, *anonymised).stdout


def test_an_older_file_is_copied_as_it_reads_and_left_as_it_was(tmp_path: Path) -> None:
    """A schema 3 file (before the archive) is read as migrated, never written; its
    secret comes along (a schema 0 file has none: the copy gets a new one)."""
    source = fill_tiny(tmp_path / "a" / "screener.json")
    data = json.loads(Path(source.location).read_bytes())
    data["meta"]["1"]["schema_version"] = 3
    old = tmp_path / "old" / "screener.json"
    old.parent.mkdir()
    old.write_text(json.dumps(data))
    before = old.read_bytes()
    dest = Store(tmp_path / "b" / "screener.json")
    assert copy_store(Store(old), dest).attempts == 12
    assert old.read_bytes() == before and sorted(p.name for p in old.parent.iterdir()) == [
        "screener.json"
    ]
    assert dest.secret() == data["meta"]["1"]["secret"]
    assert [r.to_json() for r in dest.attempts()] == [r.to_json() for r in source.attempts()]


# -- refusals ---------------------------------------------------------------------------------


def test_a_database_that_holds_anything_is_not_copied_into(
    tmp_path: Path, store_url: Callable[[], str]
) -> None:
    source = fill_tiny(tmp_path / "a" / "screener.json")
    dest = store_url()
    connect(dest).add_employer(Employer("acme", "Acme", "North", 1))
    files = snapshot(Path(dest)) if not dest.startswith("postgresql:") else None
    done = run_cli("db", "copy", source.location, dest)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and "is not empty (it holds 1 employer(s))" in done.stderr
    assert connect(dest).info().candidates == 0 and connect(dest).employers() != []
    if files is not None:
        assert snapshot(Path(dest)) == files  # byte for byte
    with pytest.raises(StoreError, match="is not empty"):
        copy_store(source, connect(dest))


def test_cli_errors_are_one_line(tmp_path: Path) -> None:
    source = fill_tiny(tmp_path / "a" / "screener.json").location
    empty = tmp_path / "empty" / "screener.json"
    empty.parent.mkdir()
    empty.write_bytes(b"")  # an empty file is an empty database
    link = tmp_path / "link.json"
    link.symlink_to(source)
    cases = {
        "no database at": ("db", "copy", str(tmp_path / "nowhere" / "x.json"), str(tmp_path / "n.json")),
        "holds nothing": ("db", "copy", str(empty), str(tmp_path / "n.json")),
        "both the source and the destination": ("db", "copy", source, source),
        "both the source and the destination ": ("db", "copy", source, str(link)),
        "does not exist": ("db", "copy", source, str(tmp_path / "missing" / "x.json")),
    }  # fmt: skip
    for message, args in cases.items():
        done = run_cli(*args)
        assert done.returncode == 1, (args, done.stderr)
        assert message.strip() in done.stderr and done.stderr.count("\n") == 1, done.stderr
        assert "Traceback" not in done.stderr
    assert not (tmp_path / "n.json").exists() and not (tmp_path / "missing").exists()
    usage = run_cli("db", "copy", source)
    assert usage.returncode == 2


def test_a_dump_the_store_cannot_hold_writes_nothing(tmp_path: Path) -> None:
    source = fill_tiny(tmp_path / "a" / "screener.json")
    good = source.dump()
    people = list(good.candidates)
    bad = replace(good, candidates=[*people, replace(people[0], id="has space")])
    dest_db = tmp_path / "b" / "screener.json"
    with pytest.raises(StoreError, match="cannot store") as raised:
        Store(dest_db).restore(bad)
    assert "\n" not in str(raised.value)
    assert not dest_db.exists()
    twice = replace(source.dump(), candidates=[*people, people[0]])
    with pytest.raises(StoreError, match="appears twice"):
        Store(dest_db).restore(twice)
    orphan = replace(source.dump(), candidates=people[1:])
    with pytest.raises(StoreError, match="who is not in it"):
        Store(dest_db).restore(orphan)
    records = list(source.dump().attempts)
    repeated = replace(source.dump(), attempts=[*records, records[3]])
    with pytest.raises(StoreError, match="appears twice"):
        Store(dest_db).restore(repeated)
    assert not dest_db.exists() and Store(dest_db).info().candidates == 0


# -- one transaction ---------------------------------------------------------------------------


def _failing(dump: StoreDump, after: int) -> StoreDump:
    def attempts() -> Iterator[Any]:
        for n, record in enumerate(dump.attempts):
            if n == after:
                raise OSError("the source went away")
            yield record

    return replace(dump, attempts=attempts())


def test_an_error_part_way_leaves_the_destination_as_it_was(tmp_path: Path) -> None:
    source = Store(tmp_path / "a" / "screener.json", live_limit=2, segment_attempts=3)
    source.save_attempts([row(NewCandidate(f"P {n}", id=f"p{n}"), n) for n in range(30)])
    dest_db = tmp_path / "b" / "screener.json"
    dest = Store(dest_db, live_limit=2, segment_attempts=3)
    with pytest.raises(OSError, match="went away"):
        dest.restore(_failing(source.dump(), after=20))
    assert not dest_db.exists() and segment_files(dest_db) == [] and temp_files(dest_db) == []
    assert dest.info().candidates == 0
    copy_store(source, dest)  # and a copy then goes through
    assert len(dest.attempts()) == 30


def _slow_copy(source: str, dest: str) -> None:
    """A copy into tiny segments, each segment write slowed down (a child to kill)."""
    from screener.store import archive as store_archive

    real = store_archive.write_segment

    def slow(*args: Any, **kwargs: Any) -> Any:
        time.sleep(0.05)  # twenty segments: a second to land a kill in
        return real(*args, **kwargs)

    store_archive.write_segment = slow  # type: ignore[assignment]
    copy_store(Store(source), Store(dest, live_limit=2, segment_attempts=3))
    os._exit(0)


def test_a_copy_killed_part_way_leaves_the_destination_empty(tmp_path: Path) -> None:
    source = Store(tmp_path / "a" / "screener.json", live_limit=2, segment_attempts=3)
    source.save_attempts([row(NewCandidate(f"P {n}", id=f"p{n}"), n) for n in range(60)])
    dest_db = tmp_path / "b" / "screener.json"
    dest_db.parent.mkdir()
    proc = FORK.Process(target=_slow_copy, args=(source.location, str(dest_db)))
    proc.start()
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(segment_files(dest_db)) < 3:
        time.sleep(0.002)
    assert proc.pid is not None and len(segment_files(dest_db)) >= 3  # half way through
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()
    dest = Store(dest_db, live_limit=2, segment_attempts=3)
    assert not dest_db.exists() and not dest.exists()  # the commit point was never reached
    assert dest.info().candidates == 0 and dest.attempts() == []
    copy_store(source, dest)  # the next writer removes what the killed one left
    record = json.loads(dest_db.read_bytes())["meta"]["1"]["archive"]
    listed = {f"seg-{s['n']:08d}" for s in record["segments"]}
    assert {p.stem for p in archive_of(dest_db).iterdir()} == listed
    assert [a.attempt_id for a in dest.attempts()] == [a.attempt_id for a in source.attempts()]
