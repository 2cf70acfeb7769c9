"""From a scorecard's gaps to a coaching plan. Pure.

Only competencies whose status is ``below`` contribute *required* modules, so a
candidate is never sent to coaching for something they already meet; with a
borderline rule, competencies whose status is ``borderline`` (close to the
level) contribute *recommended* modules, listed after the required ones.
"""

from __future__ import annotations

from dataclasses import dataclass

from screener.content import Assessment
from screener.scoring import CompetencyScore, Scorecard


@dataclass(frozen=True)
class PlanEntry:
    """One module of a plan, the gaps it addresses and the largest of them in POMP points."""

    module: str
    competencies: tuple[str, ...]
    gap: float
    required: bool = True


def build_plan(assessment: Assessment, scorecard: Scorecard) -> tuple[PlanEntry, ...]:
    """Required modules for the below-cut competencies, each once, largest gap first,
    then recommended modules for borderline ones not already required.

    The required part is empty unless the outcome is ``coaching``: a pass goes
    on to the interview, an incomplete attempt is finished or retaken first.
    """
    if scorecard.outcome == "incomplete":
        return ()
    required: tuple[PlanEntry, ...] = ()
    if scorecard.outcome == "coaching":
        required = _entries(
            assessment, [c for c in scorecard.competencies if c.status == "below"], True, set()
        )
    taken = {entry.module for entry in required}
    borderline = [c for c in scorecard.competencies if c.status == "borderline"]
    return required + _entries(assessment, borderline, False, taken)


def _entries(
    assessment: Assessment, comps: list[CompetencyScore], required: bool, taken: set[str]
) -> tuple[PlanEntry, ...]:
    below = sorted(comps, key=lambda c: -c.gap)
    covered: dict[str, list[str]] = {}
    gaps: dict[str, float] = {}
    for comp in below:
        for module in assessment.competency(comp.id).modules:
            if module in taken:
                continue
            covered.setdefault(module, []).append(comp.id)
            gaps[module] = max(gaps.get(module, 0.0), comp.gap)
    # sorted() is stable: equal gaps keep the order in which the competencies were met
    order = sorted(covered, key=lambda m: -gaps[m])
    return tuple(PlanEntry(m, tuple(covered[m]), gaps[m], required) for m in order)
