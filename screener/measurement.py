"""Measurement error at the cut: conditional SEM, score intervals, the follow-up rule. Pure.

With five or six items a competency score is coarse, so a candidate a little
above a cut is often scored below it and the other way round. This module
says how uncertain one person's score is (the *conditional* standard error of
measurement, CSEM, at that person's own score) and, from it, whether a
decision is clear or ``borderline``; ``follow_up_wanted`` is the one rule
that ``take``, ``batch``, ``simulate`` and ``evaluate`` share for asking
reserve items.

The CSEM is Lord's binomial-error estimate, generalised to weighted and
polytomous items (see docs/psychometrics.md): each answered item contributes
its score as a fraction ``f`` of its range; with weights ``w``,

    var = n/(n-1) * sum(w^2 (f - fbar)^2) / (sum w)^2

which for ``n`` right/wrong items of equal weight is exactly Lord's
``fbar (1 - fbar) / (n - 1)``. Everything here is on the POMP (0-100) scale.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from statistics import NormalDist

Term = tuple[float, float, float, float]  # (weight, points, least points, most points)
ItemRange = tuple[float, float, float]  # (weight, least points, most points)

_EPS = 1e-9


def fraction(points: float, low: float, high: float) -> float:
    """An item's points as a share of its range (0..1)."""
    return (points - low) / (high - low) if high > low else 0.0


def pomp(terms: Sequence[Term]) -> float | None:
    """Weighted POMP of ``(weight, points, pmin, pmax)`` terms; None when there are none.

    The reference for every score in screener (``vectorscore`` is its tested fast copy).
    """
    if not terms:
        return None
    num = math.fsum(w * (p - lo) for w, p, lo, _ in terms)
    den = math.fsum(w * (hi - lo) for w, _, lo, hi in terms)
    return 100.0 * num / den


def _score(terms: Sequence[Term]) -> float:
    score = pomp(terms)
    return 0.0 if score is None else score


def conditional_sem(terms: Sequence[Term]) -> float | None:
    """The person's CSEM in POMP points; None with fewer than two answered items.

    The reference: ``vectorscore.score_points`` computes it for a whole batch with
    the same float operations (sums correctly rounded, as ``math.fsum``), tested equal.
    """
    n = len(terms)
    if n < 2:
        return None
    weights = [w * (hi - lo) for w, _, lo, hi in terms]
    total = math.fsum(weights)
    if total <= 0:
        return None
    fracs = [fraction(p, lo, hi) for _, p, lo, hi in terms]
    mean = math.fsum(wt * f for wt, f in zip(weights, fracs, strict=True)) / total
    # (f - mean) squared by multiplication, not ``** 2`` (C pow, not always correctly
    # rounded): ``vectorscore`` does the same float operations and must get the same bits
    spread = math.fsum(
        wt * wt * ((f - mean) * (f - mean)) for wt, f in zip(weights, fracs, strict=True)
    )
    return 100.0 * math.sqrt(n / (n - 1) * spread) / total


def lord_csem_at(cut: float, items: int) -> float | None:
    """Lord's CSEM (POMP points) at a score equal to ``cut`` on ``items`` right/wrong items."""
    if items < 2:
        return None
    share = min(max(cut / 100.0, 0.0), 1.0)
    return 100.0 * math.sqrt(share * (1.0 - share) / (items - 1))


def z_value(confidence: float) -> float:
    """The two-sided normal quantile for a central interval of ``confidence``."""
    if not 0.0 < confidence < 1.0:
        raise ValueError(f"confidence must be between 0 and 1, not {confidence}")
    return NormalDist().inv_cdf(0.5 + confidence / 2.0)


def score_interval(score: float, csem: float | None, confidence: float) -> tuple[float, float]:
    """A central interval around ``score`` (clipped to 0..100); a point when csem is None."""
    half = 0.0 if csem is None else z_value(confidence) * csem
    return max(0.0, score - half), min(100.0, score + half)


def straddles(interval: tuple[float, float], cut: float) -> bool:
    """True when the interval holds scores on both sides of the cut (below it and at or above)."""
    low, high = interval
    return low < cut - _EPS and high >= cut - _EPS


def meets(score: float, cut: float) -> bool:
    """The point decision: the same comparison ``scoring.status_of`` makes."""
    return score >= cut


@dataclass(frozen=True)
class FollowUpRule:
    """When to ask a competency's reserve items: while its interval straddles the cut."""

    confidence: float = 0.8
    max_extra: int = 4


def decision_can_change(terms: Sequence[Term], cut: float, upcoming: Sequence[ItemRange]) -> bool:
    """Could any answers to some first ``j`` of ``upcoming`` items move the score across the cut?

    The score is monotone in every item's points, so after ``j`` more items it
    lies between the all-least and all-most extremes; when, for every ``j``,
    both extremes sit on the side the score is on now, no continuation can change
    the decision and asking is pointless (curtailment).
    """
    now = meets(_score(terms), cut)
    low_terms = list(terms)
    high_terms = list(terms)
    for w, lo, hi in upcoming:
        low_terms.append((w, lo, lo, hi))
        high_terms.append((w, hi, lo, hi))
        if meets(_score(low_terms), cut) != now or meets(_score(high_terms), cut) != now:
            return True
    return False


def follow_up_wanted(
    terms: Sequence[Term], cut: float, rule: FollowUpRule, asked: int, upcoming: Sequence[ItemRange]
) -> bool:
    """Ask one more reserve item for this competency?

    Yes while fewer than ``rule.max_extra`` have been asked, an unseen reserve
    item is left, the interval at ``rule.confidence`` straddles the cut, and some
    answers to the items still allowed could change the decision.
    """
    budget = min(rule.max_extra - asked, len(upcoming))
    if budget <= 0 or len(terms) == 0:
        return False
    score = _score(terms)
    if not straddles(score_interval(score, conditional_sem(terms), rule.confidence), cut):
        return False
    return decision_can_change(terms, cut, upcoming[:budget])
