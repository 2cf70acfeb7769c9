"""Item points, competency POMP scores, statuses and the outcome. Pure functions.

A competency's score is the weighted percent of maximum possible (POMP) over the
items that were answered: ``100 * sum(w * (p - pmin)) / sum(w * (pmax - pmin))``.
For equal-weight Likert items that equals ``(mean - min) / (max - min) * 100``,
the transform of what R psych's ``scoreItems(impute="none")`` reports.
"""

from __future__ import annotations

import math
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from screener.content import (
    AnyItem,
    Assessment,
    Borderline,
    ChoiceItem,
    JudgementItem,
    LikertItem,
    NumericItem,
)
from screener.errors import AnswerError
from screener.measurement import (
    FollowUpRule,
    ItemRange,
    Term,
    conditional_sem,
    follow_up_wanted,
    pomp,
    score_interval,
    straddles,
)

# the scorecard is plain data that rendering a stored attempt reads without the content
# models (pydantic): it is defined in ``screener.scorecard``
from screener.scorecard import Answer as Answer
from screener.scorecard import CompetencyScore as CompetencyScore
from screener.scorecard import Outcome as Outcome
from screener.scorecard import Scorecard as Scorecard
from screener.scorecard import Status as Status


def point_range(assessment: Assessment, item: AnyItem) -> tuple[float, float]:
    """The least and most points an answer to ``item`` can earn."""
    if isinstance(item, ChoiceItem | NumericItem):
        return 0.0, float(item.points)
    if isinstance(item, JudgementItem):
        values = [option.points for option in item.options]
        return float(min(values)), float(max(values))
    scale = assessment.scale_of(item)
    return float(scale.min), float(scale.max)


def _is_number(value: object) -> bool:
    """A real, finite-sized number: not a bool, and an int that fits a float."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        float(value)
    except OverflowError:
        return False
    return True


def item_points(assessment: Assessment, item: AnyItem, answer: Answer) -> float | None:
    """Points for one answer; None when unanswered. Bad answers raise ``AnswerError``."""
    if answer is None:
        return None
    if isinstance(item, ChoiceItem | JudgementItem):
        if not isinstance(answer, str):
            raise AnswerError(item.id, answer, "expected an option id")
        for option in item.options:
            if option.id == answer:
                if isinstance(item, ChoiceItem):
                    return float(item.points) if answer == item.key else 0.0
                return float(option.points)  # type: ignore[attr-defined]
        valid = ", ".join(option.id for option in item.options)
        raise AnswerError(item.id, answer, f"not an option (options: {valid})")
    if isinstance(item, LikertItem):
        scale = assessment.scale_of(item)
        if not _is_number(answer) or not float(answer).is_integer():
            raise AnswerError(item.id, answer, f"expected a whole number {scale.min}..{scale.max}")
        value = int(answer)
        if not scale.min <= value <= scale.max:
            raise AnswerError(item.id, answer, f"out of range {scale.min}..{scale.max}")
        return float(reverse(value, scale.min, scale.max) if item.reverse else value)
    if not _is_number(answer) or not math.isfinite(float(answer)):
        raise AnswerError(item.id, answer, "expected a number")
    # the tiny slack keeps 2.1 - 2.0 <= 0.1 true despite binary floating point
    slack = 1e-9 * max(1.0, abs(item.answer))
    return float(item.points) if abs(float(answer) - item.answer) <= item.tolerance + slack else 0.0


def reverse(value: int, low: int, high: int) -> int:
    """Reverse-key a rating on a ``low..high`` scale."""
    return low + high - value


def status_of(score: float | None, cut: float) -> Status:
    """The status without a borderline rule: the score against the cut."""
    if score is None:
        return "incomplete"
    return "meets" if score >= cut else "below"


def borderline_status(score: float, cut: float, near_cut: bool, rule: Borderline) -> Status:
    """The status under a borderline rule, for a score whose interval does (not) straddle the cut.

    ``gap`` makes every near-cut score a gap; ``recommend`` makes it borderline;
    ``follow_up`` has asked what it could, so the score decides a near-cut
    result below the cut and a near-cut result at or above it is borderline.
    """
    plain = status_of(score, cut)
    if not near_cut:
        return plain
    if rule.action == "gap":
        return "below"
    if rule.action == "recommend":
        return "borderline"
    return "below" if plain == "below" else "borderline"


def decide(
    assessment: Assessment, competencies: tuple[CompetencyScore, ...]
) -> tuple[Outcome, float | None]:
    """The outcome and, when every competency is scored, the mean competency score."""
    if any(c.status == "incomplete" for c in competencies):
        return "incomplete", None
    overall = math.fsum(c.score for c in competencies if c.score is not None) / len(competencies)
    rule = assessment.decision
    if rule.rule == "compensatory":
        cut = rule.overall_cut if rule.overall_cut is not None else 0.0
        return ("pass" if overall >= cut else "coaching"), overall
    return ("pass" if all(c.status != "below" for c in competencies) else "coaching"), overall


def score_form(
    assessment: Assessment, answers: Mapping[str, Answer], form: str | None = None
) -> Scorecard:
    """Score one candidate's answers to one form of an assessment.

    ``answers`` may also hold answers to reserve items (asked as follow-up
    items); they count towards their competency's score, and a reserve item
    left None was not asked.
    """
    form_name = assessment.form(form)
    items = assessment.form_items(form_name)
    in_form = {item.id for item in items}
    reserve = {item.id: item for item in assessment.reserve_items()}
    for item_id in answers:
        if item_id not in in_form and item_id not in reserve:
            raise AnswerError(item_id, answers[item_id], f"no such item in form {form_name}")
    asked = [reserve[i] for i in reserve if answers.get(i) is not None]
    points: dict[str, float | None] = {}
    terms: dict[str, list[Term]] = {}
    counts: dict[str, int] = {}
    extra: dict[str, list[str]] = {}
    for item in items:
        counts[item.competency] = counts.get(item.competency, 0) + 1
    for item in [*items, *asked]:
        earned = item_points(assessment, item, answers.get(item.id))
        points[item.id] = earned
        if item.id in reserve:
            extra.setdefault(item.competency, []).append(item.id)
        if earned is not None:
            low, high = point_range(assessment, item)
            terms.setdefault(item.competency, []).append((item.weight, earned, low, high))
    rule = assessment.decision.borderline
    scores: list[CompetencyScore] = []
    for comp in assessment.competencies:
        total = counts.get(comp.id, 0)
        mine = terms.get(comp.id, [])
        answered = len(mine)
        enough = total > 0 and answered >= comp.min_answered * total - 1e-9
        score = pomp(mine) if enough else None
        asked_here = tuple(extra.get(comp.id, ()))
        if rule is None or score is None:
            scores.append(
                CompetencyScore(
                    comp.id,
                    score,
                    comp.cut,
                    status_of(score, comp.cut),
                    answered,
                    total + len(asked_here),
                    extra=asked_here,
                )
            )
            continue
        interval = score_interval(score, conditional_sem(mine), rule.confidence)
        near = straddles(interval, comp.cut)
        status = borderline_status(score, comp.cut, near, rule)
        scores.append(
            CompetencyScore(
                comp.id,
                score,
                comp.cut,
                status,
                answered,
                total + len(asked_here),
                interval,
                near,
                asked_here,
            )
        )
    frozen = tuple(scores)
    outcome, overall = decide(assessment, frozen)
    return Scorecard(assessment.id, assessment.version, form_name, frozen, outcome, overall, points)


@dataclass(frozen=True)
class _FollowUpItems:
    """What ``next_follow_up`` needs of one form, worked out once: per competency with
    reserve items, its items (form and reserve) with their point ranges, and its
    reserve items in order."""

    items: dict[str, list[tuple[AnyItem, float, float]]]
    reserve: dict[str, list[tuple[AnyItem, float, float]]]


_FOLLOW_UP_CACHE: dict[tuple[int, str], tuple[Assessment, _FollowUpItems]] = {}


def _follow_up_items(assessment: Assessment, form: str) -> _FollowUpItems:
    """``_FollowUpItems`` of a form, memoised by the assessment's identity (a few kept;
    the entry holds the assessment, so its id is not reused while cached)."""
    key = (id(assessment), form)
    found = _FOLLOW_UP_CACHE.get(key)
    if found is not None and found[0] is assessment:
        return found[1]
    reserve: dict[str, list[tuple[AnyItem, float, float]]] = {}
    for item in assessment.reserve_items():
        reserve.setdefault(item.competency, []).append((item, *point_range(assessment, item)))
    items: dict[str, list[tuple[AnyItem, float, float]]] = {c: [] for c in reserve}
    for item in [*assessment.form_items(form), *assessment.reserve_items()]:
        if item.competency in items:
            items[item.competency].append((item, *point_range(assessment, item)))
    made = _FollowUpItems(items, reserve)
    if len(_FOLLOW_UP_CACHE) >= 8:
        _FOLLOW_UP_CACHE.clear()
    _FOLLOW_UP_CACHE[key] = (assessment, made)
    return made


def next_follow_up(
    assessment: Assessment,
    answers: Mapping[str, Answer],
    form: str,
    seen: Collection[str] = (),
) -> AnyItem | None:
    """The next reserve item to ask, or None when the screening is over.

    The one follow-up rule (``take``, ``simulate`` and ``evaluate`` all call
    it): competencies in the assessment's order; for each, its unseen, unasked
    reserve items in reserve order while ``measurement.follow_up_wanted``.
    ``seen`` holds items the candidate met in earlier attempts: never asked again.
    """
    rule = assessment.decision.borderline
    if rule is None or rule.action != "follow_up" or not assessment.reserve:
        return None
    if not assessment.form_items(form):
        return None
    follow = FollowUpRule(rule.confidence, rule.max_extra)
    prepared = _follow_up_items(assessment, form)
    for comp in assessment.competencies:
        mine = prepared.reserve.get(comp.id)
        if not mine:
            continue
        asked = 0
        ranges: list[ItemRange] = []
        upcoming: list[AnyItem] = []
        for item, low, high in mine:
            if answers.get(item.id) is not None:
                asked += 1
            elif item.id not in seen:
                upcoming.append(item)
                ranges.append((item.weight, low, high))
        if not upcoming or asked >= follow.max_extra:
            continue
        terms: list[Term] = []
        for item, low, high in prepared.items[comp.id]:
            earned = item_points(assessment, item, answers.get(item.id))
            if earned is not None:
                terms.append((item.weight, earned, low, high))
        if follow_up_wanted(terms, comp.cut, follow, asked, ranges):
            return upcoming[0]
    return None
