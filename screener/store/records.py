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
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from typing import TYPE_CHECKING, Any, Literal, cast
from unicodedata import category

import orjson

from screener.errors import RecordError

if TYPE_CHECKING:
    from screener.coaching import PlanEntry, PlanRow, plan_modules, plan_rows
    from screener.content import Assessment
    from screener.pathway import Employer
    from screener.scoring import Answer, CompetencyScore, Outcome, Scorecard, Status
    from screener.shapes import attempt_json, attempt_shape, competency_json, plan_entry_json
    from screener.store.summaries import CompactResult as CompactResult
    from screener.store.summaries import Erasure as Erasure
    from screener.store.summaries import NewAttempt as NewAttempt
    from screener.store.summaries import NewCandidate as NewCandidate
    from screener.store.summaries import RestoreCounts as RestoreCounts
    from screener.store.summaries import SaveResult as SaveResult
    from screener.store.summaries import StoreDump as StoreDump
    from screener.store.summaries import StoreInfo as StoreInfo
    from screener.store.summaries import StreamPart as StreamPart
else:

    def _late(module: str, name: str) -> Any:
        """``module.name``, imported when first called: it then takes the stand-in's place
        in this module, so later calls cost nothing. The scoring and content models
        (pydantic) are not needed to open a database (``db info``, ``db path``:
        ~0.1 s of their start-up)."""

        def stand_in(*args: Any, **kwargs: Any) -> Any:
            import importlib

            real = getattr(importlib.import_module(module), name)
            globals()[name] = real
            return real(*args, **kwargs)

        return stand_in

    PlanEntry = _late("screener.coaching", "PlanEntry")
    plan_modules = _late("screener.coaching", "plan_modules")
    plan_rows = _late("screener.coaching", "plan_rows")
    CompetencyScore = _late("screener.scorecard", "CompetencyScore")
    Scorecard = _late("screener.scorecard", "Scorecard")
    attempt_json = _late("screener.shapes", "attempt_json")
    attempt_shape = _late("screener.shapes", "attempt_shape")
    competency_json = _late("screener.shapes", "competency_json")
    plan_entry_json = _late("screener.shapes", "plan_entry_json")

#: Records kept in ``summaries`` (whole-store operations), imported from there when
#: first asked for here: ``from screener.store.records import StoreInfo`` works.
_SUMMARIES = frozenset(
    {
        "CompactResult",
        "Erasure",
        "NewAttempt",
        "NewCandidate",
        "RestoreCounts",
        "SaveResult",
        "StoreDump",
        "StoreInfo",
        "StreamPart",
    }
)


def __getattr__(name: str) -> Any:
    if name not in _SUMMARIES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from screener.store import summaries

    value = getattr(summaries, name)
    globals()[name] = value
    return value


AttemptStatus = Literal["in_progress", "submitted"]

#: Status words and the letters an attempt stores them as (``codes``).
STATUS_CODE: dict[str, str] = {"meets": "m", "below": "b", "incomplete": "i", "borderline": "o"}
CODE_STATUS: dict[str, Status] = {"m": "meets", "b": "below", "i": "incomplete", "o": "borderline"}


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


def all_valid_candidate_ids(ids: Sequence[str]) -> bool:
    """True when every id passes ``check_candidate_id`` (its fast copy for whole columns,
    tested equal with hypothesis): a few C-level passes over the joined text.

    ``isprintable`` is False for every whitespace character but the space, so
    the joined text is printable and space-free exactly when each id is.
    """
    if not ids:
        return True
    joined = "".join(ids)
    return (
        joined.isprintable()
        and " " not in joined
        and min(map(len, ids)) >= 1
        and max(map(len, ids)) <= ID_MAX
    )


def invalid_candidate_ids(ids: Sequence[str]) -> dict[str, str]:
    """Each distinct non-blank id that ``check_candidate_id`` refuses, with its message
    (blank ids are the reader's to report as missing). Empty, and cheap, when all pass."""
    if all_valid_candidate_ids(ids):
        return {}
    bad: dict[str, str] = {}
    for ident in dict.fromkeys(ids):
        if ident:
            try:
                check_candidate_id(ident)
            except RecordError as exc:
                bad[ident] = str(exc)
    return bad


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


def person_doc(cid: str, name: str, contact: str | None, created: str) -> dict[str, Any]:
    """A candidate's document in the TinyDB store (contact details only when given)."""
    doc: dict[str, Any] = {"id": cid, "name": name, "created": created}
    if contact:
        doc["contact"] = contact
    return doc


def new_people(
    cands: Sequence[str],
    names: Sequence[str | None] | None,
    known: Collection[str],
    contacts: Sequence[str | None] | None = None,
) -> dict[str, tuple[str, str | None]]:
    """A bulk save's new candidates as ``{id: (name, contact)}``: each of ``cands`` not
    in ``known`` once, in the order of their first rows, named by their first row's
    name (``clean_name``) or, without one, by their id, with the contact details of
    their first row that has some (``clean_contact``; None without). Both backends
    store these."""
    people: dict[str, tuple[str, str | None]]
    if names is None or not any(names):  # each named by their id
        people = {cid: (cid, None) for cid in dict.fromkeys(cands) if cid not in known}
    elif (clean := _clean_already(names)) is not None:  # named by their first rows as given
        named = dict(zip(reversed(cands), reversed(clean), strict=True))
        people = {cid: (named[cid], None) for cid in dict.fromkeys(cands) if cid not in known}
    else:
        people = {}
        for cid, name in zip(cands, names, strict=True):
            if cid not in people and cid not in known:
                people[cid] = (clean_name(name) if name and name.strip() else cid, None)
    if contacts is None or not people or not any(contacts):
        return people
    first: dict[str, str] = {}
    for cid, contact in zip(cands, contacts, strict=True):
        if contact and cid not in first:
            cleaned = clean_contact(contact)
            if cleaned is not None:
                first[cid] = cleaned
    return {cid: (name, first.get(cid)) for cid, (name, _) in people.items()}


def _clean_already(names: Sequence[str | None]) -> Sequence[str] | None:
    """``names`` when every one is given and as ``clean_name`` leaves it: printable (no
    control, format or invalid character, no whitespace but the space), short, no
    space at either end nor two together; else None. Checked in C over the joined
    names: a call per name cost ~1.3 s per million rows."""
    if not all(names):
        return None
    given = cast("Sequence[str]", names)
    text = "\n".join(given)
    clean = (
        text.replace("\n", "").isprintable()
        and max(map(len, given)) <= NAME_MAX
        and "  " not in text
        and " \n" not in text
        and "\n " not in text
        and not text.startswith(" ")
        and not text.endswith(" ")
    )
    return given if clean else None


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
    ``reserve`` lists the assessment's reserve items (asked as follow-up items
    after the form; an attempt stores the ones asked, see ``extra_field``) and
    ``confidence`` the borderline rule's (None: scores have no interval).
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
    reserve: tuple[str, ...] = ()
    reserve_competency: tuple[int, ...] = ()
    confidence: float | None = None

    @classmethod
    def of(cls, assessment: Assessment, form: str | None = None) -> Layout:
        """The layout of ``form`` (default: the first form) of ``assessment``."""
        name = assessment.form(form)
        items = assessment.form_items(name)
        reserve = assessment.reserve_items()
        comp_ids = tuple(c.id for c in assessment.competencies)
        where = {c: n for n, c in enumerate(comp_ids)}
        rule = assessment.decision.borderline
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
            reserve=tuple(item.id for item in reserve),
            reserve_competency=tuple(where[item.competency] for item in reserve),
            confidence=None if rule is None else rule.confidence,
        )

    @cached_property
    def plan_memo(
        self,
    ) -> dict[
        tuple[str, str | tuple[int, ...]],
        tuple[tuple[str, ...], tuple[list[int], list[int]] | None],
    ]:
        """``AttemptRecord.plan_modules``' memo: (outcome, status letters) → the module ids,
        or the below and borderline competencies to order by their gaps; and (outcome,
        competencies in that order) → the module ids."""
        return {}

    @cached_property
    def index(self) -> dict[str, int]:
        """Item id → position in ``items``."""
        return {item: n for n, item in enumerate(self.items)}

    @cached_property
    def reserve_index(self) -> dict[str, int]:
        """Reserve item id → position in ``reserve``."""
        return {item: n for n, item in enumerate(self.reserve)}

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
        """Items per competency in the form, in competency order."""
        counts = [0] * len(self.competencies)
        for comp in self.item_competency:
            counts[comp] += 1
        return tuple(counts)

    def to_doc(self) -> dict[str, Any]:
        doc: dict[str, Any] = {
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
        if self.reserve:
            doc["reserve"] = list(self.reserve)
            doc["reserve_competency"] = list(self.reserve_competency)
        if self.confidence is not None:
            doc["confidence"] = self.confidence
        return doc

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
            reserve=tuple(doc.get("reserve", ())),
            reserve_competency=tuple(doc.get("reserve_competency", ())),
            confidence=doc.get("confidence"),
        )


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
    #: The attempt's fields as stored, packed (docs/store.md, "Attempts"): plain data,
    #: the same for every backend; the properties below decode what they need.
    packed: Mapping[str, Any] = field(repr=False)

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
    def follow_ups(self) -> tuple[tuple[str, Answer, float | None], ...]:
        """The reserve (follow-up) items asked, in the order asked: ``(item id, answer,
        seconds)``; the answer is None when the candidate skipped it."""
        entries: list[list[Any]] | None = unpack(self.packed.get("extra"))
        if not entries:
            return ()
        reserve = self.layout.reserve
        return tuple((reserve[e[0]], e[1], e[2] if len(e) > 2 else None) for e in entries)

    @cached_property
    def answers(self) -> dict[str, Answer]:
        """Item id → answer (None = unanswered): the form's in layout order, then the
        follow-up items asked, in the order asked."""
        values = self.layout.decode_answers(unpack(self.packed["answers"]))
        out = dict(zip(self.layout.items, values, strict=True))
        for item, answer, _ in self.follow_ups:
            out[item] = answer
        return out

    @cached_property
    def seconds(self) -> dict[str, float | None]:
        """Item id → seconds spent (None = unknown), in the order of ``answers``."""
        values: list[float | None] | None = unpack(self.packed.get("seconds"))
        out = (
            dict.fromkeys(self.layout.items)
            if values is None
            else dict(zip(self.layout.items, values, strict=True))
        )
        for item, _, spent in self.follow_ups:
            out[item] = spent
        return out

    @cached_property
    def order(self) -> tuple[str, ...]:
        """The form's item ids in the order they were presented."""
        indexes: list[int] | None = unpack(self.packed.get("order"))
        if indexes is None:
            return self.layout.items
        return tuple(self.layout.items[n] for n in indexes)

    @property
    def masked(self) -> bool:
        """Whether this is an attempt as a role that may not read results knows it (a
        station's look at a returning candidate's earlier attempts, issue 16): its
        form, times, status and the items it asked (packed ``seen``), but no answer
        values (all None), scores, outcome or plan."""
        return "seen" in self.packed

    @property
    def seen_items(self) -> frozenset[str]:
        """The items this attempt put before the candidate: once submitted, every item
        of its form; while in progress, the form's items answered or timed so far;
        and every follow-up item asked (answered or skipped)."""
        if "seen" in self.packed:  # masked: the store worked them out
            return frozenset(self.packed["seen"])
        asked = {item for item, _, _ in self.follow_ups}
        if self.status == "submitted":
            return frozenset(self.layout.items) | asked
        answers = self.layout.decode_answers(unpack(self.packed["answers"]))
        spent: list[float | None] | None = unpack(self.packed.get("seconds"))
        for n, item in enumerate(self.layout.items):
            if answers[n] is not None or (spent is not None and spent[n] is not None):
                asked.add(item)
        return frozenset(asked)

    def _extra_by_competency(self) -> list[tuple[str, ...]]:
        """Per competency: the reserve items answered, in reserve order (``CompetencyScore.extra``)."""
        layout = self.layout
        out: list[list[str]] = [[] for _ in layout.competencies]
        answered = {item for item, answer, _ in self.follow_ups if answer is not None}
        for item, comp in zip(layout.reserve, layout.reserve_competency, strict=True):
            if item in answered:
                out[comp].append(item)
        return [tuple(items) for items in out]

    @cached_property
    def competencies(self) -> tuple[CompetencyScore, ...]:
        """Per-competency results as scoring produced them (empty while in progress)."""
        if self.status != "submitted" or "seen" in self.packed:
            return ()
        layout = self.layout
        scores: list[float | None] = unpack(self.packed["scores"])
        codes: str = self.packed["codes"]
        # answered and item counts are not stored: they follow from the answers (checked on save)
        answered = self.answered_counts
        extra = self._extra_by_competency() if self.follow_ups else [()] * len(codes)
        intervals = self.intervals
        near = self.packed.get("near") or "0" * len(codes)
        return tuple(
            CompetencyScore(
                cid,
                score,
                cut,
                CODE_STATUS[code],
                done,
                total + len(asked),
                span,
                flag == "1",
                asked,
            )
            for cid, score, cut, code, done, total, asked, span, flag in zip(
                layout.competencies,
                scores,
                layout.cuts,
                codes,
                answered,
                layout.counts,
                extra,
                intervals,
                near,
                strict=True,
            )
        )

    @cached_property
    def plan(self) -> tuple[PlanEntry, ...]:
        """The coaching plan decided when the attempt was scored."""
        return tuple(PlanEntry(*row) for row in self.plan_table)

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
        """The attempt in the documented outside shape (``screener.shapes.attempt_shape``).

        Built straight from the stored arrays, without ``CompetencyScore`` and
        ``PlanEntry`` objects: that took ~130 µs per 13-competency attempt, this
        ~25 µs. ``json_reference`` is the slow route; a test keeps them equal.
        """
        if self.status != "submitted" or self.outcome is None:
            raise ValueError(f"attempt {self.attempt_id} is still in progress: it has no scores")
        layout = self.layout
        codes: str = self.packed["codes"]
        if self.follow_ups or "intervals" in self.packed:
            comps = {c.id: _competency_json(c) for c in self.competencies}
        else:
            comps = {
                cid: competency_json(score, cut, CODE_STATUS[code], done, total)
                for cid, score, cut, code, done, total in zip(
                    layout.competencies,
                    self.scores,
                    layout.cuts,
                    codes,
                    self.answered_counts,
                    layout.counts,
                    strict=True,
                )
            }
        return attempt_shape(
            attempt_id=self.attempt_id,
            candidate_id=self.candidate_id,
            name=self.name,
            assessment=layout.assessment,
            version=layout.version,
            form=layout.form,
            submitted_at=self.submitted,
            outcome=self.outcome,
            competencies=comps,
            plan=[plan_entry_json(*row) for row in self.plan_table],
        )

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
        values: list[float | None] = orjson.loads(self.packed["scores"])
        return values

    @property
    def statuses(self) -> tuple[Status, ...]:
        """Per competency in layout order: meets, below, borderline or incomplete."""
        if self.status != "submitted":
            unscored: Status = "incomplete"
            return (unscored,) * len(self.layout.competencies)
        return statuses_of(self.packed["codes"])

    @property
    def intervals(self) -> list[tuple[float, float] | None]:
        """Per competency in layout order: the score's interval (None = none: no
        borderline rule, or not scored)."""
        text = self.packed.get("intervals")
        width = len(self.layout.competencies)
        if text is None or self.status != "submitted":
            return [None] * width
        flat: list[float | None] = orjson.loads(text)
        return [
            None if flat[2 * m] is None else (flat[2 * m], flat[2 * m + 1])  # type: ignore[misc]
            for m in range(width)
        ]

    @property
    def answered_counts(self) -> list[int]:
        """Answered items per competency, in layout order (the form's and the follow-up
        items', from the stored answers)."""
        layout = self.layout
        answered = [0] * len(layout.competencies)
        for comp, value in zip(
            layout.item_competency, orjson.loads(self.packed["answers"]), strict=True
        ):
            if value is not None:
                answered[comp] += 1
        if "extra" in self.packed:
            where = layout.reserve_index
            for item, answer, _ in self.follow_ups:
                if answer is not None:
                    answered[layout.reserve_competency[where[item]]] += 1
        return answered

    @property
    def plan_rows(self) -> list[tuple[str, tuple[str, ...], float]]:
        """The plan as ``(module, competency ids, gap)`` (``plan_table`` without ``required``)."""
        return [(module, comps, gap) for module, comps, gap, _ in self.plan_table]

    @property
    def plan_table(self) -> list[PlanRow]:
        """The plan as ``(module, competency ids, gap, required)``: the values of ``plan``."""
        if self.status != "submitted" or "seen" in self.packed:
            return []
        layout = self.layout
        codes: str = self.packed["codes"]
        gaps = raw_gaps(layout, self.scores, codes)
        text = self.packed.get("plan")
        if text is None:  # the standard plan, rebuilt (see scored_fields)
            return standard_plan_rows(layout, statuses_of(codes), gaps, self.outcome)
        return decode_plan(layout, gaps, orjson.loads(text))

    @property
    def plan_modules(self) -> list[str]:
        """The plan's module ids, in plan order (``coaching.plan_modules`` for the standard
        plan: no ``PlanEntry`` rows built)."""
        return self.plan_modules_given(None)

    def plan_modules_given(self, scores: list[float | None] | None) -> list[str]:
        """``plan_modules``, given ``scores`` (this record's, when the caller has already
        read them: an export's row) so they are not read again."""
        if self.status != "submitted" or "seen" in self.packed:
            return []
        doc = self.packed
        text = doc.get("plan")
        if text is not None:
            return [entry[0] for entry in orjson.loads(text)]
        codes: str = doc["codes"]
        outcome = self.outcome
        if outcome is None or outcome == "incomplete" or ("b" not in codes and "o" not in codes):
            return []  # no competency adds a module
        layout = self.layout
        if not layout.modules:
            return []
        # what ``coaching.plan_modules`` gives, memoised per layout: it depends on the
        # outcome and the status letters alone, unless two below (or two borderline)
        # competencies must be put in order of their gaps
        memo = layout.plan_memo
        found = memo.get((outcome, codes))
        if found is None:
            below = [n for n, c in enumerate(codes) if c == "b"] if outcome == "coaching" else []
            borderline = [n for n, c in enumerate(codes) if c == "o"]
            found = (
                (tuple(_modules_in(layout, [*below, *borderline])), None)
                if len(below) < 2 and len(borderline) < 2
                else ((), (below, borderline))
            )
            if len(memo) < 4096:
                memo[(outcome, codes)] = found
        fixed, groups = found
        if groups is None:
            return list(fixed)
        if scores is None:
            scores = orjson.loads(doc["scores"])
        cuts = layout.cuts

        def gap(n: int) -> float:
            score = scores[n]
            return 0.0 if score is None else -max(0.0, cuts[n] - score)

        below, borderline = groups
        order = (*sorted(below, key=gap), *sorted(borderline, key=gap))
        listed = memo.get((outcome, order))
        if listed is None:
            listed = (tuple(_modules_in(layout, order)), None)
            if len(memo) < 4096:
                memo[(outcome, order)] = listed
        return list(listed[0])

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
            packed=doc,
        )
        return record


def _competency_json(comp: CompetencyScore) -> dict[str, Any]:
    return competency_json(
        comp.score,
        comp.cut,
        comp.status,
        comp.answered,
        comp.items,
        comp.interval,
        comp.near_cut,
        comp.extra,
    )


#: Where an attempt stands in ``iter_attempts`` order: its time (submitted, else
#: started), then the order it was stored in (the rank of its segment in the commit
#: record, the live file last; its position there).
StreamKey = tuple[str, int, int]
_END: StreamKey = ("\U0010ffff", 0, 0)


#: What a part's ``load`` gives: its attempts' packed fields in stream order, the names
#: and contacts of their candidates, and the key of the attempt at a position.
PartData = tuple[
    Sequence[Mapping[str, Any]],
    Mapping[str, str],
    Mapping[str, str],
    Callable[[int, Mapping[str, Any]], "StreamKey"],
]


class AttemptStream:
    """Stored attempts to read one at a time (``Store.iter_attempts``).

    Made of parts (the live file and archive segments) that are read only when
    iteration reaches them and dropped once done, so a reader of a million
    attempts holds about one segment at a time, never a list of every record.
    Parts are merged in time order (a part is opened only when the merge reaches
    its first attempt; a part that ends before any other begins is read straight
    through, without comparing keys). ``layouts`` are those of the matched
    attempts, first seen first, so a writer can lay out its columns before the
    first row. ``len`` is known without reading the attempts.
    """

    def __init__(
        self,
        parts: Sequence[StreamPart],
        layout_of: Mapping[int, Layout],
        *,
        person: Callable[[str], tuple[str | None, str | None]] | None = None,
        keep: object = None,
        local: bool = False,
    ) -> None:
        self.parts = list(parts)
        self.layout_of = layout_of  # every stored layout, by number
        self._person = person
        self._keep = keep  # what must stay open while the stream lives (archive files)
        # its parts read files only (no server connection): a forked child may read some
        self.local = local
        self._names: Mapping[str, str] = {}
        self._contacts: Mapping[str, str] = {}
        self._looked_up: dict[str, tuple[str | None, str | None]] = {}

    @property
    def layouts(self) -> tuple[Layout, ...]:
        first: dict[int, StreamKey] = {}
        for part in self.parts:
            for number, key in part.firsts.items():
                if number not in first or key < first[number]:
                    first[number] = key
        return tuple(self.layout_of[n] for n in sorted(first, key=first.__getitem__))

    def __len__(self) -> int:
        return sum(part.count for part in self.parts)

    def runs(self) -> list[AttemptStream] | None:
        """This stream as streams of one part each, whose attempts read one after the
        other are this stream's (no part's attempts fall among another's: segments a
        batch wrote), so different processes may read them (``local`` streams only);
        None when the parts interleave or the stream is not ``local``."""
        if not self.local:
            return None
        from itertools import pairwise

        ordered = sorted(self.parts, key=lambda p: p.first)
        for part, after in pairwise(ordered):
            if part.last is None or part.last > after.first:
                return None
        return [
            AttemptStream([part], self.layout_of, person=self._person, keep=self._keep)
            for part in ordered
        ]

    def _name(self, names: Mapping[str, str], cand: str) -> str | None:
        found = names.get(cand)
        if found is None and self._person is not None:
            found = self._lookup(cand)[0]
        return found

    def _lookup(self, cand: str) -> tuple[str | None, str | None]:
        known = self._looked_up.get(cand)
        if known is None:
            assert self._person is not None
            known = self._looked_up[cand] = self._person(cand)
        return known

    def _records(
        self, docs: Sequence[Mapping[str, Any]], start: int, end: int, names: Mapping[str, str]
    ) -> Iterator[AttemptRecord]:
        layout_of, from_doc, name = self.layout_of, AttemptRecord.from_doc, self._name
        whole = start == 0 and end == len(docs)  # iterated: a PostgreSQL part's chunks
        for doc in iter(docs) if whole else map(docs.__getitem__, range(start, end)):
            cand = doc["cand"]
            yield from_doc(doc, layout_of[doc["layout"]], names.get(cand) or name(names, cand))

    def __iter__(self) -> Iterator[AttemptRecord]:
        if len(self.parts) == 1:
            docs, names, contacts, _ = self.parts[0].load()
            self._names, self._contacts = names, contacts
            yield from self._records(docs, 0, len(docs), names)
            return
        import heapq

        pending = sorted(self.parts, key=lambda p: p.first)
        # (key of the next attempt, part number, its position, the part's attempts, ...)
        heap: list[tuple[StreamKey, int, int, Sequence[Mapping[str, Any]], Any, Any, Any]] = []
        i = 0
        while True:
            while i < len(pending) and (not heap or pending[i].first <= heap[0][0]):
                docs, names, contacts, key = pending[i].load()
                if docs:
                    heapq.heappush(heap, (key(0, docs[0]), i, 0, docs, key, names, contacts))
                i += 1
            if not heap:
                return
            _, n, at, docs, key, names, contacts = heapq.heappop(heap)
            limit = min(
                heap[0][0] if heap else _END, pending[i].first if i < len(pending) else _END
            )
            self._names, self._contacts = names, contacts
            last = pending[n].last
            if last is not None and last <= limit:  # nothing else comes before its end
                yield from self._records(docs, at, len(docs), names)
                continue
            end = at + 1
            while end < len(docs):
                next_key = key(end, docs[end])
                if next_key > limit:
                    heapq.heappush(heap, (next_key, n, end, docs, key, names, contacts))
                    break
                end += 1
            yield from self._records(docs, at, end, names)

    def contact(self, candidate_id: str) -> str | None:
        """The contact of the candidate of the attempt just read (or of anyone stored)."""
        if candidate_id in self._names:
            return self._contacts.get(candidate_id)
        if self._person is None:
            return None
        return self._lookup(candidate_id)[1]


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
        "db.compacted",
        "db.copied",
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


def check_scorecard(
    layout: Layout,
    scorecard: Scorecard,
    answers: Sequence[Answer] | None = None,
    follow_ups: Sequence[tuple[int, Answer]] = (),
) -> None:
    """Refuse a scorecard that does not belong to ``layout`` (or to ``answers``, the form's
    in layout order, and ``follow_ups``, ``(reserve position, answer)`` of the reserve
    items asked).

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
    extra = tuple(len(c.extra) for c in comps)
    counts = tuple(n + more for n, more in zip(layout.counts, extra, strict=True))
    if tuple(c.items for c in comps) != counts or tuple(c.cut for c in comps) != layout.cuts:
        raise ValueError("scorecard item counts or cuts differ from the layout's")
    if any(c.interval is None and c.near_cut for c in comps):
        raise ValueError("a scorecard competency is near the cut without an interval")
    if answers is not None:
        answered = [0] * len(comps)
        for comp, value in zip(layout.item_competency, answers, strict=True):
            if value is not None:
                answered[comp] += 1
        asked: list[list[str]] = [[] for _ in comps]
        for position, value in sorted(follow_ups, key=lambda f: f[0]):
            if value is not None:
                comp = layout.reserve_competency[position]
                answered[comp] += 1
                asked[comp].append(layout.reserve[position])
        if tuple(answered) != tuple(c.answered for c in comps):
            raise ValueError("scorecard answered counts differ from the answers given")
        if tuple(map(tuple, asked)) != tuple(c.extra for c in comps):
            raise ValueError("scorecard follow-up items differ from the answers given")


def split_answers(
    layout: Layout, answers: Mapping[str, Answer]
) -> tuple[list[Answer], list[tuple[int, Answer]]]:
    """The form's answers in layout order, and ``(reserve position, answer)`` of every reserve
    item answered, in reserve order (None = not asked). Any other item id is a
    programming error."""
    index, reserve = layout.index, layout.reserve_index
    follow_ups: list[tuple[int, Answer]] = []
    for item, value in answers.items():
        if item in index:
            continue
        position = reserve.get(item)
        if position is None:
            raise ValueError(f"item {item!r} is not in {layout.assessment} form {layout.form}")
        if value is not None:
            follow_ups.append((position, value))
    follow_ups.sort(key=lambda f: f[0])
    return [answers.get(item) for item in layout.items], follow_ups


def answer_list(layout: Layout, answers: Mapping[str, Answer]) -> list[Answer]:
    """The form's answers in layout order (answers to reserve items are left out)."""
    return split_answers(layout, answers)[0]


def extra_field(
    layout: Layout,
    follow_ups: Sequence[tuple[int, Answer]],
    seconds: Mapping[str, float | None] | None = None,
) -> str | None:
    """The follow-up items asked as stored: ``[[reserve position, answer, seconds?], ...]``
    in the order asked (None when none were asked)."""
    if not follow_ups:
        return None
    out: list[list[Any]] = []
    for position, value in follow_ups:
        spent = seconds.get(layout.reserve[position]) if seconds else None
        out.append([position, value] if spent is None else [position, value, spent])
    return pack(out)


def scored_fields(
    layout: Layout, scorecard: Scorecard, plan: tuple[PlanEntry, ...]
) -> dict[str, Any]:
    """The document fields that a submitted attempt adds to an in-progress one.

    ``intervals`` (flat ``[low, high, ...]`` per competency, nulls where there is
    none) and ``near`` (a ``0``/``1`` letter per competency) only when a score has
    an interval or is near its cut; ``plan`` only when it is not the standard plan.
    """
    comps = scorecard.competencies
    fields: dict[str, Any] = {
        "scores": pack([c.score for c in comps]),
        "codes": "".join([STATUS_CODE[c.status] for c in comps]),
    }
    if any(c.interval is not None for c in comps):
        flat: list[float | None] = []
        for c in comps:
            flat += [None, None] if c.interval is None else [c.interval[0], c.interval[1]]
        fields["intervals"] = pack(flat)
    if any(c.near_cut for c in comps):
        fields["near"] = "".join("1" if c.near_cut else "0" for c in comps)
    fields["outcome"] = scorecard.outcome
    if scorecard.overall is not None:
        fields["overall"] = scorecard.overall
    rows = [(e.module, e.competencies, e.gap, e.required) for e in plan]
    standard = standard_plan_rows(
        layout, [c.status for c in comps], [c.gap for c in comps], scorecard.outcome
    )
    if not layout.modules or standard != rows:
        fields["plan"] = pack(encode_plan(layout, comps, plan))
    return fields


def standard_plan_rows(
    layout: Layout, statuses: Sequence[str], gaps: Sequence[float], outcome: str | None
) -> list[PlanRow]:
    """The plan ``coaching.plan_rows`` makes from stored statuses and gaps and the layout's
    modules: an attempt whose plan is this stores none (a realistic plan was a sixth
    of an attempt's bytes) and it is rebuilt on reading, bit for bit."""
    if not layout.modules:
        return []
    return plan_rows(outcome, layout.competencies, statuses, gaps, layout.modules)


_STATUSES: dict[str, tuple[Status, ...]] = {}


def statuses_of(codes: str) -> tuple[Status, ...]:
    """Status words of a stored ``codes`` string; memoised (a cohort has few distinct ones)."""
    found = _STATUSES.get(codes)
    if found is None:
        found = tuple([CODE_STATUS[code] for code in codes])
        if len(_STATUSES) < 65536:
            _STATUSES[codes] = found
    return found


def _modules_in(layout: Layout, competencies: Iterable[int]) -> list[str]:
    """The modules of ``competencies`` (indexes, in order), each once, first seen first."""
    modules = layout.modules
    return list(dict.fromkeys(m for n in competencies for m in modules[n]))


def raw_gaps(layout: Layout, scores: Sequence[float | None], codes: str) -> list[float]:
    """Per competency: ``CompetencyScore.gap`` (``max(0, cut - score)`` when below or
    borderline, else 0.0) from stored scores and status letters."""
    return [
        max(0.0, cut - score) if (code == "b" or code == "o") and score is not None else 0.0
        for score, cut, code in zip(scores, layout.cuts, codes, strict=True)
    ]


def _largest_gap(gaps: Sequence[float], indexes: Sequence[int]) -> float:
    """What a stored plan entry without a gap stands for: the largest of its competencies'
    gaps (what ``coaching.plan_rows`` gives an entry, so most entries need no gap)."""
    return max([0.0, *(gaps[i] for i in indexes)])


def encode_plan(
    layout: Layout, comps: Sequence[CompetencyScore], plan: tuple[PlanEntry, ...]
) -> list[list[Any]]:
    """A plan as stored: ``[module, [competency indexes]]`` per entry, then the gap when it
    is not ``_largest_gap`` of those competencies (exact either way: it is checked
    here, so a typical plan costs a third of the bytes), then ``false`` for a
    recommended entry (its gap then given, or null for the derived one)."""
    where = layout.competency_index
    gaps = [c.gap for c in comps]
    out: list[list[Any]] = []
    for entry in plan:
        try:
            indexes = [where[c] for c in entry.competencies]
        except KeyError as exc:
            raise ValueError(f"plan names competency {exc.args[0]!r}, not in the layout") from None
        derived = _largest_gap(gaps, indexes) == entry.gap
        if not entry.required:
            out.append([entry.module, indexes, None if derived else entry.gap, False])
        elif derived:
            out.append([entry.module, indexes])
        else:
            out.append([entry.module, indexes, entry.gap])
    return out


def decode_plan(layout: Layout, gaps: Sequence[float], entries: Sequence[Any]) -> list[PlanRow]:
    """The inverse of ``encode_plan``, given the stored competencies' gaps."""
    names = layout.competencies
    return [
        (
            entry[0],
            tuple(names[i] for i in entry[1]),
            entry[2] if len(entry) > 2 and entry[2] is not None else _largest_gap(gaps, entry[1]),
            entry[3] if len(entry) > 3 else True,
        )
        for entry in entries
    ]


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


# -- rules every backend applies the same way (the TinyDB files and PostgreSQL) -------------

Doc = dict[str, Any]
SECRET_BYTES = 32
MIN_SECRET_HEX = 32  # 128 bits: below this a secret could be guessed and pseudonyms undone


def new_secret() -> str:
    """A new random per-database secret, as hex."""
    import secrets

    return secrets.token_hex(SECRET_BYTES)


def usable_secret(value: object) -> bool:
    """Whether ``value`` can key pseudonyms: hex text of at least ``MIN_SECRET_HEX`` digits."""
    return (
        isinstance(value, str)
        and len(value) >= MIN_SECRET_HEX
        and value.isascii()
        and all(ch in "0123456789abcdefABCDEF" for ch in value)
    )


def check_employer(employer: Employer) -> None:
    """Refuse what would make the stored document unreadable (the caller checks the rest)."""
    for name in ("id", "name", "region"):
        value = getattr(employer, name)
        if not isinstance(value, str) or not value.strip():
            raise ValueError(f"an employer's {name} must be non-empty text, not {value!r}")
    if type(employer.seats) is not int or employer.seats < 0:
        raise ValueError(f"an employer's seats must be a whole number >= 0, not {employer.seats!r}")


def follow_up_field(
    layout: Layout, doc: Doc, item_id: str, answer: Answer, seconds: float | None
) -> str:
    """The attempt's ``extra`` field with the answer to follow-up item ``item_id``: a new
    entry at the end (asked now), or the item's entry updated (answered again)."""
    position = layout.reserve_index.get(item_id)
    if position is None:
        raise ValueError(
            f"item {item_id!r} is not in {layout.assessment} form {layout.form} "
            "nor among its reserve items"
        )
    entries: list[list[Any]] = unpack(doc.get("extra")) or []
    entry: list[Any] = [position, answer] if seconds is None else [position, answer, seconds]
    for n, old in enumerate(entries):
        if old[0] == position:
            if seconds is None and len(old) > 2:
                entry.append(old[2])
            entries[n] = entry
            break
    else:
        entries.append(entry)
    return pack(entries)


def attempt_fields(row: NewAttempt, now: str) -> Doc:
    """Everything of an attempt document that does not depend on the database's state."""
    layout = row.layout
    answers, follow_ups = split_answers(layout, row.answers)
    check_scorecard(layout, row.scorecard, answers, follow_ups)
    doc: Doc = {"id": None, "cand": None, "layout": None, "status": "submitted"}
    if row.seed is not None:
        doc["seed"] = row.seed
    order = order_field(layout, row.order)
    if order is not None:
        doc["order"] = order
    if row.started is not None:
        doc["started"] = utc_stamp(row.started)
    doc["submitted"] = now if row.submitted is None else utc_stamp(row.submitted)
    doc["answers"] = pack(layout.encode_answers(answers))
    seconds = seconds_field(layout, row.seconds)
    if seconds is not None:
        doc["seconds"] = seconds
    extra = extra_field(layout, follow_ups, row.seconds)
    if extra is not None:
        doc["extra"] = extra
    doc.update(scored_fields(layout, row.scorecard, row.plan))
    if row.key is not None:
        doc["key"] = row.key
    return doc


Who = str | tuple[str, str | None, str | None]


def candidate_key(candidate: str | NewCandidate) -> Who:
    """A row's candidate: an id, or (name, contact, id) normalised as stored.

    Plain tuples because the bulk loop hashes one per row, and a dataclass's
    generated ``__hash__``/``__eq__`` cost more than the rest of the loop.
    """
    if isinstance(candidate, str):
        return candidate
    cid = check_candidate_id(candidate.id) if candidate.id is not None else None
    return (clean_name(candidate.name), clean_contact(candidate.contact), cid)
