"""Batch results turned back into what the scalar path returns, for equality tests.

Moved out of ``screener.vectorscore`` (the product never needs them): a row of
``Scores`` as the ``Scorecard`` that ``scoring.score_form`` would return, and a
row of ``Encoded`` as the answers dictionary ``score_form`` takes. Plain and
slow on purpose: they are what the fast path is compared with.
"""

from __future__ import annotations

import math

from screener.content import Assessment
from screener.scoring import Answer, CompetencyScore, Scorecard
from screener.vectorscore import OUTCOMES, STATUSES, Encoded, Scores


def encoded_answers(encoded: Encoded, i: int) -> dict[str, Answer]:
    """Good row ``i``'s answers as ``score_form`` takes them: every form item (None =
    unanswered), then every reserve item (None = not asked)."""
    columns = encoded.answer_codes()
    ids = [*encoded.item_ids, *encoded.reserve_ids]
    return {
        item_id: values[int(codes[i])]
        for item_id, (codes, values) in zip(ids, columns, strict=True)
    }


def row_scorecard(assessment: Assessment, form: str | None, scores: Scores, i: int) -> Scorecard:
    """Row ``i`` of ``scores`` as the ``Scorecard`` that ``scoring.score_form`` would return."""
    name = assessment.form(form if form is not None else scores.form)
    if name != scores.form:
        raise ValueError(f"these scores are of form {scores.form}, not {name}")
    extra = scores.extra(i)
    comps = []
    for m, cid in enumerate(scores.competencies):
        value = float(scores.score[i, m])
        interval = None
        if scores.low is not None and scores.high is not None:
            low, high = float(scores.low[i, m]), float(scores.high[i, m])
            interval = None if math.isnan(low) else (low, high)
        comps.append(
            CompetencyScore(
                cid,
                None if math.isnan(value) else value,
                assessment.competencies[m].cut,
                STATUSES[int(scores.status[i, m])],
                int(scores.answered[i, m]),
                int(scores.items[m]) + len(extra[m]),
                interval,
                bool(scores.near[i, m]) if scores.near is not None else False,
                extra[m],
            )
        )
    overall = float(scores.overall[i])
    points: dict[str, float | None] = {}
    for j, (item_id, p) in enumerate(zip(scores.item_ids, scores.points[i].tolist(), strict=True)):
        if j < scores.form_width or not math.isnan(p):  # reserve items: only those asked
            points[item_id] = None if math.isnan(p) else p
    return Scorecard(
        assessment.id,
        assessment.version,
        name,
        tuple(comps),
        OUTCOMES[int(scores.outcome[i])],
        None if math.isnan(overall) else overall,
        points,
    )


def scorecards(assessment: Assessment, scores: Scores) -> list[Scorecard]:
    """``row_scorecard`` of every row."""
    return [row_scorecard(assessment, None, scores, i) for i in range(len(scores))]
