"""The records of whole-store operations (a bulk save's rows and result, erasure,
``db info``, compaction, ``db copy``) and a stream's parts: apart from ``records``,
which re-exports them, so a short read (``show``, ``report`` on PostgreSQL) does
not create their dataclasses (Python 3.11 compiles each dataclass's generated
methods one ``exec`` at a time: ~15 ms of start-up for these nine).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screener.coaching import PlanEntry
    from screener.scoring import Answer, Scorecard
    from screener.store.records import (
        AttemptRecord,
        AuditEvent,
        Candidate,
        Layout,
        PartData,
        Progress,
        StreamKey,
    )


@dataclass(frozen=True)
class NewCandidate:
    """Who an imported row belongs to, when they may not be in the store yet.

    With ``id`` the candidate of that id is used (and created with it if new);
    without it an existing candidate with the same name and contact is reused,
    so importing the same file twice does not duplicate people.
    """

    name: str
    contact: str | None = None
    id: str | None = None


@dataclass(frozen=True)
class NewAttempt:
    """A scored attempt to store: what ``save_attempts`` takes, one per row.

    ``answers`` and ``seconds`` are keyed by item id (missing = unanswered /
    unknown); answers to reserve items are the follow-up items asked (None = not
    asked), stored in reserve order; ``order`` is the form's item ids as presented
    (None = layout order); ``key`` is a submission key: a second row with a key
    already stored is skipped.
    """

    candidate: str | NewCandidate
    layout: Layout
    scorecard: Scorecard
    plan: tuple[PlanEntry, ...]
    answers: Mapping[str, Answer]
    submitted: datetime | str | None = None
    started: datetime | str | None = None
    seconds: Mapping[str, float | None] | None = None
    seed: int | None = None
    order: Sequence[str] | None = None
    key: str | None = None


@dataclass(frozen=True)
class SaveResult:
    """What a bulk save did; ``attempt_ids`` has one id per row (the existing one if skipped)."""

    stored: int
    skipped: int
    attempt_ids: tuple[str, ...]


@dataclass
class StreamPart:
    """Some of a stream's attempts, read when the stream reaches them: one archive
    segment, or the live file. ``first``: no attempt of it comes earlier; ``last``:
    none comes later (None: unknown); ``firsts``: for each layout number, where its
    first attempt stands; ``load`` reads the attempts (``PartData``)."""

    first: StreamKey
    count: int
    firsts: Mapping[int, StreamKey]
    load: Callable[[], PartData]
    last: StreamKey | None = None


@dataclass(frozen=True)
class Erasure:
    """What ``delete_candidate`` removed (or, with ``dry_run``, would remove).

    ``still_present`` names what of ("id", "name", "contact") still occurs in the
    file's bytes after the deletion: only possible when other records happen to
    contain the same text (another candidate called "Anna" keeps "Ann" in the file).
    """

    candidate_id: str
    name: str
    attempts: int
    progress: int
    audit_events: int
    still_present: tuple[str, ...] = ()
    events: int = 0  # program events (issue 17)

    @property
    def total(self) -> int:
        return 1 + self.attempts + self.progress + self.audit_events + self.events

    def summary(self) -> str:
        """Counts only: safe to store in the audit trail."""
        program = f", {self.events} program event(s)" if self.events else ""
        return (
            f"1 candidate, {self.attempts} attempt(s), {self.progress} coaching record(s), "
            f"{self.audit_events} audit event(s){program}"
        )


@dataclass(frozen=True)
class CompactResult:
    """What ``screener db compact`` did."""

    segments_before: int
    segments_after: int
    moved: int  # documents moved from the live file into segments
    replaced: int  # segments merged or rebuilt


@dataclass(frozen=True)
class StoreInfo:
    """What ``screener db info`` shows."""

    path: str
    exists: bool
    size: int
    schema_version: int | None
    candidates: int
    attempts: int
    in_progress: int
    layouts: int
    progress: int
    audit_events: int
    employers: int = 0
    events: int = 0  # program events
    segments: int = 0  # archive segment files (docs/store.md, "Layout")
    archive: str | None = None  # the archive folder, once there is one


@dataclass(frozen=True)
class StoreDump:
    """Everything one store holds, for ``screener db copy`` into another (issue 16).

    The iterables are read once, as the destination consumes them, so a source
    may stream them; ids, names, contacts and every time are kept as stored.
    ``attempts`` holds every attempt, in progress or submitted, oldest first;
    ``employers`` and ``events`` are ``screener.pathway`` records.
    """

    secret: str
    candidates: Iterable[Candidate]
    attempts: Iterable[AttemptRecord]
    progress: Iterable[Progress]
    audit: Iterable[AuditEvent]
    employers: Iterable[Any]
    events: Iterable[Any]


@dataclass(frozen=True)
class RestoreCounts:
    """What ``ResultsStore.restore`` wrote."""

    candidates: int
    attempts: int
    progress: int
    audit_events: int
    employers: int
    events: int

    @property
    def total(self) -> int:
        return (
            self.candidates
            + self.attempts
            + self.progress
            + self.audit_events
            + self.employers
            + self.events
        )

    def summary(self) -> str:
        """Counts only: the ``db.copied`` audit event's detail, as every backend writes it."""
        return (
            f"{self.candidates} candidate(s), {self.attempts} attempt(s), "
            f"{self.progress} coaching record(s), {self.audit_events} audit event(s), "
            f"{self.employers} employer(s), {self.events} program event(s)"
        )
