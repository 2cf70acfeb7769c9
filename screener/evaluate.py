"""How often the screening's decisions are right: simulated candidates of known level. Pure.

``evaluate`` is the measuring stick of issue #13: it draws candidates whose
true level per competency is known, makes up the answers they would give
(option ids, ratings, numbers), runs the real ``next_follow_up`` and
``screening.score_answers`` (``score_form``, then ``build_plan``) on them and counts how often a gap
decision is right, wrong, or different on the parallel form. The generating
model, the true score and every figure are defined in docs/psychometrics.md.

The same candidates (same levels, same answers, reserve answers included)
meet every rule, so the rules are compared on the same people.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import pairwise
from statistics import NormalDist
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import numpy.typing as npt

from screener.content import (
    AnyItem,
    Assessment,
    Borderline,
    ChoiceItem,
    JudgementItem,
    LikertItem,
    NumericItem,
)
from screener.errors import UsageError
from screener.scoring import Answer, next_follow_up, point_range, reverse
from screener.screening import score_answers
from screener.stats import assessment_stats, beta_by_moments

if TYPE_CHECKING:  # the store package imports tinydb; fitting only needs its record type
    from screener.store import AttemptRecord

Floats = npt.NDArray[np.float64]
Bools = npt.NDArray[np.bool_]

DEFAULT_SIGMA = 0.2
MIN_FIT_ATTEMPTS = 200
RuleName = Literal["today", "configured"]

# -- true levels ------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """A distribution of true levels on 0..1: ``uniform`` on [a, b] or ``beta`` with shapes a, b."""

    kind: Literal["uniform", "beta"]
    a: float
    b: float

    def sample(self, rng: np.random.Generator, size: int) -> Floats:
        if self.kind == "uniform":
            return rng.uniform(self.a, self.b, size)
        return rng.beta(self.a, self.b, size)

    @property
    def mean(self) -> float:
        if self.kind == "uniform":
            return (self.a + self.b) / 2
        return self.a / (self.a + self.b)

    def text(self) -> str:
        """The ``--levels`` spelling (fitted Beta shapes to 3 significant digits)."""
        if self.kind == "uniform":
            return f"uniform:{_bound(self.a)}:{_bound(self.b)}"
        return f"beta:{self.a:.3g}:{self.b:.3g}"


def _bound(value: float) -> str:
    """0.3 as 0.30, the way the default is written; finer bounds as they are."""
    return f"{value:.2f}" if round(value, 2) == value else f"{value:g}"


@dataclass(frozen=True)
class LevelModel:
    """True-level spreads: one per competency where fitted, ``spread`` for the rest.

    ``source`` says where it came from: ``default`` (too few stored attempts),
    ``given`` (``--levels``) or ``fitted`` (from ``attempts`` stored attempts).
    """

    spread: Spread
    competencies: Mapping[str, Spread] = field(default_factory=dict)
    source: Literal["default", "given", "fitted"] = "given"
    attempts: int = 0

    def of(self, competency_id: str) -> Spread:
        return self.competencies.get(competency_id, self.spread)


DEFAULT_LEVELS = LevelModel(Spread("uniform", 0.30, 1.00), source="default")


def parse_levels(text: str) -> LevelModel:
    """``uniform:LOW:HIGH`` (0 <= LOW < HIGH <= 1) or ``beta:A:B`` (A, B > 0) as a LevelModel."""
    usage = (
        f"levels {text!r}: expected uniform:LOW:HIGH (0 <= LOW < HIGH <= 1) or beta:A:B (A, B > 0)"
    )
    parts = text.strip().split(":")
    if len(parts) != 3 or parts[0] not in ("uniform", "beta"):
        raise UsageError(usage)
    try:
        a, b = float(parts[1]), float(parts[2])
    except ValueError:
        raise UsageError(usage) from None
    if not (math.isfinite(a) and math.isfinite(b)):
        raise UsageError(usage)
    if parts[0] == "uniform":
        if not 0.0 <= a < b <= 1.0:
            raise UsageError(usage)
        return LevelModel(Spread("uniform", a, b))
    if a <= 0 or b <= 0:
        raise UsageError(usage)
    return LevelModel(Spread("beta", a, b))


def fit_levels(assessment: Assessment, attempts: Iterable[AttemptRecord]) -> LevelModel:
    """Per competency a Beta with the observed mean and the *true* variance of POMP/100.

    Observed scores spread more than true levels because of measurement error;
    classical test theory puts the true variance at ``alpha * observed
    variance``. Forms are pooled (mean and variance of all scores, alpha
    averaged with weights n). Needs ``MIN_FIT_ATTEMPTS`` submitted attempts.
    """
    stats = assessment_stats(assessment, attempts)
    if stats.attempts < MIN_FIT_ATTEMPTS:
        raise UsageError(
            f"fitting levels needs {MIN_FIT_ATTEMPTS} stored attempts of {assessment.id}"
            f" {assessment.version}, not {stats.attempts}"
        )
    fitted: dict[str, Spread] = {}
    for comp in assessment.competencies:
        found = [c for f in stats.forms for c in f.competencies if c.id == comp.id and c.n > 1]
        total = sum(c.n for c in found)
        if total < 2:
            continue
        mean = math.fsum(c.n * c.mean for c in found) / total
        spread = math.fsum((c.n - 1) * c.sd**2 + c.n * (c.mean - mean) ** 2 for c in found)
        variance = spread / (total - 1)
        usable = [c for c in found if math.isfinite(c.alpha)]
        weight = sum(c.n for c in usable)
        alpha = math.fsum(c.n * c.alpha for c in usable) / weight if weight else 1.0
        a, b = beta_by_moments(mean / 100.0, _clip(alpha, 0.05, 1.0) * variance / 1e4)
        fitted[comp.id] = Spread("beta", a, b)
    return LevelModel(DEFAULT_LEVELS.spread, fitted, "fitted", stats.attempts)


def levels_for(assessment: Assessment, attempts: Iterable[AttemptRecord]) -> LevelModel:
    """Fitted levels when there are enough stored attempts, else ``DEFAULT_LEVELS``."""
    try:
        return fit_levels(assessment, attempts)
    except UsageError:
        return DEFAULT_LEVELS


def _clip(value: float, low: float, high: float) -> float:
    return min(max(value, low), high)


# -- the generating model -----------------------------------------------------------


def graded_fractions(assessment: Assessment, item: AnyItem) -> list[float]:
    """The distinct score fractions (0..1) an answer to a graded item can earn, ascending."""
    low, high = point_range(assessment, item)
    if isinstance(item, LikertItem):
        scale = assessment.scale_of(item)
        values = [float(v) for v in range(scale.min, scale.max + 1)]
    elif isinstance(item, JudgementItem):
        values = [float(o.points) for o in item.options]
    else:
        return [0.0, 1.0]
    span = high - low
    return sorted({(v - low) / span if span > 0 else 0.0 for v in values})


def _is_keyed(item: AnyItem) -> bool:
    return isinstance(item, ChoiceItem | NumericItem)


_PHI = NormalDist()


def expected_fraction(fractions: Sequence[float], tau: Floats, sigma: float) -> Floats:
    """E[score fraction | tau] of a graded item: the fraction nearest to ``tau + N(0, sigma)``.

    Exact: ``f_last - sum_j (f_{j+1} - f_j) * Phi((m_j - tau) / sigma)`` over the
    midpoints ``m_j`` between neighbouring fractions.
    """
    out = np.full(tau.shape, fractions[-1], dtype=np.float64)
    for lo, hi in pairwise(fractions):
        mid = (lo + hi) / 2
        if sigma > 0:
            below = np.array([_PHI.cdf(z) for z in ((mid - tau) / sigma).tolist()])
        else:
            below = (tau < mid).astype(np.float64)
        out -= (hi - lo) * below
    return out


def true_pomp(
    assessment: Assessment, items: Sequence[AnyItem], tau: Floats, sigma: float
) -> Floats:
    """The expected POMP over ``items`` (one competency's) of people at levels ``tau``.

    Keyed items contribute ``tau`` (right with probability tau), graded items
    their exact expected fraction; weighted as ``scoring`` weights points.
    """
    num = np.zeros(tau.shape, dtype=np.float64)
    den = 0.0
    cache: dict[tuple[float, ...], Floats] = {}
    for item in items:
        low, high = point_range(assessment, item)
        weight = item.weight * (high - low)
        if _is_keyed(item):
            share = tau
        else:
            key = tuple(graded_fractions(assessment, item))
            if key not in cache:
                cache[key] = expected_fraction(key, tau, sigma)
            share = cache[key]
        num += weight * share
        den += weight
    return 100.0 * num / den if den > 0 else np.zeros(tau.shape)


def draw_answers(
    assessment: Assessment,
    items: Sequence[AnyItem],
    levels: Mapping[str, Floats],
    rng: np.random.Generator,
    sigma: float = DEFAULT_SIGMA,
) -> list[dict[str, Answer]]:
    """Answers of people at ``levels`` (competency id -> tau per person) to ``items``.

    Keyed items are right with probability tau (a wrong choice is another
    option at random, a wrong number is off by more than the tolerance);
    graded items take the answer whose score fraction is nearest to
    ``tau + N(0, sigma)`` (a Likert rating is reverse-keyed back to the value
    the candidate would tick). Every item is answered.
    """
    columns = [_draw_item(assessment, item, levels[item.competency], rng, sigma) for item in items]
    size = len(next(iter(levels.values()))) if levels else 0
    ids = [item.id for item in items]
    return [dict(zip(ids, (col[i] for col in columns), strict=True)) for i in range(size)]


def _draw_item(
    assessment: Assessment, item: AnyItem, tau: Floats, rng: np.random.Generator, sigma: float
) -> list[Answer]:
    size = len(tau)
    if isinstance(item, ChoiceItem):
        right = rng.random(size) < tau
        others = [o.id for o in item.options if o.id != item.key]
        wrong = rng.integers(0, len(others), size)
        return [
            item.key if r else others[w]
            for r, w in zip(right.tolist(), wrong.tolist(), strict=True)
        ]
    if isinstance(item, NumericItem):
        right = rng.random(size) < tau
        sign = np.where(rng.random(size) < 0.5, -1.0, 1.0)
        off = item.tolerance + max(1.0, abs(item.answer) * 0.1)
        correct = _tidy(item.answer)
        return [
            correct if r else _tidy(item.answer + s * off)
            for r, s in zip(right.tolist(), sign.tolist(), strict=True)
        ]
    fractions = graded_fractions(assessment, item)
    mids = np.array([(a + b) / 2 for a, b in pairwise(fractions)])
    noisy = tau + sigma * rng.standard_normal(size)
    chosen = np.searchsorted(mids, noisy).tolist()
    if isinstance(item, LikertItem):
        scale = assessment.scale_of(item)
        values = list(range(scale.min, scale.max + 1))  # fractions are these, in order
        if item.reverse:
            return [reverse(values[k], scale.min, scale.max) for k in chosen]
        return [values[k] for k in chosen]
    assert isinstance(item, JudgementItem)
    low, high = point_range(assessment, item)
    span = high - low
    first: dict[float, str] = {}
    for option in item.options:
        first.setdefault((option.points - low) / span if span > 0 else 0.0, option.id)
    by_rank = [first[f] for f in fractions]
    return [by_rank[k] for k in chosen]


def _tidy(value: float) -> int | float:
    rounded = round(value, 4)
    return int(rounded) if float(rounded).is_integer() else rounded


# -- figures ------------------------------------------------------------------------


@dataclass(frozen=True)
class DecisionFigures:
    """How one rule's gap decisions (status ``below``) fare, for one competency or pooled.

    Shares are NaN when there is nothing to count (e.g. nobody truly below).
    ``accuracy``, ``false_gap`` and ``missed_gap`` count only decisions outside
    the zone (true POMP more than ``zone`` points from the cut); ``agreement``
    and ``kappa`` compare the form with the other form over everybody.
    """

    outside: int  # decisions outside the zone
    truly_above: int  # ... of which truly at or above the cut
    truly_below: int
    accuracy: float
    false_gap: float  # truly at/above, outside the zone, yet status below (a required module)
    missed_gap: float  # truly below, outside the zone, yet not status below
    gap_rate: float  # share of everybody with status below
    borderline_rate: float  # share of everybody with status borderline (recommended)
    agreement: float  # same gap decision on both forms
    kappa: float  # Cohen's kappa of the gap decision on both forms
    mean_items: float  # items asked (form + follow-up) per candidate

    @property
    def misclassified(self) -> float:
        return 1.0 - self.accuracy


@dataclass(frozen=True)
class CompetencyEvaluation:
    id: str
    name: str
    cut: float
    figures: DecisionFigures


@dataclass(frozen=True)
class CandidateFigures:
    """Per candidate, through the plan that ``build_plan`` makes."""

    needless_coaching: float  # share with a required gap in a competency truly above cut + zone
    missed_coaching: float  # share with a competency truly below cut - zone and no required gap
    required_modules: float  # mean required modules per candidate
    pass_rate: float
    outcome_agreement: float  # same pass / not-pass on both forms
    outcome_kappa: float
    mean_items: float  # items asked per candidate, all competencies


@dataclass(frozen=True)
class RuleEvaluation:
    """One decision rule's figures: ``today`` has no borderline rule, ``configured`` the
    assessment's own (or the one passed to ``evaluate``)."""

    name: RuleName
    borderline: Borderline | None
    competencies: tuple[CompetencyEvaluation, ...]
    overall: DecisionFigures  # every competency's decisions pooled
    candidates: CandidateFigures


@dataclass(frozen=True)
class Evaluation:
    assessment: str
    version: str
    form: str
    other_form: str  # the parallel form of the agreement figures (the same form if only one)
    n: int
    seed: int
    zone: float
    sigma: float
    levels: LevelModel
    rules: tuple[RuleEvaluation, ...]

    def rule(self, name: RuleName) -> RuleEvaluation:
        for found in self.rules:
            if found.name == name:
                return found
        raise KeyError(name)


def cohen_kappa(first: Bools, second: Bools) -> float:
    """Cohen's kappa of two yes/no decision vectors; NaN when chance agreement is certain."""
    if first.size == 0:
        return math.nan
    p1 = float(first.mean())
    p2 = float(second.mean())
    observed = float((first == second).mean())
    chance = p1 * p2 + (1 - p1) * (1 - p2)
    if chance >= 1.0:
        return math.nan
    return (observed - chance) / (1.0 - chance)


@dataclass
class _Run:
    """One rule on one form: per competency gap / borderline / items, per candidate the plan."""

    gap: Bools  # n x C
    borderline: Bools  # n x C
    items: npt.NDArray[np.int64]  # n x C
    passed: Bools  # n
    required: Bools  # n x C: a required gap (status below and outcome coaching)
    modules: npt.NDArray[np.int64]  # n: required modules


def _administer(
    assessment: Assessment,
    form: str,
    fixed: Sequence[Mapping[str, Answer]],
    reserve: Sequence[Mapping[str, Answer]],
) -> _Run:
    """Score every candidate as ``take`` would: the form, then follow-up items one at a time."""
    comps = [c.id for c in assessment.competencies]
    n, width = len(fixed), len(comps)
    run = _Run(
        np.zeros((n, width), bool),
        np.zeros((n, width), bool),
        np.zeros((n, width), np.int64),
        np.zeros(n, bool),
        np.zeros((n, width), bool),
        np.zeros(n, np.int64),
    )
    for i in range(n):
        answers = dict(fixed[i])
        if reserve[i]:
            while (item := next_follow_up(assessment, answers, form)) is not None:
                answers[item.id] = reserve[i][item.id]
        card, plan = score_answers(assessment, form, answers)
        for k, comp in enumerate(card.competencies):
            run.gap[i, k] = comp.status == "below"
            run.borderline[i, k] = comp.status == "borderline"
            run.items[i, k] = comp.items
        run.passed[i] = card.outcome == "pass"
        # the gaps the plan must address: build_plan requires modules for exactly
        # these (a competency without modules still counts as a required gap)
        run.required[i] = run.gap[i] & (card.outcome == "coaching")
        run.modules[i] = sum(1 for entry in plan if entry.required)
    return run


def _share(count: int | float, total: int) -> float:
    return float(count) / total if total else math.nan


def _figures(
    gap: Bools,
    borderline: Bools,
    items: npt.NDArray[np.int64],
    other_gap: Bools,
    truth: Floats,
    cuts: Floats,
    zone: float,
) -> DecisionFigures:
    """Figures over the decisions in the (flattened) arrays."""
    gap, borderline, items, other_gap = (
        gap.ravel(),
        borderline.ravel(),
        items.ravel(),
        other_gap.ravel(),
    )
    truth, cuts = truth.ravel(), cuts.ravel()
    outside = np.abs(truth - cuts) > zone
    below = truth < cuts
    above_out = outside & ~below
    below_out = outside & below
    correct = outside & (gap == below)
    return DecisionFigures(
        outside=int(outside.sum()),
        truly_above=int(above_out.sum()),
        truly_below=int(below_out.sum()),
        accuracy=_share(int(correct.sum()), int(outside.sum())),
        false_gap=_share(int((above_out & gap).sum()), int(above_out.sum())),
        missed_gap=_share(int((below_out & ~gap).sum()), int(below_out.sum())),
        gap_rate=_share(int(gap.sum()), gap.size),
        borderline_rate=_share(int(borderline.sum()), borderline.size),
        agreement=_share(int((gap == other_gap).sum()), gap.size),
        kappa=cohen_kappa(gap, other_gap),
        mean_items=float(items.mean()) if items.size else math.nan,
    )


def evaluate(
    assessment: Assessment,
    *,
    form: str | None = None,
    n: int = 20000,
    seed: int = 1,
    zone: float = 5.0,
    levels: LevelModel = DEFAULT_LEVELS,
    sigma: float = DEFAULT_SIGMA,
    rule: Borderline | None = None,
    today: bool = True,
) -> Evaluation:
    """Simulate ``n`` candidates and measure the decisions of today's rule and the configured one.

    ``today`` is the assessment with its borderline rule switched off;
    ``configured`` uses ``rule`` when given, else the assessment's own
    borderline rule, and is left out when there is neither. Accuracy is on
    ``form`` (the first when None); agreement is with the next form (the same
    form again, answered independently, when there is only one).
    """
    if n < 1:
        raise UsageError(f"n must be 1 or more, not {n}")
    if seed < 0:
        raise UsageError(f"seed must be 0 or more, not {seed}")
    if not (math.isfinite(zone) and zone >= 0):
        raise UsageError(f"zone must be 0 or more POMP points, not {zone}")
    if not (math.isfinite(sigma) and sigma >= 0):
        raise UsageError(f"sigma must be 0 or more, not {sigma}")
    name = assessment.form(form)
    names = assessment.form_names()
    other = names[(names.index(name) + 1) % len(names)]
    comps = assessment.competencies
    tau_rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))
    tau = {c.id: levels.of(c.id).sample(tau_rng, n) for c in comps}

    rules: list[tuple[RuleName, Borderline | None]] = []
    if today:
        rules.append(("today", None))
    configured = rule if rule is not None else assessment.decision.borderline
    if configured is not None:
        rules.append(("configured", configured))
    if not rules:
        raise UsageError("nothing to evaluate: no borderline rule configured and today's left out")

    # runs[rule] holds the administration of `name` and then of `other` (which may be `name` again)
    runs: dict[RuleName, list[_Run]] = {r: [] for r, _ in rules}
    reserve_items = assessment.reserve_items()
    for k, which in enumerate((name, other)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, k)))
        fixed = draw_answers(assessment, assessment.form_items(which), tau, rng, sigma)
        extra = draw_answers(assessment, reserve_items, tau, rng, sigma)
        for rule_name, borderline in rules:
            variant = _with_borderline(assessment, borderline)
            follow = borderline is not None and borderline.action == "follow_up"
            runs[rule_name].append(
                _administer(variant, which, fixed, extra if follow and reserve_items else [{}] * n)
            )

    form_items = assessment.form_items(name)
    truth = np.column_stack(
        [
            true_pomp(assessment, [i for i in form_items if i.competency == c.id], tau[c.id], sigma)
            for c in comps
        ]
    )
    cuts = np.broadcast_to(np.array([c.cut for c in comps], dtype=np.float64), truth.shape)
    results: list[RuleEvaluation] = []
    for rule_name, borderline in rules:
        mine, theirs = runs[rule_name]
        per = tuple(
            CompetencyEvaluation(
                c.id,
                c.name,
                c.cut,
                _figures(
                    mine.gap[:, k],
                    mine.borderline[:, k],
                    mine.items[:, k],
                    theirs.gap[:, k],
                    truth[:, k],
                    cuts[:, k],
                    zone,
                ),
            )
            for k, c in enumerate(comps)
        )
        pooled = _figures(mine.gap, mine.borderline, mine.items, theirs.gap, truth, cuts, zone)
        results.append(
            RuleEvaluation(
                rule_name, borderline, per, pooled, _candidates(mine, theirs, truth, cuts, zone)
            )
        )
    return Evaluation(
        assessment.id, assessment.version, name, other, n, seed, zone, sigma, levels, tuple(results)
    )


def _candidates(
    mine: _Run, theirs: _Run, truth: Floats, cuts: Floats, zone: float
) -> CandidateFigures:
    clearly_above = truth > cuts + zone
    clearly_below = truth < cuts - zone
    return CandidateFigures(
        needless_coaching=float((mine.required & clearly_above).any(axis=1).mean()),
        missed_coaching=float((clearly_below & ~mine.required).any(axis=1).mean()),
        required_modules=float(mine.modules.mean()),
        pass_rate=float(mine.passed.mean()),
        outcome_agreement=float((mine.passed == theirs.passed).mean()),
        outcome_kappa=cohen_kappa(mine.passed, theirs.passed),
        mean_items=float(mine.items.sum(axis=1).mean()),
    )


def _with_borderline(assessment: Assessment, borderline: Borderline | None) -> Assessment:
    """The assessment with another borderline rule (None: today's plain cut)."""
    decision = assessment.decision.model_copy(update={"borderline": borderline})
    return assessment.model_copy(update={"decision": decision})


# -- JSON ---------------------------------------------------------------------------


def _number(value: float) -> float | None:
    return round(value, 6) if math.isfinite(value) else None


def _figures_json(f: DecisionFigures) -> dict[str, Any]:
    return {
        "outside_zone": f.outside,
        "truly_above": f.truly_above,
        "truly_below": f.truly_below,
        "accuracy": _number(f.accuracy),
        "misclassified": _number(f.misclassified),
        "false_gap": _number(f.false_gap),
        "missed_gap": _number(f.missed_gap),
        "gap_rate": _number(f.gap_rate),
        "borderline_rate": _number(f.borderline_rate),
        "agreement": _number(f.agreement),
        "kappa": _number(f.kappa),
        "mean_items": _number(f.mean_items),
    }


def levels_json(levels: LevelModel, competency_ids: Sequence[str]) -> dict[str, Any]:
    """Where the levels came from and each competency's spread in ``--levels`` spelling."""
    return {
        "source": levels.source,
        "attempts": levels.attempts,
        "competencies": {cid: levels.of(cid).text() for cid in competency_ids},
    }


def evaluation_json(evaluation: Evaluation) -> dict[str, Any]:
    """Plain JSON (NaN, i.e. nothing to count, becomes null)."""
    ids = [c.id for c in evaluation.rules[0].competencies]
    return {
        "assessment": evaluation.assessment,
        "version": evaluation.version,
        "form": evaluation.form,
        "other_form": evaluation.other_form,
        "n": evaluation.n,
        "seed": evaluation.seed,
        "zone": evaluation.zone,
        "sigma": evaluation.sigma,
        "levels": levels_json(evaluation.levels, ids),
        "rules": [
            {
                "rule": r.name,
                "borderline": None if r.borderline is None else r.borderline.model_dump(),
                "overall": _figures_json(r.overall),
                "candidates": {
                    "needless_coaching": _number(r.candidates.needless_coaching),
                    "missed_coaching": _number(r.candidates.missed_coaching),
                    "required_modules": _number(r.candidates.required_modules),
                    "pass_rate": _number(r.candidates.pass_rate),
                    "outcome_agreement": _number(r.candidates.outcome_agreement),
                    "outcome_kappa": _number(r.candidates.outcome_kappa),
                    "mean_items": _number(r.candidates.mean_items),
                },
                "competencies": [
                    {"id": c.id, "name": c.name, "cut": c.cut, **_figures_json(c.figures)}
                    for c in r.competencies
                ],
            }
            for r in evaluation.rules
        ],
    }
