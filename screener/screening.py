"""Score one candidate's answers and plan their coaching: the one call every caller makes.

``score``, ``take --answers``, the interactive ``take`` and ``evaluate`` all go
through ``score_answers``, so "score, then plan from that scorecard" is written
once. Pure: it only imports scoring and coaching.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from screener.coaching import PlanEntry, build_plan
from screener.scoring import Answer, Scorecard, score_form

if TYPE_CHECKING:
    from screener.content import Assessment

Plan = tuple[PlanEntry, ...]

__all__ = ["Plan", "score_answers"]


def score_answers(
    assessment: Assessment, form: str, answers: Mapping[str, Answer]
) -> tuple[Scorecard, Plan]:
    """The scorecard of ``answers`` to ``form`` (reserve items' answers included) and
    the coaching plan built from it."""
    card = score_form(assessment, answers, form)
    return card, build_plan(assessment, card)
