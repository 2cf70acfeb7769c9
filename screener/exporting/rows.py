"""Stored attempts → export columns and rows, one row per attempt, made as they are written.

Columns: ``attempt_id, candidate_id, name, contact, assessment, version, form,
submitted_at, outcome, overall``, then ``<competency>_score`` and
``<competency>_status`` for every competency of the exported attempts (first
seen first) — followed by ``<competency>_low`` and ``<competency>_high``, the
score's interval, when any exported attempt was scored under a borderline
rule — then ``plan`` (the plan's module ids in order, required then
recommended), and with ``items`` ``<item>_answer`` and ``<item>_points`` for
every item, the form's and then the reserve (follow-up) items asked. A cell
an attempt has no value for (another assessment's competency, an unanswered
or unasked item) is empty.

Anonymised, ``attempt_id``, ``candidate_id`` and ``name`` become keyed
pseudonyms (HMAC-SHA256 with the database's secret) and ``contact`` is left
out: the same person gets the same pseudonym in every export of the same
database, and nobody without the secret can tell who it is.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from screener.content import AnyItem, Assessment
from screener.errors import AnswerError
from screener.exporting.interface import Cell, Column
from screener.scoring import Answer, item_points

if TYPE_CHECKING:  # the store package imports tinydb; exporting only needs its types
    from screener.store import AttemptStream, Layout

HEAD = (
    Column("attempt_id", "text"),
    Column("candidate_id", "text"),
    Column("name", "text"),
    Column("contact", "text"),
    Column("assessment", "text"),
    Column("version", "text"),
    Column("form", "text"),
    Column("submitted_at", "time"),  # the store's own UTC stamps
    Column("outcome", "label"),
    Column("overall", "number"),
)
ANON_PREFIX = "anon-"


class Pseudonyms:
    """Stable keyed pseudonyms: ``anon-`` + the first 12 hex digits of HMAC-SHA256.

    Each kind of id ("candidate", "attempt") is hashed in its own domain, so a
    candidate id and an attempt id that happen to be equal get different
    pseudonyms. Memoised: a candidate with many attempts is hashed once.
    """

    def __init__(self, secret: str) -> None:
        self.key = secret.encode()
        self.seen: dict[tuple[str, str], str] = {}

    def __call__(self, kind: str, value: str) -> str:
        found = self.seen.get((kind, value))
        if found is None:
            digest = hmac.new(self.key, f"{kind}\0{value}".encode(), hashlib.sha256).hexdigest()
            found = ANON_PREFIX + digest[:12]
            if kind == "candidate":  # attempts are one row each: keep only people
                self.seen[(kind, value)] = found
        return found


@dataclass(frozen=True)
class _Plan:
    """Where one layout's values go in a row."""

    head: tuple[str, str, str]  # assessment, version, form
    scores: slice | tuple[int, ...]  # an extended slice when evenly spaced
    statuses: slice | tuple[int, ...]
    lows: slice | tuple[int, ...] | None  # None: no interval columns
    highs: slice | tuple[int, ...] | None
    answer_at: tuple[int, ...]
    points_at: tuple[int, ...]
    items: tuple[tuple[Assessment, AnyItem] | None, ...]  # None: points cannot be re-scored
    reserve_at: dict[str, tuple[int, tuple[Assessment, AnyItem] | None]]  # follow-up items


def _positions(cols: list[int], step: int) -> slice | tuple[int, ...]:
    """Columns as one extended slice when evenly spaced by ``step`` (one C-level assignment)."""
    if cols and cols == list(range(cols[0], cols[0] + step * len(cols), step)):
        return slice(cols[0], cols[0] + step * len(cols), step)
    return tuple(cols)


class RowBuilder:
    """Columns for the attempts of a stream, and one row per attempt on demand."""

    def __init__(
        self,
        layouts: tuple[Layout, ...],
        *,
        items: bool = False,
        anonymize: Pseudonyms | None = None,
        assessments: Mapping[str, Assessment] | None = None,
    ) -> None:
        self.items = items
        self.anonymize = anonymize
        self.assessments = assessments or {}
        head = [c for c in HEAD if not (anonymize and c.name == "contact")]
        comps = list(dict.fromkeys(c for lay in layouts for c in lay.competencies))
        intervals = any(lay.confidence is not None for lay in layouts)
        item_ids = (
            list(dict.fromkeys(i for lay in layouts for i in (*lay.items, *lay.reserve)))
            if items
            else []
        )
        columns: list[Column] = list(head)
        comp_col: dict[str, int] = {}
        step = 4 if intervals else 2
        for comp in comps:
            comp_col[comp] = len(columns)
            columns += [Column(f"{comp}_score", "number"), Column(f"{comp}_status", "label")]
            if intervals:
                columns += [Column(f"{comp}_low", "number"), Column(f"{comp}_high", "number")]
        self.plan_col = len(columns)
        columns.append(Column("plan", "list"))
        item_col: dict[str, int] = {}
        for item in item_ids:
            item_col[item] = len(columns)
            columns += [Column(f"{item}_answer", "text"), Column(f"{item}_points", "number")]
        self.columns = columns
        self.width = len(columns)
        self.head_len = len(head)
        self.plans: dict[int, _Plan] = {}  # by id(): hashing a Layout per row is slow
        self.layouts = layouts  # keeps the ids valid
        for lay in layouts:
            model = self._model(lay)
            found = {i.id: (model, i) for i in model.items} if model is not None else {}
            at = [comp_col[c] for c in lay.competencies]
            self.plans[id(lay)] = _Plan(
                head=(lay.assessment, lay.version, lay.form),
                scores=_positions(at, step),
                statuses=_positions([c + 1 for c in at], step),
                lows=_positions([c + 2 for c in at], step) if intervals else None,
                highs=_positions([c + 3 for c in at], step) if intervals else None,
                answer_at=tuple(item_col[i] for i in lay.items) if items else (),
                points_at=tuple(item_col[i] + 1 for i in lay.items) if items else (),
                items=tuple(found.get(i) for i in lay.items),
                reserve_at={i: (item_col[i], found.get(i)) for i in lay.reserve} if items else {},
            )
        # per item and answer: the points (re-scoring each distinct answer once)
        self.points_cache: dict[tuple[int, Answer], float | None] = {}

    def _model(self, layout: Layout) -> Assessment | None:
        """The assessment to re-score ``layout``'s answers with: same id AND version."""
        found = self.assessments.get(layout.assessment)
        if found is None or found.version != layout.version:
            return None
        return found

    def rows(self, stream: AttemptStream) -> Iterator[list[Cell]]:
        """One row per attempt of ``stream``, made one at a time."""
        anon = self.anonymize
        plans, plan_col, contact = self.plans, self.plan_col, stream.contact
        rest: list[Cell] = [None] * (self.width - self.head_len)  # scores on: filled below
        for rec in stream:
            layout = rec.layout
            plan = plans[id(layout)]
            # one list display per row (a copy of a blank row and ten stores took 0.4 µs more)
            if anon is not None:
                pseudonym = anon("candidate", rec.candidate_id)
                row: list[Cell] = [
                    anon("attempt", rec.attempt_id),
                    pseudonym,
                    pseudonym,
                    *plan.head,
                    rec.submitted,
                    rec.outcome,
                    rec.overall,
                    *rest,
                ]
            else:
                cid = rec.candidate_id
                row = [
                    rec.attempt_id,
                    cid,
                    rec.name,
                    contact(cid),
                    *plan.head,
                    rec.submitted,
                    rec.outcome,
                    rec.overall,
                    *rest,
                ]
            scores = rec.scores
            where, at_status = plan.scores, plan.statuses
            if isinstance(where, slice) and isinstance(at_status, slice):  # one C-level
                row[where] = scores  # assignment each: the usual case
                row[at_status] = rec.statuses
            else:
                _put(row, where, scores)
                _put(row, at_status, rec.statuses)
            if plan.lows is not None and plan.highs is not None:
                spans = rec.intervals
                _put(row, plan.lows, [None if s is None else s[0] for s in spans])
                _put(row, plan.highs, [None if s is None else s[1] for s in spans])
            row[plan_col] = rec.plan_modules_given(scores)
            if self.items:
                form = list(rec.answers.values())[: len(plan.answer_at)]
                self._fill_items(
                    row, zip(form, plan.answer_at, plan.points_at, plan.items, strict=True)
                )
                if rec.follow_ups:
                    follow = [
                        (answer, *plan.reserve_at[item]) for item, answer, _ in rec.follow_ups
                    ]
                    self._fill_items(row, ((a, col, col + 1, sc) for a, col, sc in follow))
            yield row

    def _fill_items(
        self,
        row: list[Cell],
        cells: Iterable[tuple[Answer, int, int, tuple[Assessment, AnyItem] | None]],
    ) -> None:
        """Each answer in its column and its points (re-scored) in the next."""
        cache = self.points_cache
        for answer, col, pcol, scorer in cells:
            row[col] = answer
            if answer is None or scorer is None:
                continue
            key = (id(scorer[1]), answer)
            try:
                points = cache[key]
            except KeyError:
                points = cache[key] = _points(scorer, answer)
            except TypeError:  # an unhashable answer: score it without the cache
                points = _points(scorer, answer)
            row[pcol] = points


def _put(row: list[Cell], where: slice | tuple[int, ...], values: Sequence[Cell]) -> None:
    if isinstance(where, slice):
        row[where] = values
    else:
        for col, value in zip(where, values, strict=True):
            row[col] = value


def _points(scorer: tuple[Assessment, AnyItem], answer: Answer) -> float | None:
    """``item_points``, or None for a stored answer the assessment cannot score."""
    try:
        return item_points(scorer[0], scorer[1], answer)
    except AnswerError:
        return None
