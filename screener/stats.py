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

Per competency also the error *at the cut*, where decisions are made: Lord's
binomial-error CSEM at the cut score, and Subkoviak's single-administration
estimate of how often a parallel form would give the same gap decision
(``consistency``, and its kappa against chance agreement). Right/wrong items
of equal weight use the item count as the binomial length; other competencies
use the Livingston-Lewis effective test length (docs/psychometrics.md).

Attempts of another version of the assessment are left out (their items or
scoring may differ) and counted in ``skipped``.
"""

from __future__ import annotations

import math
import warnings
from array import array
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from screener.content import AnyItem, Assessment, ChoiceItem, NumericItem
from screener.errors import AnswerError
from screener.measurement import lord_csem_at
from screener.psychometrics import Matrix, cronbach_alpha, item_rest, sem
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
    csem_at_cut: float  # Lord's binomial-error CSEM (POMP points) at the cut, for `items` items
    consistency: float  # Subkoviak's p0: chance a parallel form gives the same gap decision
    consistency_kappa: float  # that agreement beyond chance (Cohen's kappa)
    consistency_ll: (
        float  # the same from a fitted beta-binomial true-score model (Livingston-Lewis)
    )
    consistency_ll_kappa: float
    consistency_length: float  # binomial length used: the item count, or Livingston-Lewis's
    consistency_method: str  # "binomial" (right/wrong items, equal weights) or "livingston-lewis"


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
    if form is not None:
        form = assessment.form(form)
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
    with warnings.catch_warnings():
        # an all-blank attempt makes numpy's nan-aware means warn "Mean of empty
        # slice"; the figures are NaN where undefined and shown as such, so the
        # warning would only reach users as noise (issue 11)
        warnings.simplefilter("ignore", RuntimeWarning)
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
        keyed = _right_wrong([data.items[i] for i in cols])
        length = float(len(cols)) if keyed else livingston_lewis_length(scored / 100.0, alpha)
        agree, kappa = subkoviak(scored / 100.0, alpha, length, comp.cut)
        agree_ll, kappa_ll = beta_binomial_consistency(scored / 100.0, alpha, length, comp.cut)
        csem = lord_csem_at(comp.cut, len(cols))
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
                csem_at_cut=math.nan if csem is None else csem,
                consistency=agree,
                consistency_kappa=kappa,
                consistency_ll=agree_ll,
                consistency_ll_kappa=kappa_ll,
                consistency_length=length,
                consistency_method="binomial" if keyed else "livingston-lewis",
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


def _right_wrong(items: list[AnyItem]) -> bool:
    """Do these items make a number-right score (keyed, all of one weight x points)?"""
    sizes = {
        item.weight * item.points if isinstance(item, ChoiceItem | NumericItem) else -1.0
        for item in items
    }
    return len(sizes) == 1 and min(sizes) > 0


def livingston_lewis_length(proportions: Matrix, reliability: float) -> float:
    """Livingston and Lewis's effective test length of scores on a 0..1 scale (rounded).

    ``(mu (1 - mu) - r var) / (var (1 - r))``: the number of right/wrong items
    whose binomial error matches the observed error variance ``var (1 - r)``.
    NaN when the scores do not vary or the reliability is not below 1 and above 0.
    """
    if proportions.size < 2 or not math.isfinite(reliability) or not 0 < reliability < 1:
        return math.nan
    mu = float(proportions.mean())
    var = float(proportions.var(ddof=1))
    if var <= 0:
        return math.nan
    length = (mu * (1 - mu) - reliability * var) / (var * (1 - reliability))
    return float(max(1, round(length))) if math.isfinite(length) else math.nan


def subkoviak(
    proportions: Matrix, reliability: float, length: float, cut: float
) -> tuple[float, float]:
    """Subkoviak's single-administration decision consistency: ``(p0, kappa)``.

    Each person's true proportion is regressed to the mean,
    ``t = r p + (1 - r) mean``; ``P = P(X >= needed | binomial(length, t))``
    is their chance to meet the cut on a parallel form, so both forms agree
    with chance ``P^2 + (1 - P)^2``. ``kappa`` compares the mean agreement
    ``p0`` with what independent decisions at the same pass rate give.
    """
    if proportions.size == 0 or not math.isfinite(reliability) or not math.isfinite(length):
        return math.nan, math.nan
    n = int(length)
    r = min(max(reliability, 0.0), 1.0)
    true = np.clip(r * proportions + (1 - r) * float(proportions.mean()), 0.0, 1.0)
    needed = max(0, math.ceil(cut * n / 100.0 - 1e-9))  # fewest right with 100 x / n >= cut
    meet = binomial_at_least(n, needed, true)
    p0 = float(np.mean(meet**2 + (1 - meet) ** 2))
    share = float(meet.mean())
    chance = share**2 + (1 - share) ** 2
    kappa = (p0 - chance) / (1 - chance) if chance < 1 else math.nan
    return p0, kappa


def beta_by_moments(mean: float, variance: float) -> tuple[float, float]:
    """The shapes ``(a, b)`` of the Beta with this mean and variance (kept to what a Beta can have)."""
    m = min(max(mean, 0.01), 0.99)
    v = min(max(variance, 1e-6), 0.99 * m * (1 - m))
    common = m * (1 - m) / v - 1
    return m * common, (1 - m) * common


def beta_binomial_consistency(
    proportions: Matrix, reliability: float, length: float, cut: float
) -> tuple[float, float]:
    """Decision consistency ``(p0, kappa)`` under a fitted beta-binomial true-score model.

    Livingston and Lewis's procedure with a two-parameter Beta: the true
    proportions follow the Beta with the observed mean and the true variance
    ``r * var``; given ``t`` each form's score is binomial(length, t),
    independently. ``p0`` sums ``P(X = x, Y = y)`` over pairs on the same side
    of the cut, each ``C(n,x) C(n,y) B(a + x + y, b + 2n - x - y) / B(a, b)``.
    """
    if proportions.size < 2 or not math.isfinite(reliability) or not math.isfinite(length):
        return math.nan, math.nan
    n = int(length)
    r = min(max(reliability, 0.0), 1.0)
    a, b = beta_by_moments(float(proportions.mean()), r * float(proportions.var(ddof=1)))
    needed = max(0, math.ceil(cut * n / 100.0 - 1e-9))
    log_beta_ab = math.lgamma(a) + math.lgamma(b) - math.lgamma(a + b)
    x = np.arange(n + 1, dtype=np.float64)
    log_c = np.array([math.lgamma(n + 1) - math.lgamma(k + 1) - math.lgamma(n - k + 1) for k in x])
    # the log Gamma terms of B(a + x + y, b + 2n - x - y) depend on x + y only
    by_sum = np.array([math.lgamma(a + t) + math.lgamma(b + 2 * n - t) for t in range(2 * n + 1)])
    log_b = by_sum[np.add.outer(np.arange(n + 1), np.arange(n + 1))]
    joint = np.exp(
        log_c[:, None] + log_c[None, :] + log_b - math.lgamma(a + b + 2 * n) - log_beta_ab
    )
    meets = x >= needed
    same = meets[:, None] == meets[None, :]
    p0 = float(joint[same].sum())
    share = float(joint[meets, :].sum())
    chance = share**2 + (1 - share) ** 2
    kappa = (p0 - chance) / (1 - chance) if chance < 1 else math.nan
    return p0, kappa


def binomial_at_least(n: int, k: int, p: Matrix) -> Matrix:
    """``P(X >= k)`` for ``X ~ binomial(n, p)``, elementwise in ``p`` (log-space terms)."""
    out = np.zeros(p.shape, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        log_p, log_q = np.log(p), np.log1p(-p)
        for x in range(k, n + 1):
            log_c = math.lgamma(n + 1) - math.lgamma(x + 1) - math.lgamma(n - x + 1)
            term = (
                log_c + np.where(x > 0, x * log_p, 0.0) + np.where(n - x > 0, (n - x) * log_q, 0.0)
            )
            out += np.exp(term)
    return np.clip(out, 0.0, 1.0)


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
                        "csem_at_cut": _number(c.csem_at_cut),
                        "consistency": _number(c.consistency),
                        "consistency_kappa": _number(c.consistency_kappa),
                        "consistency_ll": _number(c.consistency_ll),
                        "consistency_ll_kappa": _number(c.consistency_ll_kappa),
                        "consistency_length": _number(c.consistency_length),
                        "consistency_method": c.consistency_method,
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
