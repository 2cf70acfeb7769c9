"""Scoring a whole batch at once with numpy, giving exactly what the scalar path gives.

``encode`` turns a :class:`~screener.importing.Table` of raw cells into a
matrix of item points (NaN = unanswered), checking each distinct raw cell of a
column once with the same ``normalise``/``item_points`` that ``screener score``
uses. ``score_points`` computes every competency's POMP, status, interval and
the outcome; ``plans`` the coaching plans; ``scored_batch`` packs the rows for
``Store.save_scored_batch``. Each is a fast copy of a scalar reference
(``scoring.score_form``, ``measurement.conditional_sem``, ``coaching.build_plan``)
and ``tests/test_vectorscore.py`` proves them equal with hypothesis.

Exactness. ``scoring.pomp`` sums its terms with ``math.fsum`` (correctly
rounded), so the vector path must produce the same float, not merely a close
one: a score that lands exactly on a cut, or two gaps that tie, decide a status
or the plan order. Two routes give bit-identical sums:

* when every term ``w * (p - pmin)`` an item can produce is a multiple of one
  power of two and their total stays below 2**53 of that unit (integer points
  and weights such as 0.5, 1, 2: every bundled assessment), every partial sum
  is exact, so a matrix product equals ``fsum`` whatever its summation order;
* otherwise each row's terms are summed with error-free transformations
  (TwoSum, as in Ogita, Rump & Oishi's Sum2) and the few rows whose rounding
  that cannot certify are summed again with ``math.fsum``.

The mean over competencies (``decide``'s ``fsum(...) / n``) and the two sums of
the conditional SEM always take the second route; every other operation of
the CSEM and the interval is one correctly rounded IEEE operation in the same
order as the scalar code, so intervals are the same bits too. Rows whose
interval ends within ``RECHECK`` of a cut are recomputed with the scalar code
all the same, so a decision on the edge never rests on the copy alone.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from screener.answers import normalise
from screener.coaching import PlanEntry, plan_rows
from screener.content import (
    AnyItem,
    Assessment,
    ChoiceItem,
    JudgementItem,
    LikertItem,
)
from screener.errors import AnswerError, ContentError
from screener.importing import (
    Mapping,
    RowError,
    Table,
    capped,
    cell_text,
    column_hint,
    shorten,
)
from screener.measurement import Term, conditional_sem, score_interval, z_value
from screener.scoring import (
    Answer,
    Outcome,
    Status,
    item_points,
    point_range,
)

if TYPE_CHECKING:
    from screener.store import Layout, ScoredBatch
    from screener.store.bulk import AnswersAhead

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int8]
Bools = npt.NDArray[np.bool_]

STATUSES: tuple[Status, ...] = ("meets", "below", "incomplete", "borderline")
OUTCOMES: tuple[Outcome, ...] = ("pass", "coaching", "incomplete")
MEETS, BELOW, INCOMPLETE, BORDERLINE = 0, 1, 2, 3  # codes in Scores.status
PASS, COACHING = 0, 1  # codes in Scores.outcome; INCOMPLETE (2) as for statuses
RECHECK = 1e-9  # interval ends this close to a cut are recomputed by the scalar code

_DENSE_LOOKUP = 1 << 16  # distinct cells in a file up to which a column's lookup is a flat array


# -- encoding ------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoded:
    """The good rows of a table as a points matrix, and every row error.

    ``points[i, j]`` is the points row ``i`` earned on item ``j`` of the form
    (``item_ids``, the form's order) and then, when the assessment has reserve
    items, on each reserve item (``reserve_ids``, asked as follow-up items);
    NaN when unanswered. Row ``i`` is table row ``index[i]``. A row with any
    error is left out of ``points``. ``columns`` and ``lookups`` run over the
    same items as the points' columns.
    """

    table: Table
    form: str
    item_ids: tuple[str, ...]
    points: Floats
    index: Ints
    errors: tuple[RowError, ...]
    missing_items: tuple[str, ...]
    columns: tuple[int, ...]  # per item (form, then reserve): its column in the table, -1 if absent
    lookups: tuple[dict[int, Answer], ...]  # per item: cell code -> normalised answer
    reserve_ids: tuple[str, ...] = ()

    def __len__(self) -> int:
        return len(self.index)

    @property
    def rows(self) -> Ints:
        """Row numbers (as the user sees them) of the good rows."""
        return self.table.rows[self.index]

    @property
    def ids(self) -> list[str]:
        ids = self.table.ids
        return [ids[i] for i in self.index.tolist()]

    @property
    def names(self) -> list[str | None]:
        names = self.table.names
        return [names[i] for i in self.index.tolist()]

    @property
    def rejected(self) -> tuple[int, ...]:
        """Row numbers of the rejected rows, in file order."""
        return tuple(sorted({e.row for e in self.errors}))

    def answer_codes(self, index: Ints | None = None) -> list[tuple[Ints, list[Answer]]]:
        """Per item (form, then reserve) the answers of rows ``index`` of the table (default:
        the good rows), dictionary-encoded as ``Store.save_scored_batch`` takes them:
        ``(codes, values)`` with ``values[codes[i]]`` row ``i``'s answer (None = unanswered)."""
        rows = self.index if index is None else index
        n = len(rows)
        n_values = len(self.table.values)
        out: list[tuple[Ints, list[Answer]]] = []
        for column, lookup in zip(self.columns, self.lookups, strict=True):
            if column < 0:
                out.append((np.zeros(n, dtype=np.int64), [None]))
                continue
            codes = self.table.codes[column][rows]
            if n_values <= _DENSE_LOOKUP:
                out.append((codes.astype(np.int64), [lookup.get(c) for c in range(n_values)]))
            else:
                present, inverse = np.unique(codes, return_inverse=True)
                values = [lookup.get(c) for c in present.tolist()]
                out.append((inverse.reshape(-1).astype(np.int64), values))
        return out


def encode(
    assessment: Assessment,
    form: str | None,
    table: Table,
    mapping: Mapping | None = None,
) -> Encoded:
    """Check and convert every answer cell; bad cells become row errors, not exceptions.

    Columns are the form's items and, optionally, reserve items (answers to
    follow-up items). File-level faults raise ``ContentError``: a column that
    is not an item of the assessment (nor the id or name column), a column for
    an item of another form, or a mapping entry for an item the assessment
    lacks. The mapping defaults to the one the table was read with.
    """
    if mapping is None:
        mapping = table.mapping
    name = assessment.form(form)
    form_items = assessment.form_items(name)
    reserve = assessment.reserve_items()
    items = [*form_items, *reserve]
    item_ids = tuple(item.id for item in form_items)
    _check_columns(assessment, name, table, mapping, {item.id for item in items})
    if mapping is not None:
        _check_mapping(assessment, items, mapping)
    position = {key: j for j, key in enumerate(table.columns)}
    n_values = len(table.values)
    bad = table.bad_rows()
    cell_errors: list[tuple[int, int, RowError]] = []  # (table row, table column, error)
    lookups: list[dict[int, Answer]] = []
    luts: list[tuple[Floats, npt.NDArray[np.intp] | None]] = []
    columns: list[int] = []
    for item in items:
        column = position.get(item.id, -1)
        columns.append(column)
        if column < 0:
            lookups.append({})
            luts.append((np.full(1, np.nan), None))
            continue
        codes = table.codes[column]
        inverse: npt.NDArray[np.intp] | None
        if n_values <= _DENSE_LOOKUP:
            present = np.flatnonzero(np.bincount(codes, minlength=n_values))
            inverse = None
            size = n_values
        else:
            present, inverse = np.unique(codes, return_inverse=True)
            size = len(present)
        lut = np.full(size, np.nan)
        wrong = np.zeros(size, dtype=bool)
        messages: dict[int, str] = {}
        answers: dict[int, Answer] = {}
        for slot, code in enumerate(present.tolist()):
            at = code if inverse is None else slot
            earned, answer, problem = _interpret(assessment, item, table.values[code], mapping)
            if problem is not None:
                wrong[at] = True
                messages[code] = problem
                continue
            lut[at] = earned
            if answer is not None:
                answers[code] = answer
        lookups.append(answers)
        luts.append((lut, inverse))
        if messages:
            hits = np.flatnonzero(wrong[codes] if inverse is None else wrong[inverse])
            bad[hits] = True
            header = table.headers[column]
            for row in hits.tolist():
                code = int(codes[row])
                raw = table.values[code]
                err = RowError(int(table.rows[row]), header, cell_text(raw), messages[code])
                cell_errors.append((row, column, err))
    index = np.flatnonzero(~bad)
    points = np.empty((len(index), len(items)), order="F")
    for j, (lut, inverse) in enumerate(luts):
        column = columns[j]
        if column < 0:
            points[:, j] = np.nan
        elif inverse is None:
            points[:, j] = lut[table.codes[column][index]]
        else:
            points[:, j] = lut[inverse[index]]
    errors = _merge_errors(table, cell_errors)
    return Encoded(
        table=table,
        form=name,
        item_ids=item_ids,
        points=points,
        index=index.astype(np.int64),
        errors=errors,
        missing_items=tuple(
            i for i, c in zip(item_ids, columns[: len(item_ids)], strict=True) if c < 0
        ),
        columns=tuple(columns),
        lookups=tuple(lookups),
        reserve_ids=tuple(item.id for item in reserve),
    )


def _merge_errors(
    table: Table, cell_errors: list[tuple[int, int, RowError]]
) -> tuple[RowError, ...]:
    if not cell_errors:
        return table.errors
    cell_errors.sort(key=lambda e: (e[0], e[1]))
    merged = [(e.row, 0, n, e) for n, e in enumerate(table.errors)]
    merged += [(e.row, 1, n, e) for n, (_, _, e) in enumerate(cell_errors)]
    merged.sort(key=lambda m: (m[0], m[1], m[2]))
    return tuple(m[3] for m in merged)


def _check_columns(
    assessment: Assessment,
    form: str,
    table: Table,
    mapping: Mapping | None,
    in_form: set[str],
) -> None:
    known = {item.id for item in assessment.items}
    unknown: list[str] = []
    elsewhere: list[str] = []
    for key, header in zip(table.columns, table.headers, strict=True):
        if key in in_form:
            continue
        shown = repr(shorten(header))
        shown += "" if key == header else f" (mapped to {shorten(key)!r})"
        (elsewhere if key in known else unknown).append(shown)
    # a million unknown columns: one short line
    unknown, elsewhere = capped(unknown, what="column(s)"), capped(elsewhere, what="column(s)")
    problems: list[str] = []
    if unknown:
        name = f", {table.name_column!r}" if table.name_column else ""
        hints = [
            hint
            for key, header in zip(table.columns, table.headers, strict=True)
            if key not in known and (hint := column_hint(header, table))
        ]
        fix = (
            hints[0]
            if len(hints) == 1 and len(unknown) == 1
            else "rename them, leave them out with --ignore-extra (or 'ignore:' under "
            "'columns:' in a --map file)"
            + (", or map them in a --map file" if mapping is None else "")
        )
        problems.append(
            f"{table.source}: unknown column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}: expected item ids of {assessment.id} form {form}, "
            f"{table.id_column!r}{name}; {fix}"
        )
    if elsewhere:
        forms = ", ".join(assessment.form_names())
        problems.append(
            f"{table.source}: column{'s' if len(elsewhere) > 1 else ''} {', '.join(elsewhere)} "
            f"{'are items' if len(elsewhere) > 1 else 'is an item'} of {assessment.id} "
            f"but not of form {form} (forms: {forms}); is this the right --form?"
        )
    if problems:
        raise ContentError(problems)


def _check_mapping(assessment: Assessment, items: Sequence[AnyItem], mapping: Mapping) -> None:
    known = {item.id for item in assessment.items}
    by_id = {item.id: item for item in items}
    problems: list[str] = []
    for key, labels in mapping.answers.items():
        if key != "*" and key not in known:
            problems.append(f"{mapping.where('answers', key)}: no item {key!r} in {assessment.id}")
            continue
        item = by_id.get(key)
        if item is None:
            continue  # "*" or an item of another form: checked cell by cell if used
        for label, value in labels.items():
            try:
                normalise(assessment, item, _as_option(item, value))
            except AnswerError as exc:
                problems.append(f"{mapping.where('answers', key, label)}: {exc}")
    if problems:
        raise ContentError(capped(problems))


def _as_option(item: AnyItem, value: object) -> object:
    """An option id typed as a number (Excel turns "1" into 1), or in another case ("B"
    for option b, as a spreadsheet's capitals give it), for a choice item."""
    if isinstance(value, str) and isinstance(item, ChoiceItem | JudgementItem):
        if any(option.id == value for option in item.options):
            return value
        same = [o.id for o in item.options if o.id.casefold() == value.casefold()]
        return same[0] if len(same) == 1 else value
    if (
        isinstance(item, ChoiceItem | JudgementItem)
        and isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and float(value).is_integer()
    ):
        text = str(int(value))
        if any(option.id == text for option in item.options):
            return text
    return value


def _interpret(
    assessment: Assessment, item: AnyItem, raw: object, mapping: Mapping | None
) -> tuple[float, Answer, str | None]:
    """(points or NaN, normalised answer, None) or (NaN, None, reason) for one raw cell."""
    value = raw
    mapped = ""
    if isinstance(raw, str):
        text = raw.strip()
        if not text:
            return math.nan, None, None
        found, target = mapping.answer(item.id, text) if mapping else (False, None)
        if found:
            value = target
            mapped = f" (the mapping gives {target!r})"
        elif isinstance(item, ChoiceItem | JudgementItem):
            value = text
    value = _as_option(item, value)
    try:
        answer = normalise(assessment, item, value)
        earned = item_points(assessment, item, answer)
    except AnswerError as exc:
        return math.nan, None, exc.reason + mapped
    return (math.nan if earned is None else earned), answer, None


# -- scoring ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Scores:
    """Every row's competency scores, statuses, intervals and outcome, as arrays.

    ``score[i, c]`` is NaN when competency ``c`` could not be scored; statuses
    and outcomes are codes into ``STATUSES`` and ``OUTCOMES``; ``overall`` is
    NaN unless every competency was scored. ``points`` has the form's items and
    then any reserve items (``item_ids``; the first ``n_form`` are the form's).
    With a borderline rule, ``low``/``high`` are each score's interval (NaN
    where ``CompetencyScore.interval`` is None) and ``near`` its ``near_cut``.
    """

    form: str
    competencies: tuple[str, ...]
    cuts: Floats  # (C,)
    items: Ints  # (C,) items of each competency in the form
    item_ids: tuple[str, ...]
    points: Floats  # (n, k [+ r])
    score: Floats  # (n, C)
    answered: Ints  # (n, C) answered items, reserve items included
    status: Codes  # (n, C)
    outcome: Codes  # (n,)
    overall: Floats  # (n,)
    n_form: int = -1  # form items among item_ids (-1: all of them)
    low: Floats | None = None  # (n, C)
    high: Floats | None = None  # (n, C)
    near: Bools | None = None  # (n, C)
    item_competency: tuple[int, ...] = ()  # per column of points: its competency

    def __len__(self) -> int:
        return len(self.outcome)

    @property
    def form_width(self) -> int:
        return len(self.item_ids) if self.n_form < 0 else self.n_form

    @property
    def gap(self) -> Floats:
        """Points below the cut of ``below`` and ``borderline`` competencies, else 0
        (as ``CompetencyScore.gap``: ``max(0.0, cut - score)``)."""
        short = self.cuts - self.score
        counted = (self.status == BELOW) | (self.status == BORDERLINE)
        return np.where(counted & (short > 0.0), short, 0.0)

    def extra(self, i: int) -> list[tuple[str, ...]]:
        """Per competency: the reserve items row ``i`` answered, in reserve order
        (``CompetencyScore.extra``)."""
        out: list[list[str]] = [[] for _ in self.competencies]
        start = self.form_width
        row = self.points[i]
        for j in range(start, len(self.item_ids)):
            if not math.isnan(float(row[j])):
                out[self.item_competency[j]].append(self.item_ids[j])
        return [tuple(ids) for ids in out]


def score_points(assessment: Assessment, form: str | None, points: Floats) -> Scores:
    """Score a matrix of item points: rows x the form's items, optionally followed by one
    column per reserve item (``Assessment.reserve_items()`` order); NaN = unanswered.

    A fast copy of ``scoring.score_form`` (and, with a borderline rule, of
    ``measurement.conditional_sem``/``score_interval``/``straddles`` and
    ``scoring.borderline_status``), proved equal by ``tests/test_vectorscore.py``.
    """
    name = assessment.form(form)
    form_items = assessment.form_items(name)
    reserve = assessment.reserve_items()
    comps = assessment.competencies
    points = np.asarray(points, dtype=np.float64)
    k = len(form_items)
    if points.ndim == 2 and reserve and points.shape[1] == k + len(reserve):
        items = [*form_items, *reserve]
    elif points.ndim == 2 and points.shape[1] == k:
        items = list(form_items)
    else:
        wanted = f"{k}" if not reserve else f"{k} (or {k + len(reserve)} with the reserve items)"
        raise ValueError(f"expected a matrix with {wanted} columns, got shape {points.shape}")
    n = points.shape[0]
    n_comp = len(comps)
    where = {c.id: m for m, c in enumerate(comps)}
    ranges = [point_range(assessment, item) for item in items]
    weight = np.array([float(item.weight) for item in items])
    low = np.array([lo for lo, _ in ranges])
    span = np.array([item.weight * (hi - lo) for item, (lo, hi) in zip(items, ranges, strict=True)])

    # item-major (k x n) layout: each item's points are contiguous; small temporaries only
    by_item = points.T if points.flags.f_contiguous else np.ascontiguousarray(points.T)
    comp_of = [where[item.competency] for item in items]
    num = np.zeros((n_comp, n))
    den = np.zeros((n_comp, n))
    answered = np.zeros((n_comp, n), dtype=np.int64)
    if _sums_are_exact(assessment, items):
        term = np.empty(n)
        given = np.empty(n, dtype=bool)
        for j, m in enumerate(comp_of):
            np.subtract(by_item[j], low[j], out=term)
            np.multiply(weight[j], term, out=term)  # w * (p - pmin), as pomp()
            np.fmax(term, 0.0, out=term)  # NaN (unanswered) -> 0; answered terms are >= 0
            num[m] += term
            np.isnan(by_item[j], out=given)
            np.logical_not(given, out=given)
            answered[m] += given
            np.multiply(given, span[j], out=term)
            den[m] += term
    else:
        for m in range(n_comp):
            cols = [j for j, c in enumerate(comp_of) if c == m]
            if not cols:
                continue
            block = by_item[cols]
            given_block = ~np.isnan(block)
            terms = np.where(given_block, weight[cols, None] * (block - low[cols, None]), 0.0)
            num[m] = exact_row_sums(terms.T)
            den[m] = exact_row_sums((given_block * span[cols, None]).T)
            answered[m] = given_block.sum(axis=0)

    totals = np.bincount([where[item.competency] for item in form_items], minlength=n_comp)
    needed = np.array([c.min_answered * int(t) - 1e-9 for c, t in zip(comps, totals, strict=True)])
    enough = (totals > 0)[:, None] & (answered >= needed[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(enough, 100.0 * num / den, np.nan)
    cuts = np.array([float(c.cut) for c in comps])
    unscored = np.isnan(score)
    status = np.where(unscored, INCOMPLETE, np.where(score >= cuts[:, None], MEETS, BELOW))
    status = status.astype(np.int8)
    lows = highs = near = None
    rule = assessment.decision.borderline
    if rule is not None:
        lows, highs = _intervals(
            assessment, items, comp_of, by_item, score, den, answered, rule.confidence
        )
        near = _straddles(lows, highs, cuts[:, None])
        near &= ~unscored
        if rule.action == "gap":
            status = np.where(near, BELOW, status).astype(np.int8)
        elif rule.action == "recommend":
            status = np.where(near, BORDERLINE, status).astype(np.int8)
        else:  # follow_up: the score decides a near result below the cut
            status = np.where(near & (status == MEETS), BORDERLINE, status).astype(np.int8)

    incomplete = unscored.any(axis=0)
    overall = np.full(n, np.nan)
    complete = np.flatnonzero(~incomplete)
    if len(complete):
        overall[complete] = exact_row_sums(score[:, complete].T) / n_comp
    decision = assessment.decision
    if decision.rule == "compensatory":
        overall_cut = decision.overall_cut if decision.overall_cut is not None else 0.0
        passed = overall >= overall_cut
    else:
        passed = (status != BELOW).all(axis=0)
    outcome = np.where(incomplete, INCOMPLETE, np.where(passed, PASS, COACHING)).astype(np.int8)
    return Scores(
        form=name,
        competencies=tuple(c.id for c in comps),
        cuts=cuts,
        items=totals,
        item_ids=tuple(item.id for item in items),
        points=points,
        score=score.T,
        answered=answered.T,
        status=status.T,
        outcome=outcome,
        overall=overall,
        n_form=k,
        low=None if lows is None else lows.T,
        high=None if highs is None else highs.T,
        near=None if near is None else near.T,
        item_competency=tuple(comp_of),
    )


def _straddles(low: Floats, high: Floats, cut: Floats) -> Bools:
    """``measurement.straddles`` of every interval (NaN intervals never straddle)."""
    edge = cut - 1e-9  # measurement._EPS
    with np.errstate(invalid="ignore"):
        return (low < edge) & (high >= edge)


def _intervals(
    assessment: Assessment,
    items: Sequence[AnyItem],
    comp_of: Sequence[int],
    by_item: Floats,
    score: Floats,
    den: Floats,
    answered: Ints,
    confidence: float,
) -> tuple[Floats, Floats]:
    """Every score's interval (C x n, NaN where unscored), as ``score_form`` makes it:
    ``score_interval(score, conditional_sem(terms), confidence)``.

    The same float operations as ``measurement.conditional_sem``: weights
    ``w * (hi - lo)`` (their correctly rounded sum is ``den``, the POMP
    denominator), fractions, the two ``fsum``s as ``exact_row_sums``, then
    ``n / (n - 1)``, ``sqrt``, ``100 * . / total`` and the clipped interval. Rows
    whose interval ends lie within ``RECHECK`` of a cut are recomputed with the
    scalar functions.
    """
    n_comp, n = score.shape
    z = z_value(confidence)
    lows = np.full((n_comp, n), np.nan)
    highs = np.full((n_comp, n), np.nan)
    ranges = [point_range(assessment, item) for item in items]
    for m, comp in enumerate(assessment.competencies):
        rows = np.flatnonzero(~np.isnan(score[m]))
        if not len(rows):
            continue
        cols = [j for j, c in enumerate(comp_of) if c == m]
        block = by_item[cols][:, rows].T  # (rows x cols)
        given = ~np.isnan(block)
        los = np.array([ranges[j][0] for j in cols])
        his = np.array([ranges[j][1] for j in cols])
        weights = np.array([items[j].weight * (ranges[j][1] - ranges[j][0]) for j in cols])
        with np.errstate(invalid="ignore", divide="ignore"):
            spans = his - los
            fracs = np.where(spans > 0, (block - los) / np.where(spans > 0, spans, 1.0), 0.0)
        fracs = np.where(given, fracs, 0.0)
        total = den[m, rows]
        count = answered[m, rows]
        mean = exact_row_sums(np.where(given, weights * fracs, 0.0)) / np.where(
            total > 0, total, 1.0
        )
        dev = fracs - mean[:, None]
        spread = exact_row_sums(np.where(given, weights * weights * (dev * dev), 0.0))
        with np.errstate(invalid="ignore", divide="ignore"):
            ratio = count / np.where(count > 1, count - 1, 1)
            csem = 100.0 * np.sqrt(ratio * spread) / total
        half = np.where((count >= 2) & (total > 0), z * csem, 0.0)
        value = score[m, rows]
        down = value - half
        up = value + half
        low = np.where(down > 0.0, down, 0.0)  # max(0.0, score - half)
        high = np.where(up < 100.0, up, 100.0)  # min(100.0, score + half)
        edge = comp.cut - 1e-9
        close = (np.abs(low - edge) <= RECHECK) | (np.abs(high - edge) <= RECHECK)
        for r in np.flatnonzero(close).tolist():
            terms: list[Term] = [
                (items[j].weight, float(block[r, c]), ranges[j][0], ranges[j][1])
                for c, j in enumerate(cols)
                if given[r, c]
            ]
            low[r], high[r] = score_interval(float(value[r]), conditional_sem(terms), confidence)
        lows[m, rows] = low
        highs[m, rows] = high
    return lows, highs


def possible_points(assessment: Assessment, item: AnyItem) -> list[float]:
    """Every value ``item_points`` can return for ``item``."""
    if isinstance(item, JudgementItem):
        return [float(o.points) for o in item.options]
    if isinstance(item, LikertItem):
        scale = assessment.scale_of(item)
        return [float(v) for v in range(scale.min, scale.max + 1)]
    return [0.0, float(item.points)]


def _sums_are_exact(assessment: Assessment, items: Sequence[AnyItem]) -> bool:
    """True when every sum of the items' POMP terms is exact in binary floating point.

    Then all terms are integer multiples of one power of two, ``2**q``, and any
    partial sum is at most the sum of the largest terms, so it is exact when
    that bound is below ``2**53 * 2**q``: any order, any grouping (a BLAS matrix
    product included) gives the one true sum, which is what ``fsum`` returns.
    """
    unit: int | None = None  # q: the exponent of the smallest power-of-two unit needed
    bound = Fraction(0)
    span_bound = Fraction(0)
    for item in items:
        lo, hi = point_range(assessment, item)
        values = [item.weight * (p - lo) for p in possible_points(assessment, item)]
        span = item.weight * (hi - lo)
        for value in [*values, span]:
            if not math.isfinite(value):
                return False
            if value == 0:
                continue
            numerator, denominator = value.as_integer_ratio()
            exponent = _trailing_zeros(abs(numerator)) - (denominator.bit_length() - 1)
            unit = exponent if unit is None else min(unit, exponent)
        bound += Fraction(max(abs(v) for v in values))
        span_bound += Fraction(abs(span))
    if unit is None:
        return True
    return max(bound, span_bound) < Fraction(2) ** (53 + unit)


def _trailing_zeros(number: int) -> int:
    return (number & -number).bit_length() - 1


def exact_row_sums(x: Floats) -> Floats:
    """Each row's sum correctly rounded, i.e. ``math.fsum`` of every row, vectorised.

    Cascaded TwoSum gives ``sum = s + sum(e)`` exactly; ``r = s + fl(sum(e))``
    is certified correctly rounded when its residual plus the bound on the
    error of ``fl(sum(e))`` is below half the float spacing at ``r``. The rest
    (rare: a sum within a few units of the last place of a rounding boundary)
    go through ``math.fsum``.
    """
    x = np.asarray(x, dtype=np.float64)
    n, m = x.shape
    if m == 0:
        return np.zeros(n)
    if m == 1:
        return x[:, 0] + 0.0
    s = x[:, 0].copy()
    err = np.zeros(n)
    err_abs = np.zeros(n)
    for j in range(1, m):
        b = x[:, j]
        t = s + b
        bb = t - s
        e = (s - (t - bb)) + (b - bb)
        s = t
        err += e
        err_abs += np.abs(e)
    r = s + err
    bb = r - s
    residual = (s - (r - bb)) + (err - bb)
    bound = m * 2.0**-52 * err_abs
    with np.errstate(invalid="ignore"):
        half_gap = np.spacing(np.nextafter(np.abs(r), 0.0)) / 2
        certain = np.abs(residual) + bound < half_gap
    for i in np.flatnonzero(~certain).tolist():
        r[i] = math.fsum(x[i].tolist())
    return r


# -- plans ----------------------------------------------------------------------------------


def plans(assessment: Assessment, scores: Scores) -> list[tuple[PlanEntry, ...]]:
    """Every row's coaching plan, equal to ``coaching.build_plan`` of its scorecard.

    A plan depends only on the outcome and on the statuses and gaps of the
    competencies that add modules (``below`` ones with a ``coaching`` outcome,
    ``borderline`` ones unless incomplete), so rows are grouped by those and
    the rule itself, ``coaching.plan_rows``, runs once per group; the rows of a
    group share one tuple (plans are immutable).
    """
    n = len(scores)
    result: list[tuple[PlanEntry, ...]] = [()] * n
    status = scores.status
    coaching = (scores.outcome == COACHING)[:, None]
    adds = ((status == BELOW) & coaching) | (
        (status == BORDERLINE) & (scores.outcome != INCOMPLETE)[:, None]
    )
    rows = np.flatnonzero(adds.any(axis=1))
    if not len(rows):
        return result
    mask = adds[rows]
    keyed_status = np.where(mask, status[rows], -1).astype(np.int64)
    keyed_gap = np.where(mask, scores.gap[rows], 0.0)
    columns: list[npt.NDArray[np.generic]] = [scores.outcome[rows].astype(np.int64)]
    columns += [np.ascontiguousarray(keyed_status[:, m]) for m in range(keyed_status.shape[1])]
    columns += [np.ascontiguousarray(keyed_gap[:, m]) for m in range(keyed_gap.shape[1])]
    group, first = _group_rows(columns)
    ids = scores.competencies
    modules = [assessment.competency(c).modules for c in ids]
    built: list[tuple[PlanEntry, ...]] = []
    for row in first.tolist():
        made = plan_rows(
            OUTCOMES[int(scores.outcome[rows[row]])],
            ids,
            [STATUSES[s] if s >= 0 else "meets" for s in keyed_status[row].tolist()],
            keyed_gap[row].tolist(),
            modules,
        )
        built.append(tuple(PlanEntry(*entry) for entry in made))
    for row, g in zip(rows.tolist(), group.tolist(), strict=True):
        result[row] = built[g]
    return result


def _group_rows(columns: Sequence[npt.NDArray[np.generic]]) -> tuple[Ints, Ints]:
    """Group ids of equal rows across ``columns`` (all of one length), and each group's first row.

    Rows are hashed to one 64-bit word (a sort of one array instead of a sort of
    rows); a collision is caught by comparing every row with its group's first
    and then the columns are factorised exactly, one at a time.
    """
    words = [
        np.ascontiguousarray(c + 0 if c.dtype.kind == "f" else c).view(np.uint64) for c in columns
    ]
    mixed = np.full(len(words[0]), 0x9E3779B97F4A7C15, dtype=np.uint64)
    for word in words:
        mixed ^= word
        mixed *= np.uint64(0xBF58476D1CE4E5B9)
        mixed ^= mixed >> np.uint64(31)
    _, first, group = np.unique(mixed, return_index=True, return_inverse=True)
    group = group.reshape(-1)
    if all(np.array_equal(column, column[first[group]]) for column in columns):
        return group.astype(np.int64), first.astype(np.int64)
    return factorise_rows(columns)  # a 64-bit collision: never seen, but never wrong


def factorise_rows(columns: Sequence[npt.NDArray[np.generic]]) -> tuple[Ints, Ints]:
    """What ``_group_rows`` gives, by factorising the columns exactly one at a time."""
    group = np.zeros(len(columns[0]), dtype=np.int64)
    for column in columns:
        values, inverse = np.unique(column, return_inverse=True)
        _, group = np.unique(group * len(values) + inverse.reshape(-1), return_inverse=True)
        group = group.reshape(-1)
    _, first, group = np.unique(group, return_index=True, return_inverse=True)
    return group.reshape(-1).astype(np.int64), first.astype(np.int64)


# -- to the store --------------------------------------------------------------------------


@dataclass(frozen=True)
class BatchRows:
    """What a scored batch holds besides the scores: rows ``index`` of an encoded
    table as ``Store.save_scored_batch`` takes them (``scored_batch``), and
    ``ahead``, their answers and keys being packed meanwhile by a forked child
    (``store.bulk.AnswersAhead``), or None."""

    index: Ints
    layout: Layout
    candidates: list[str]
    names: list[str | None]
    answers: list[tuple[Ints, list[Answer]]]
    reserve_answers: list[tuple[Ints, list[Answer]]] | None
    key_scope: str | None
    ahead: AnswersAhead | None = None


def batch_rows(
    assessment: Assessment,
    encoded: Encoded,
    index: Ints | None = None,
    *,
    key_scope: str | None = "batch",
    pack_ahead: bool = False,
) -> BatchRows:
    """Rows ``index`` (default: every good row) of ``encoded`` as a batch to store; with
    ``pack_ahead``, a big batch's answers and keys are packed by a forked child while
    this process scores the rows (stop it, ``ahead.stop()``, when nothing is stored)."""
    from screener.store import Layout
    from screener.store.bulk import answers_ahead

    rows = encoded.index if index is None else index
    layout = Layout.of(assessment, encoded.form)
    if layout.items != encoded.item_ids or layout.reserve != encoded.reserve_ids:
        raise ValueError("the encoded items are not the layout's")
    k = len(encoded.item_ids)
    columns = encoded.answer_codes(rows)
    ids = encoded.table.ids
    names = encoded.table.names
    picked = rows.tolist()
    candidates = [ids[i] for i in picked]
    answers = columns[:k]
    reserve = columns[k:] if encoded.reserve_ids else None
    ahead = answers_ahead(layout, candidates, answers, reserve, key_scope) if pack_ahead else None
    return BatchRows(
        rows, layout, candidates, [names[i] for i in picked], answers, reserve, key_scope, ahead
    )


def scored_batch(
    assessment: Assessment,
    encoded: Encoded,
    scores: Scores,
    index: Ints | None = None,
    *,
    key_scope: str | None = "batch",
    parts: BatchRows | None = None,
) -> ScoredBatch:
    """The scored rows as ``Store.save_scored_batch`` takes them (one layout, column-wise).

    ``index`` picks the table rows (default: ``encoded.index``, every good row) and
    must be the rows ``scores`` were computed from, in the same order. Answers to
    reserve items, intervals and near-cut flags are carried along, so the stored
    attempts read back as ``score_form`` scored them. ``parts``: those rows as
    ``batch_rows`` gave them before scoring (their ``index`` and ``key_scope`` are
    used).
    """
    from screener.store import ScoredBatch

    if parts is None:
        rows = encoded.index if index is None else index
        if len(rows) != len(scores):
            raise ValueError(f"{len(rows)} rows for {len(scores)} scored rows")
        parts = batch_rows(assessment, encoded, rows, key_scope=key_scope)
    elif len(parts.index) != len(scores):
        raise ValueError(f"{len(parts.index)} rows for {len(scores)} scored rows")
    k = len(encoded.item_ids)
    if encoded.reserve_ids and scores.points.shape[1] != k + len(encoded.reserve_ids):
        raise ValueError("these scores leave out the reserve items' answers")
    return ScoredBatch(
        layout=parts.layout,
        candidates=parts.candidates,
        names=parts.names,
        answers=parts.answers,
        reserve_answers=parts.reserve_answers,
        scores=scores.score,
        status=scores.status,
        outcome=scores.outcome,
        overall=scores.overall,
        low=scores.low,
        high=scores.high,
        near=scores.near,
        key_scope=parts.key_scope,
        statuses=STATUSES,
        outcomes=OUTCOMES,
        ahead=parts.ahead,
    )
