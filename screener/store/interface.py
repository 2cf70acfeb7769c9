"""The store interface: every operation the commands and the library use, and the
plain records they exchange with a store.

``ResultsStore`` is what a backend implements: today the TinyDB files
(``core.Store``, docs/store.md), later PostgreSQL (issue 16), which must be
able to follow without touching a command. Commands get one from
``screener.store.connect`` (``cli.base.open_store``) and call nothing else.

None of the records holds a backend's document: they are frozen dataclasses of
plain values (``AttemptRecord.packed`` is the documented packed attempt of
docs/store.md, "Attempts", the same for every backend), and a stream of
attempts is an ``AttemptStream`` made of parts any backend can produce.

The contract every backend keeps (tests/test_store_contract.py checks it):

- each method is one transaction; inside ``transaction()`` calls share one
  atomic write (all or nothing), inside ``reading()`` one consistent view;
- ids are exact, names are compared with spacing runs made one and in any case;
- a bad id, name or contact is a ``RecordError`` before anything is written;
  an unknown candidate or attempt a ``NotFoundError``; a damaged, newer or
  unusable database a ``StoreError``, left untouched;
- ``delete_candidate`` leaves nothing of the person stored anywhere (records,
  attempts, coaching progress, program events, audit events naming them) and
  audits the deletion with counts only;
- attempts come back oldest first (submitted, else started; then as stored).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from screener.store.bulk import ScoredBatch
from screener.store.records import (
    AttemptRecord,
    AttemptStatus,
    AttemptStream,
    AuditEvent,
    Candidate,
    CompactResult,
    Erasure,
    Layout,
    NewAttempt,
    NewCandidate,
    Progress,
    RestoreCounts,
    SaveResult,
    StoreDump,
    StoreInfo,
    StreamPart,
)

if TYPE_CHECKING:
    from screener.coaching import PlanEntry
    from screener.pathway import Employer, Event
    from screener.scoring import Answer, Scorecard

When = datetime | str | None

__all__ = [
    "AttemptRecord",
    "AttemptStatus",
    "AttemptStream",
    "AuditEvent",
    "Candidate",
    "CompactResult",
    "Erasure",
    "Layout",
    "NewAttempt",
    "NewCandidate",
    "Progress",
    "RestoreCounts",
    "ResultsStore",
    "SaveResult",
    "ScoredBatch",
    "StoreDump",
    "StoreInfo",
    "StreamPart",
]


class ResultsStore(Protocol):
    """A results database: candidates, attempts, coaching progress, audit, program events."""

    # -- the database ---------------------------------------------------------------

    @property
    def location(self) -> str:
        """Where it is, for messages (a path, later a connection without its password)."""
        ...

    @property
    def local_folder(self) -> Path | None:
        """The folder a file database lives in (None for a server)."""
        ...

    def exists(self) -> bool:
        """Whether anything was ever stored (reading a database that is not there finds
        nothing and creates nothing)."""
        ...

    def transaction(self) -> AbstractContextManager[ResultsStore]:
        """Several calls under one lock, written once at the end or not at all."""
        ...

    def reading(self) -> AbstractContextManager[ResultsStore]:
        """Several reads of one version of the database (one parse, one snapshot)."""
        ...

    def info(self) -> StoreInfo: ...

    def secret(self) -> str:
        """The database's secret for anonymised exports' keyed pseudonyms (reads only)."""
        ...

    def rotate_secret(self, *, command: str | None = ...) -> None: ...

    def compact(self, *, command: str | None = ...) -> CompactResult:
        """Reorganise storage for speed (file backends merge small pieces)."""
        ...

    # -- candidates -------------------------------------------------------------------

    def add_candidate(
        self,
        name: str,
        contact: str | None = ...,
        *,
        candidate_id: str | None = ...,
        when: When = ...,
    ) -> Candidate: ...

    def get_candidate(self, candidate_id: str) -> Candidate: ...

    def candidates(self, ids: Iterable[str] | None = ...) -> list[Candidate]:
        """Everyone (or those of ``ids`` that exist), oldest first."""
        ...

    def candidates_named(self, name: str) -> list[Candidate]: ...

    def find_candidates(self, text: str) -> list[Candidate]: ...

    def resolve_candidate(self, ref: str) -> Candidate:
        """By exact id, else by exact name when only one candidate has it."""
        ...

    def match_candidate(
        self, ref: str | None, name: str | None, *, rename: bool = ...
    ) -> Candidate | None: ...

    def resolve_or_add_candidate(
        self,
        ref: str | None,
        name: str | None,
        *,
        rename: bool = ...,
        command: str | None = ...,
    ) -> tuple[Candidate, bool]: ...

    def rename_candidates(self, names: Mapping[str, str], *, command: str | None = ...) -> int: ...

    # -- attempts -----------------------------------------------------------------------

    def save_attempt(
        self,
        candidate_id: str,
        scorecard: Scorecard,
        plan: tuple[PlanEntry, ...],
        answers: Mapping[str, Answer],
        layout: Layout,
        *,
        submitted: When = ...,
        started: When = ...,
        seconds: Mapping[str, float | None] | None = ...,
        seed: int | None = ...,
        order: Sequence[str] | None = ...,
        key: str | None = ...,
        command: str | None = ...,
    ) -> AttemptRecord: ...

    def save_attempts(self, rows: Iterable[NewAttempt], *, command: str | None = ...) -> SaveResult:
        """Many scored attempts in one write; rows whose ``key`` is stored are skipped."""
        ...

    def save_scored_batch(self, batch: ScoredBatch, *, command: str | None = ...) -> SaveResult:
        """The column-wise bulk save of one layout (``vectorscore.scored_batch``)."""
        ...

    def start_attempt(
        self,
        candidate_id: str,
        layout: Layout,
        *,
        seed: int | None = ...,
        order: Sequence[str] | None = ...,
        started: When = ...,
        command: str | None = ...,
    ) -> AttemptRecord: ...

    def record_answer(
        self, attempt_id: str, item_id: str, answer: Answer, *, seconds: float | None = ...
    ) -> None:
        """One answer of an attempt in progress, saved as it is given."""
        ...

    def submit_attempt(
        self,
        attempt_id: str,
        scorecard: Scorecard,
        plan: tuple[PlanEntry, ...],
        *,
        submitted: When = ...,
        command: str | None = ...,
    ) -> AttemptRecord: ...

    def attempt(self, attempt_id: str) -> AttemptRecord: ...

    def attempts(
        self,
        candidate: str | None = ...,
        assessment: str | None = ...,
        outcome: str | None = ...,
        module: str | None = ...,
        since: When = ...,
        *,
        status: AttemptStatus | None = ...,
    ) -> list[AttemptRecord]: ...

    def iter_attempts(
        self,
        candidate: str | None = ...,
        assessment: str | None = ...,
        outcome: str | None = ...,
        module: str | None = ...,
        since: When = ...,
        *,
        status: AttemptStatus | None = ...,
    ) -> AttemptStream:
        """``attempts`` as a stream: read as iterated, memory bounded (exports)."""
        ...

    def seen_items(
        self, candidate_id: str, assessment: str, *, exclude: str | None = ...
    ) -> frozenset[str]: ...

    def layouts(self) -> list[Layout]:
        """Every form attempts were stored with."""
        ...

    # -- coaching progress ------------------------------------------------------------------

    def start_module(
        self,
        candidate_id: str,
        module: str,
        *,
        attempt_id: str | None = ...,
        when: When = ...,
    ) -> Progress: ...

    def view_lesson(
        self, candidate_id: str, module: str, lesson: str, *, when: When = ...
    ) -> Progress: ...

    def record_check(
        self,
        candidate_id: str,
        module: str,
        score: float,
        *,
        passed: bool,
        when: When = ...,
    ) -> Progress: ...

    def progress(
        self, candidate_id: str | None = ..., module: str | None = ...
    ) -> list[Progress]: ...

    # -- audit ------------------------------------------------------------------------------

    def audit(
        self,
        event: str,
        *,
        command: str | None = ...,
        candidate_id: str | None = ...,
        attempt_id: str | None = ...,
        count: int | None = ...,
        detail: str | None = ...,
        when: When = ...,
    ) -> AuditEvent: ...

    def audit_events(
        self,
        *,
        candidate_id: str | None = ...,
        attempt_id: str | None = ...,
        event: str | None = ...,
        since: When = ...,
    ) -> list[AuditEvent]: ...

    # -- program employers and events (issue 17) --------------------------------------------

    def add_employer(self, employer: Employer) -> Employer: ...

    def update_employer(
        self,
        employer_id: str,
        *,
        name: str | None = ...,
        region: str | None = ...,
        seats: int | None = ...,
    ) -> Employer: ...

    def employers(self) -> list[Employer]: ...

    def add_events(self, events: Sequence[Event]) -> int: ...

    def events(self, person: str | None = ...) -> list[Event]: ...

    # -- erasure ----------------------------------------------------------------------------

    def delete_candidate(
        self, candidate_id: str, *, dry_run: bool = ..., command: str | None = ...
    ) -> Erasure: ...

    # -- copying between stores (issue 16) --------------------------------------------------

    def dump(self) -> StoreDump:
        """Everything stored, streamed, ids and times as stored (``db copy``'s source)."""
        ...

    def restore(self, dump: StoreDump, *, command: str | None = ...) -> RestoreCounts:
        """Everything of another store's ``dump`` into this one, which must hold nothing
        yet (a ``StoreError`` otherwise); one transaction: all of it or none."""
        ...
