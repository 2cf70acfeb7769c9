"""The JSON shapes the outside world sees (``--json`` output, exports).

One place builds them so every command prints an attempt the same way: the
keys and their order are written here once (``attempt_shape``,
``competency_json``, ``plan_entry_json``), whether the values come from a
scorecard (``attempt_json``, ``scorecard_json``) or straight from the store's
arrays (``AttemptRecord.to_json``). Floats are kept at full precision.

Keys that only a borderline rule gives are left out when they say nothing:
``interval`` and ``near_cut`` appear when the score has an interval, ``extra``
when follow-up items were asked, and ``required: false`` marks a recommended
plan entry (an entry without it is required). See docs/format.md.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from screener.coaching import PlanEntry
from screener.scoring import CompetencyScore, Scorecard


def competency_json(
    score: float | None,
    cut: float,
    status: str,
    answered: int,
    items: int,
    interval: tuple[float, float] | None = None,
    near_cut: bool = False,
    extra: Iterable[str] = (),
) -> dict[str, Any]:
    """One competency's result."""
    out: dict[str, Any] = {
        "score": score,
        "cut": cut,
        "status": status,
        "answered": answered,
        "items": items,
    }
    if interval is not None:
        out["interval"] = [interval[0], interval[1]]
        out["near_cut"] = near_cut
    asked = list(extra)
    if asked:
        out["extra"] = asked
    return out


def plan_entry_json(
    module: str, competencies: Iterable[str], gap: float, required: bool = True
) -> dict[str, Any]:
    """One plan entry; ``required: false`` only on a recommended one."""
    out: dict[str, Any] = {"module": module, "competencies": list(competencies), "gap": gap}
    if not required:
        out["required"] = False
    return out


def plan_json(plan: tuple[PlanEntry, ...]) -> list[dict[str, Any]]:
    return [plan_entry_json(e.module, e.competencies, e.gap, e.required) for e in plan]


def competencies_json(comps: Iterable[CompetencyScore]) -> dict[str, dict[str, Any]]:
    return {
        c.id: competency_json(
            c.score, c.cut, c.status, c.answered, c.items, c.interval, c.near_cut, c.extra
        )
        for c in comps
    }


def scorecard_json(scorecard: Scorecard, plan: tuple[PlanEntry, ...]) -> dict[str, Any]:
    """The scoring part of an attempt: assessment, form, outcome, competencies, plan
    (``screener score --json``: the attempt shape without candidate and attempt fields)."""
    full = attempt_json(
        attempt_id=None,
        candidate_id=None,
        name=None,
        submitted_at=None,
        scorecard=scorecard,
        plan=plan,
    )
    return {
        key: full[key]
        for key in ("assessment", "version", "form", "outcome", "competencies", "plan")
    }


def attempt_shape(
    *,
    attempt_id: str | None,
    candidate_id: str | None,
    name: str | None,
    assessment: str,
    version: str,
    form: str,
    submitted_at: str | None,
    outcome: str,
    competencies: Mapping[str, dict[str, Any]],
    plan: list[dict[str, Any]],
) -> dict[str, Any]:
    """An attempt as documented in docs/format.md, from its parts (the one key order)."""
    return {
        "attempt_id": attempt_id,
        "candidate_id": candidate_id,
        "name": name,
        "assessment": assessment,
        "version": version,
        "form": form,
        "submitted_at": submitted_at,
        "outcome": outcome,
        "competencies": dict(competencies),
        "plan": plan,
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
    """An attempt as documented in docs/format.md, from a scorecard and its plan."""
    return attempt_shape(
        attempt_id=attempt_id,
        candidate_id=candidate_id,
        name=name,
        assessment=scorecard.assessment,
        version=scorecard.version,
        form=scorecard.form,
        submitted_at=submitted_at,
        outcome=scorecard.outcome,
        competencies=competencies_json(scorecard.competencies),
        plan=plan_json(plan),
    )
