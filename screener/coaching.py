"""From a scorecard's gaps to a coaching plan. Pure.

Only competencies whose status is ``below`` contribute modules, so a candidate
is never sent to coaching for something they already meet.
"""

from __future__ import annotations

from dataclasses import dataclass

from screener.content import Assessment
from screener.scoring import Scorecard


@dataclass(frozen=True)
class PlanEntry:
    """One module of a plan, the gaps it addresses and the largest of them in POMP points."""

    module: str
    competencies: tuple[str, ...]
    gap: float


def build_plan(assessment: Assessment, scorecard: Scorecard) -> tuple[PlanEntry, ...]:
    """Modules for the below-cut competencies, each once, largest gap first.

    The plan is empty unless the outcome is ``coaching``: a pass goes on to the
    interview, an incomplete attempt is finished or retaken first.
    """
    if scorecard.outcome != "coaching":
        return ()
    below = sorted(
        (c for c in scorecard.competencies if c.status == "below"),
        key=lambda c: -c.gap,
    )
    covered: dict[str, list[str]] = {}
    gaps: dict[str, float] = {}
    for comp in below:
        for module in assessment.competency(comp.id).modules:
            covered.setdefault(module, []).append(comp.id)
            gaps[module] = max(gaps.get(module, 0.0), comp.gap)
    # sorted() is stable: equal gaps keep the order in which the competencies were met
    order = sorted(covered, key=lambda m: -gaps[m])
    return tuple(PlanEntry(m, tuple(covered[m]), gaps[m]) for m in order)
