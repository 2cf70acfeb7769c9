"""Taking a screening: who takes it, which attempt and form, saving answers, follow-up
items and submitting. The decisions of ``screener take``, without prompts or printing.

``take_from_file`` is ``take --answers``: the person is found or created and the
scored attempt stored under one lock. ``Taking`` is the interactive attempt:
``Taking.begin`` resumes an unfinished attempt or starts one on the form the
candidate has not taken yet; the terminal flow (``screener.session``) asks the
questions and hands every answer to ``save`` / ``save_follow_up`` as it is
given; ``next_follow_up`` says which reserve item to ask after the form
(``scoring.next_follow_up``, the one follow-up rule); ``submit`` scores and plans
(``screening.score_answers``) and closes the attempt.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from screener.content import DOMAINS, Assessment
from screener.errors import NotFoundError, UsageError
from screener.scoring import Answer, next_follow_up
from screener.screening import score_answers

if TYPE_CHECKING:
    from screener.content import AnyItem
    from screener.store import AttemptRecord, Candidate
    from screener.store.interface import ResultsStore
    from screener.store.records import NewCandidate

__all__ = [
    "EXTRA_TIMES",
    "EXTRA_TIME_EVENT",
    "NotStarted",
    "TakeState",
    "Taking",
    "Unfinished",
    "UnknownCandidate",
    "choose_form",
    "coaching_left",
    "extra_time_of",
    "find_or_create",
    "next_form",
    "people_named",
    "previous_attempt",
    "question_order",
    "take_from_file",
]


class UnknownCandidate(NotFoundError):
    """The candidate a take names does not exist (and no name was given to create them)."""


class NotStarted(Exception):
    """The candidate chose not to start a new attempt (coaching is left to do)."""


#: The extra time a ``take --extra-time`` accommodation may grant: every time limit
#: is multiplied by it.
EXTRA_TIMES = (1.0, 1.25, 1.5, 2.0)
#: The audit event that records an attempt's extra time (detail: the factor, "1.5").
#: The store keeps no field for it, so the audit log, which is erased with the
#: candidate, carries it; ``extra_time_of`` reads it back.
EXTRA_TIME_EVENT = "take.extra_time"


def extra_time_of(store: ResultsStore, attempt_id: str) -> float:
    """The time-limit factor granted for an attempt (1 when none was)."""
    events = store.audit_events(attempt_id=attempt_id, event=EXTRA_TIME_EVENT)
    if not events:
        return 1.0
    try:
        return float(events[-1].detail or 1)
    except ValueError:
        return 1.0


def people_named(store: ResultsStore, name: str) -> list[Candidate]:
    """Every stored candidate with this exact name (any case or spacing), oldest first."""
    return store.candidates_named(name)


def coaching_left(
    store: ResultsStore, candidate_id: str, assessment_id: str
) -> tuple[int, int] | None:
    """(modules done, modules required) by the plan of the candidate's latest submitted
    attempt at the assessment, when some required module is not complete; else None
    (also when this role may not read that plan or the progress: a station, issue 16)."""
    done = store.attempts(candidate=candidate_id, assessment=assessment_id)
    if not done or done[-1].masked:
        return None
    required = [e.module for e in done[-1].plan if e.required]
    if not required:
        return None
    complete = {p.module for p in store.progress(candidate_id) if p.completed}
    finished = sum(1 for m in required if m in complete)
    return None if finished == len(required) else (finished, len(required))


def next_form(forms: Sequence[str], taken: Sequence[str]) -> str:
    """The form for a new attempt: the first not yet taken, else the one taken longest ago."""
    for form in forms:
        if form not in taken:
            return form
    last_used = {form: n for n, form in enumerate(taken)}
    return min(forms, key=lambda f: last_used.get(f, -1))


def choose_form(
    assessment: Assessment, form: str | None, earlier: Iterable[AttemptRecord] = ()
) -> str:
    """``form`` if given (checked), else the form the candidate has not taken yet
    (``earlier``: their submitted attempts at this assessment, oldest first)."""
    if form is not None:
        return assessment.form(form)
    return next_form(assessment.form_names(), [a.form for a in earlier])


def question_order(assessment: Assessment, form: str) -> list[int]:
    """Indexes into the form's items, grouped by domain (cognitive first), stable within."""
    items = assessment.form_items(form)
    domain = {c.id: DOMAINS.index(c.domain) for c in assessment.competencies}
    return sorted(range(len(items)), key=lambda i: (domain[items[i].competency], i))


def find_or_create(
    store: ResultsStore,
    candidate: str | None,
    name: str | None,
    *,
    ask_name: Callable[[], str] | None = None,
    same_person: Callable[[Sequence[Candidate], str], Candidate | None] | None = None,
    rename: bool = False,
    create: bool = True,
    command: str = "take",
) -> tuple[Candidate | NewCandidate, bool]:
    """The candidate by id or exact name; created when new. Returns (candidate, created);
    with ``create`` false a new person is not stored yet but returned as a
    ``NewCandidate`` (``Store.add_candidate`` when they start).

    The rules are ``Store.resolve_or_add_candidate``'s, but a name alone (given or
    typed at ``ask_name``) that is already stored is never taken for that person
    silently: ``same_person`` asks whether the candidate is one of them (None: a
    new person of the same name); without it, it is a usage error naming their ids.
    """
    from screener.store.records import NewCandidate, clean_name, shown

    if not candidate and not name:
        if ask_name is None:
            raise UsageError("give --candidate ID or --name NAME")
        name = ask_name()
    if not candidate and name is not None:
        named = people_named(store, name)
        if named:
            if same_person is None:
                ids = ", ".join(shown(c.id) for c in named)
                raise UsageError(
                    f"--name: {shown(name)} is already the name of candidate {ids}: "
                    f"give --candidate {shown(named[0].id)} to add to their record, or "
                    "--candidate NEW-ID --name NAME for a different person"
                )
            picked = same_person(named, name)
            if picked is not None:
                return picked, False
            if not create:
                return NewCandidate(clean_name(name)), False
            return store.add_candidate(name), True
    try:
        if not create:
            found = store.match_candidate(candidate or None, name, rename=rename)
            if found is None:
                assert name is not None  # an unknown id alone raised
                return NewCandidate(clean_name(name), id=candidate or None), False
            if not rename:
                return found, False
        return store.resolve_or_add_candidate(
            candidate or None, name, rename=rename, command=command
        )
    except UnknownCandidate:
        raise
    except NotFoundError as exc:
        raise UnknownCandidate(str(exc)) from None


def previous_attempt(store: ResultsStore, record: AttemptRecord) -> AttemptRecord | None:
    """The candidate's latest other submitted attempt at the same assessment, when it was
    submitted before ``record`` (the "change since last time" of a results screen); None
    when this role may not read its results (a station, issue 16: the change is not shown)."""
    return _latest_before(
        store.attempts(candidate=record.candidate_id, assessment=record.assessment), record
    )


def _latest_before(
    attempts: Sequence[AttemptRecord], record: AttemptRecord
) -> AttemptRecord | None:
    """``previous_attempt`` among ``attempts`` (the candidate's, oldest first)."""
    done = [a for a in attempts if a.attempt_id != record.attempt_id]
    if not done or done[-1].masked or (done[-1].submitted or "") > (record.submitted or ""):
        return None
    return done[-1]


def take_from_file(
    store: ResultsStore,
    assessment: Assessment,
    answers: Path,
    candidate: str | None,
    name: str | None,
    form: str | None = None,
    seed: int | None = None,
    *,
    rename: bool = False,
    command: str = "take --answers",
) -> tuple[AttemptRecord, AttemptRecord | None]:
    """Score an answers file and store it: the person is found or created and the
    attempt saved under ONE lock, so parallel runs for a new person make one person,
    and a crash cannot leave a person without their attempt. Nothing is written
    unless every answer scores. Returns the attempt and its ``previous_attempt`` as
    read in the same transaction (the results screen shows the change since then
    without reading the store again: on a big database that costs as much as the save)."""
    from screener.answers import read_answers
    from screener.store import Layout
    from screener.store.records import NewCandidate

    if not candidate and not name:
        raise UsageError("give --candidate ID or --name NAME")
    form_name: str | None = None
    values: dict[str, Answer] = {}
    if not store.exists():
        # nothing stored yet, so this first look costs nothing: an unknown person or a
        # bad file fails before the lock creates a folder (with a database, it is read
        # once, under the lock, where a failure writes nothing)
        try:
            store.match_candidate(candidate or None, name, rename=rename)
        except NotFoundError as exc:
            raise UnknownCandidate(str(exc)) from None
        form_name = choose_form(assessment, form)
        values = read_answers(answers, assessment, form_name)
    with store.transaction():
        who, created = find_or_create(store, candidate, name, rename=rename, command=command)
        assert not isinstance(who, NewCandidate)  # created when new
        earlier = () if created else store.attempts(candidate=who.id, assessment=assessment.id)
        chosen = choose_form(assessment, form, earlier)
        if chosen != form_name:  # first read, or another run stored an attempt meanwhile
            form_name = chosen
            values = read_answers(answers, assessment, form_name)
        card, plan = score_answers(assessment, form_name, values)
        record = store.save_attempt(
            who.id,
            card,
            plan,
            values,
            Layout.of(assessment, form_name),
            seed=seed,
            command=command,
        )
        return record, _latest_before(earlier, record)


# -- the interactive attempt -------------------------------------------------------------


@dataclass
class TakeState:
    """Where a candidate is in a form: answers by form index and which were asked."""

    answers: list[Answer]
    seconds: list[float | None]
    asked: set[int] = field(default_factory=set)


@dataclass(frozen=True)
class Unfinished:
    """An attempt the candidate left: offered to them before a new one is started."""

    record: AttemptRecord
    done: int  # questions answered or skipped
    total: int  # questions of the form


class Taking:
    """One attempt being taken at the terminal; every answer is saved as it is given.

    A new attempt is stored with its first answer, never before: a candidate who
    stops before answering anything leaves no empty attempt behind."""

    def __init__(
        self,
        store: ResultsStore,
        assessment: Assessment,
        candidate_id: str,
        form: str,
        seed: int,
        record: AttemptRecord | None,
        seen: set[str],
        *,
        extra_time: float = 1.0,
        command: str = "take",
    ) -> None:
        self.store = store
        self.assessment = assessment
        self.candidate_id = candidate_id
        self.record = record
        self.form = form
        self.seed = seed
        self.extra_time = extra_time
        self.command = command
        self.ids = [item.id for item in assessment.form_items(self.form)]
        asked = record.seen_items if record is not None else frozenset()
        self.state = TakeState(
            [record.answers.get(i) if record else None for i in self.ids],
            [record.seconds.get(i) if record else None for i in self.ids],
            {n for n, i in enumerate(self.ids) if i in asked},
        )
        #: follow-up items asked in this attempt (answered or skipped) and their answers
        self.follow_ups: dict[str, Answer] = (
            {i: a for i, a, _ in record.follow_ups} if record is not None else {}
        )
        #: items the candidate met in earlier attempts: never asked again
        self.seen = seen
        self.resumed = bool(self.state.asked or self.follow_ups)

    @property
    def remaining(self) -> int:
        """Questions of the form not yet asked."""
        return len(self.ids) - len(self.state.asked)

    @property
    def saved_anything(self) -> bool:
        """Whether the attempt is stored (it holds at least one answer)."""
        return self.record is not None

    @classmethod
    def begin(
        cls,
        store: ResultsStore,
        assessment: Assessment,
        candidate_id: str,
        *,
        form: str | None = None,
        seed: int | None = None,
        resume: bool = False,
        attempt: str | None = None,
        go_on: Callable[[Sequence[Unfinished]], Unfinished | None] = lambda found: found[-1],
        retake: Callable[[int, int], bool] | None = None,
        extra_time: float | None = None,
        command: str = "take",
    ) -> Taking:
        """The attempt to take now.

        ``attempt``: that unfinished attempt of the candidate. ``resume``: their latest
        unfinished attempt at ``assessment``. Otherwise ``go_on`` picks one of their
        unfinished attempts, or None for a new one; those not picked stay as they are,
        each reachable by ``attempt``. A new attempt is on ``form`` or the form not
        taken yet; when the plan of their last attempt has coaching left, ``retake``
        (modules done, modules required) may refuse it (``NotStarted``).
        ``extra_time`` multiplies the time limits (an unfinished attempt keeps the
        factor it was started with unless another is given).
        """
        mine = store.attempts(candidate=candidate_id, assessment=assessment.id, status=None)
        unfinished = [
            Unfinished(a, len(a.seen_items & set(a.layout.items)), len(a.layout.items))
            for a in mine
            if a.status == "in_progress" and not a.masked  # not another station's
        ]
        record: AttemptRecord | None = None
        if attempt is not None:
            record = next((u.record for u in unfinished if u.record.attempt_id == attempt), None)
            if record is None:
                raise NotFoundError(
                    f"{candidate_id} has no unfinished attempt {attempt} at {assessment.id}"
                )
        elif unfinished:
            chosen = unfinished[-1] if resume else go_on(unfinished)
            record = chosen.record if chosen is not None else None
        elif resume:
            raise NotFoundError(f"{candidate_id} has no unfinished attempt at {assessment.id}")
        if record is not None and record.version != assessment.version:
            raise UsageError(
                f"the unfinished attempt is on {assessment.id} version {record.version}, "
                f"now {assessment.version}: start a new one without --resume"
            )
        seen: set[str] = set()
        for earlier in mine:  # what Store.seen_items gives, from the attempts already read
            if record is None or earlier.attempt_id != record.attempt_id:
                seen |= earlier.seen_items
        if record is not None:
            stored = extra_time_of(store, record.attempt_id)
            if extra_time is not None and extra_time != stored:
                store.audit(
                    EXTRA_TIME_EVENT,
                    command=command,
                    candidate_id=candidate_id,
                    attempt_id=record.attempt_id,
                    detail=f"{extra_time:g}",
                )
            return cls(
                store,
                assessment,
                candidate_id,
                record.form,
                record.seed or 0,
                record,
                seen,
                extra_time=extra_time if extra_time is not None else stored,
                command=command,
            )
        if retake is not None:
            left = coaching_left(store, candidate_id, assessment.id)
            if left is not None and not retake(*left):
                raise NotStarted()
        submitted = [a for a in mine if a.status == "submitted"]
        return cls(
            store,
            assessment,
            candidate_id,
            choose_form(assessment, form, submitted),
            seed if seed is not None else random.randrange(1, 2**31),
            None,
            seen,
            extra_time=extra_time if extra_time is not None else 1.0,
            command=command,
        )

    def _stored(self) -> AttemptRecord:
        """The attempt in the store, started now if it is not yet (with its question
        order, option seed and any extra time)."""
        if self.record is None:
            from screener.store import Layout

            items = self.assessment.form_items(self.form)
            self.record = self.store.start_attempt(
                self.candidate_id,
                Layout.of(self.assessment, self.form),
                seed=self.seed,
                order=[items[i].id for i in question_order(self.assessment, self.form)],
                command=self.command,
            )
            if self.extra_time != 1:
                self.store.audit(
                    EXTRA_TIME_EVENT,
                    command=self.command,
                    candidate_id=self.candidate_id,
                    attempt_id=self.record.attempt_id,
                    detail=f"{self.extra_time:g}",
                )
        return self.record

    def answers(self) -> dict[str, Answer]:
        """Every answer so far: the form's (None = not answered) and the follow-up items'."""
        return {**dict(zip(self.ids, self.state.answers, strict=True)), **self.follow_ups}

    def save(self, index: int, value: Answer, seconds: float | None) -> None:
        """Store the answer to the form's item ``index`` (``session.AnswerSink``)."""
        record = self._stored()
        self.store.record_answer(record.attempt_id, self.ids[index], value, seconds=seconds)

    def next_follow_up(self) -> AnyItem | None:
        """The reserve item to ask next, or None when the screening is over.

        A follow-up item once asked is not asked again, even when it was skipped."""
        return next_follow_up(
            self.assessment, self.answers(), self.form, self.seen | self.follow_ups.keys()
        )

    def save_follow_up(self, item_id: str, value: Answer, seconds: float | None) -> None:
        """Store the answer to a follow-up (reserve) item as it was given."""
        record = self._stored()
        self.store.record_answer(record.attempt_id, item_id, value, seconds=seconds)
        self.follow_ups[item_id] = value

    def submit(self, command: str = "take") -> tuple[AttemptRecord, AttemptRecord | None]:
        """Score and plan every answer given, close the attempt; returns it and the
        candidate's previous attempt at this assessment (for the change since then)."""
        card, plan = score_answers(self.assessment, self.form, self.answers())
        record = self._stored()
        final = self.store.submit_attempt(record.attempt_id, card, plan, command=command)
        return final, previous_attempt(self.store, final)
