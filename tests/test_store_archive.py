"""The archive layout (issue 15): segments, the commit record, crashes, compaction,
migration of a single-file database, damaged segments, privacy of every file.

tests/test_store.py and tests/test_attacks_store.py run every earlier store
guarantee on both layouts; these tests are about what only the archive has.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import signal
import stat
import time
from dataclasses import replace
from pathlib import Path
from typing import Any

import orjson
import pytest

from screener.errors import StoreError
from screener.store import NewAttempt, NewCandidate, Store
from screener.store import archive as store_archive
from screener.store import core as store_core
from screener.store.files import sealed_bytes
from screener.store.hashindex import hash64, name_key
from tests.helpers import DATA, ROOT, record_forks, run_cli
from tests.storefiles import archive_of, db_files, every_byte, segment_files, snapshot, temp_files
from tests.test_store import LAYOUT, answers_for, row, scored

FORK = multiprocessing.get_context("fork")


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "data" / "screener.json"


def small(db: Path, live: int = 4, segment: int = 5) -> Store:
    """A store whose live file holds ``live`` archivable documents, segments ``segment``."""
    return Store(db, live_limit=live, segment_attempts=segment)


def people_rows(count: int, seed: int = 0, *, prefix: str = "p") -> list[NewAttempt]:
    return [
        row(
            NewCandidate(f"Person {prefix}{n}", f"{prefix}{n}@example.org", id=f"{prefix}-{n}"),
            seed + n,
            key=f"{prefix}-key-{n}",
        )
        for n in range(count)
    ]


def live_data(db: Path) -> dict[str, dict[str, dict[str, object]]]:
    data: dict[str, dict[str, dict[str, object]]] = orjson.loads(db.read_bytes())
    return data


def record_of(db: Path) -> dict[str, object]:
    record: dict[str, object] = live_data(db)["meta"]["1"]["archive"]  # type: ignore[assignment]
    return record


# -- the layout -----------------------------------------------------------------------


def test_the_live_file_stays_small_and_the_rest_goes_to_segments(db: Path) -> None:
    store = small(db)
    saved = store.save_attempts(people_rows(23))
    assert saved.stored == 23
    live = live_data(db)
    assert live["attempts"] == {} and live["candidates"] == {}  # all moved
    segments = segment_files(db)
    assert len(segments) == 5  # 23 attempts, at most 5 a segment
    assert {p.name for p in archive_of(db).iterdir()} == {
        *(p.name for p in segments),
        *(p.with_suffix(".idx").name for p in segments),
    }
    info = store.info()
    assert (info.attempts, info.candidates, info.segments) == (23, 23, 5)
    assert info.archive == str(archive_of(db).resolve())
    assert info.size == sum(p.stat().st_size for p in db_files(db) if p.suffix == ".json")
    # every attempt of a segment has its candidate's record in the same segment
    for path in segments:
        tables = orjson.loads(path.read_bytes())
        people = {d["id"] for d in tables["candidates"].values()}
        assert {d["cand"] for d in tables["attempts"].values()} <= people
    # reads find everyone and everything
    assert [a.attempt_id for a in store.attempts()] == list(saved.attempt_ids)
    assert store.resolve_candidate("Person p17").id == "p-17"
    assert store.get_candidate("p-3").contact == "p3@example.org"
    assert [a.attempt_id for a in store.attempts(candidate="p-9")] == [saved.attempt_ids[9]]
    assert store.attempt(saved.attempt_ids[21]).candidate_id == "p-21"
    again = store.save_attempts(people_rows(23))  # keys found in the segments' index
    assert (again.stored, again.skipped) == (0, 23) and again.attempt_ids == saved.attempt_ids


def test_one_lookup_reads_only_the_segments_that_hold_the_person(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    store = small(db)
    store.save_attempts(people_rows(40))
    read: list[int] = []
    real = store_archive.Archive.tables

    def counting(self: store_archive.Archive, seg: store_archive.Segment, **kw: bool) -> object:
        read.append(seg.number)
        return real(self, seg, **kw)

    scanned: list[int] = []
    real_scan = store_archive.Archive._person_from_bytes

    def scanning(self: store_archive.Archive, seg: store_archive.Segment, cid: str) -> object:
        scanned.append(seg.number)
        return real_scan(self, seg, cid)

    monkeypatch.setattr(store_archive.Archive, "tables", counting)
    monkeypatch.setattr(store_archive.Archive, "_person_from_bytes", scanning)
    with store.reading():
        who = store.resolve_candidate("p-33")
        assert len(store.attempts(candidate=who.id)) == 1
        store.progress(who.id)
        store.audit_events(candidate_id=who.id)
    # one segment of eight, its bytes scanned once for the person, none parsed whole
    assert len(scanned) == 1 and read == []


def test_interactive_use_after_a_large_archive(db: Path) -> None:
    """take's path on a database with an archive: a new person, an attempt in progress,
    each answer saved, submitted; the names of archived people are still unique."""
    store = small(db)
    store.save_attempts(people_rows(12))
    person = store.add_candidate("Late Comer", candidate_id="late")
    with pytest.raises(StoreError, match="already taken"):
        store.add_candidate("Someone", candidate_id="p-4")  # archived, still taken
    started = store.start_attempt(person.id, LAYOUT)
    answers = answers_for(3)
    for item, value in answers.items():
        store.record_answer(started.attempt_id, item, value)
    card, plan = scored(answers)
    done = store.submit_attempt(started.attempt_id, card, plan, command="take")
    assert done.name == "Late Comer" and done.answers == answers
    # an archived person takes a retake: their record is copied into the new segment
    retake = store.start_attempt("p-2", LAYOUT)
    assert retake.name == "Person p2"
    for item, value in answers.items():
        store.record_answer(retake.attempt_id, item, value)
    store.submit_attempt(retake.attempt_id, card, plan, command="take")
    store.save_attempts(people_rows(6, prefix="q"))  # pushes them into segments
    assert [a.name for a in store.attempts(candidate="p-2")] == ["Person p2", "Person p2"]
    assert store.candidates_named("person P2") == [store.get_candidate("p-2")]
    assert len(store.candidates()) == 12 + 1 + 6 == store.info().candidates


def test_renaming_an_archived_person_rewrites_their_segments(db: Path) -> None:
    store = small(db)
    store.save_attempts(people_rows(12))
    old_files = set(segment_files(db))
    renamed, created = store.resolve_or_add_candidate("p-5", "Pat Newname", rename=True)
    assert not created and renamed.name == "Pat Newname"
    assert store.get_candidate("p-5").name == "Pat Newname"
    assert store.resolve_candidate("pat newname").id == "p-5"
    assert b'Person p5"' not in every_byte(db)
    assert len(set(segment_files(db)) - old_files) == 1  # one segment replaced


# -- privacy -----------------------------------------------------------------------------


def test_every_file_is_private(db: Path) -> None:
    old = os.umask(0o022)
    try:
        store = small(db)
        store.save_attempts(people_rows(9))
        store.compact()
    finally:
        os.umask(old)
    for path in db_files(db):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert stat.S_IMODE(archive_of(db).stat().st_mode) == 0o700


def test_a_shared_database_shares_its_archive(db: Path) -> None:
    store = small(db)
    store.add_candidate("First")
    db.chmod(0o660)
    store.save_attempts(people_rows(9))
    for path in db_files(db):
        assert stat.S_IMODE(path.stat().st_mode) == 0o660, path
    assert stat.S_IMODE(archive_of(db).stat().st_mode) == 0o770


def test_erasure_reaches_every_segment_and_index(db: Path) -> None:
    store = small(db)
    gone = store.add_candidate("Zebulon Quartermaine", "zq@example.org", candidate_id="zq-1")
    store.save_attempts([row("zq-1", 1, key="zq-a"), *people_rows(7)])
    store.save_attempts([row("zq-1", 2, key="zq-b"), *people_rows(7, prefix="r")])
    store.audit("plan.assigned", command="coach", candidate_id=gone.id)
    holding = [p for p in segment_files(db) if b"zq-1" in p.read_bytes()]
    assert len(holding) >= 2  # their attempts were archived in two commits
    erased = store.delete_candidate(gone.id)
    assert (erased.attempts, erased.still_present) == (2, ())
    raw = every_byte(db)
    for trace in (b"zq-1", b"Zebulon", b"zq@example", b"zq-a", b"zq-b"):
        assert trace not in raw, trace
    hashes = {
        hash64("zq-1"),
        hash64(name_key("Zebulon Quartermaine")),
        hash64("zq-a"),
        hash64("zq-b"),
    }
    for path in archive_of(db).glob("*.idx"):
        words = set(memoryview(path.read_bytes()[32:]).cast("Q"))
        assert not hashes & words, path
    assert temp_files(db) == []
    assert len(store.attempts()) == 14 and store.info().candidates == 14


# -- commits, readers and crashes -----------------------------------------------------------


def _reader(path: str, report: int, rounds: int) -> None:
    store = Store(path)
    for _ in range(rounds):
        try:
            with store.reading():  # one version for all of these
                info = store.info()
                every = store.attempts()
            batch = [a.key for a in every if a.key and a.key.startswith("b")]
            prefixes = {key.rsplit("-", 1)[0] for key in batch}
            os.write(
                report, f"{info.attempts} {len(every)} {len(batch)} {len(prefixes)}\n".encode()
            )
        except Exception as exc:  # reported, then the test fails
            os.write(report, f"error {type(exc).__name__}: {exc}\n".encode())


def test_readers_never_see_half_a_commit(db: Path) -> None:
    """A reader process reads while a writer archives, compacts and erases: every read sees
    whole batches only (each commit adds 10 attempts), and never a missing segment."""
    store = small(db, live=3, segment=4)
    store.save_attempts([replace(r, key=f"b0-{i}") for i, r in enumerate(people_rows(10))])
    read_end, write_end = os.pipe()
    reader = FORK.Process(target=_reader, args=(str(db), write_end, 150))
    reader.start()
    os.close(write_end)
    for n in range(1, 16):
        rows = [replace(r, key=f"b{n}-{i}") for i, r in enumerate(people_rows(10, prefix=f"x{n}"))]
        store.save_attempts(rows)
        if n % 4 == 0:
            store.compact()
        if n % 5 == 0:
            scratch = store.add_candidate("Scratch")
            store.save_attempts([row(scratch.id, 1, key=f"scratch-{n}")])
            store.delete_candidate(scratch.id)
    reader.join(timeout=120)
    with os.fdopen(read_end) as lines:
        seen = [line.split() for line in lines if line.strip()]
    assert seen and not [s for s in seen if s[0] == "error"], seen[:3]
    for info, every, counted, batches in seen:
        assert info == every  # the commit record's count agrees with the segments read
        assert int(counted) % 10 == 0 and int(batches) == int(counted) // 10


def _segment_writer(path: str, tag: str, report: int) -> None:
    # In this forked writer only, every fsync first waits 3 ms: a temp segment then
    # stays in the folder long enough for the parent to see it and kill inside the
    # write even on a loaded machine (the window was once too short to land 10 of 20).
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        time.sleep(0.003)
        real_fsync(fd)

    os.fsync = slow_fsync  # type: ignore[assignment]
    store = Store(path, live_limit=20, segment_attempts=60)
    n = 0
    while True:
        rows = [replace(r, key=f"{tag}-{n}-{i}") for i, r in enumerate(BATCH_ROWS)]
        store.save_attempts(rows)
        os.write(report, f"{n}\n".encode())
        n += 1


BATCH_ROWS: list[NewAttempt] = []


def _kill(proc: multiprocessing.process.BaseProcess) -> None:
    assert proc.pid is not None
    os.kill(proc.pid, signal.SIGKILL)
    proc.join()


def _committed_batches(db: Path) -> dict[str, int]:
    per_batch: dict[str, int] = {}
    for record in Store(db).attempts():
        if record.key is not None:
            prefix = record.key.rsplit("-", 1)[0]
            per_batch[prefix] = per_batch.get(prefix, 0) + 1
    return per_batch


def test_sigkill_during_a_segment_write_loses_nothing_committed(db: Path) -> None:
    """20 kills, each while the writer has a segment half written (its temp file in the
    archive folder): every batch reported committed is there whole, no batch is half
    there, and the next writer removes what the killed one left."""
    person = Store(db).add_candidate("Crash Test")
    BATCH_ROWS[:] = [row(person.id, n % 30) for n in range(150)]
    committed: set[str] = set()
    landed = 0
    rng = random.Random(7)
    for round_ in range(20):
        read_end, write_end = os.pipe()
        proc = FORK.Process(target=_segment_writer, args=(str(db), f"r{round_}", write_end))
        proc.start()
        os.close(write_end)
        with os.fdopen(read_end) as reports:
            first = reports.readline()
            assert first, f"writer died (exit {proc.exitcode})"
            deadline = time.monotonic() + 20
            folder = archive_of(db)
            while time.monotonic() < deadline and not list(folder.glob(".seg-*.tmp")):
                time.sleep(0.0002)
            time.sleep(rng.uniform(0, 0.002))
            landed += bool(list(folder.glob(".seg-*.tmp")))
            _kill(proc)
            done = [first, *reports.readlines()]
        committed |= {f"r{round_}-{line.strip()}" for line in done if line.strip()}
        batches = _committed_batches(db)
        assert all(count == 150 for count in batches.values()), batches
        assert committed <= set(batches)
    assert landed >= 10, landed  # most kills did land inside a segment write
    Store(db, live_limit=20, segment_attempts=60).add_candidate("After")
    assert temp_files(db) == []
    listed = {f"seg-{s['n']:08d}" for s in record_of(db)["segments"]}  # type: ignore[attr-defined]
    assert {p.stem for p in archive_of(db).iterdir()} == listed  # no orphan segment


def _compactor(path: str, report: int) -> None:
    n = 0
    while True:  # new small segments, then a compaction that merges them all
        Store(path, live_limit=2, segment_attempts=3).save_attempts(
            [
                replace(r, key=f"f-{os.getpid()}-{n}-{i}")
                for i, r in enumerate(people_rows(6, n, prefix=f"f{os.getpid()}-{n}"))
            ]
        )
        os.write(report, b"compacting\n")
        Store(path, live_limit=2, segment_attempts=60).compact()
        n += 1


def _orphans(db: Path) -> int:
    listed = {f"seg-{s['n']:08d}" for s in record_of(db)["segments"]}  # type: ignore[attr-defined]
    return sum(1 for p in archive_of(db).glob("seg-*") if p.stem not in listed)


def test_sigkill_during_compaction_loses_nothing(db: Path) -> None:
    """Compaction merges many small segments; killed at random 20 times while compacting,
    the database holds everything committed, readable; the next writer tidies up."""
    store = Store(db, live_limit=2, segment_attempts=3)
    for n in range(40):  # forty small segments of three attempts
        rows = people_rows(3, n, prefix=f"b{n}")
        store.save_attempts([replace(r, key=f"base-{n}-{i}") for i, r in enumerate(rows)])
    base = {a.key for a in store.attempts()}
    assert len(base) == 120 and len(segment_files(db)) == 40
    rng = random.Random(3)
    landed = 0
    for _ in range(20):
        read_end, write_end = os.pipe()
        proc = FORK.Process(target=_compactor, args=(str(db), write_end))
        proc.start()
        os.close(write_end)
        with os.fdopen(read_end) as reports:
            assert reports.readline() == "compacting\n"
            time.sleep(rng.uniform(0.0, 0.03))
            _kill(proc)
        landed += _orphans(db) > 0  # new segments written, not yet committed
        keys = {a.key for a in Store(db).attempts()}
        assert base <= keys and all(k is not None for k in keys)
        batches: dict[str, int] = {}
        for key in keys - base:
            assert key is not None
            prefix = key.rsplit("-", 1)[0]
            batches[prefix] = batches.get(prefix, 0) + 1
        assert set(batches.values()) <= {6}  # each filler batch whole
        assert len(Store(db).candidates()) == Store(db).info().candidates
    assert landed >= 3  # kills did land between a compaction's writes and its commit
    Store(db, live_limit=2, segment_attempts=60).compact()
    assert base <= {a.key for a in Store(db).attempts()}
    assert _orphans(db) == 0 and temp_files(db) == []


def test_compaction_merges_small_segments_in_order(db: Path) -> None:
    store = Store(db, live_limit=2, segment_attempts=3)  # twelve segments of three
    keys = []
    for n in range(12):
        rows = people_rows(3, n * 3, prefix=f"c{n}")
        rows = [replace(r, submitted=f"2024-01-{n + 1:02d}T10:00:00Z") for r in rows]
        keys += [r.key for r in rows]
        store.save_attempts(rows)
    before = store.attempts()
    assert len(segment_files(db)) == 12
    store = Store(db, live_limit=2, segment_attempts=10)
    result = store.compact()
    assert (result.segments_before, result.segments_after) == (12, 4)  # three into one
    after = store.attempts()
    assert [a.attempt_id for a in after] == [a.attempt_id for a in before]
    assert [a.key for a in after] == keys
    assert [e.event for e in store.audit_events(event="db.compacted")] == ["db.compacted"]


# -- order across segments --------------------------------------------------------------------


def test_attempts_come_oldest_first_across_overlapping_segments(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Imports with older times land in later segments; the stream merges them by time,
    reading each segment only when it reaches it (lazy parts), and counts without reading."""
    monkeypatch.setattr(store_core, "EAGER_BYTES", 0)  # every segment part lazy
    store = Store(db, live_limit=2, segment_attempts=4)
    rng = random.Random(5)
    expected = []
    for n in range(6):
        rows = people_rows(5, n * 5, prefix=f"o{n}")
        stamps = sorted(f"2024-0{rng.randint(1, 9)}-1{rng.randint(0, 9)}T00:00:00Z" for _ in rows)
        rows = [replace(r, submitted=s) for r, s in zip(rows, stamps, strict=True)]
        expected += [(s, r.key) for s, r in zip(stamps, rows, strict=True)]
        store.save_attempts(rows)
    stream = store.iter_attempts()
    assert len(stream) == 30
    got = [(a.submitted, a.key) for a in stream]
    # by time; at the same time, in the order stored (a stable sort of what was saved)
    assert got == sorted(expected, key=lambda pair: pair[0])
    assert [(a.submitted, a.key) for a in store.iter_attempts()] == got  # again, same
    assert [a.key for a in store.attempts(since="2024-05-01")] == [
        k for s, k in got if s >= "2024-05-01"
    ]
    [one] = [lay for lay in stream.layouts]
    assert one == LAYOUT


@pytest.mark.parametrize("overlapping", [False, True])
def test_a_csv_export_made_segment_by_segment_by_two_processes_is_the_same(
    db: Path, monkeypatch: pytest.MonkeyPatch, overlapping: bool
) -> None:
    """Segments that follow each other in time are exported one after the other, every
    other one or so by a forked child (``forked.in_order``): the same bytes as one
    process's merge of the whole stream, names and contacts included; segments whose
    times interleave are merged by one process, as before."""
    import io

    import screener.exporting as exporting
    import screener.forked
    from screener.exporting import Format, export

    monkeypatch.setattr(store_core, "EAGER_BYTES", 0)  # every segment part lazy
    store = Store(db, live_limit=2, segment_attempts=4)
    for n in range(6):
        rows = people_rows(5, n * 5, prefix=f"e{n}")
        if overlapping:  # each import's times reach back before the one before it
            rows = [
                replace(r, submitted=f"2024-0{9 - n}-1{k}T00:00:00Z") for k, r in enumerate(rows)
            ]
        store.save_attempts(rows)
    stream = store.iter_attempts()
    runs = stream.runs()
    assert (runs is None) == overlapping
    if runs is not None:
        assert len(runs) > 4 and [a.attempt_id for r in runs for a in r] == [
            a.attempt_id for a in store.iter_attempts()
        ]

    def exported() -> bytes:
        out = io.BytesIO()
        assert export(store.iter_attempts(), Format.CSV, out) == 30
        return out.getvalue()

    one = exported()
    forks = record_forks(monkeypatch)
    monkeypatch.setattr(exporting, "SHARED_ROWS", 1)
    monkeypatch.setattr(screener.forked, "spare_core", lambda: True)
    assert exported() == one
    assert len(forks) == (0 if overlapping else 1)
    assert b",e3-2,Person e32,e32@example.org," in one


def test_a_stream_survives_a_compaction_that_removes_its_segments(db: Path) -> None:
    monkeypatch = pytest.MonkeyPatch()
    monkeypatch.setattr(store_core, "EAGER_BYTES", 0)
    try:
        store = Store(db, live_limit=2, segment_attempts=4)
        for n in range(5):
            store.save_attempts(people_rows(3, n, prefix=f"s{n}"))
        stream = Store(db).iter_attempts()
        old = set(segment_files(db))
        Store(db, live_limit=2, segment_attempts=40).compact()
        assert not old & set(segment_files(db))  # all replaced and removed
        assert len([a.attempt_id for a in stream]) == 15  # read from the files it held open
    finally:
        monkeypatch.undo()


# -- migration of a single-file database --------------------------------------------------------


def _version_3_file(db: Path, count: int) -> bytes:
    """A single-file database as screener wrote it before the archive (schema 3)."""
    Store(db, live_limit=10**9).save_attempts(people_rows(count))
    data = orjson.loads(db.read_bytes())
    data["meta"]["1"]["schema_version"] = 3
    data["meta"]["1"].pop("seal", None)
    raw = orjson.dumps(data)
    db.write_bytes(raw)
    return raw


def test_a_single_file_database_is_migrated_in_place(db: Path) -> None:
    old = _version_3_file(db, 30)
    store = small(db, live=10, segment=8)
    assert len(store.attempts()) == 30 and store.info().schema_version == 3
    assert db.read_bytes() == old and not archive_of(db).exists()  # reading changes nothing
    store.add_candidate("First After")
    assert live_data(db)["meta"]["1"]["schema_version"] == 4
    assert len(segment_files(db)) == 4 and len(store.attempts()) == 30
    assert not db.with_name(db.name + ".bak").exists()  # removed once done
    [event] = store.audit_events(event="schema.migrated")
    assert event.detail == "schema 3 -> 4"


def test_an_interrupted_migration_keeps_a_bak_and_is_redone(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    old = _version_3_file(db, 30)
    bak = db.with_name(db.name + ".bak")
    calls = {"n": 0}
    real = store_archive.write_segment

    def dies_on_the_third(*args: object, **kwargs: object) -> store_archive.Segment:
        calls["n"] += 1
        if calls["n"] == 3:
            raise StoreError("cannot write: No space left on device")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(store_archive, "write_segment", dies_on_the_third)
    with pytest.raises(StoreError, match="No space left"):
        small(db, live=10, segment=8).add_candidate("Not Yet")
    assert db.read_bytes() == old  # untouched
    assert bak.read_bytes() == old  # the .bak is the old file, kept until done
    assert segment_files(db) == [] and temp_files(db) == []  # what it wrote is gone
    monkeypatch.undo()
    small(db, live=10, segment=8).add_candidate("Now")
    assert not bak.exists() and live_data(db)["meta"]["1"]["schema_version"] == 4
    assert len(Store(db).attempts()) == 30


# -- damaged archive files -----------------------------------------------------------------------


def _archived(db: Path) -> Store:
    store = small(db)
    store.save_attempts(people_rows(12))
    return store


@pytest.mark.parametrize("damage", ["truncated", "edited", "renumbered", "newer", "junk"])
def test_a_damaged_segment_is_refused_untouched(db: Path, damage: str) -> None:
    store = _archived(db)
    segment = segment_files(db)[1]
    raw = segment.read_bytes()
    data = orjson.loads(raw)
    if damage == "truncated":
        changed = raw[: len(raw) // 2]
    elif damage == "edited":
        changed = raw.replace(b"Person p", b"Person q", 1)
    elif damage == "renumbered":  # sealed as screener would: a segment of another number
        data["meta"]["1"]["segment"] = 999
        changed = sealed_bytes(data)
    elif damage == "newer":  # sealed: what a newer screener would write
        data["meta"]["1"]["schema_version"] = 99
        changed = sealed_bytes(data)
    else:
        changed = b"\x00" * 100
    segment.write_bytes(changed)
    before = snapshot(db)
    message = "newer screener" if damage == "newer" else "(damaged|not valid JSON|not a JSON)"
    with pytest.raises(StoreError, match=message):
        store.attempts()
    held = next(d["cand"] for d in orjson.loads(raw)["attempts"].values())
    for write in (  # writes that need the segment are refused and change nothing
        lambda: store.delete_candidate(held),
        lambda: store.resolve_or_add_candidate(held, "New Name", rename=True),
        lambda: store.save_attempts([row(held, 1, key="retake")]),
    ):
        with pytest.raises(StoreError, match=message):
            write()
        assert snapshot(db) == before
    done = run_cli("--db", str(db), "results", "--json")
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    done = run_cli("--db", str(db), "show", held)
    assert done.returncode == 1 and done.stderr.count("\n") == 1, done.stderr
    assert snapshot(db) == before
    # a write that does not need it goes ahead, and leaves it as it is
    store.add_candidate("Unrelated")
    assert segment.read_bytes() == changed


def test_a_missing_segment_is_named(db: Path) -> None:
    store = _archived(db)
    segment_files(db)[0].unlink()
    with pytest.raises(StoreError, match=r"lists the archive file .*seg-.* but it is missing"):
        store.attempts()
    with pytest.raises(StoreError, match="missing"):
        store.save_attempts(people_rows(3, prefix="z"))


def test_a_damaged_index_is_refused_and_compaction_rebuilds_it(db: Path) -> None:
    store = _archived(db)
    index = segment_files(db)[2].with_suffix(".idx")
    raw = bytearray(index.read_bytes())
    raw[-1] ^= 0xFF  # a flipped bit in the arrays: only the checksum sees it
    index.write_bytes(bytes(raw))
    index_short = segment_files(db)[1].with_suffix(".idx")
    index_short.write_bytes(index_short.read_bytes()[:-8])
    with pytest.raises(StoreError, match="screener db compact"):
        store.resolve_candidate("p-3")
    result = store.compact()
    assert result.replaced >= 2
    assert len(store.attempts()) == 12 and store.resolve_candidate("p-3").id == "p-3"


def test_a_live_file_without_its_archive_says_so(db: Path, tmp_path: Path) -> None:
    _archived(db)
    copy = tmp_path / "copy.json"
    copy.write_bytes(db.read_bytes())  # copied without its folder
    for command in (("db", "info"), ("results",), ("take", "--help")):
        done = run_cli("--db", str(copy), *command)
        if command == ("take", "--help"):
            continue
        assert done.returncode == 1 and "its folder copy.json.archive" in done.stderr
        assert done.stderr.count("\n") == 1
    with pytest.raises(StoreError, match="nothing was written"):
        Store(copy).add_candidate("Someone")


def test_many_lookups_at_once_find_what_one_by_one_find(db: Path) -> None:
    """``probe_many`` (numpy, for a batch) and ``probe`` (one value) agree, repeated
    values and values of no segment included."""
    store = small(db, live=2, segment=7)
    store.save_attempts(people_rows(40))
    asked = [f"p-{n}" for n in range(0, 60, 3)] * 5 + ["nobody", "p-1", "p-1"]
    asked = asked * 2  # more than the one-by-one threshold
    with store.reading():
        archive = store._txn.archive  # type: ignore[union-attr]
        many = archive.probe_many("cand", asked)
        for i, value in enumerate(asked):
            one = {s.number for s in archive.probe("cand", value)}
            assert {s.number for s, mask in many if mask[i]} == one, value
        assert archive.probe("cand", "p-39") and not archive.probe("cand", "p-40")


def test_a_batch_imported_again_into_the_archive_stores_nothing_twice(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Submission keys of people already archived are found through the index; new
    people's rows are stored; the summary says so."""
    monkeypatch.setenv("SCREENER_LIVE_LIMIT", "5")
    monkeypatch.setenv("SCREENER_SEGMENT_ATTEMPTS", "7")
    made = tmp_path / "sixty.csv"
    bfi = str(DATA / "bfi" / "assessment.yaml")
    done = run_cli("simulate", bfi, "--n", "60", "--seed", "4", "--output", str(made))
    assert done.returncode == 0, done.stderr
    source = made.read_text(encoding="utf-8").splitlines()
    first = tmp_path / "first.csv"
    first.write_text("\n".join(source[:41]) + "\n", encoding="utf-8")
    both = tmp_path / "both.csv"
    both.write_text("\n".join(source[:61]) + "\n", encoding="utf-8")
    db = tmp_path / "db.json"
    args = ["--db", str(db), "batch", "-a", str(DATA / "bfi" / "assessment.yaml"), "--json"]
    done = run_cli(*args[:3], str(first), *args[3:])
    assert done.returncode == 0, done.stderr
    assert len(segment_files(db)) >= 5
    again = run_cli(*args[:3], str(both), *args[3:])
    assert again.returncode == 0, again.stderr
    result = json.loads(again.stdout)
    assert (result["stored"], result["skipped"]) == (20, 40)
    assert Store(db).info().attempts == 60


def test_a_stream_made_inside_a_write_reads_lazily_and_closes_its_files(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A batch looks through earlier attempts inside its write: segments are read one at a
    time there too, and the descriptors a stream holds are closed with it."""
    import gc

    monkeypatch.setattr(store_core, "EAGER_BYTES", 0)
    store = Store(db, live_limit=2, segment_attempts=4)
    store.save_attempts(people_rows(13))
    fds_before = len(os.listdir("/proc/self/fd"))
    with store.transaction():
        stream = store.iter_attempts()
        assert all(part.count for part in stream.parts) and len(stream) == 13
        assert len([a.attempt_id for a in stream]) == 13
        store.add_candidate("Inside The Write")
    del stream
    gc.collect()
    assert len(os.listdir("/proc/self/fd")) <= fds_before


def test_candidate_ids_by_prefix_read_the_segments_heads(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Shell completion's ``candidate_ids``: the same ids as ``candidates()`` (live file
    and segments, each once), found in each segment's bytes, also for ids JSON escapes;
    a segment whose bytes start otherwise is parsed instead."""
    store = small(db)
    odd = ['q"uote-1', "q\\slash-1", "q-ñ-1", "q-€-1"]
    for n, cid in enumerate(odd):
        store.add_candidate(f"Odd {n}", candidate_id=cid)
    store.save_attempts([*people_rows(12), *(row(cid, 40 + n) for n, cid in enumerate(odd))])
    store.save_attempts(people_rows(3, prefix="r"))  # some stay in the live file
    assert segment_files(db)
    everyone = sorted(c.id for c in store.candidates())

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a segment was parsed")

    with monkeypatch.context() as patched:
        patched.setattr(store_archive.Archive, "tables", no_parse)  # bytes only
        assert store.candidate_ids() == everyone
        for prefix in ("", "p-1", "q", 'q"', "q\\", "q-ñ", "r-", "none"):
            assert store.candidate_ids(prefix) == [i for i in everyone if i.startswith(prefix)]
    # the same answer when the bytes are not laid out as expected (parsed, not scanned)
    monkeypatch.setattr(store_archive, "_CANDIDATES_AT", b"{not-this")
    for prefix in ("", "p-1", 'q"'):
        assert Store(db).candidate_ids(prefix) == [i for i in everyone if i.startswith(prefix)]


# -- segments written by two processes (a big commit) ----------------------------------


@pytest.fixture
def forked(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Every commit of two or more segments writes half of them in a forked child; the
    list gets each fork's child pid (seen in this process only)."""
    monkeypatch.setattr(store_archive, "PARALLEL_MIN", 0)
    monkeypatch.setattr(store_archive, "spare_core", lambda: True)  # however busy the machine
    children = record_forks(monkeypatch)
    return children


def _segment_rows(db: Path) -> list[dict[str, object]]:
    rows: list[dict[str, object]] = record_of(db)["segments"]  # type: ignore[assignment]
    return rows


def test_segments_written_by_two_processes_are_those_one_writes(
    tmp_path: Path, forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The same rows stored with the forked writer and without: the same segments (the
    same rows of the commit record, in order, and the same bytes but for the times),
    every file private, nothing left over, and everything read back."""
    rows = [
        replace(r, submitted=f"2024-01-01T10:00:{n:02d}Z") for n, r in enumerate(people_rows(23))
    ]
    two = tmp_path / "two" / "screener.json"
    small(two).save_attempts(rows)
    assert len(forked) == 1
    monkeypatch.setattr(store_archive, "PARALLEL_MIN", 10**9)
    one = tmp_path / "one" / "screener.json"
    small(one).save_attempts(rows)
    assert len(forked) == 1  # no fork for this one
    assert _segment_rows(two) == _segment_rows(one) and len(_segment_rows(one)) == 5

    def content(db: Path) -> list[object]:
        out = []
        for path in segment_files(db):
            tables = orjson.loads(path.read_bytes())
            assert path.with_suffix(".idx").read_bytes() == store_archive.index_of(tables)
            for doc in tables["candidates"].values():
                doc.pop("created")
            for doc in tables["attempts"].values():
                doc.pop("id")  # random
            tables["meta"]["1"].pop("seal")
            out.append(tables)
        return out

    assert content(two) == content(one)
    for path in db_files(two):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert temp_files(two) == []
    assert [a.key for a in small(two).attempts()] == [r.key for r in rows]


def _in_child(parent: int, action: object) -> None:
    """Make ``archive._write_job`` run ``action`` first in a forked child only."""
    real = store_archive._write_job

    def job(*args: object) -> object:
        if os.getpid() != parent:
            action()  # type: ignore[operator]
        return real(*args)  # type: ignore[arg-type]

    store_archive._write_job = job  # type: ignore[assignment]


def test_a_killed_segment_writer_process_fails_the_batch_cleanly(
    db: Path, forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The child is SIGKILLed with a segment half written (its temp file fsynced, not
    renamed): the write raises a one-line error, nothing of it is committed or left
    behind (segments, temp files), and what was committed before is intact."""
    store = small(db)
    store.save_attempts(people_rows(6, prefix="before"))
    before = snapshot(db)
    real_fsync = os.fsync
    parent = os.getpid()

    def fsync(fd: int) -> None:
        real_fsync(fd)
        if os.getpid() != parent and ".seg-" in os.readlink(f"/proc/self/fd/{fd}"):
            os.kill(os.getpid(), signal.SIGKILL)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(StoreError) as failed:
        store.save_attempts(people_rows(23, prefix="lost"))
    message = str(failed.value)
    assert "\n" not in message and "SIGKILL" in message, message
    assert forked
    monkeypatch.setattr(os, "fsync", real_fsync)
    assert snapshot(db) == before
    assert temp_files(db) == []
    assert {a.key for a in small(db).attempts()} == {f"before-key-{n}" for n in range(6)}


def test_a_failing_segment_writer_process_says_why_in_one_line(
    db: Path, forked: list[int], monkeypatch: pytest.MonkeyPatch
) -> None:
    store = small(db)
    store.save_attempts(people_rows(6, prefix="before"))
    before = snapshot(db)

    def full() -> None:
        raise StoreError(f"cannot write {db}: No space left\non device")

    monkeypatch.setattr(store_archive, "_write_job", store_archive._write_job)
    _in_child(os.getpid(), full)
    with pytest.raises(StoreError) as failed:
        store.save_attempts(people_rows(23, prefix="lost"))
    assert str(failed.value) == (
        f"cannot write the archive segments in {archive_of(db)}: "
        f"cannot write {db}: No space left on device"
    )
    assert snapshot(db) == before and temp_files(db) == []


def _parallel_writer(path: str, report: int) -> None:
    """Store a big batch; this process says when its child is writing, then stalls so
    it is killed while the child still writes."""
    store_archive.PARALLEL_MIN = 0
    store_archive.spare_core = lambda: True  # type: ignore[assignment]
    parent = os.getpid()
    real = store_archive._write_job

    def job(*args: object) -> object:
        if os.getpid() == parent:
            os.write(report, b"forked\n")
            time.sleep(60)
        else:
            time.sleep(0.3)  # still writing when the parent is killed
        return real(*args)  # type: ignore[arg-type]

    store_archive._write_job = job  # type: ignore[assignment]
    small(Path(path)).save_attempts(people_rows(23, prefix="lost"))


def test_a_killed_parent_leaves_its_child_the_lock_and_loses_nothing(db: Path) -> None:
    """The writer is SIGKILLed while its forked child writes segments: the child keeps
    the write lock (a shared flock) until it is done, so the next writer cannot reuse
    the segment numbers meanwhile; it then removes every file of the lost write, and
    what was committed before is intact."""
    small(db).save_attempts(people_rows(6, prefix="before"))
    read_end, write_end = os.pipe()
    proc = FORK.Process(target=_parallel_writer, args=(str(db), write_end))
    proc.start()
    os.close(write_end)
    with os.fdopen(read_end) as reports:
        assert reports.readline() == "forked\n"
        _kill(proc)
    small(db).add_candidate("After")  # waits for the lock: the child is still writing
    time.sleep(0.5)  # a child writing without the lock would leave files after the write
    assert temp_files(db) == []
    listed = {f"seg-{s['n']:08d}" for s in _segment_rows(db)}
    assert {p.stem for p in archive_of(db).iterdir()} == listed  # nothing of the lost write
    assert {a.key for a in small(db).attempts()} == {f"before-key-{n}" for n in range(6)}


@pytest.mark.parametrize(
    "names",
    [
        ["p-0", "p-1", "p-2"],  # named by their ids: the name hashes are the id hashes
        ["P-0", "p-1", "p-2"],  # an id's case differs: the name is casefolded, the id not
        ["Ann Lee", "p-1", "p-2"],
    ],
)
def test_a_segment_index_holds_each_name_as_compared(tmp_path: Path, names: list[str]) -> None:
    people = [{"id": f"p-{n}", "name": name} for n, name in enumerate(names)]
    attempts = [{"id": f"a-{n}", "cand": f"p-{n}", "key": f"k-{n}"} for n in range(3)]
    tables = store_archive.segment_tables(1, people, attempts, [])
    path = tmp_path / "seg.idx"
    path.write_bytes(store_archive.index_of(tables))
    fd = os.open(path, os.O_RDONLY)
    try:
        index = store_archive.SegmentIndex(path, fd)
        want = {
            "cand": {f"p-{n}" for n in range(3)},
            "name": {name_key(name) for name in names},
            "attempt": {f"a-{n}" for n in range(3)},
            "key": {f"k-{n}" for n in range(3)},
        }
        for kind, texts in want.items():
            assert index.array(kind).tolist() == sorted(hash64(t) for t in texts), kind
    finally:
        os.close(fd)


def test_a_helper_process_is_forked_only_onto_an_idle_core(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import screener.forked

    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 1})
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 0.5, 0.5))
    quota = "max 100000"
    real_open = open

    def fake_open(path: str, *args: object, **kwargs: object) -> object:
        if path == "/sys/fs/cgroup/cpu.max":
            import io

            return io.StringIO(quota)
        return real_open(path, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", fake_open)
    assert screener.forked.spare_core()  # two cores, one busy: the batch itself
    monkeypatch.setattr(os, "getloadavg", lambda: (2.5, 2.0, 1.0))
    assert not screener.forked.spare_core()  # both busy
    monkeypatch.setattr(os, "getloadavg", lambda: (0.9, 0.5, 0.5))
    quota = "100000 100000"  # a container allowed one core
    assert not screener.forked.spare_core()
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0})
    quota = "max 100000"
    assert not screener.forked.spare_core()


def test_a_readers_lookup_of_one_person_parses_their_documents_alone(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``Archive.person`` (what ``show`` and ``report`` read): in every segment, for every
    candidate in it, exactly the documents the parsed segment holds about them, found
    in the segment's bytes without parsing it, also for ids, names and keys that JSON
    escapes or that hold what the scan looks for; and the store's answers are the ones
    it gives when every segment is parsed."""
    store = small(db)
    odd = ['q"uote-1', "q\\slash-1", "q-ñ-1", "q-€-1", "q-{x}-1", "q-,-1"]
    names = ['Odd ","id":"p-1"}', 'Odd "cand":"p-2",', "Odd\\", 'Odd ":{"', "Odd ñ €", "Odd }}"]
    for cid, name in zip(odd, names, strict=True):
        store.add_candidate(name, candidate_id=cid)
    rows = [*people_rows(12), *(row(cid, 40 + n) for n, cid in enumerate(odd))]
    rows.append(row("p-3", 90, key='x","cand":"p-1"}'))  # a key that holds the pattern
    rows += [row(cid, 60 + n) for n, cid in enumerate(["p-1", odd[0], "p-3"])]  # retakes
    store.save_attempts(rows)
    for cid in ["p-2", odd[2]]:  # audited with their id, archived with the next rows
        store.resolve_or_add_candidate(cid, "Renamed {x}", rename=True)
    store.save_attempts(people_rows(3, prefix="r"))
    for cid in ["p-1", odd[1]]:
        store.audit("accommodation.extra_time", candidate_id=cid, detail="1.5")
    everyone = [c.id for c in store.candidates()]
    kinds: set[str] = set()
    with store.reading():
        tx = store._txn
        assert tx is not None and tx.archive.holding
        for segment in tx.segments:
            whole = tx.seg(segment)
            held = {d["id"] for d in whole["candidates"].values()}
            for cid in [*everyone, "p-99", "q", "p"]:  # and some no segment holds
                found = tx.archive._person_from_bytes(segment, cid)
                assert found is not None, (segment.number, cid)  # read from the bytes
                assert found == store_archive._person_of(whole, cid), (segment.number, cid)
                assert bool(found["candidates"]) == (cid in held)
                kinds.update(table for table, docs in found.items() if docs)
    assert kinds == {"candidates", "attempts", "audit"}

    def read_all(s: Store) -> list[object]:
        out: list[object] = []
        for cid in everyone:
            with s.reading():
                out.append(s.resolve_candidate(cid))
                out.append([a.to_json() for a in s.attempts(candidate=cid, status=None)])
                out.append(s.audit_events(candidate_id=cid))
        return out

    def no_parse(*args: object, **kwargs: object) -> None:
        raise AssertionError("a segment was parsed")

    with monkeypatch.context() as patched:
        patched.setattr(store_archive.Archive, "tables", no_parse)  # bytes only
        scanned = read_all(Store(db))
    with monkeypatch.context() as patched:  # every segment parsed whole
        patched.setattr(store_archive.Archive, "_person_from_bytes", lambda *a: None)
        assert read_all(Store(db)) == scanned
    assert any(a for a in scanned[1::3]) and any(e for e in scanned[2::3])


# -- a big bulk save's whole segments written ahead of the commit ---------------------


def _bulk_batch(tmp_path: Path, candidates: list[str]) -> Any:
    """A scored batch of the six-item assessment, one row per candidate given."""
    from screener.importing import read_table
    from screener.simulate import simulate, write_csv
    from screener.vectorscore import encode, score_points, scored_batch
    from tests.test_store import _six

    a = _six("recommend")
    path = tmp_path / "rows.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        write_csv(list(simulate(a, "A", len(candidates), seed=4)), fh)
    encoded = encode(a, "A", read_table(path))
    batch = scored_batch(a, encoded, score_points(a, "A", encoded.points))
    return replace(batch, candidates=candidates, key_scope="file", submitted="2024-05-01T10:20:00Z")


def _bulk_history(db: Path) -> Store:
    """Two whole segments of earlier people, one person added with contact details in
    the live file, and an attempt in progress there."""
    store = small(db)
    store.save_attempts(
        [replace(r, submitted=f"2024-01-01T10:00:{n:02d}Z") for n, r in enumerate(people_rows(10))]
    )
    store.add_candidate("With Contact", "c@example.org", candidate_id="q-3")
    store.start_attempt("p-1", LAYOUT)
    return store


def _stored_shape(db: Path) -> tuple[object, ...]:
    """Everything stored but random ids and times: the commit record's segment rows,
    every segment's tables, the live file's documents."""
    segments = []
    for path in segment_files(db):
        tables = orjson.loads(path.read_bytes())
        assert path.with_suffix(".idx").read_bytes() == store_archive.index_of(tables)
        for doc in tables["candidates"].values():
            doc.pop("created")
        for doc in tables["attempts"].values():
            doc.pop("id")
        for doc in tables["audit"].values():
            doc.pop("at")
        tables["meta"]["1"].pop("seal")
        segments.append(tables)
    live = live_data(db)
    rest = {
        name: [
            {k: v for k, v in doc.items() if k not in ("id", "at", "created", "started")}
            for doc in live.get(name, {}).values()
        ]
        for name in ("candidates", "attempts", "audit")
    }
    rows = [{k: v for k, v in r.items() if k != "size"} for r in _segment_rows(db)]
    return rows, segments, rest, record_of(db)["candidates"]


@pytest.mark.parametrize(("history", "fork"), [(False, True), (True, True), (True, False)])
def test_a_big_bulk_save_writes_whole_segments_ahead_as_its_commit_would(
    tmp_path: Path,
    forked: list[int],
    monkeypatch: pytest.MonkeyPatch,
    history: bool,
    fork: bool,
) -> None:
    """A bulk save of more attempts than the live file and a segment hold writes its
    whole segments before the commit (half of them, documents and all, in a forked
    child when a core is idle, else all here): the same segments, live file and
    results as when the commit's flush writes them all; people in several segments,
    returning people and people with contact details in the live file included.
    Nothing of it shows before the commit."""
    from screener.store import txn as store_txn

    cands = [f"n-{i}" for i in range(31)]
    cands[4] = cands[26] = "n-dup"  # in the first segment and in the sixth
    cands[9] = "p-3"  # archived earlier (history)
    cands[12] = cands[13] = "q-3"  # added with contact details (history)
    cands[30] = "n-dup2"
    cands[2] = "n-dup2"  # in the first segment and the last
    batch = _bulk_batch(tmp_path, cands)
    ahead = tmp_path / "ahead" / "screener.json"
    flushed = tmp_path / "flushed" / "screener.json"
    store = _bulk_history(ahead) if history else small(ahead)
    if not history:
        cands[9] = "n-9"
        cands[12] = cands[13] = "n-13"
        batch = replace(batch, candidates=cands)
    forks = len(forked)
    committed = ahead.read_bytes() if ahead.exists() else None  # the commit record
    real = store_txn.Txn.finish_ahead
    seen: list[bool] = []

    def seen_before_commit(tx: Any) -> None:
        started = tx.writing is not None
        real(tx)
        if started:  # the segments written (by both processes), before the commit
            assert (ahead.read_bytes() if ahead.exists() else None) == committed  # not listed
            assert len(segment_files(ahead)) == 6 + 2 * history  # written
            seen.append(started)

    monkeypatch.setattr(store_txn.Txn, "finish_ahead", seen_before_commit)
    if not fork:
        monkeypatch.setattr(store_archive, "spare_core", lambda: False)
    saved = store.save_scored_batch(batch, command="batch")
    assert saved.stored == 31 and len(forked) == forks + fork and seen == [True]
    monkeypatch.setattr(store_txn.Txn, "bulk_ahead", lambda tx, *args: 0)
    monkeypatch.setattr(store_archive, "PARALLEL_MIN", 10**9)
    other = _bulk_history(flushed) if history else small(flushed)
    assert other.save_scored_batch(batch, command="batch").stored == 31
    assert len(forked) == forks + fork  # no fork for this one
    assert _stored_shape(ahead) == _stored_shape(flushed)
    assert len(_segment_rows(ahead)) == 7 + 2 * history
    got = [(a.candidate_id, a.key, a.competencies) for a in small(ahead).attempts()]
    want = [(a.candidate_id, a.key, a.competencies) for a in small(flushed).attempts()]
    assert got == want and len(got) == 31 + 10 * history
    assert small(ahead).save_scored_batch(batch).skipped == 31  # keys found in the archive
    for path in db_files(ahead):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert temp_files(ahead) == []


def test_a_bulk_save_writes_ahead_only_what_its_commit_would_write_so(
    tmp_path: Path,
) -> None:
    """Segments are written ahead only when the commit would write the batch's attempts
    into whole segments after whatever it merges with them: none when the live file
    holds the batch, or when a submitted attempt in the live file or in a small last
    segment is later than the batch (the commit's flush sorts it among the new ones);
    else the whole segments of the earlier ones followed by the new ones."""
    batch_at, before, after = "2024-05-01T10:20:00Z", "2024-01-01T10:00:00Z", "2025-01-01T00:00:00Z"
    for when, ahead in ((before, 28), (after, 0)):
        tail = tmp_path / when[:4] / "tail" / "screener.json"
        small(tail).save_attempts(
            [replace(r, submitted=when) for r in people_rows(7)]
        )  # segments of 5 and 2
        live = tmp_path / when[:4] / "live" / "screener.json"
        small(live, live=10).save_attempts([replace(r, submitted=when) for r in people_rows(3)])
        for store, got in ((small(tail), ahead), (small(live, live=10), ahead and 27)):
            with store.transaction():
                tx = store._txn
                assert tx is not None
                assert tx.bulk_ahead(31, batch_at) == got
                holds = max(tx.limits.live, tx.limits.segment)  # the live file holds them
                assert tx.bulk_ahead(holds, batch_at) == 0 < tx.bulk_ahead(holds + 1, batch_at) + 1
    fresh = small(tmp_path / "fresh.json")
    with fresh.transaction():
        assert fresh._txn is not None
        assert fresh._txn.bulk_ahead(31, batch_at) == 30
        assert fresh._txn.bulk_ahead(30, batch_at) == 25
        assert fresh._txn.bulk_ahead(5, batch_at) == 0


def _history(db: Path, kind: str) -> Store:
    """A database with history, before a batch: ``live``: submitted attempts in the live
    file; ``tail``: a small last segment (with a person without attempts and the store's
    audit events in it); ``both``. All of it earlier than ``_bulk_batch``'s time."""

    def at(rows: list[NewAttempt], hour: int) -> list[NewAttempt]:
        return [
            replace(r, submitted=f"2024-01-01T{hour:02d}:00:{n:02d}Z") for n, r in enumerate(rows)
        ]

    store = small(db)
    if kind in ("tail", "both"):
        store.add_candidate("With Contact", "c@example.org", candidate_id="q-3")
        rows = at(people_rows(7), 10)
        rows[6] = replace(rows[6], submitted=rows[5].submitted)  # a tie: kept in stored order
        store.save_attempts(rows, command="import")
        assert [r["attempts"] for r in _segment_rows(db)] == [5, 2]
    if kind in ("live", "both"):
        roomy = small(db, live=12)
        roomy.save_attempts(at(people_rows(3, prefix="r"), 11)[::-1], command="import")
        # at the time of the small segment's last two: a tie, the segment's go first
        roomy.save_attempts([replace(people_rows(9)[8], submitted="2024-01-01T10:00:05Z")])
        roomy.start_attempt("r-1", LAYOUT)
        assert sum(d["status"] == "submitted" for d in live_data(db)["attempts"].values()) == 4
    return small(db, live=12)


@pytest.mark.parametrize("kind", ["live", "tail", "both", "twice"])
def test_a_big_bulk_save_into_history_writes_ahead_as_its_commit_would(
    tmp_path: Path, forked: list[int], monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """A big bulk save into a database whose live file holds submitted attempts, or whose
    last segment is small, writes its whole segments ahead too, those earlier attempts
    (and the small segment's) first: the same segments, live file, results and export
    as when the commit's flush writes them all (write-ahead off). ``twice``: two bulk
    saves in one transaction, the second after the first's rest."""
    from screener.store import txn as store_txn

    cands = [f"n-{i}" for i in range(31)]
    cands[4] = cands[26] = "n-dup"  # in the first segment and in the sixth
    cands[9] = "p-3"  # archived in a whole segment
    cands[11] = "p-6"  # in the small last segment
    cands[12] = cands[29] = "q-3"  # added with contact details, in the small segment
    cands[20] = "r-1"  # submitted and in progress in the live file
    cands[30] = cands[2] = "n-dup2"  # in the first segment and the last
    batch = _bulk_batch(tmp_path, cands)
    second = replace(
        _bulk_batch(tmp_path, [f"m-{i}" for i in range(14)] + ["n-dup2", "p-0"]),
        submitted="2024-05-01T10:20:01Z",
    )
    history = "both" if kind == "twice" else kind
    ahead = tmp_path / "ahead" / "screener.json"
    flushed = tmp_path / "flushed" / "screener.json"
    calls: list[int] = []
    real = store_txn.Txn.write_ahead
    real_finish = store_txn.Txn.finish_ahead
    started: list[tuple[int, bytes]] = []

    def seen_before_commit(tx: Any, count: int, *args: Any) -> Any:
        started.append((len(segment_files(ahead)), ahead.read_bytes()))
        calls.append(count)
        return real(tx, count, *args)

    def finished(tx: Any) -> None:
        real_finish(tx)
        if started:  # its segments written, before the commit lists them
            before, committed = started.pop()
            assert ahead.read_bytes() == committed  # not listed
            assert len(segment_files(ahead)) > before  # written

    def run(db: Path) -> None:
        store = _history(db, history)
        with store.transaction():
            assert store.save_scored_batch(batch, command="batch").stored == 31
            if kind == "twice":
                assert store.save_scored_batch(second, command="batch").stored == 16

    with monkeypatch.context() as patched:
        patched.setattr(store_txn.Txn, "write_ahead", seen_before_commit)
        patched.setattr(store_txn.Txn, "finish_ahead", finished)
        run(ahead)
    assert calls and all(calls) and not started
    with monkeypatch.context() as patched:
        patched.setattr(store_txn.Txn, "bulk_ahead", lambda tx, *args: 0)
        run(flushed)
    assert _stored_shape(ahead) == _stored_shape(flushed)
    got = [(a.candidate_id, a.key, a.submitted, a.competencies) for a in small(ahead).attempts()]
    want = [(a.candidate_id, a.key, a.submitted, a.competencies) for a in small(flushed).attempts()]
    assert got == want and len(got) == 31 + 16 * (kind == "twice") + {"live": 4, "tail": 7}.get(
        history, 11
    )
    assert small(ahead).save_scored_batch(batch).skipped == 31  # keys found in the archive
    for path in db_files(ahead):
        assert stat.S_IMODE(path.stat().st_mode) == 0o600, path
    assert temp_files(ahead) == []
    assert small(ahead).compact().segments_before > 0


@pytest.mark.parametrize("how", ["error", "killed"])
def test_a_failing_ahead_writer_process_stores_nothing(
    db: Path, forked: list[int], monkeypatch: pytest.MonkeyPatch, how: str
) -> None:
    """The child writing half of a bulk save's segments ahead fails or is killed: one
    line, nothing of the batch committed or left behind, what was there before intact."""
    store = _bulk_history(db)
    before = snapshot(db)
    batch = _bulk_batch(db.parent, [f"n-{i}" for i in range(31)])
    parent = os.getpid()

    def fails() -> None:
        if how == "killed":
            os.kill(os.getpid(), signal.SIGKILL)
        raise OSError(28, "No space left on device\nreally")

    monkeypatch.setattr(store_archive, "_write_job", store_archive._write_job)
    _in_child(parent, fails)
    with pytest.raises(StoreError) as failed:
        store.save_scored_batch(batch, command="batch")
    message = str(failed.value)
    said = "SIGKILL" if how == "killed" else "No space left on device"
    assert "\n" not in message and said in message, message
    assert forked
    assert snapshot(db) == before
    assert temp_files(db) == []
    assert len(small(db).attempts()) == 10


def test_a_bulk_save_draws_again_the_attempt_ids_the_archive_may_hold(
    db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """New attempt ids that an archive segment's index may hold (a hash hit is enough)
    are drawn again, and only the new draws are asked about again."""
    from screener.store import txn as store_txn

    store = _bulk_history(db)
    batch = _bulk_batch(db.parent, [f"n-{i}" for i in range(31)])
    real = store_txn.Txn.taken_attempt_ids
    asked: list[list[str]] = []

    def clashing(tx: Any, ids: Any) -> set[str]:
        asked.append(list(ids))
        found = real(tx, ids)
        return found | set(ids[:3]) if len(asked) == 1 else found

    monkeypatch.setattr(store_txn.Txn, "taken_attempt_ids", clashing)
    saved = store.save_scored_batch(batch)
    assert [len(a) for a in asked] == [31, 3]
    assert not set(asked[0][:3]) & set(saved.attempt_ids)
    assert set(asked[1]) <= set(saved.attempt_ids) and len(set(saved.attempt_ids)) == 31
    assert set(asked[0][3:]) <= set(saved.attempt_ids)
    assert [a.attempt_id for a in small(db).attempts() if a.candidate_id.startswith("n-")] == list(
        saved.attempt_ids
    )


def test_batches_into_history_read_back_as_with_the_commit_flushing_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, forked: list[int]
) -> None:
    """``batch`` into a database with history (its last segment small), ``take``, then
    ``batch`` again (a submitted attempt in the live file now), whole commands: what
    ``results --json`` and ``export --format csv`` print, and every stored byte but the
    seals, are those of the same commands with no segment written ahead (the commit's
    flush writing them all, as before write-ahead knew about history)."""
    import secrets
    from datetime import UTC, datetime

    from screener import tracking
    from screener.store import records as store_records
    from screener.store import txn as store_txn
    from tests.test_batch import BFI, bfi_rows, write_csv

    monkeypatch.setenv("SCREENER_LIVE_LIMIT", "6")
    monkeypatch.setenv("SCREENER_SEGMENT_ATTEMPTS", "5")
    first = write_csv(tmp_path / "first.csv", bfi_rows(7))
    second = write_csv(tmp_path / "second.csv", bfi_rows(23, start=5))  # p5, p6 return
    third = write_csv(tmp_path / "third.csv", bfi_rows(17, start=40))
    answers = str(ROOT / "docs" / "examples" / "answers-form-a.yaml")
    clock = [datetime(2024, 5, 1, 10, 0, tzinfo=UTC)]

    class Clock(datetime):
        @classmethod
        def now(cls, tz: Any = None) -> Any:  # type: ignore[override]
            return clock[0]

    monkeypatch.setattr(store_records, "datetime", Clock)
    monkeypatch.setattr(tracking, "datetime", Clock)

    def session(db: Path) -> list[str]:
        db.parent.mkdir()
        draws = random.Random(15)
        monkeypatch.setattr(secrets, "token_hex", lambda n=32: draws.randbytes(n).hex())
        steps: list[tuple[str, ...]] = [
            ("batch", str(first), "-a", BFI),
            ("batch", str(second), "-a", BFI, "--keep-both"),
            ("take", "--answers", answers, "--name", "Ann Lee"),
            ("batch", str(third), "-a", BFI),
        ]
        out = []
        for minute, step in enumerate(steps):
            clock[0] = datetime(2024, 5, 1, 10, minute, tzinfo=UTC)
            done = run_cli("--db", str(db), *step)
            assert done.returncode == 0, done.stderr
        for read in (("results", "--json"), ("export", "--format", "csv")):
            done = run_cli("--db", str(db), *read)
            assert done.returncode == 0, done.stderr
            out.append(done.stdout)
        return out

    written: list[int] = []
    real = store_txn.Txn.write_ahead

    def counted(tx: Any, count: int, *args: Any) -> Any:
        written.append(count)
        return real(tx, count, *args)

    with monkeypatch.context() as patched:
        patched.setattr(store_txn.Txn, "write_ahead", counted)
        ahead = session(tmp_path / "ahead" / "screener.json")
    # the first batch into no history, the second (checked first, then again) into a
    # small last segment, the third into one and a take's attempt in the live file
    assert written == [5, 18, 18, 12], written
    with monkeypatch.context() as patched:
        patched.setattr(store_txn.Txn, "bulk_ahead", lambda tx, *args: 0)
        flushed = session(tmp_path / "flushed" / "screener.json")
    assert ahead == flushed
    # p5-p7 of the second file were stored by the first (same answers: same keys)
    assert "Ann Lee" in ahead[1] and ahead[0].count("\n") == 7 + 20 + 1 + 17
    assert _stored_shape(tmp_path / "ahead" / "screener.json") == _stored_shape(
        tmp_path / "flushed" / "screener.json"
    )


BULK_BATCH: list[Any] = []


def _bulk_writer(path: str, tag: str, report: int) -> None:
    # As ``_segment_writer``: every fsync waits 3 ms first, so kills land inside writes.
    real_fsync = os.fsync

    def slow_fsync(fd: int) -> None:
        time.sleep(0.003)
        real_fsync(fd)

    os.fsync = slow_fsync  # type: ignore[assignment]
    store_archive.PARALLEL_MIN = 0  # half of the segments in a forked child
    store_archive.spare_core = lambda: True  # type: ignore[assignment]
    from screener.store import txn as store_txn

    real = store_txn.Txn.write_ahead
    ahead: list[bool] = []

    def counted(tx: Any, count: int, *args: Any) -> Any:
        ahead.append(bool(tx.archive.segments and tx.docs("attempts")))  # into history
        return real(tx, count, *args)

    store_txn.Txn.write_ahead = counted  # type: ignore[method-assign]
    n = 0
    while True:
        store = Store(path, live_limit=30, segment_attempts=20)
        # history before each batch: submitted attempts waiting in the live file, and
        # (every second round) a small last segment; all earlier than the batch
        store.save_attempts(
            [
                replace(r, submitted="2024-01-01T10:00:00Z")
                for r in people_rows(3 + 9 * (n % 2), prefix=f"{tag}.{n}.s")
            ]
        )
        cands = [f"{tag}.{n}.b-{i}" for i in range(len(BULK_BATCH[0].candidates))]
        store.save_scored_batch(replace(BULK_BATCH[0], candidates=cands, key_scope=None))
        os.write(report, f"{n} {ahead[-1] if ahead else False}\n".encode())
        n += 1


def test_sigkill_during_a_bulk_save_into_history_loses_nothing_committed(
    tmp_path: Path, db: Path
) -> None:
    """20 kills of a writer storing big bulk saves into a database with history (its
    segments written ahead, the live file's submitted attempts and a small last segment
    merged into them, half of them by a forked child), each while a segment is half
    written: every save reported committed is there whole, nothing of a killed one is,
    the small segment a killed save was replacing is still listed and readable, and the
    next writer removes what the killed one left."""
    BULK_BATCH[:] = [_bulk_batch(tmp_path, [f"x-{i}" for i in range(90)])]
    committed: set[str] = set()
    landed = 0
    rng = random.Random(11)
    for round_ in range(20):
        read_end, write_end = os.pipe()
        proc = FORK.Process(target=_bulk_writer, args=(str(db), f"r{round_}", write_end))
        proc.start()
        os.close(write_end)
        with os.fdopen(read_end) as reports:
            first = reports.readline()
            assert first, f"writer died (exit {proc.exitcode})"
            deadline = time.monotonic() + 20
            folder = archive_of(db)
            # inside the n-th segment file write from now: a segment written ahead, the
            # commit's last one, or (the last files of a save) the next save's
            seen: set[str] = set()
            target = rng.randint(1, 12)
            while time.monotonic() < deadline and len(seen) < target:
                seen.update(p.name for p in folder.glob(".seg-*.tmp"))
                time.sleep(0.0002)
            time.sleep(rng.uniform(0, 0.002))
            landed += bool(list(folder.glob(".seg-*.tmp")))
            _kill(proc)
            done = [first, *reports.readlines()]
        lines = [line.split() for line in done if line.strip()]
        assert all(into_history == "True" for _, into_history in lines[round_ == 0 :]), lines
        committed |= {f"r{round_}.{n}" for n, _ in lines}
        per_save: dict[str, int] = {}
        for record in Store(db).attempts():  # every listed segment read
            if ".b-" in record.candidate_id:
                save = record.candidate_id.rsplit(".", 1)[0]
                per_save[save] = per_save.get(save, 0) + 1
        assert all(count == 90 for count in per_save.values()), per_save
        assert committed <= set(per_save)
    assert landed >= 10, landed  # most kills did land inside a segment write
    Store(db, live_limit=30, segment_attempts=20).add_candidate("After")
    assert temp_files(db) == []
    listed = {f"seg-{s['n']:08d}" for s in _segment_rows(db)}
    assert {p.stem for p in archive_of(db).iterdir()} == listed  # no orphan segment
    assert Store(db).compact().segments_before == len(listed)


@pytest.mark.parametrize("kind", ["live", "tail", "both"])
def test_a_bulk_save_into_history_failing_at_its_commit_changes_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, kind: str
) -> None:
    """The commit of a bulk save that wrote segments ahead fails (here: the live file's
    replace): the database is byte for byte as before (the small last segment it merged
    still there), nothing it wrote is left, and the next save goes ahead."""
    from screener.store import files as store_files
    from screener.store import txn as store_txn

    db = tmp_path / "db" / "screener.json"
    _history(db, kind)
    before = snapshot(db)
    batch = _bulk_batch(tmp_path, [f"n-{i}" for i in range(31)])
    calls: list[int] = []
    real = store_txn.Txn.write_ahead

    def counted(tx: Any, count: int, *args: Any) -> Any:
        calls.append(count)
        return real(tx, count, *args)

    def full(*args: Any, **kwargs: Any) -> None:
        raise OSError(28, "No space left on device")

    with monkeypatch.context() as patched:
        patched.setattr(store_txn.Txn, "write_ahead", counted)
        patched.setattr(store_files.BufferedMiddleware, "commit", full)
        with pytest.raises(OSError):
            small(db, live=12).save_scored_batch(batch, command="batch")
    assert calls  # segments were written ahead
    assert snapshot(db) == before
    assert temp_files(db) == []
    assert small(db, live=12).save_scored_batch(batch, command="batch").stored == 31


def test_many_hashes_at_once_are_the_hashes_one_by_one() -> None:
    """``hash64_many`` gives ``hash64``'s numbers: ASCII texts (hashed as a matrix of
    bytes per width) and every other kind (one ``zlib.crc32`` call per text)."""
    from screener.store.hashindex import hash64_many

    rng = random.Random(3)
    hex_ids = [f"{rng.getrandbits(48):012x}" for _ in range(3000)]
    cases = [
        hex_ids,  # attempt ids
        [f"batch:{rng.getrandbits(128):032x}" for _ in range(500)],  # submission keys
        [f"p-{n}" for n in range(1500)],  # widths differ: a matrix per width
        [f"61617-b{n % 7}-{n}" for n in range(2000)],  # ids of a replicated file
        ["", "ab", "abc"],  # an empty text
        ["ab", "x" * 41, "abc"],  # one wider than the matrix path takes
        ["éé", "ab"] * 40,  # the same length in characters, not in bytes
        ["x" * 41, "y" * 41],  # wider than the matrix path takes
        ["\ud800ab", "abc"],  # a lone surrogate
        ["a", "b", "\x00", "\x7f"],
        ["only one"],
        [],
    ]
    for texts in cases:
        assert hash64_many(texts).tolist() == [hash64(t) for t in texts], texts[:3]
