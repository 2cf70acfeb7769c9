"""The store contract (screener/store/interface.py), through the interface only.

Every backend must pass these: today the TinyDB files, with everything in the live
file and with almost everything in archive segments; PostgreSQL (issue 16) joins
the ``backend`` fixture's parameters. The tests call only ``ResultsStore``
methods and read only the records it returns, never a file.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest

from screener.errors import NotFoundError, RecordError, StoreError
from screener.pathway import Employer, Event
from screener.store import NewCandidate, Store
from screener.store.interface import ResultsStore
from tests.test_store import LAYOUT, answers_for, row, scored

Factory = Callable[[], ResultsStore]


@pytest.fixture(params=["tinydb-live", "tinydb-archive", "postgresql"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Factory:
    """A way to open the same database again (as another command would).

    ``postgresql``: a fresh database of the session's throw-away server
    (tests/pgserver.py), migrated and empty.
    """
    db = tmp_path / "contract" / "screener.json"
    if request.param == "tinydb-live":
        return lambda: Store(db)
    if request.param == "postgresql":
        from screener.store import connect

        url: str = request.getfixturevalue("pg_url")
        return lambda: connect(url)
    return lambda: Store(db, live_limit=2, segment_attempts=3)


def test_nothing_stored_reads_as_empty_and_creates_nothing(backend: Factory) -> None:
    store = backend()
    assert not store.exists()
    assert store.attempts() == [] and store.candidates() == [] and store.layouts() == []
    assert len(store.iter_attempts()) == 0 and store.audit_events() == []
    info = store.info()
    assert (info.exists, info.attempts, info.candidates) == (False, 0, 0)
    with pytest.raises(NotFoundError):
        store.resolve_candidate("anyone")
    assert not store.exists()


def test_candidates_by_id_and_by_name(backend: Factory) -> None:
    store = backend()
    ada = store.add_candidate("Ada  Lovelace", "ada@example.org", candidate_id="ada-1")
    assert ada.name == "Ada Lovelace"  # spacing runs made one
    grace = store.add_candidate("Grace Hopper")
    twin = store.add_candidate("grace hopper")
    for n in range(6):  # enough to move earlier ones out of a live file
        store.add_candidate(f"Filler {n}")
    again = backend()
    assert again.get_candidate("ada-1") == ada
    assert again.resolve_candidate("ada-1") == ada
    assert again.resolve_candidate("ADA lovelace") == ada
    with pytest.raises(NotFoundError, match="2 candidates are named"):
        again.resolve_candidate("Grace Hopper")
    assert {c.id for c in again.candidates_named("GRACE   hopper")} == {grace.id, twin.id}
    assert again.candidates(["ada-1", "nobody", grace.id]) == [ada, grace]
    assert len(again.candidates()) == 9 == again.info().candidates
    with pytest.raises(StoreError, match="already taken"):
        again.add_candidate("Someone", candidate_id="ada-1")
    with pytest.raises(RecordError):
        again.add_candidate("Bad\x1bName")
    assert again.match_candidate("ada-1", "ada lovelace") == ada
    renamed, created = again.resolve_or_add_candidate("ada-1", "Ada King", rename=True)
    assert (renamed.name, created) == ("Ada King", False)
    assert backend().resolve_candidate("ada king").id == "ada-1"


def test_many_candidates_renamed_in_one_write(backend: Factory) -> None:
    """``rename_candidates`` (a batch's ``--update-names``): every new name stored and
    found by name, the old names gone, one ``candidate.renamed`` event each (no names
    in it), those already so named left alone, an unknown id refused whole."""
    store = backend()
    people = [store.add_candidate(f"Person {n}", candidate_id=f"p{n}") for n in range(8)]
    store.save_attempts([row(p.id, n) for n, p in enumerate(people)])  # archived ones too
    again = backend()
    names = {"p0": "  New   Zero ", "p3": "New Three", "p7": "New Seven", "p5": "person 5"}
    with pytest.raises(NotFoundError):
        again.rename_candidates({**names, "nobody": "X"}, command="batch")
    assert backend().get_candidate("p0").name == "Person 0"  # nothing renamed
    assert again.rename_candidates(names, command="batch") == 4
    after = backend()
    assert [after.get_candidate(f"p{n}").name for n in (0, 3, 7, 5)] == [
        "New Zero",
        "New Three",
        "New Seven",
        "person 5",
    ]
    assert after.resolve_candidate("new zero").id == "p0"
    with pytest.raises(NotFoundError):
        after.resolve_candidate("Person 3")
    events = after.audit_events(event="candidate.renamed")
    assert sorted(e.candidate_id or "" for e in events) == ["p0", "p3", "p5", "p7"]
    assert all(e.command == "batch" and e.detail is None for e in events)
    assert after.rename_candidates({"p3": "New  Three"}) == 0  # already so named
    assert len(after.attempts()) == 8


def test_an_attempt_taken_answer_by_answer(backend: Factory) -> None:
    store = backend()
    person = store.add_candidate("Taker")
    started = store.start_attempt(person.id, LAYOUT, seed=3)
    answers = answers_for(2)
    for item, value in answers.items():
        store.record_answer(started.attempt_id, item, value, seconds=1.0)
    assert backend().attempts(candidate=person.id) == []  # not submitted yet
    [pending] = backend().attempts(candidate=person.id, status="in_progress")
    assert pending.answers == answers and pending.seed == 3
    card, plan = scored(answers)
    done = store.submit_attempt(started.attempt_id, card, plan, command="take")
    store.save_attempts([row(NewCandidate(f"P{n}", id=f"p{n}"), n) for n in range(7)])
    again = backend()
    got = again.attempt(done.attempt_id)
    assert got.competencies == card.competencies and got.plan == plan and got.name == "Taker"
    assert got.seen_items >= set(answers)
    assert again.seen_items(person.id, LAYOUT.assessment) == got.seen_items
    with pytest.raises(StoreError, match="already submitted"):
        again.record_answer(done.attempt_id, LAYOUT.items[0], 1)


def test_attempts_oldest_first_with_filters_counts_and_layouts(backend: Factory) -> None:
    store = backend()
    stamps = ["2024-03-01T00:00:00Z", "2024-01-01T00:00:00Z", "2024-02-01T00:00:00Z"]
    for k, stamp in enumerate(stamps):  # stored out of time order
        store.save_attempts(
            [
                row(NewCandidate(f"C{k}-{n}", id=f"c{k}-{n}"), 10 * k + n, submitted=stamp)
                for n in range(3)
            ]
        )
    again = backend()
    stream = again.iter_attempts()
    assert len(stream) == 9 and stream.layouts == (LAYOUT,)
    got = [a.submitted for a in stream]
    assert got == sorted(got) and got[0] == "2024-01-01T00:00:00Z"
    assert [a.candidate_id for a in again.attempts(since="2024-02-01")][:3] == [
        "c2-0",
        "c2-1",
        "c2-2",
    ]
    assert len(again.attempts(assessment=LAYOUT.assessment)) == 9
    assert again.attempts(assessment="other") == []
    outcomes = {a.outcome for a in again.attempts()}
    for outcome in outcomes:
        assert {a.outcome for a in again.attempts(outcome=outcome)} == {outcome}
    assert [a.candidate_id for a in again.attempts(candidate="c1-2")] == ["c1-2"]


def test_bulk_saves_store_nothing_twice(backend: Factory) -> None:
    rows = [row(NewCandidate(f"B{n}", f"b{n}@x.org"), n, key=f"k{n}") for n in range(8)]
    first = backend().save_attempts(rows)
    again = backend().save_attempts(rows)
    assert (first.stored, again.stored, again.skipped) == (8, 0, 8)
    assert again.attempt_ids == first.attempt_ids
    assert len(backend().candidates()) == 8  # found again by name and contact


def test_a_transaction_is_all_or_nothing(backend: Factory) -> None:
    store = backend()
    store.add_candidate("Before")
    with pytest.raises(RuntimeError), store.transaction():
        store.add_candidate("Inside")
        store.save_attempts([row(NewCandidate(f"T{n}"), n) for n in range(5)])
        raise RuntimeError("boom")
    assert [c.name for c in backend().candidates()] == ["Before"]
    assert backend().attempts() == []


def test_a_reading_view_sees_one_version(backend: Factory) -> None:
    store = backend()
    person = store.add_candidate("Viewed")
    store.save_attempts([row(person.id, n) for n in range(4)])
    other = backend()
    with store.reading():
        before = len(store.attempts())
        other.save_attempts([row(person.id, 9)])  # another command writes meanwhile
        assert len(store.attempts()) == before == 4
    assert len(store.attempts()) == 5


def test_progress_audit_and_program_events(backend: Factory) -> None:
    store = backend()
    person = store.add_candidate("Coached")
    store.start_module(person.id, "bfi-coaching")
    store.view_lesson(person.id, "bfi-coaching", "intro")
    done = store.record_check(person.id, "bfi-coaching", 90.0, passed=True)
    assert done.completed is not None and done.lessons == ("intro",)
    store.audit("plan.assigned", command="coach", candidate_id=person.id, detail="3 modules")
    store.add_employer(Employer("acme", "Acme", "GTA", 1))
    at = datetime(2024, 5, 1, tzinfo=UTC)
    store.add_events([Event(person.id, "hired", at, employer="acme")])
    again = backend()
    assert [p.module for p in again.progress(person.id)] == ["bfi-coaching"]
    assert [e.detail for e in again.audit_events(candidate_id=person.id)] == ["3 modules"]
    assert again.employers() == [Employer("acme", "Acme", "GTA", 1)]
    assert again.events(person.id) == [Event(person.id, "hired", at, employer="acme")]


def test_erasure_leaves_nothing_of_the_person(backend: Factory) -> None:
    store = backend()
    gone = store.add_candidate("Zed Gone", "zed@x.org", candidate_id="zed")
    kept = store.add_candidate("Kay Kept", candidate_id="kay")
    store.save_attempts([row("zed", 1, key="z1"), row("kay", 2), row("zed", 3)], command="t")
    started = store.start_attempt("zed", LAYOUT, command="take")
    store.record_answer(started.attempt_id, LAYOUT.items[0], 3)
    store.view_lesson("zed", "bfi-coaching", "intro")
    store.audit("note", command="t", detail="call Zed Gone")
    store.add_events([Event("zed", "hired", datetime(2024, 1, 1, tzinfo=UTC))])
    preview = store.delete_candidate(gone.id, dry_run=True)
    assert (preview.attempts, preview.progress, preview.events) == (3, 1, 1)
    assert backend().get_candidate("zed") == gone  # a dry run changes nothing
    done = backend().delete_candidate("zed")
    assert done.still_present == () and done.attempts == 3
    again = backend()
    with pytest.raises(NotFoundError):
        again.get_candidate("zed")
    assert again.attempts(candidate="zed", status=None) == []
    assert again.progress("zed") == [] and again.events("zed") == []
    assert not [e for e in again.audit_events() if e.candidate_id == "zed"]
    assert not [e for e in again.audit_events() if "Zed" in (e.detail or "")]
    [deleted] = again.audit_events(event="candidate.deleted")
    assert deleted.candidate_id is None and "Zed" not in (deleted.detail or "")
    assert [a.candidate_id for a in again.attempts()] == ["kay"]
    assert again.get_candidate("kay") == kept


def test_compaction_changes_nothing_a_reader_sees(backend: Factory) -> None:
    store = backend()
    store.save_attempts([row(NewCandidate(f"Q{n}", id=f"q{n}"), n) for n in range(11)])
    before = [(a.attempt_id, a.candidate_id, a.name) for a in store.attempts()]
    store.compact()
    after = backend()
    assert [(a.attempt_id, a.candidate_id, a.name) for a in after.attempts()] == before
    assert after.info().attempts == 11
