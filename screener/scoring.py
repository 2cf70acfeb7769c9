"""Item points, competency POMP scores, statuses and the outcome. Pure functions.

A competency's score is the weighted percent of maximum possible (POMP) over the
items that were answered: ``100 * sum(w * (p - pmin)) / sum(w * (pmax - pmin))``.
For equal-weight Likert items that equals ``(mean - min) / (max - min) * 100``,
the transform of what R psych's ``scoreItems(impute="none")`` reports.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

from screener.content import (
    AnyItem,
    Assessment,
    ChoiceItem,
    JudgementItem,
    LikertItem,
    NumericItem,
)
from screener.errors import AnswerError

Answer = str | int | float | None
Status = Literal["meets", "below", "incomplete"]
Outcome = Literal["pass", "coaching", "incomplete"]


@dataclass(frozen=True)
class CompetencyScore:
    """One competency's result; ``score`` is None when too few items were answered."""

    id: str
    score: float | None
    cut: float
    status: Status
    answered: int
    items: int

    @property
    def gap(self) -> float:
        """Points below the cut (0 unless the status is ``below``)."""
        if self.status != "below" or self.score is None:
            return 0.0
        return self.cut - self.score


@dataclass(frozen=True)
class Scorecard:
    """Everything scoring decides about one set of answers to one form."""

    assessment: str
    version: str
    form: str
    competencies: tuple[CompetencyScore, ...]
    outcome: Outcome
    overall: float | None
    points: Mapping[str, float | None]

    def competency(self, competency_id: str) -> CompetencyScore:
        for comp in self.competencies:
            if comp.id == competency_id:
                return comp
        raise KeyError(competency_id)


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


def pomp(terms: list[tuple[float, float, float, float]]) -> float | None:
    """Weighted POMP of ``(weight, points, pmin, pmax)`` terms; None when there are none."""
    if not terms:
        return None
    num = math.fsum(w * (p - lo) for w, p, lo, _ in terms)
    den = math.fsum(w * (hi - lo) for w, _, lo, hi in terms)
    return 100.0 * num / den


def status_of(score: float | None, cut: float) -> Status:
    if score is None:
        return "incomplete"
    return "meets" if score >= cut else "below"


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
    return ("pass" if all(c.status == "meets" for c in competencies) else "coaching"), overall


def score_form(
    assessment: Assessment, answers: Mapping[str, Answer], form: str | None = None
) -> Scorecard:
    """Score one candidate's answers to one form of an assessment."""
    form_name = form if form is not None else assessment.form_names()[0]
    if form_name not in assessment.form_names():
        raise KeyError(form_name)
    items = assessment.form_items(form_name)
    in_form = {item.id for item in items}
    for item_id in answers:
        if item_id not in in_form:
            raise AnswerError(item_id, answers[item_id], f"no such item in form {form_name}")
    points: dict[str, float | None] = {}
    terms: dict[str, list[tuple[float, float, float, float]]] = {}
    counts: dict[str, int] = {}
    for item in items:
        earned = item_points(assessment, item, answers.get(item.id))
        points[item.id] = earned
        counts[item.competency] = counts.get(item.competency, 0) + 1
        if earned is not None:
            low, high = point_range(assessment, item)
            terms.setdefault(item.competency, []).append((item.weight, earned, low, high))
    scores: list[CompetencyScore] = []
    for comp in assessment.competencies:
        total = counts.get(comp.id, 0)
        answered = len(terms.get(comp.id, []))
        enough = total > 0 and answered >= comp.min_answered * total - 1e-9
        score = pomp(terms.get(comp.id, [])) if enough else None
        scores.append(
            CompetencyScore(comp.id, score, comp.cut, status_of(score, comp.cut), answered, total)
        )
    frozen = tuple(scores)
    outcome, overall = decide(assessment, frozen)
    return Scorecard(assessment.id, assessment.version, form_name, frozen, outcome, overall, points)
