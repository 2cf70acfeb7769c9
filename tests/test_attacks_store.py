"""Attacks of issue #10 on the store's semantics and on `take --answers` (points 2, 7, 8, 14-16).

Each test reproduces one attack from the issue; the docstring quotes it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import time
from pathlib import Path

import orjson
import pytest
from helpers import DATA, ROOT, run_cli
from storefiles import both_layouts, every_byte, snapshot, stored  # noqa: F401 (both layouts)

from screener.catalog import check_file
from screener.coaching import build_plan
from screener.content import Assessment
from screener.errors import NotFoundError, RecordError, StoreError
from screener.scoring import score_form
from screener.store import Layout, NewAttempt, NewCandidate, Store

TINY = str(DATA / "tiny")
A_GOOD = "m1: b\nm2: 25.4\nt1: 5\nt2: 1\ns1: b\n"


def _tiny() -> Assessment:
    model = check_file(DATA / "tiny" / "assessments" / "tiny.yaml").model
    assert isinstance(model, Assessment)
    return model


TINY_MODEL = _tiny()
LAYOUT = Layout.of(TINY_MODEL, "A")
ANSWERS = {"m1": "b", "m2": 25.4, "t1": 5, "t2": 1, "s1": "b"}


def attempt_row(candidate: str | NewCandidate) -> NewAttempt:
    card = score_form(TINY_MODEL, ANSWERS, "A")
    return NewAttempt(candidate, LAYOUT, card, build_plan(TINY_MODEL, card), ANSWERS)


def answers_file(tmp_path: Path) -> Path:
    path = tmp_path / "answers.yaml"
    path.write_text(A_GOOD)
    return path


def take(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(
        "--content-dir", TINY, "take", "tiny", "--answers", str(answers_file(tmp_path)), *args
    )


def one_line_error(result: subprocess.CompletedProcess[str], code: int = 1) -> str:
    assert result.returncode == code, (result.returncode, result.stderr)
    assert "Traceback" not in result.stderr and result.stderr.count("\n") == 1, result.stderr
    return result.stderr


# -- 2. delete erases unrelated audit events ------------------------------------------


def test_attack_2_delete_keeps_unrelated_audit_events(isolated_db: Path) -> None:
    """`delete` erases unrelated audit events: deleting candidate `1` removes every earlier
    `candidate.deleted` event."""
    store = Store(isolated_db)
    for cid in ("gone-a", "gone-b"):
        store.add_candidate("Temporary Person", candidate_id=cid)
        store.delete_candidate(cid)
    one = store.add_candidate("Ann", "e@x.org", candidate_id="1")
    e = store.add_candidate("Ed", candidate_id="e")
    anna = store.add_candidate("Anna Smith", "anna@example.org")
    store.save_attempts([attempt_row(one.id), attempt_row(e.id), attempt_row(anna.id)])
    store.audit("note", command="test", detail="rescheduled Anna Smith to 10:00, room 11")
    store.audit("note", command="test", detail="the 1st cohort had 12 people")
    before = store.audit_events(event="candidate.deleted")
    assert len(before) == 2

    erased = store.delete_candidate("1")
    assert (erased.attempts, erased.audit_events) == (1, 0)
    erased = store.delete_candidate("e")
    assert (erased.attempts, erased.audit_events) == (1, 0)
    deleted = store.audit_events(event="candidate.deleted")
    assert deleted[:2] == before and len(deleted) == 4
    assert [e.detail for e in store.audit_events(event="note")] == [
        "rescheduled Anna Smith to 10:00, room 11",
        "the 1st cohort had 12 people",
    ]
    assert len(store.audit_events(event="attempts.saved")) == 0  # saved without a command
    assert [c.name for c in store.candidates()] == ["Anna Smith"]


def test_attack_2_erasure_still_removes_every_mention(isolated_db: Path) -> None:
    """`delete` must match exact fields, never substrings, and still leave no trace of the
    deleted person in the audit."""
    store = Store(isolated_db)
    gone = store.add_candidate("Zeb  Quartermaine", "zq@example.org", candidate_id="zq-7")
    kept = store.add_candidate("Zebulon Quartermaine-Smith")
    saved = store.save_attempts([attempt_row(gone.id), attempt_row(kept.id)], command="t")
    store.audit("attempt.scored", command="score", attempt_id=saved.attempt_ids[0])
    store.audit("note", command="test", detail="call zeb   QUARTERMAINE back")
    store.audit("note", command="test", detail="bounced: ZQ@example.org.")
    store.audit("note", command="test", detail="zq-7's file is incomplete")
    store.audit("note", command="test", detail="zq-70 and Zebulon Quartermaine-Smith are fine")
    with pytest.raises(ValueError, match="written by the store"):
        store.audit("candidate.deleted", detail="Zeb Quartermaine was here")
    erased = store.delete_candidate(gone.id)
    assert erased.audit_events == 4
    raw = every_byte(isolated_db).lower()
    for trace in (b"zq-7'", b"zq@example", saved.attempt_ids[0].encode()):
        assert trace not in raw, trace
    assert re.search(rb"zeb\s+quartermaine", raw) is None
    notes = [e.detail for e in store.audit_events(event="note")]
    assert notes == ["zq-70 and Zebulon Quartermaine-Smith are fine"]
    assert len(store.audit_events(event="attempts.saved")) == 1  # counts only: kept


# -- 16. invalid ids and names: one line, never a traceback ------------------------------

BAD_IDS = ["a b", "x" * 65, "a\x1bb", "a\udcffb", ""]
BAD_NAMES = ["Ann\x1b]0;pwned\x07", "Ann\udcffLee", "Ann\u202eeeL", "N" * 201, " \t "]


@pytest.mark.parametrize("bad", BAD_IDS)
def test_attack_16_store_refuses_bad_ids_with_a_screener_error(isolated_db: Path, bad: str) -> None:
    """Invalid `--candidate` (space, 65 characters, ESC, invalid UTF-8): tracebacks."""
    store = Store(isolated_db)
    with pytest.raises(RecordError, match="candidate id") as caught:
        store.add_candidate("Somebody", candidate_id=bad)
    assert "\n" not in str(caught.value) and "\x1b" not in str(caught.value)
    with pytest.raises(RecordError):
        store.save_attempts([attempt_row(NewCandidate("Somebody", id=bad))])
    assert not isolated_db.exists()


@pytest.mark.parametrize("bad", BAD_NAMES)
def test_attack_16_store_refuses_bad_names(isolated_db: Path, bad: str) -> None:
    """Invalid UTF-8 in `--name`: traceback; names also get a length cap and no control
    characters at the store boundary."""
    store = Store(isolated_db)
    calls = [
        lambda: store.add_candidate(bad),
        lambda: store.save_attempts([attempt_row(NewCandidate(bad))]),
    ]
    if bad.strip():  # a blank contact is no contact
        calls.append(lambda: store.add_candidate("Fine Name", bad))
    for call in calls:
        with pytest.raises(RecordError) as caught:
            call()
        message = str(caught.value)
        assert "\n" not in message and len(message) < 200
        assert not any(ord(ch) < 32 or 0xD800 <= ord(ch) < 0xE000 for ch in message)
    assert not isolated_db.exists()


def test_attack_16_names_keep_letters_of_every_script(isolated_db: Path) -> None:
    """Names: cap length and refuse control characters (but not real names)."""
    store = Store(isolated_db)
    for name in ("Zoë O'Brien-Łukasz", "میر\u200cعلی", "李小龍", "N" * 200):
        assert store.add_candidate(name).name == name


@pytest.mark.parametrize(
    "args",
    [
        ("--candidate", "a b", "--name", "X"),
        ("--candidate", "x" * 65, "--name", "X"),
        ("--candidate", "a\x1bb", "--name", "X"),
        ("--candidate", "ok", "--name", "Ann\x1b[2J"),
        ("--candidate", "ok", "--name", "N" * 201),
        ("--name", "Ann\x07Lee"),
    ],
)
def test_attack_16_take_with_bad_candidate_or_name_is_one_line(
    tmp_path: Path, isolated_db: Path, args: tuple[str, ...]
) -> None:
    """Invalid `--candidate` (space, 65 characters, ESC) and bad `--name`: one-line errors."""
    stderr = one_line_error(take(tmp_path, *args), 2)
    assert "--candidate" in stderr or "--name" in stderr
    assert "\x1b" not in stderr and "\x07" not in stderr
    assert not isolated_db.exists()


def test_attack_16_invalid_utf8_in_argv_is_one_line(tmp_path: Path, isolated_db: Path) -> None:
    """Invalid UTF-8 in `--candidate` and `--name` (surrogateescape in argv): tracebacks."""
    answers = answers_file(tmp_path)
    base = [sys.executable, "-m", "screener", "--content-dir", TINY, "take", "tiny"]
    for extra in (
        [b"--candidate", b"a\xffb", b"--name", b"X"],
        [b"--candidate", b"ok", b"--name", b"Ann\xffLee"],
        [b"--name", b"Ann\xffLee"],
        [b"--candidate", b"a\xffb"],
    ):
        argv = [os.fsencode(a) for a in base] + [b"--answers", os.fsencode(answers), *extra]
        done = subprocess.run(argv, capture_output=True, cwd=ROOT, timeout=60)
        stderr = done.stderr.decode("utf-8", "replace")
        assert done.returncode in (1, 2), stderr
        assert "Traceback" not in stderr and stderr.count("\n") == 1, stderr
    assert not isolated_db.exists()


# -- 7. take --answers for a new person is one transaction -------------------------------


def test_attack_7_parallel_takes_for_one_new_id_make_one_person(
    tmp_path: Path, isolated_db: Path
) -> None:
    """`take --answers` for a new person is two transactions: with one new id, 7 of 8
    fail "already taken"; the same id in parallel must give one person and 8 attempts."""
    answers = answers_file(tmp_path)
    argv = [sys.executable, "-m", "screener", "--content-dir", TINY, "take", "tiny"]
    argv += ["--answers", str(answers), "--form", "A", "--candidate", "new-7"]
    argv += ["--name", "Parallel Person", "--json"]
    started = time.monotonic()
    procs = [
        subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(8)
    ]
    outputs = [p.communicate(timeout=60) for p in procs]
    assert time.monotonic() - started < 30
    assert [p.returncode for p in procs] == [0] * 8, [err for _, err in outputs]
    assert {json.loads(out)["candidate_id"] for out, _ in outputs} == {"new-7"}
    store = Store(isolated_db)
    assert [(c.id, c.name) for c in store.candidates()] == [("new-7", "Parallel Person")]
    assert len(store.attempts(candidate="new-7")) == 8


def _take_by_name(path: str, answers: str) -> None:
    """One `take --answers --name` run, in a forked process."""
    from screener.taking import take_from_file

    take_from_file(Store(path), TINY_MODEL, Path(answers), None, "Only Once", "A", None)


def test_attack_7_parallel_takes_for_one_new_name_make_one_person(
    tmp_path: Path, isolated_db: Path
) -> None:
    """8 concurrent runs with one new name created 8 people of that name. A name alone
    never joins a stored person (issue #11.7): the first run creates them, the other
    seven are refused (naming their id), under the lock, so there is one person."""
    import multiprocessing

    fork = multiprocessing.get_context("fork")
    answers = answers_file(tmp_path)
    procs = [
        fork.Process(target=_take_by_name, args=(str(isolated_db), str(answers))) for _ in range(8)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(30)
    assert sorted(p.exitcode for p in procs) == [0] + [1] * 7
    store = Store(isolated_db)
    [person] = store.candidates()
    assert person.name == "Only Once" and len(store.attempts(candidate=person.id)) == 1


def test_attack_7_new_person_and_attempt_are_one_write(
    tmp_path: Path, isolated_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A kill between the two writes leaves a person with no attempt: one write holds both."""
    from screener import taking
    from screener.store import files as store_files

    written: list[dict[str, dict[str, object]]] = []
    real = store_files.write_atomic

    def recording(path: Path, payload: bytes) -> None:
        written.append(orjson.loads(payload))
        real(path, payload)

    monkeypatch.setattr(store_files, "write_atomic", recording)
    answers = answers_file(tmp_path)
    store = Store(isolated_db)
    record, _ = taking.take_from_file(store, TINY_MODEL, answers, "w-1", "Wun", None, None)
    assert len(written) == 1  # one commit (the live file's replace) ...
    docs = stored(isolated_db)  # ... holding both, in the live file or in its segments
    assert [d["id"] for d in docs["candidates"]] == ["w-1"]
    assert [d["id"] for d in docs["attempts"]] == [record.attempt_id]

    # a failure after the new person is made inside the lock stores nothing at all
    def failing(*args: object, **kwargs: object) -> None:
        raise StoreError("disk full")

    monkeypatch.setattr(taking, "score_answers", failing)
    with pytest.raises(StoreError):
        taking.take_from_file(store, TINY_MODEL, answers, "w-2", "Two", None, None)
    assert len(written) == 1 and [c.id for c in store.candidates()] == ["w-1"]


# -- 8. ids match exactly; a different --name is an error unless asked for --------------


def test_attack_8_ids_match_exactly_and_names_must_agree(tmp_path: Path, isolated_db: Path) -> None:
    """`--candidate Sam --name "Samuel Newperson"` stores the attempt under existing
    candidate "sam" with --name ignored."""
    store = Store(isolated_db)
    store.add_candidate("Sam", candidate_id="sam")
    made = take(tmp_path, "--candidate", "Sam", "--name", "Samuel Newperson", "--json")
    assert made.returncode == 0, made.stderr
    assert json.loads(made.stdout)["candidate_id"] == "Sam"
    assert store.get_candidate("Sam").name == "Samuel Newperson"
    assert store.attempts(candidate="sam") == []

    before = snapshot(isolated_db)
    refused = take(tmp_path, "--candidate", "sam", "--name", "Samuel Newperson")
    stderr = one_line_error(refused, 2)
    assert "'sam'" in stderr and "'Sam'" in stderr and "'Samuel Newperson'" in stderr
    assert "--update-name" in stderr
    assert snapshot(isolated_db) == before


def test_attack_8_update_name_renames_explicitly_and_audits(
    tmp_path: Path, isolated_db: Path
) -> None:
    """A given --name that differs from the stored one is an error unless asked for."""
    store = Store(isolated_db)
    store.add_candidate("Sam Old", candidate_id="sam")
    done = take(tmp_path, "--candidate", "sam", "--name", "Sam  New", "--update-name", "--json")
    assert done.returncode == 0, done.stderr
    assert store.get_candidate("sam").name == "Sam New"
    assert len(store.attempts(candidate="sam")) == 1
    [renamed] = store.audit_events(event="candidate.renamed")
    assert renamed.candidate_id == "sam" and renamed.command == "take --answers"
    assert renamed.detail is None  # no names in the audit
    assert one_line_error(take(tmp_path, "--name", "Sam New", "--update-name"), 2)


def test_attack_8_store_rules_for_ids_and_names(isolated_db: Path) -> None:
    """Ids match exactly (case-sensitive); a differing name is refused unless renamed."""
    from screener.store.records import NameConflict

    store = Store(isolated_db)
    store.add_candidate("Sam", candidate_id="sam")
    store.add_candidate("Someone Else", candidate_id="sam2")
    with pytest.raises(NotFoundError):
        store.match_candidate("SAM2", None)
    assert store.resolve_or_add_candidate("sam", "  SAM ") == (store.get_candidate("sam"), False)
    with pytest.raises(NameConflict, match="'sam' is named 'Sam', not 'Samuel'"):
        store.resolve_or_add_candidate("sam", "Samuel")
    other, created = store.resolve_or_add_candidate("SAM", "Samuel")
    assert created and other.id == "SAM" and store.get_candidate("sam").name == "Sam"
    renamed, created = store.resolve_or_add_candidate("sam", "Samuel", rename=True)
    assert not created and renamed.name == "Samuel" == store.get_candidate("sam").name
    with pytest.raises(NotFoundError, match="2 candidates are named 'samuel'"):
        store.resolve_or_add_candidate(None, "samuel")


# -- 14. read-only commands never write -------------------------------------------------

V0_FILE = orjson.dumps(
    {
        "_default": {},
        "candidates": {
            "1": {"id": "old-1", "name": "Old Timer", "created": "2023-01-01T00:00:00Z"}
        },
    }
)


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*"))


def test_attack_14_anonymised_export_of_a_missing_database_creates_nothing(
    tmp_path: Path,
) -> None:
    """`export --anonymize` (a read-only command) creates folders, a database and a lock
    when --db does not exist."""
    db = tmp_path / "nowhere" / "deeper" / "screener.json"
    store = Store(db)
    assert usable(store.secret()) and store.attempts() == []
    done = run_cli("--db", str(db), "export", "--format", "csv", "--anonymize")
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("\n") == 1 and "contact" not in done.stdout  # the header only
    assert files_under(tmp_path) == []


def test_attack_14_anonymised_export_never_migrates_an_old_file(isolated_db: Path) -> None:
    """`export --anonymize` migrates an old file: read-only commands never write."""
    isolated_db.parent.mkdir(parents=True)
    isolated_db.write_bytes(V0_FILE)
    with pytest.raises(StoreError, match=r"schema 0 file.*screener db rotate-secret"):
        Store(isolated_db).secret()
    done = run_cli("export", "--format", "csv", "--anonymize")
    assert "rotate-secret" in one_line_error(done, 1)
    assert isolated_db.read_bytes() == V0_FILE
    assert files_under(isolated_db.parent) == ["screener.json"]  # no lock, no temp file
    # the way out the message gives: a write that migrates the file and makes a secret
    Store(isolated_db).rotate_secret()
    assert usable(Store(isolated_db).secret())
    assert [c.name for c in Store(isolated_db).candidates()] == ["Old Timer"]


# -- 15. an empty or short secret is refused; db rotate-secret ---------------------------


def usable(secret: str) -> bool:
    return len(secret) == 64 and int(secret, 16) >= 0


def set_secret(db: Path, value: object, *, drop: bool = False) -> None:
    data = orjson.loads(db.read_bytes())
    if drop:
        del data["meta"]["1"]["secret"]
    else:
        data["meta"]["1"]["secret"] = value
    db.write_bytes(orjson.dumps(data))


@pytest.mark.parametrize("bad", ["", "ab" * 15, "zz" * 32, "00 11 22 33 " * 8])
def test_attack_15_an_unusable_secret_is_refused(isolated_db: Path, bad: str) -> None:
    """An empty HMAC secret in a hand-edited file is accepted for anonymised export."""
    Store(isolated_db).save_attempts([attempt_row(NewCandidate("Ann Lee", id="ann"))])
    set_secret(isolated_db, bad)
    before = snapshot(isolated_db)
    with pytest.raises(StoreError, match=r"no usable secret.*screener db rotate-secret"):
        Store(isolated_db).secret()
    assert snapshot(isolated_db) == before


@pytest.mark.parametrize("drop", [True, False])
def test_attack_15_a_secret_that_is_not_text_is_refused(isolated_db: Path, drop: bool) -> None:
    """A hand-edited secret (missing, or a number) never keys pseudonyms."""
    Store(isolated_db).add_candidate("Ann Lee")
    set_secret(isolated_db, 12345, drop=drop)
    before = snapshot(isolated_db)
    with pytest.raises(StoreError):
        Store(isolated_db).secret()
    assert snapshot(isolated_db) == before


def test_attack_15_export_with_an_empty_secret_is_one_line(isolated_db: Path) -> None:
    """An empty HMAC secret in a hand-edited file is accepted: refuse it (one line)."""
    Store(isolated_db).save_attempts([attempt_row(NewCandidate("Ann Lee", id="ann"))])
    set_secret(isolated_db, "")
    done = run_cli("export", "--format", "jsonl", "--anonymize")
    assert "rotate-secret" in one_line_error(done, 1) and done.stdout == ""


def test_attack_15_rotate_secret_replaces_it_and_audits_without_it(isolated_db: Path) -> None:
    """Add `screener db rotate-secret`: replaces the secret, audit-logged, no secret in
    the audit; says earlier anonymised exports can no longer be linked to new ones."""
    store = Store(isolated_db)
    store.save_attempts([attempt_row(NewCandidate("Ann Lee", id="ann"))])
    set_secret(isolated_db, "")
    done = run_cli("db", "rotate-secret")
    assert done.returncode == 0, done.stderr
    assert "can no longer be linked" in done.stderr and done.stdout == ""
    first = store.secret()
    assert usable(first)
    store.rotate_secret()
    second = store.secret()
    assert usable(second) and second != first
    events = store.audit_events(event="secret.rotated")
    assert [e.command for e in events] == ["db rotate-secret", "db rotate-secret"]
    raw = every_byte(isolated_db)
    assert raw.count(second.encode()) == 1 and first.encode() not in raw
    assert all(e.detail is None for e in events)


def test_attack_16_other_ways_in_are_one_line_too(tmp_path: Path, isolated_db: Path) -> None:
    """Check where else the id and name ValueErrors can escape: batch, find_or_create
    (interactive take), and every command that takes a CANDIDATE."""
    from screener.taking import find_or_create

    store = Store(isolated_db)
    for candidate, name in (("a b", "X"), ("ok", "Ann\x1bLee"), (None, "Ann\udcffLee")):
        with pytest.raises(RecordError):
            find_or_create(store, candidate, name)
    table = tmp_path / "people.csv"
    table.write_text(
        "candidate_id,name,m1,m2,t1,t2,s1\nr1,Ann\x1b]0;x\x07Lee,b,25.4,5,1,b\nr2,Bo,b,25.4,5,1,b\n"
    )
    done = run_cli("--content-dir", TINY, "batch", str(table), "-a", "tiny")
    assert "candidate 'r1'" in one_line_error(done, 1) and "\x1b" not in done.stderr
    assert not isolated_db.exists()
    for command in ("show", "delete", "report"):
        done = run_cli(command, "a\x1b[2Jb")
        assert "no candidate 'a\\x1b[2Jb'" in one_line_error(done, 1)
