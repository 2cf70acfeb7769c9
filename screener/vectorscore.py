"""Scoring a whole batch at once with numpy, giving exactly what the scalar path gives.

``encode`` turns a :class:`~screener.importing.Table` of raw cells into a
matrix of item points (NaN = unanswered), checking each distinct raw cell of a
column once with the same ``normalise``/``item_points`` that ``screener score``
uses. ``score_points`` computes every competency's POMP, status and the
outcome; ``plans`` the coaching plans.

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

The mean over competencies (``decide``'s ``fsum(...) / n``) always takes the
second route.
"""

from __future__ import annotations

import collections.abc
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from fractions import Fraction

import numpy as np
import numpy.typing as npt

from screener.answers import normalise
from screener.coaching import PlanEntry
from screener.content import (
    AnyItem,
    Assessment,
    ChoiceItem,
    Competency,
    JudgementItem,
    LikertItem,
)
from screener.errors import AnswerError, ContentError
from screener.gcpause import paused_gc
from screener.importing import Mapping, RowError, Table, capped, cell_text, shorten
from screener.scoring import (
    Answer,
    CompetencyScore,
    Outcome,
    Scorecard,
    Status,
    item_points,
    point_range,
)

Floats = npt.NDArray[np.float64]
Ints = npt.NDArray[np.int64]
Codes = npt.NDArray[np.int8]

STATUSES: tuple[Status, ...] = ("meets", "below", "incomplete")
OUTCOMES: tuple[Outcome, ...] = ("pass", "coaching", "incomplete")
MEETS, BELOW, INCOMPLETE = 0, 1, 2  # codes in Scores.status
PASS, COACHING = 0, 1  # codes in Scores.outcome; INCOMPLETE (2) as for statuses

_DENSE_LOOKUP = 1 << 16  # distinct cells in a file up to which a column's lookup is a flat array


def form_name(assessment: Assessment, form: str | None) -> str:
    """``assessment.form(form)``: kept for callers written before ``Assessment.form``."""
    return assessment.form(form)


# -- encoding ------------------------------------------------------------------------


@dataclass(frozen=True)
class Encoded:
    """The good rows of a table as a points matrix, and every row error.

    ``points[i, j]`` is the points row ``i`` earned on item ``item_ids[j]``
    (the form's order), NaN when unanswered; row ``i`` is table row
    ``index[i]``. A row with any error is left out of ``points``.
    """

    table: Table
    form: str
    item_ids: tuple[str, ...]
    points: Floats
    index: Ints
    errors: tuple[RowError, ...]
    missing_items: tuple[str, ...]
    columns: tuple[int, ...]  # per form item: its column in the table, -1 if absent
    lookups: tuple[dict[int, Answer], ...]  # per form item: cell code -> normalised answer

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

    def answers(self, i: int) -> dict[str, Answer]:
        """Good row ``i``'s answers as scoring takes them: every form item, None = unanswered."""
        row = int(self.index[i])
        codes = self.table.codes
        return {
            item_id: lookup.get(int(codes[column, row])) if column >= 0 else None
            for item_id, column, lookup in zip(
                self.item_ids, self.columns, self.lookups, strict=True
            )
        }

    def answer_columns(self) -> list[list[Answer]]:
        """Every good row's answers, one list per form item (None = unanswered)."""
        out: list[list[Answer]] = []
        n_values = len(self.table.values)
        for column, lookup in zip(self.columns, self.lookups, strict=True):
            if column < 0:
                out.append([None] * len(self.index))
                continue
            codes = self.table.codes[column][self.index].tolist()
            if n_values <= _DENSE_LOOKUP:
                flat = [lookup.get(code) for code in range(n_values)]
                out.append(list(map(flat.__getitem__, codes)))
            else:
                out.append(list(map(lookup.get, codes)))
        return out

    def answer_rows(self) -> list[tuple[Answer, ...]]:
        """Every good row's answers as a tuple in the form's item order (None = unanswered)."""
        with paused_gc():
            columns = self.answer_columns()
            return list(zip(*columns, strict=True)) if columns else [()] * len(self.index)

    def answer_dicts(self) -> list[dict[str, Answer]]:
        """``answers(i)`` for every good row, built column-wise (far faster than a loop)."""
        ids = self.item_ids
        rows = self.answer_rows()
        with paused_gc():
            return [dict(zip(ids, row, strict=True)) for row in rows]


def encode(
    assessment: Assessment,
    form: str | None,
    table: Table,
    mapping: Mapping | None = None,
) -> Encoded:
    """Check and convert every answer cell; bad cells become row errors, not exceptions.

    File-level faults raise ``ContentError``: a column that is not an item of
    the assessment (nor the id or name column), a column for an item of
    another form, or a mapping entry for an item the assessment lacks. The
    mapping defaults to the one the table was read with.
    """
    if mapping is None:
        mapping = table.mapping
    name = form_name(assessment, form)
    items = assessment.form_items(name)
    item_ids = tuple(item.id for item in items)
    _check_columns(assessment, name, table, mapping, set(item_ids))
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
        missing_items=tuple(i for i, c in zip(item_ids, columns, strict=True) if c < 0),
        columns=tuple(columns),
        lookups=tuple(lookups),
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
        hint = " or map them in a --map file" if mapping is None else ""
        problems.append(
            f"{table.source}: unknown column{'s' if len(unknown) > 1 else ''} "
            f"{', '.join(unknown)}: expected item ids of {assessment.id} form {form}, "
            f"{table.id_column!r}{name}; rename them{hint}"
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
    """An option id typed as a number (Excel turns "1" into 1) for a choice item."""
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
    """Every row's competency scores, statuses and outcome, as arrays.

    ``score[i, c]`` is NaN when competency ``c`` could not be scored; statuses
    and outcomes are codes into ``STATUSES`` and ``OUTCOMES``; ``overall`` is
    NaN unless every competency was scored.
    """

    form: str
    competencies: tuple[str, ...]
    cuts: Floats  # (C,)
    items: Ints  # (C,) items of each competency in the form
    item_ids: tuple[str, ...]
    points: Floats  # (n, k)
    score: Floats  # (n, C)
    answered: Ints  # (n, C)
    status: Codes  # (n, C)
    outcome: Codes  # (n,)
    overall: Floats  # (n,)

    def __len__(self) -> int:
        return len(self.outcome)

    @property
    def gap(self) -> Floats:
        """Points below the cut, 0 unless the status is ``below`` (as ``CompetencyScore.gap``)."""
        return np.where(self.status == BELOW, self.cuts - self.score, 0.0)


def score_points(assessment: Assessment, form: str | None, points: Floats) -> Scores:
    """Score a matrix of item points (rows x the form's items; NaN = unanswered)."""
    name = form_name(assessment, form)
    items = assessment.form_items(name)
    comps = assessment.competencies
    points = np.asarray(points, dtype=np.float64)
    if points.ndim != 2 or points.shape[1] != len(items):
        raise ValueError(f"expected a matrix with {len(items)} columns, got shape {points.shape}")
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

    totals = np.bincount([where[item.competency] for item in items], minlength=n_comp)
    needed = np.array([c.min_answered * int(t) - 1e-9 for c, t in zip(comps, totals, strict=True)])
    enough = (totals > 0)[:, None] & (answered >= needed[:, None])
    with np.errstate(invalid="ignore", divide="ignore"):
        score = np.where(enough, 100.0 * num / den, np.nan)
    cuts = np.array([float(c.cut) for c in comps])
    unscored = np.isnan(score)
    status = np.where(unscored, INCOMPLETE, np.where(score >= cuts[:, None], MEETS, BELOW))
    status = status.astype(np.int8)

    incomplete = unscored.any(axis=0)
    overall = np.full(n, np.nan)
    complete = np.flatnonzero(~incomplete)
    if len(complete):
        overall[complete] = exact_row_sums(score[:, complete].T) / n_comp
    rule = assessment.decision
    if rule.rule == "compensatory":
        overall_cut = rule.overall_cut if rule.overall_cut is not None else 0.0
        passed = overall >= overall_cut
    else:
        passed = (status == MEETS).all(axis=0)
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
    )


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

    A plan depends only on the order of the below-cut competencies (largest gap
    first, ties in competency order, as ``build_plan``'s stable sort) and on
    their gaps, so it is built once for each distinct (order, gaps) and the
    rows that share it share the tuple (plans are immutable).
    """
    n = len(scores)
    result: list[tuple[PlanEntry, ...]] = [()] * n
    rows = np.flatnonzero(scores.outcome == COACHING)
    if not len(rows):
        return result
    n_comp = len(scores.competencies)
    # competency-major (C x m) arrays over the coaching rows
    below = np.ascontiguousarray((scores.status[rows] == BELOW).T)
    gap = np.where(below, scores.cuts[:, None] - np.ascontiguousarray(scores.score[rows].T), 0.0)
    rank = _stable_ranks(np.where(below, -gap, np.inf))
    # position p of row i holds the p-th largest gap's competency (n_comp once past the below ones)
    ordered = np.full((n_comp, len(rows)), n_comp, dtype=np.int64)
    ordered_gaps = np.zeros((n_comp, len(rows)))
    comp_index = np.broadcast_to(np.arange(n_comp)[:, None], rank.shape)
    np.put_along_axis(ordered, rank, np.where(below, comp_index, n_comp), axis=0)
    np.put_along_axis(ordered_gaps, rank, gap, axis=0)
    group, first = _group_rows([*ordered, *ordered_gaps])
    comps = [assessment.competency(c) for c in scores.competencies]
    shapes: dict[tuple[int, ...], list[tuple[str, tuple[str, ...], int]]] = {}
    built: list[tuple[PlanEntry, ...]] = []
    for row in first.tolist():
        pattern = tuple(c for c in ordered[:, row].tolist() if c < n_comp)
        gaps = ordered_gaps[:, row].tolist()
        shape = shapes.get(pattern)
        if shape is None:
            shape = shapes[pattern] = _plan_shape(comps, pattern)
        # build_plan sorts modules by -gap, stably over first-met order
        entries = sorted(shape, key=lambda s: -gaps[s[2]])
        built.append(tuple(PlanEntry(m, covered, gaps[pos]) for m, covered, pos in entries))
    for row, g in zip(rows.tolist(), group.tolist(), strict=True):
        result[row] = built[g]
    return result


def _stable_ranks(key: Floats) -> Ints:
    """Per column of ``key`` (C x m), each entry's place in a stable ascending sort."""
    n_comp = key.shape[0]
    if n_comp > 16:
        order = np.argsort(key, axis=0, kind="stable")
        rank = np.empty_like(order)
        np.put_along_axis(rank, order, np.arange(n_comp)[:, None], axis=0)
        return rank.astype(np.int64)
    rank = np.zeros(key.shape, dtype=np.int64)
    for c in range(n_comp):
        for d in range(n_comp):
            if d < c:
                rank[c] += key[d] <= key[c]
            elif d > c:
                rank[c] += key[d] < key[c]
    return rank


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


def _plan_shape(
    comps: Sequence[Competency], pattern: tuple[int, ...]
) -> list[tuple[str, tuple[str, ...], int]]:
    """Modules in first-met order, the competencies each covers, and where its gap comes from.

    ``pattern`` lists the below-cut competencies by gap, largest first; a
    module's gap in ``build_plan`` is the max over its competencies', which is
    the gap of the first of them met.
    """
    covered: dict[str, list[str]] = {}
    source: dict[str, int] = {}
    for pos, c in enumerate(pattern):
        comp = comps[c]
        for module in comp.modules:
            covered.setdefault(module, []).append(comp.id)
            source.setdefault(module, pos)
    return [(m, tuple(ids), source[m]) for m, ids in covered.items()]


def row_scorecard(assessment: Assessment, form: str | None, scores: Scores, i: int) -> Scorecard:
    """Row ``i`` as the ``Scorecard`` that ``scoring.score_form`` would return."""
    name = _scores_form(assessment, form, scores)
    score = scores.score[i].tolist()
    status = scores.status[i].tolist()
    answered = scores.answered[i].tolist()
    comps = tuple(
        CompetencyScore(
            cid,
            None if math.isnan(score[m]) else score[m],
            assessment.competencies[m].cut,
            STATUSES[status[m]],
            answered[m],
            int(scores.items[m]),
        )
        for m, cid in enumerate(scores.competencies)
    )
    overall = float(scores.overall[i])
    points = {
        item_id: None if math.isnan(p) else p
        for item_id, p in zip(scores.item_ids, scores.points[i].tolist(), strict=True)
    }
    return Scorecard(
        assessment.id,
        assessment.version,
        name,
        comps,
        OUTCOMES[int(scores.outcome[i])],
        None if math.isnan(overall) else overall,
        points,
    )


def scorecards(assessment: Assessment, scores: Scores) -> list[Scorecard]:
    """``row_scorecard`` for every row, built column-wise.

    Equal competency results are one shared (frozen) ``CompetencyScore``, and
    each scorecard's ``points`` is a read-only view of its row of the points
    matrix rather than a new dict: about 2 us a row instead of 17.
    """
    with paused_gc():
        return _scorecards(assessment, scores)


def _scorecards(assessment: Assessment, scores: Scores) -> list[Scorecard]:
    name = _scores_form(assessment, None, scores)
    n = len(scores)
    per_comp: list[list[CompetencyScore]] = []
    for m, cid in enumerate(scores.competencies):
        score = scores.score[:, m]
        status = scores.status[:, m]
        answered = scores.answered[:, m]
        keyed = np.where(np.isnan(score), -1.0, score)  # one NaN pattern; scores are >= 0
        group, first = _group_rows([keyed, status.astype(np.int64), answered])
        made = [
            CompetencyScore(
                cid,
                None if math.isnan(float(score[f])) else float(score[f]),
                assessment.competencies[m].cut,
                STATUSES[int(status[f])],
                int(answered[f]),
                int(scores.items[m]),
            )
            for f in first.tolist()
        ]
        per_comp.append(list(map(made.__getitem__, group.tolist())))
    comps = list(zip(*per_comp, strict=True)) if per_comp else [()] * n
    outcomes = list(map(OUTCOMES.__getitem__, scores.outcome.tolist()))
    overall = [None if math.isnan(v) else v for v in scores.overall.tolist()]
    index = {item_id: j for j, item_id in enumerate(scores.item_ids)}
    points = scores.points
    return [
        Scorecard(assessment.id, assessment.version, name, c, o, v, RowPoints(points, i, index))
        for i, (c, o, v) in enumerate(zip(comps, outcomes, overall, strict=True))
    ]


class RowPoints(collections.abc.Mapping[str, float | None]):
    """One row of a points matrix as the read-only ``item id -> points`` mapping of a Scorecard."""

    __slots__ = ("_index", "_points", "_row")

    def __init__(self, points: Floats, row: int, index: dict[str, int]) -> None:
        self._points = points
        self._row = row
        self._index = index

    def __getitem__(self, item_id: str) -> float | None:
        value = float(self._points[self._row, self._index[item_id]])
        return None if math.isnan(value) else value

    def __iter__(self) -> Iterator[str]:
        return iter(self._index)

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return repr(dict(self))


def _scores_form(assessment: Assessment, form: str | None, scores: Scores) -> str:
    name = form_name(assessment, form if form is not None else scores.form)
    if name != scores.form:
        raise ValueError(f"these scores are of form {scores.form}, not {name}")
    return name
