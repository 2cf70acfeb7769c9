"""From a scorecard's gaps to a coaching plan. Pure.

Only competencies whose status is ``below`` contribute *required* modules, so a
candidate is never sent to coaching for something they already meet; with a
borderline rule, competencies whose status is ``borderline`` (close to the
level) contribute *recommended* modules, listed after the required ones.

``plan_rows`` is the rule, on plain per-competency lists: ``build_plan`` (a
scorecard), the store (stored status letters and scores, when it rebuilds a
plan it did not store) and ``vectorscore.plans`` (one call per distinct row
of a batch) all call it, so there is one copy of it. ``plan_modules`` (the
module ids alone, for exports) and ``plan_has_module`` (a filter) are fast
copies beside it, each tested equal to it. The store keeps the
plans of stored attempts by this rule: a change to what it returns for
statuses that are already stored needs a schema migration that writes the
earlier plans out (docs/store.md); ``tests/test_store.py`` pins its output.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # annotations only: a stored plan is read (``show``, ``report``, the
    # store's module filter) without the content models, so without pydantic
    from screener.content import Assessment
    from screener.scoring import Scorecard

#: One plan entry as plain values: module, the competencies it addresses, the
#: largest of their gaps (POMP points) and whether it is required.
PlanRow = tuple[str, tuple[str, ...], float, bool]


@dataclass(frozen=True)
class PlanEntry:
    """One module of a plan, the gaps it addresses and the largest of them in POMP points.

    ``required`` is False for a module recommended for borderline competencies.
    """

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
    comps = scorecard.competencies
    rows = plan_rows(
        scorecard.outcome,
        [c.id for c in comps],
        [c.status for c in comps],
        [c.gap for c in comps],
        [assessment.competency(c.id).modules for c in comps],
    )
    return tuple(PlanEntry(*row) for row in rows)


def plan_rows(
    outcome: str | None,
    competencies: Sequence[str],
    statuses: Sequence[str],
    gaps: Sequence[float],
    modules: Sequence[Sequence[str]],
) -> list[PlanRow]:
    """The plan rule on plain lists, one entry per competency in scorecard order: its
    id, status, gap (``CompetencyScore.gap``) and coaching modules.

    Nothing for an ``incomplete`` outcome (or None: not scored). Required: with a
    ``coaching`` outcome, the modules of the ``below`` competencies, visited largest
    gap first (a stable sort: ties keep competency order); each module once, with the
    competencies it covers in the order met and the largest of their gaps; modules
    ordered by that gap, largest first (stable over the order first met).
    Recommended: the same for ``borderline`` competencies, leaving out modules
    already required.
    """
    if outcome is None or outcome == "incomplete":
        return []
    required: list[PlanRow] = []
    if outcome == "coaching":
        below = [n for n, status in enumerate(statuses) if status == "below"]
        required = _entries(competencies, gaps, modules, below, True, set())
    borderline = [n for n, status in enumerate(statuses) if status == "borderline"]
    if not borderline:
        return required
    taken = {row[0] for row in required}
    return required + _entries(competencies, gaps, modules, borderline, False, taken)


def _entries(
    competencies: Sequence[str],
    gaps: Sequence[float],
    modules: Sequence[Sequence[str]],
    chosen: list[int],
    required: bool,
    taken: set[str],
) -> list[PlanRow]:
    chosen.sort(key=lambda n: -gaps[n])  # stable: equal gaps keep competency order
    covered: dict[str, list[str]] = {}
    most: dict[str, float] = {}
    for n in chosen:
        for module in modules[n]:
            if module in taken:
                continue
            covered.setdefault(module, []).append(competencies[n])
            most[module] = max(most.get(module, 0.0), gaps[n])
    # sorted() is stable: equal gaps keep the order in which the modules were met
    order = sorted(covered, key=lambda m: -most[m])
    return [(m, tuple(covered[m]), most[m], required) for m in order]


def plan_modules(
    outcome: str | None,
    statuses: Sequence[str],
    gaps: Sequence[float],
    modules: Sequence[Sequence[str]],
) -> list[str]:
    """The module ids ``plan_rows`` lists, in its order, found faster (exports and
    listings; a fast copy tested equal to ``plan_rows`` with hypothesis).

    Visiting the competencies largest gap first (stably), a module's first
    competency already has its largest gap, so the order modules are first met
    in is the order ``plan_rows`` sorts them into; required before recommended,
    and a module met again (already required) is not listed twice.
    """
    if outcome is None or outcome == "incomplete":
        return []
    below = [n for n, s in enumerate(statuses) if s == "below"] if outcome == "coaching" else []
    borderline = [n for n, s in enumerate(statuses) if s == "borderline"]
    below.sort(key=lambda n: -gaps[n])
    borderline.sort(key=lambda n: -gaps[n])
    return list(dict.fromkeys(m for n in [*below, *borderline] for m in modules[n]))


def plan_has_module(outcome: str | None, statuses: Iterable[str]) -> bool:
    """Whether ``plan_rows`` lists a module, given the statuses of the competencies it
    coaches (a filter's shortcut: no plan is built).

    Every module of a ``below`` competency is required when the outcome is
    ``coaching``, and every module of a ``borderline`` one is required or
    recommended unless the outcome is incomplete; no other competency adds one.
    """
    if outcome is None or outcome == "incomplete":
        return False
    coaching = outcome == "coaching"
    return any(s == "borderline" or (coaching and s == "below") for s in statuses)
