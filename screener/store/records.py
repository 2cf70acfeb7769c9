"""The store's records as plain dataclasses, and how attempts are packed into documents.

Nothing here touches the file: ``core`` reads and writes documents, this module
turns them into data and back. Per-item and per-competency arrays are kept in
the documents as JSON *text* (``"[3,4,\\"b\\",null]"``) rather than JSON arrays:
parsing a 100k-attempt file then creates a handful of Python objects per
attempt instead of ~150, which is what keeps opening the file under half a
second (measured in docs/performance.md). They are decoded only when read.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal
from unicodedata import category

import orjson

from screener.coaching import PlanEntry
from screener.errors import RecordError
from screener.scoring import Answer, CompetencyScore, Outcome, Scorecard, Status
from screener.shapes import attempt_json

if TYPE_CHECKING:
    from screener.content import Assessment

AttemptStatus = Literal["in_progress", "submitted"]

STATUS_CODE: dict[str, str] = {"meets": "m", "below": "b", "incomplete": "i"}
CODE_STATUS: dict[str, Status] = {"m": "meets", "b": "below", "i": "incomplete"}


def utc_stamp(when: datetime | str | None = None) -> str:
    """ISO-8601 UTC to the second, ``2024-05-01T10:20:00Z``: sorts and compares as text.

    A naive datetime (or text without an offset) is taken to be UTC already.
    """
    if when is None:
        moment = datetime.now(UTC)
    elif isinstance(when, str):
        try:
            moment = datetime.fromisoformat(when.strip())
        except ValueError:
            raise ValueError(f"not an ISO-8601 time: {when!r}") from None
    else:
        moment = when
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def pack(value: object) -> str:
    """JSON text of a list, stored as one string (see the module docstring for why)."""
    return orjson.dumps(value).decode()


def unpack(text: str | None) -> Any:
    return None if text is None else orjson.loads(text)


@dataclass(frozen=True)
class Candidate:
    """A person being screened. ``contact`` is free text (email, phone) or None."""

    id: str
    name: str
    contact: str | None
    created: str


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


ID_MAX = 64
NAME_MAX = 200  # longer than any real full name; the cap keeps a hostile file's 600 MB "name" out
_BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")


def shown(value: str, limit: int = 40) -> str:
    """``value`` quoted for a one-line message: escapes visible (``repr``), long text cut short."""
    return repr(value[:limit]) + ("..." if len(value) > limit else "")


class NameConflict(RecordError):
    """A name given for a stored candidate id that is not their stored name."""

    def __init__(self, candidate_id: str, stored: str, given: str) -> None:
        self.candidate_id, self.stored, self.given = candidate_id, stored, given
        super().__init__(
            f"candidate {shown(candidate_id)} is named {shown(stored)}, not {shown(given)}"
        )


def check_candidate_id(value: str) -> str:
    """``value`` if it can be a candidate id, else ``RecordError``.

    Ids are typed on command lines and appear in file names and reports, so:
    1-64 printable characters, no whitespace (and so no invalid UTF-8, whose
    surrogate escapes are not printable).
    """
    if (
        not value
        or len(value) > ID_MAX
        or not value.isprintable()
        or any(ch.isspace() for ch in value)
    ):
        raise RecordError(
            f"invalid candidate id {shown(value)}: 1-{ID_MAX} printable characters, no spaces"
        )
    return value


def _bad_character(text: str) -> str | None:
    """The first control character, surrogate (invalid UTF-8) or bidi override in ``text``."""
    if text.isprintable():  # the fast path: nothing to look for
        return None
    for ch in text:
        if ch in _BIDI_CONTROLS or category(ch) in ("Cc", "Cs"):
            return ch
    return None  # only format characters such as ZWNJ, which some scripts need


def _text_problem(label: str, text: str) -> RecordError | None:
    if len(text) > NAME_MAX:
        return RecordError(f"{label} {shown(text)} is too long: at most {NAME_MAX} characters")
    bad = _bad_character(text)
    if bad is None:
        return None
    what = "invalid UTF-8" if category(bad) == "Cs" else f"control character U+{ord(bad):04X}"
    return RecordError(f"{label} {shown(text)} holds {what}: not allowed in names and contacts")


def clean_name(name: str) -> str:
    """A candidate's name as stored: whitespace runs made one space; ``RecordError`` when
    blank, longer than ``NAME_MAX`` or holding control characters or invalid UTF-8 (they
    would reach terminals and spreadsheets, or fail to be written)."""
    cleaned = " ".join(name.split())
    if not cleaned:
        raise RecordError("a candidate needs a name")
    problem = _text_problem("name", cleaned)
    if problem is not None:
        raise problem
    return cleaned


def clean_contact(contact: str | None) -> str | None:
    """Contact details as stored (None when blank), by the same rules as names."""
    cleaned = contact.strip() if contact else ""
    if not cleaned:
        return None
    problem = _text_problem("contact", cleaned)
    if problem is not None:
        raise problem
    return cleaned


@dataclass(frozen=True)
class Layout:
    """One form of one assessment version as stored: items and competencies in order.

    Stored once per distinct layout, so an attempt holds bare arrays in this order.
    """

    assessment: str
    version: str
    form: str
    items: tuple[str, ...]
    item_competency: tuple[int, ...]
    competencies: tuple[str, ...]
    cuts: tuple[float, ...]
    options: tuple[tuple[str, ...] | None, ...] = ()
    modules: tuple[tuple[str, ...], ...] = ()

    @classmethod
    def of(cls, assessment: Assessment, form: str | None = None) -> Layout:
        """The layout of ``form`` (default: the first form) of ``assessment``."""
        name = assessment.form(form)
        items = assessment.form_items(name)
        comp_ids = tuple(c.id for c in assessment.competencies)
        where = {c: n for n, c in enumerate(comp_ids)}
        return cls(
            assessment=assessment.id,
            version=assessment.version,
            form=name,
            items=tuple(item.id for item in items),
            item_competency=tuple(where[item.competency] for item in items),
            competencies=comp_ids,
            cuts=tuple(c.cut for c in assessment.competencies),
            options=tuple(
                tuple(o.id for o in item.options) if hasattr(item, "options") else None
                for item in items
            ),
            modules=tuple(tuple(c.modules) for c in assessment.competencies),
        )

    @cached_property
    def index(self) -> dict[str, int]:
        """Item id → position in ``items``."""
        return {item: n for n, item in enumerate(self.items)}

    @cached_property
    def option_index(self) -> tuple[dict[str, int] | None, ...]:
        """Per item: option id → position, or None for items without options."""
        options = self.options or (None,) * len(self.items)
        return tuple(
            None if opts is None else {o: n for n, o in enumerate(opts)} for opts in options
        )

    def encode_answers(self, values: Sequence[Answer]) -> list[Any]:
        """Answers as stored: an option's position for choice and judgement items.

        ``"c"`` becomes ``2``: inside the JSON text a quoted id costs six bytes
        (``\"c\"``), a third of a realistic attempt. A value that is not one of
        the item's options is kept as ``[value]``, so decoding is always exact.
        """
        out: list[Any] = []
        for value, index in zip(values, self.option_index, strict=True):
            if index is None or value is None:
                out.append(value)
            else:
                position = index.get(value) if isinstance(value, str) else None
                out.append([value] if position is None else position)
        return out

    def decode_answers(self, stored: Sequence[Any]) -> list[Answer]:
        """The inverse of ``encode_answers``."""
        options = self.options or (None,) * len(self.items)
        out: list[Answer] = []
        for raw, opts in zip(stored, options, strict=True):
            if opts is None or raw is None:
                out.append(raw)
            elif isinstance(raw, list):
                out.append(raw[0])
            else:
                out.append(opts[raw])
        return out

    @cached_property
    def competency_index(self) -> dict[str, int]:
        """Competency id → position in ``competencies``."""
        return {comp: n for n, comp in enumerate(self.competencies)}

    @cached_property
    def counts(self) -> tuple[int, ...]:
        """Items per competency, in competency order."""
        counts = [0] * len(self.competencies)
        for comp in self.item_competency:
            counts[comp] += 1
        return tuple(counts)

    def to_doc(self) -> dict[str, Any]:
        return {
            "assessment": self.assessment,
            "version": self.version,
            "form": self.form,
            "items": list(self.items),
            "item_competency": list(self.item_competency),
            "competencies": list(self.competencies),
            "cuts": list(self.cuts),
            "options": [None if o is None else list(o) for o in self.options],
            "modules": [list(m) for m in self.modules],
        }

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Layout:
        return cls(
            assessment=doc["assessment"],
            version=doc["version"],
            form=doc["form"],
            items=tuple(doc["items"]),
            item_competency=tuple(doc["item_competency"]),
            competencies=tuple(doc["competencies"]),
            cuts=tuple(doc["cuts"]),
            options=tuple(None if o is None else tuple(o) for o in doc.get("options", ())),
            modules=tuple(tuple(m) for m in doc.get("modules", ())),
        )


@dataclass(frozen=True)
class NewAttempt:
    """A scored attempt to store: what ``save_attempts`` takes, one per row.

    ``answers`` and ``seconds`` are keyed by item id (missing = unanswered /
    unknown); ``order`` is the item ids as presented (None = layout order);
    ``key`` is a submission key: a second row with a key already stored is skipped.
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


@dataclass(frozen=True, eq=False)
class AttemptRecord:
    """One stored attempt. The bulky parts are decoded on first use and then kept."""

    attempt_id: str
    candidate_id: str
    name: str | None
    layout: Layout
    status: AttemptStatus
    started: str | None
    submitted: str | None
    outcome: Outcome | None
    overall: float | None
    seed: int | None
    key: str | None
    doc: Mapping[str, Any] = field(repr=False)

    @property
    def assessment(self) -> str:
        return self.layout.assessment

    @property
    def version(self) -> str:
        return self.layout.version

    @property
    def form(self) -> str:
        return self.layout.form

    @cached_property
    def answers(self) -> dict[str, Answer]:
        """Item id → answer (None = unanswered), in layout order."""
        values = self.layout.decode_answers(unpack(self.doc["answers"]))
        return dict(zip(self.layout.items, values, strict=True))

    @cached_property
    def seconds(self) -> dict[str, float | None]:
        """Item id → seconds spent (None = unknown), in layout order."""
        values: list[float | None] | None = unpack(self.doc.get("seconds"))
        if values is None:
            return dict.fromkeys(self.layout.items)
        return dict(zip(self.layout.items, values, strict=True))

    @cached_property
    def order(self) -> tuple[str, ...]:
        """Item ids in the order they were presented."""
        indexes: list[int] | None = unpack(self.doc.get("order"))
        if indexes is None:
            return self.layout.items
        return tuple(self.layout.items[n] for n in indexes)

    @cached_property
    def competencies(self) -> tuple[CompetencyScore, ...]:
        """Per-competency results as scoring produced them (empty while in progress)."""
        if self.status != "submitted":
            return ()
        layout = self.layout
        scores: list[float | None] = unpack(self.doc["scores"])
        codes: str = self.doc["codes"]
        # answered counts are not stored: they follow from the answers (checked on save)
        answered = [0] * len(layout.competencies)
        for comp, value in zip(layout.item_competency, unpack(self.doc["answers"]), strict=True):
            if value is not None:
                answered[comp] += 1
        return tuple(
            CompetencyScore(cid, score, cut, CODE_STATUS[code], done, total)
            for cid, score, cut, code, done, total in zip(
                layout.competencies,
                scores,
                layout.cuts,
                codes,
                answered,
                layout.counts,
                strict=True,
            )
        )

    @cached_property
    def plan(self) -> tuple[PlanEntry, ...]:
        """The coaching plan decided when the attempt was scored."""
        if self.status != "submitted":
            return ()
        comps = self.competencies
        text = self.doc.get("plan")
        if text is None:  # it was the standard plan, so it is rebuilt (see scored_fields)
            return standard_plan(self.layout, comps, self.outcome)
        entries: list[list[Any]] = unpack(text)
        names = self.layout.competencies
        return tuple(
            PlanEntry(
                entry[0],
                tuple(names[i] for i in entry[1]),
                entry[2] if len(entry) > 2 else _plan_gap(comps, entry[1]),
            )
            for entry in entries
        )

    @property
    def scorecard(self) -> Scorecard:
        """The scorecard rebuilt from the store; item ``points`` are not stored (re-score for them)."""
        if self.status != "submitted" or self.outcome is None:
            raise ValueError(f"attempt {self.attempt_id} is still in progress: it has no scores")
        layout = self.layout
        return Scorecard(
            layout.assessment,
            layout.version,
            layout.form,
            self.competencies,
            self.outcome,
            self.overall,
            {},
        )

    def to_json(self) -> dict[str, Any]:
        """The attempt in the documented outside shape (``screener.shapes.attempt_json``).

        Built straight from the stored arrays, without ``CompetencyScore`` and
        ``PlanEntry`` objects: that took ~130 µs per 13-competency attempt, this
        ~25 µs. ``json_reference`` is the slow route; a test keeps them equal.
        """
        if self.status != "submitted" or self.outcome is None:
            raise ValueError(f"attempt {self.attempt_id} is still in progress: it has no scores")
        layout = self.layout
        scores = self.scores
        codes: str = self.doc["codes"]
        answered = self.answered_counts
        return {
            "attempt_id": self.attempt_id,
            "candidate_id": self.candidate_id,
            "name": self.name,
            "assessment": layout.assessment,
            "version": layout.version,
            "form": layout.form,
            "submitted_at": self.submitted,
            "outcome": self.outcome,
            "competencies": {
                cid: {
                    "score": score,
                    "cut": cut,
                    "status": CODE_STATUS[code],
                    "answered": done,
                    "items": total,
                }
                for cid, score, cut, code, done, total in zip(
                    layout.competencies,
                    scores,
                    layout.cuts,
                    codes,
                    answered,
                    layout.counts,
                    strict=True,
                )
            },
            "plan": [
                {"module": module, "competencies": list(comps), "gap": gap}
                for module, comps, gap in self.plan_rows
            ],
        }

    def json_reference(self) -> dict[str, Any]:
        """``to_json`` the slow, obviously right way: through the scorecard and plan objects."""
        return attempt_json(
            attempt_id=self.attempt_id,
            candidate_id=self.candidate_id,
            name=self.name,
            submitted_at=self.submitted,
            scorecard=self.scorecard,
            plan=self.plan,
        )

    # -- fast accessors for bulk readers (exports, listings): plain lists, no objects --

    @property
    def scores(self) -> list[float | None]:
        """Per competency in layout order: the POMP score (None = too few answers)."""
        if self.status != "submitted":
            return [None] * len(self.layout.competencies)
        values: list[float | None] = orjson.loads(self.doc["scores"])
        return values

    @property
    def statuses(self) -> tuple[Status, ...]:
        """Per competency in layout order: meets, below or incomplete."""
        if self.status != "submitted":
            unscored: Status = "incomplete"
            return (unscored,) * len(self.layout.competencies)
        return statuses_of(self.doc["codes"])

    @property
    def answered_counts(self) -> list[int]:
        """Answered items per competency, in layout order (from the stored answers)."""
        answered = [0] * len(self.layout.competencies)
        for comp, value in zip(
            self.layout.item_competency, orjson.loads(self.doc["answers"]), strict=True
        ):
            if value is not None:
                answered[comp] += 1
        return answered

    @property
    def plan_rows(self) -> list[tuple[str, tuple[str, ...], float]]:
        """The plan as ``(module, competency ids, gap)``: the same values as ``plan``."""
        if self.status != "submitted":
            return []
        layout = self.layout
        codes: str = self.doc["codes"]
        gaps = raw_gaps(layout, self.scores, codes)
        text = self.doc.get("plan")
        if text is None:
            return raw_standard_plan(layout, gaps, codes, self.outcome)
        names = layout.competencies
        return [
            (
                entry[0],
                tuple(names[i] for i in entry[1]),
                entry[2] if len(entry) > 2 else max([0.0, *(gaps[i] for i in entry[1])]),
            )
            for entry in orjson.loads(text)
        ]

    @property
    def plan_modules(self) -> list[str]:
        """The plan's module ids, in plan order (what ``plan`` lists, found faster)."""
        if self.status != "submitted":
            return []
        doc = self.doc
        text = doc.get("plan")
        if text is not None:
            return [entry[0] for entry in orjson.loads(text)]
        codes: str = doc["codes"]
        layout = self.layout
        if self.outcome != "coaching" or not layout.modules or "b" not in codes:
            return []
        return standard_plan_modules(layout, orjson.loads(doc["scores"]), codes)

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any], layout: Layout, name: str | None) -> AttemptRecord:
        # Filled in through __dict__: a frozen dataclass's __init__ sets each field with
        # object.__setattr__, ~2 µs per record, a tenth of a 100k-row export's budget.
        record = cls.__new__(cls)
        record.__dict__.update(
            attempt_id=doc["id"],
            candidate_id=doc["cand"],
            name=name,
            layout=layout,
            status=doc["status"],
            started=doc.get("started"),
            submitted=doc.get("submitted"),
            outcome=doc.get("outcome"),
            overall=doc.get("overall"),
            seed=doc.get("seed"),
            key=doc.get("key"),
            doc=doc,
        )
        return record


@dataclass(frozen=True)
class AttemptStream:
    """Stored attempts to read one at a time (``Store.iter_attempts``).

    Holds references to the parsed documents only; each ``AttemptRecord`` is made
    when iterated and can be dropped right after, so a reader of 100k attempts
    never holds 100k records (or rows) at once. ``layouts`` are those of the
    matched attempts, first seen first, so a writer can lay out its columns
    before the first row.
    """

    docs: Sequence[Mapping[str, Any]] = field(repr=False)
    layout_of: Mapping[int, Layout] = field(repr=False)
    names: Mapping[str, str] = field(repr=False)
    contacts: Mapping[str, str] = field(repr=False)

    @property
    def layouts(self) -> tuple[Layout, ...]:
        seen: dict[int, Layout] = {}
        for doc in self.docs:
            number = doc["layout"]
            if number not in seen:
                seen[number] = self.layout_of[number]
                if len(seen) == len(self.layout_of):
                    break
        return tuple(seen.values())

    def __len__(self) -> int:
        return len(self.docs)

    def __iter__(self) -> Iterator[AttemptRecord]:
        layout_of, names = self.layout_of, self.names
        for doc in self.docs:
            cand = doc["cand"]
            yield AttemptRecord.from_doc(doc, layout_of[doc["layout"]], names.get(cand))

    def contact(self, candidate_id: str) -> str | None:
        return self.contacts.get(candidate_id)


@dataclass(frozen=True)
class Progress:
    """A candidate's progress through one coaching module."""

    candidate_id: str
    module: str
    attempt_id: str | None
    started: str
    updated: str
    completed: str | None
    check_score: float | None
    lessons: tuple[str, ...]

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> Progress:
        return cls(
            candidate_id=doc["cand"],
            module=doc["module"],
            attempt_id=doc.get("attempt"),
            started=doc["started"],
            updated=doc.get("updated", doc["started"]),
            completed=doc.get("completed"),
            check_score=doc.get("check"),
            lessons=tuple(doc.get("lessons", ())),
        )


#: Audit events the store writes itself. Their ``detail`` is made of counts and
#: versions, never of personal data, and a person appears only in their ``cand``
#: and ``attempt`` fields: erasure matches those fields exactly and never reads
#: their text (a substring test once made deleting candidate "1" erase every
#: earlier ``candidate.deleted`` event). ``Store.audit`` refuses these names.
STORE_EVENTS = frozenset(
    {
        "schema.migrated",
        "attempt.saved",
        "attempts.saved",
        "attempt.started",
        "attempt.submitted",
        "candidate.deleted",
        "candidate.renamed",
        "secret.rotated",
    }
)


def mention_test(candidate_id: str, name: str, contact: str | None) -> Callable[[str], bool]:
    """Whether a free text mentions this person: their id (exact case), name or contact
    (any case, any spacing) as a whole word, so "Ann" is not found in "Anna" nor id
    "e" in "rescheduled"."""
    parts = [re.escape(candidate_id)]
    words = name.split()
    if words:
        parts.append("(?i:" + r"\s+".join(map(re.escape, words)) + ")")
    if contact:
        parts.append("(?i:" + re.escape(contact) + ")")
    pattern = re.compile(r"(?<!\w)(?:" + "|".join(parts) + r")(?!\w)")
    return lambda text: pattern.search(text) is not None


@dataclass(frozen=True)
class AuditEvent:
    """A decision or change: what, when, by which command, about which attempt or candidate.

    Deletion events carry a ``count`` and a ``detail`` of counts, never who was deleted.
    """

    event: str
    at: str
    command: str | None
    candidate_id: str | None
    attempt_id: str | None
    count: int | None
    detail: str | None

    @classmethod
    def from_doc(cls, doc: Mapping[str, Any]) -> AuditEvent:
        return cls(
            event=doc["event"],
            at=doc["at"],
            command=doc.get("command"),
            candidate_id=doc.get("cand"),
            attempt_id=doc.get("attempt"),
            count=doc.get("count"),
            detail=doc.get("detail"),
        )


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

    @property
    def total(self) -> int:
        return 1 + self.attempts + self.progress + self.audit_events

    def summary(self) -> str:
        """Counts only: safe to store in the audit trail."""
        return (
            f"1 candidate, {self.attempts} attempt(s), {self.progress} coaching record(s), "
            f"{self.audit_events} audit event(s)"
        )


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


def check_scorecard(
    layout: Layout, scorecard: Scorecard, answers: Sequence[Answer] | None = None
) -> None:
    """Refuse a scorecard that does not belong to ``layout`` (or to ``answers``).

    The stored arrays are positional, so a mismatch would silently attach scores
    to the wrong competencies; this is a programming error, hence ValueError.
    """
    comps = scorecard.competencies
    if (scorecard.assessment, scorecard.version, scorecard.form) != (
        layout.assessment,
        layout.version,
        layout.form,
    ):
        raise ValueError(
            f"scorecard of {scorecard.assessment} {scorecard.version} form {scorecard.form} "
            f"does not match layout {layout.assessment} {layout.version} form {layout.form}"
        )
    if tuple(c.id for c in comps) != layout.competencies:
        raise ValueError("scorecard competencies differ from the layout's")
    if tuple(c.items for c in comps) != layout.counts or tuple(c.cut for c in comps) != layout.cuts:
        raise ValueError("scorecard item counts or cuts differ from the layout's")
    if answers is not None:
        answered = [0] * len(comps)
        for comp, value in zip(layout.item_competency, answers, strict=True):
            if value is not None:
                answered[comp] += 1
        if tuple(answered) != tuple(c.answered for c in comps):
            raise ValueError("scorecard answered counts differ from the answers given")


def answer_list(layout: Layout, answers: Mapping[str, Answer]) -> list[Answer]:
    """Answers in layout order; an item id not in the layout is a programming error."""
    index = layout.index
    for item in answers:
        if item not in index:
            raise ValueError(f"item {item!r} is not in {layout.assessment} form {layout.form}")
    return [answers.get(item) for item in layout.items]


def scored_fields(
    layout: Layout, scorecard: Scorecard, plan: tuple[PlanEntry, ...]
) -> dict[str, Any]:
    """The document fields that a submitted attempt adds to an in-progress one."""
    comps = scorecard.competencies
    fields: dict[str, Any] = {
        "scores": pack([c.score for c in comps]),
        "codes": "".join([STATUS_CODE[c.status] for c in comps]),
        "outcome": scorecard.outcome,
    }
    if scorecard.overall is not None:
        fields["overall"] = scorecard.overall
    if not layout.modules or standard_plan(layout, comps, scorecard.outcome) != plan:
        fields["plan"] = pack(plan_entries(layout, comps, plan))
    return fields


def standard_plan(
    layout: Layout, comps: Sequence[CompetencyScore], outcome: str | None
) -> tuple[PlanEntry, ...]:
    """The plan ``coaching.build_plan`` makes, from the layout's modules per competency.

    An attempt whose plan equals this stores no plan at all (a realistic plan
    was a sixth of an attempt's bytes). This rule is the store's own copy on
    purpose: if ``build_plan`` changes, its plans no longer match and are stored
    in full, so attempts stored earlier still read back as they were decided.
    """
    if outcome != "coaching" or not layout.modules:
        return ()
    codes = "".join([STATUS_CODE[c.status] for c in comps])
    gaps = [c.gap for c in comps]
    return tuple(
        PlanEntry(m, covered, gap)
        for m, covered, gap in raw_standard_plan(layout, gaps, codes, outcome)
    )


_STATUSES: dict[str, tuple[Status, ...]] = {}


def statuses_of(codes: str) -> tuple[Status, ...]:
    """Status words of a stored ``codes`` string; memoised (a cohort has few distinct ones)."""
    found = _STATUSES.get(codes)
    if found is None:
        found = tuple([CODE_STATUS[code] for code in codes])
        if len(_STATUSES) < 65536:
            _STATUSES[codes] = found
    return found


def standard_plan_modules(layout: Layout, scores: Sequence[float | None], codes: str) -> list[str]:
    """The module ids of ``raw_standard_plan`` for a "coaching" attempt, in order, found faster.

    Visiting the below-cut competencies largest gap first (a stable sort, as
    there), a module's first competency already has its largest gap, so the
    order modules are first met in is the plan's order (gaps of "below"
    competencies are > 0, so the 0.0 start value never wins). A test checks it
    against ``plan`` on many attempts.
    """
    cuts, modules = layout.cuts, layout.modules
    below = [
        (cuts[n] - score, n)
        for n, (code, score) in enumerate(zip(codes, scores, strict=True))
        if code == "b" and score is not None
    ]
    below.sort(key=lambda t: -t[0])
    return list(dict.fromkeys(m for _, n in below for m in modules[n]))


def raw_gaps(layout: Layout, scores: Sequence[float | None], codes: str) -> list[float]:
    """Per competency: ``CompetencyScore.gap`` (``cut - score`` when below, else 0.0)."""
    return [
        cut - score if code == "b" and score is not None else 0.0
        for score, cut, code in zip(scores, layout.cuts, codes, strict=True)
    ]


def raw_standard_plan(
    layout: Layout, gaps: Sequence[float], codes: str, outcome: str | None
) -> list[tuple[str, tuple[str, ...], float]]:
    """``standard_plan`` on plain lists (per-competency gaps and status letters).

    The one copy of the rule: ``standard_plan`` calls it, and bulk readers call
    it without building ``CompetencyScore`` objects. Same float operations, so
    the same plan bit for bit.
    """
    if outcome != "coaching" or not layout.modules:
        return []
    below = sorted((n for n, code in enumerate(codes) if code == "b"), key=lambda n: -gaps[n])
    covered: dict[str, list[str]] = {}
    most: dict[str, float] = {}
    for n in below:
        for module in layout.modules[n]:
            covered.setdefault(module, []).append(layout.competencies[n])
            most[module] = max(most.get(module, 0.0), gaps[n])
    order = sorted(covered, key=lambda m: -most[m])
    return [(m, tuple(covered[m]), most[m]) for m in order]


def _plan_gap(comps: Sequence[CompetencyScore], indexes: Sequence[int]) -> float:
    """A module's gap as ``coaching.build_plan`` computes it: the largest of its competencies'."""
    return max([0.0, *(comps[i].gap for i in indexes)])


def plan_entries(
    layout: Layout, comps: Sequence[CompetencyScore], plan: tuple[PlanEntry, ...]
) -> list[list[Any]]:
    """``[module, [competency indexes]]`` per entry, plus the gap only when it is not
    the one ``build_plan`` would compute from the stored scores (then it is exact
    either way, and a typical plan costs a third of the bytes)."""
    where = layout.competency_index
    out: list[list[Any]] = []
    for entry in plan:
        try:
            indexes = [where[c] for c in entry.competencies]
        except KeyError as exc:
            raise ValueError(f"plan names competency {exc.args[0]!r}, not in the layout") from None
        if _plan_gap(comps, indexes) == entry.gap:
            out.append([entry.module, indexes])
        else:
            out.append([entry.module, indexes, entry.gap])
    return out


def order_field(layout: Layout, order: Sequence[str] | None) -> str | None:
    """Presented order as indexes into the layout; None when it is the layout order."""
    if order is None:
        return None
    index = layout.index
    try:
        positions = [index[item] for item in order]
    except KeyError as exc:
        raise ValueError(f"order names item {exc.args[0]!r}, not in the layout") from None
    if sorted(positions) != list(range(len(layout.items))):
        raise ValueError("order must name every item of the layout exactly once")
    if positions == list(range(len(positions))):
        return None
    return pack(positions)


def seconds_field(layout: Layout, seconds: Mapping[str, float | None] | None) -> str | None:
    """Seconds per item in layout order; None when none are known."""
    if not seconds:
        return None
    values = [seconds.get(item) for item in layout.items]
    if all(v is None for v in values):
        return None
    return pack(values)
