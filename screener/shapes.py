"""The JSON shapes the outside world sees (``--json`` output, exports).

One place builds them so every command prints an attempt the same way; floats
are kept at full precision.
"""

from __future__ import annotations

from typing import Any

from screener.coaching import PlanEntry
from screener.scoring import Scorecard


def plan_json(plan: tuple[PlanEntry, ...]) -> list[dict[str, Any]]:
    return [{"module": e.module, "competencies": list(e.competencies), "gap": e.gap} for e in plan]


def scorecard_json(scorecard: Scorecard, plan: tuple[PlanEntry, ...]) -> dict[str, Any]:
    """The scoring part of an attempt: assessment, form, outcome, competencies, plan."""
    return {
        "assessment": scorecard.assessment,
        "version": scorecard.version,
        "form": scorecard.form,
        "outcome": scorecard.outcome,
        "competencies": {
            c.id: {
                "score": c.score,
                "cut": c.cut,
                "status": c.status,
                "answered": c.answered,
                "items": c.items,
            }
            for c in scorecard.competencies
        },
        "plan": plan_json(plan),
    }


def attempt_json(
    *,
    attempt_id: str | None,
    candidate_id: str | None,
    name: str | None,
    submitted_at: str | None,
    scorecard: Scorecard,
    plan: tuple[PlanEntry, ...],
) -> dict[str, Any]:
    """An attempt as documented in docs/format.md."""
    head: dict[str, Any] = {
        "attempt_id": attempt_id,
        "candidate_id": candidate_id,
        "name": name,
    }
    body = scorecard_json(scorecard, plan)
    return {
        **head,
        "assessment": body["assessment"],
        "version": body["version"],
        "form": body["form"],
        "submitted_at": submitted_at,
        "outcome": body["outcome"],
        "competencies": body["competencies"],
        "plan": body["plan"],
    }
