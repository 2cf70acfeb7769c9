"""How the screening itself behaves, from stored attempts. Pure (numpy).

Per form (forms are parallel versions with their own items, so reliability is
a property of each): per competency the number of scored attempts, mean and
SD of the POMP scores, Cronbach's alpha over the item *points* (reverse-keying
is already applied by ``scoring.item_points``) with pairwise-complete
covariances as R psych's ``alpha``/``scoreItems`` with ``impute="none"``, the
SEM in POMP units and the share below the cut; per item the difficulty (mean
points as a share of the possible range: the item's POMP / 100), the
item-rest correlation and a flag when that is below .15 or negative. Over all
attempts: how often each coaching module is in a plan.

Attempts of another version of the assessment are left out (their items or
scoring may differ) and counted in ``skipped``.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from screener.content import AnyItem, Assessment
from screener.errors import AnswerError
from screener.psychometrics import cronbach_alpha, item_rest, sem
from screener.scoring import Answer, item_points, point_range

if TYPE_CHECKING:  # the store package imports tinydb; statistics only need its types
    from screener.store import AttemptRecord

LOW_ITEM_REST = 0.15


@dataclass(frozen=True)
class CompetencyStats:
    id: str
    name: str
    cut: float
    items: int
    n: int
    mean: float
    sd: float
    alpha: float
    sem: float
    below_cut: float  # share of the scored attempts whose status is "below"


@dataclass(frozen=True)
class ItemStats:
    id: str
    competency: str
    n: int
    difficulty: float  # mean points as a share of (max - min), 0..1
    item_rest: float
    flag: str | None  # "negative" (r < 0), "low" (r < .15), else None


@dataclass(frozen=True)
class FormStats:
    form: str
    attempts: int
    competencies: tuple[CompetencyStats, ...]
    items: tuple[ItemStats, ...]


@dataclass(frozen=True)
class ModuleDemand:
    module: str
    attempts: int
    share: float


@dataclass(frozen=True)
class AssessmentStats:
    assessment: str
    version: str
    attempts: int
    skipped: int  # attempts of other versions, left out
    forms: tuple[FormStats, ...]
    modules: tuple[ModuleDemand, ...]


@dataclass
class _FormData:
    """Points (row-major, NaN = unanswered) and stored scores of one form's attempts."""

    items: list[AnyItem]
    points: array[float] = field(default_factory=lambda: array("d"))
    scores: list[array[float]] = field(default_factory=list)
    below: list[int] = field(default_factory=list)
    rows: int = 0


def assessment_stats(
    assessment: Assessment, records: Iterable[AttemptRecord], form: str | None = None
) -> AssessmentStats:
    """Statistics of ``records`` (submitted attempts of ``assessment``; ``form`` to pick one)."""
    comps = assessment.competencies
    forms: dict[str, _FormData] = {}
    demand: Counter[str] = Counter()
    cache: dict[tuple[int, Answer], float] = {}
    used = skipped = 0
    for rec in records:
        if rec.assessment != assessment.id or rec.status != "submitted":
            continue
        if rec.version != assessment.version:
            skipped += 1
            continue
        if form is not None and rec.form != form:
            continue
        data = forms.get(rec.form)
        if data is None:
            items = assessment.form_items(rec.form) if rec.form in assessment.form_names() else []
            data = forms[rec.form] = _FormData(
                items, scores=[array("d") for _ in comps], below=[0] * len(comps)
            )
        if not data.items:
            skipped += 1
            continue
        used += 1
        answers = rec.answers
        for item in data.items:
            data.points.append(_points(assessment, item, answers.get(item.id), cache))
        where = rec.layout.competency_index
        scores, statuses = rec.scores, rec.statuses
        for n, comp in enumerate(comps):
            at = where.get(comp.id)
            value = scores[at] if at is not None else None
            data.scores[n].append(math.nan if value is None else value)
            if at is not None and statuses[at] == "below":
                data.below[n] += 1
        data.rows += 1
        demand.update(rec.plan_modules)
    per_form = tuple(_form_stats(assessment, name, forms[name]) for name in sorted(forms))
    modules = tuple(
        ModuleDemand(m, count, count / used if used else math.nan)
        for m, count in sorted(demand.items(), key=lambda kv: (-kv[1], kv[0]))
    )
    return AssessmentStats(assessment.id, assessment.version, used, skipped, per_form, modules)


def _points(
    assessment: Assessment, item: AnyItem, answer: Answer, cache: dict[tuple[int, Answer], float]
) -> float:
    """An answer's points (NaN when unanswered or not scorable), each distinct answer once."""
    if answer is None:
        return math.nan
    key = (id(item), answer)
    found = cache.get(key)
    if found is None:
        try:
            points = item_points(assessment, item, answer)
        except AnswerError:
            points = None
        found = cache[key] = math.nan if points is None else points
    return found


def _form_stats(assessment: Assessment, form: str, data: _FormData) -> FormStats:
    width = len(data.items)
    matrix = np.frombuffer(data.points, dtype=np.float64).reshape(data.rows, width)
    comps: list[CompetencyStats] = []
    items: list[ItemStats] = []
    for n, comp in enumerate(assessment.competencies):
        cols = [i for i, item in enumerate(data.items) if item.competency == comp.id]
        if not cols:
            continue
        scores = np.frombuffer(data.scores[n], dtype=np.float64)
        scored = scores[~np.isnan(scores)]
        count = int(scored.size)
        mean = float(scored.mean()) if count else math.nan
        sd = float(scored.std(ddof=1)) if count > 1 else math.nan
        sub = matrix[:, cols]
        alpha = cronbach_alpha(sub)
        comps.append(
            CompetencyStats(
                id=comp.id,
                name=comp.name,
                cut=comp.cut,
                items=len(cols),
                n=count,
                mean=mean,
                sd=sd,
                alpha=alpha,
                sem=sem(sd, alpha),
                below_cut=data.below[n] / count if count else math.nan,
            )
        )
        for pos, col in enumerate(cols):
            item = data.items[col]
            values = sub[:, pos]
            answered = values[~np.isnan(values)]
            low, high = point_range(assessment, item)
            difficulty = (
                (float(answered.mean()) - low) / (high - low)
                if answered.size and high > low
                else math.nan
            )
            r = item_rest(sub, pos)
            items.append(ItemStats(item.id, comp.id, int(answered.size), difficulty, r, _flag(r)))
    return FormStats(form, data.rows, tuple(comps), tuple(items))


def _flag(r: float) -> str | None:
    if not math.isfinite(r):
        return None
    if r < 0:
        return "negative"
    if r < LOW_ITEM_REST:
        return "low"
    return None


def _number(value: float) -> float | None:
    return value if math.isfinite(value) else None


def stats_json(stats: AssessmentStats) -> dict[str, Any]:
    """Plain JSON (NaN, i.e. not computable, becomes null)."""
    return {
        "assessment": stats.assessment,
        "version": stats.version,
        "attempts": stats.attempts,
        "skipped_other_versions": stats.skipped,
        "forms": [
            {
                "form": f.form,
                "attempts": f.attempts,
                "competencies": [
                    {
                        "id": c.id,
                        "name": c.name,
                        "cut": c.cut,
                        "items": c.items,
                        "n": c.n,
                        "mean": _number(c.mean),
                        "sd": _number(c.sd),
                        "alpha": _number(c.alpha),
                        "sem": _number(c.sem),
                        "below_cut": _number(c.below_cut),
                    }
                    for c in f.competencies
                ],
                "items": [
                    {
                        "id": i.id,
                        "competency": i.competency,
                        "n": i.n,
                        "difficulty": _number(i.difficulty),
                        "item_rest": _number(i.item_rest),
                        "flag": i.flag,
                    }
                    for i in f.items
                ],
            }
            for f in stats.forms
        ],
        "modules": [
            {"module": m.module, "attempts": m.attempts, "share": _number(m.share)}
            for m in stats.modules
        ],
    }
