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
    from screener.store import AttemptRecord, Candidate, Store

__all__ = [
    "TakeState",
    "Taking",
    "Unfinished",
    "UnknownCandidate",
    "choose_form",
    "find_or_create",
    "next_form",
    "previous_attempt",
    "question_order",
    "take_from_file",
]


class UnknownCandidate(NotFoundError):
    """The candidate a take names does not exist (and no name was given to create them)."""


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
    store: Store,
    candidate: str | None,
    name: str | None,
    *,
    ask_name: Callable[[], str] | None = None,
    rename: bool = False,
    command: str = "take",
) -> tuple[Candidate, bool]:
    """The candidate by id or exact name; created when new. Returns (candidate, created).

    The rules are ``Store.resolve_or_add_candidate``'s. With neither id nor
    name, ``ask_name`` asks for the name (a usage error without it).
    """
    if not candidate and not name:
        if ask_name is None:
            raise UsageError("give --candidate ID or --name NAME")
        name = ask_name()
    try:
        return store.resolve_or_add_candidate(
            candidate or None, name, rename=rename, command=command
        )
    except UnknownCandidate:
        raise
    except NotFoundError as exc:
        raise UnknownCandidate(str(exc)) from None


def previous_attempt(store: Store, record: AttemptRecord) -> AttemptRecord | None:
    """The candidate's latest other submitted attempt at the same assessment, when it was
    submitted before ``record`` (the "change since last time" of a results screen)."""
    done = [
        a
        for a in store.attempts(candidate=record.candidate_id, assessment=record.assessment)
        if a.attempt_id != record.attempt_id
    ]
    if not done or (done[-1].submitted or "") > (record.submitted or ""):
        return None
    return done[-1]


def take_from_file(
    store: Store,
    assessment: Assessment,
    answers: Path,
    candidate: str | None,
    name: str | None,
    form: str | None = None,
    seed: int | None = None,
    *,
    rename: bool = False,
    command: str = "take --answers",
) -> AttemptRecord:
    """Score an answers file and store it: the person is found or created and the
    attempt saved under ONE lock, so parallel runs for a new person make one person,
    and a crash cannot leave a person without their attempt. Nothing is written
    unless every answer scores."""
    from screener.answers import read_answers
    from screener.store import Layout

    if not candidate and not name:
        raise UsageError("give --candidate ID or --name NAME")
    form_name: str | None = None
    values: dict[str, Answer] = {}
    if not store.path.exists():
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
        earlier = () if created else store.attempts(candidate=who.id, assessment=assessment.id)
        chosen = choose_form(assessment, form, earlier)
        if chosen != form_name:  # first read, or another run stored an attempt meanwhile
            form_name = chosen
            values = read_answers(answers, assessment, form_name)
        card, plan = score_answers(assessment, form_name, values)
        return store.save_attempt(
            who.id,
            card,
            plan,
            values,
            Layout.of(assessment, form_name),
            seed=seed,
            command=command,
        )


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
    """One attempt being taken at the terminal; every answer is saved as it is given."""

    def __init__(
        self, store: Store, assessment: Assessment, record: AttemptRecord, seen: set[str]
    ) -> None:
        self.store = store
        self.assessment = assessment
        self.record = record
        self.form = record.form
        self.seed = record.seed or 0
        self.ids = [item.id for item in assessment.form_items(self.form)]
        asked = record.seen_items  # the form's items answered or timed, the follow-ups asked
        self.state = TakeState(
            [record.answers.get(i) for i in self.ids],
            [record.seconds.get(i) for i in self.ids],
            {n for n, i in enumerate(self.ids) if i in asked},
        )
        #: follow-up items asked in this attempt (answered or skipped) and their answers
        self.follow_ups: dict[str, Answer] = {i: a for i, a, _ in record.follow_ups}
        #: items the candidate met in earlier attempts: never asked again
        self.seen = seen
        self.resumed = bool(self.state.asked or self.follow_ups)

    @property
    def remaining(self) -> int:
        """Questions of the form not yet asked."""
        return len(self.ids) - len(self.state.asked)

    @classmethod
    def begin(
        cls,
        store: Store,
        assessment: Assessment,
        candidate_id: str,
        *,
        form: str | None = None,
        seed: int | None = None,
        resume: bool = False,
        go_on: Callable[[Unfinished], bool] = lambda unfinished: True,
        command: str = "take",
    ) -> Taking:
        """The candidate's unfinished attempt at ``assessment`` when ``resume`` or
        ``go_on`` (asked about it) says so; else a new attempt on ``form`` or the form
        not taken yet, with its question order and option seed stored."""
        mine = store.attempts(candidate=candidate_id, assessment=assessment.id, status=None)
        unfinished = [a for a in mine if a.status == "in_progress"]
        record: AttemptRecord | None = None
        if unfinished:
            latest = unfinished[-1]
            done = len(latest.seen_items & set(latest.layout.items))
            if resume or go_on(Unfinished(latest, done, len(latest.layout.items))):
                record = latest
        elif resume:
            raise NotFoundError(f"{candidate_id} has no unfinished attempt at {assessment.id}")
        if record is not None and record.version != assessment.version:
            raise UsageError(
                f"the unfinished attempt is on {assessment.id} version {record.version}, "
                f"now {assessment.version}: start a new one without --resume"
            )
        if record is None:
            from screener.store import Layout

            submitted = [a for a in mine if a.status == "submitted"]
            form_name = choose_form(assessment, form, submitted)
            items = assessment.form_items(form_name)
            record = store.start_attempt(
                candidate_id,
                Layout.of(assessment, form_name),
                seed=seed if seed is not None else random.randrange(1, 2**31),
                order=[items[i].id for i in question_order(assessment, form_name)],
                command=command,
            )
        # what Store.seen_items gives, from the attempts already read
        seen: set[str] = set()
        for earlier in mine:
            if earlier.attempt_id != record.attempt_id:
                seen |= earlier.seen_items
        return cls(store, assessment, record, seen)

    def answers(self) -> dict[str, Answer]:
        """Every answer so far: the form's (None = not answered) and the follow-up items'."""
        return {**dict(zip(self.ids, self.state.answers, strict=True)), **self.follow_ups}

    def save(self, index: int, value: Answer, seconds: float | None) -> None:
        """Store the answer to the form's item ``index`` (``session.AnswerSink``)."""
        self.store.record_answer(self.record.attempt_id, self.ids[index], value, seconds=seconds)

    def next_follow_up(self) -> AnyItem | None:
        """The reserve item to ask next, or None when the screening is over.

        A follow-up item once asked is not asked again, even when it was skipped."""
        return next_follow_up(
            self.assessment, self.answers(), self.form, self.seen | self.follow_ups.keys()
        )

    def save_follow_up(self, item_id: str, value: Answer, seconds: float | None) -> None:
        """Store the answer to a follow-up (reserve) item as it was given."""
        self.store.record_answer(self.record.attempt_id, item_id, value, seconds=seconds)
        self.follow_ups[item_id] = value

    def submit(self, command: str = "take") -> tuple[AttemptRecord, AttemptRecord | None]:
        """Score and plan every answer given, close the attempt; returns it and the
        candidate's previous attempt at this assessment (for the change since then)."""
        card, plan = score_answers(self.assessment, self.form, self.answers())
        final = self.store.submit_attempt(self.record.attempt_id, card, plan, command=command)
        return final, previous_attempt(self.store, final)
