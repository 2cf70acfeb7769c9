"""What scoring decides about one set of answers, as plain data (``screener.scoring``
decides it).

Kept apart from the scoring functions, which work on the content models: a stored
attempt is read back as a ``Scorecard`` (``store.records``) and rendered by ``show``
and ``report`` without importing the content models, so without pydantic.
``screener.scoring`` re-exports every name here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal

Answer = str | int | float | None
Status = Literal["meets", "below", "borderline", "incomplete"]
Outcome = Literal["pass", "coaching", "incomplete"]


@dataclass(frozen=True)
class CompetencyScore:
    """One competency's result; ``score`` is None when too few items were answered.

    ``status`` is the decision: ``below`` is a gap (its modules are required),
    ``borderline`` is close to the level (its modules are recommended). With a
    borderline rule, ``interval`` is the score's interval at the rule's
    confidence and ``near_cut`` says it straddled the cut (a ``below`` can be
    near the cut too, after follow-up items or with ``action: gap``);
    ``extra`` lists the reserve items asked.
    """

    id: str
    score: float | None
    cut: float
    status: Status
    answered: int
    items: int
    interval: tuple[float, float] | None = None
    near_cut: bool = False
    extra: tuple[str, ...] = ()

    @property
    def gap(self) -> float:
        """Points below the cut (0 unless the status is ``below`` or ``borderline``)."""
        if self.status not in ("below", "borderline") or self.score is None:
            return 0.0
        return max(0.0, self.cut - self.score)


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
