"""Deterministic synthetic candidates for demos, benchmarks and tests.

Each simulated person has a latent trait per competency (normal, mean 0.6 and
SD 1: applicants sit a little above the items' reference point; competencies
correlate through a general factor, r = 0.25 between any two). Answers follow
the trait:

* keyed choice and numeric items: right with probability
  ``logistic(1.7 * a * (trait - b))`` (a, b drawn per item); a wrong choice is
  any other option, a wrong number is off by more than the tolerance;
* Likert items: ``a * trait + noise`` cut at thresholds spread over the scale,
  then flipped for reverse-keyed items, so a higher trait scores higher;
* situational judgement: the option with the highest ``trait * a * z + noise``
  where ``z`` runs from -1 (fewest points) to +1 (most), so a higher trait picks
  better options more often.

About 2% of answers are missing. The same seed gives the same candidates, and
the first ``n`` candidates of a longer run are the same ``n`` (people are made
in fixed blocks, each from its own seeded stream).

With a borderline rule whose action is ``follow_up``, each candidate then
answers reserve items as ``take`` would ask them: ``scoring.next_follow_up``,
the one follow-up rule, picks them one at a time, and the answers come from
the same item model (drawn for every reserve item and person up front, after
the form's draws, so a candidate's form answers do not depend on the rule). A
follow-up item is never skipped. ``answers`` holds every reserve item, None
when it was not asked, so every row has the same columns.
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import TextIO

import numpy as np
import numpy.typing as npt

from screener.content import (
    AnyItem,
    Assessment,
    ChoiceItem,
    JudgementItem,
    LikertItem,
    NumericItem,
)
from screener.scoring import Answer, next_follow_up

MISSING = 0.02
BLOCK = 1024
GENERAL = 0.5  # loading of every competency on the general factor
POOL_MEAN = 0.6  # applicants sit a little above the items' reference point


@dataclass(frozen=True)
class SimulatedCandidate:
    """One synthetic candidate: id, name, latent traits and answers (None = missing)."""

    candidate_id: str
    name: str
    traits: dict[str, float]
    answers: dict[str, Answer]


@dataclass(frozen=True)
class _ItemModel:
    item: AnyItem
    competency: int
    a: float  # discrimination
    b: float  # difficulty / location


def simulate(
    assessment: Assessment, form: str | None, n: int, seed: int
) -> Iterator[SimulatedCandidate]:
    """``n`` synthetic candidates answering ``form`` (the first when None), ids ``sim-000001``…,
    and the follow-up items the follow-up rule asks them."""
    if n < 0:
        raise ValueError("n must be 0 or more")
    if seed < 0:
        raise ValueError("seed must be 0 or more")
    name = assessment.form(form)
    items = assessment.form_items(name)
    rule = assessment.decision.borderline
    follow_up = rule is not None and rule.action == "follow_up"
    reserve = assessment.reserve_items() if follow_up else []
    comp_ids = [c.id for c in assessment.competencies]
    where = {cid: m for m, cid in enumerate(comp_ids)}
    params = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(0,)))

    def model(item: AnyItem) -> _ItemModel:
        return _ItemModel(
            item,
            where[item.competency],
            float(params.uniform(0.8, 2.0)),
            float(params.normal(-0.5, 0.7)),
        )

    models = [model(item) for item in items]
    extra_models = [model(item) for item in reserve]  # drawn after the form's: those stay
    width = max(6, len(str(n)))
    for block in range(math.ceil(n / BLOCK)):
        rng = np.random.default_rng(np.random.SeedSequence(seed, spawn_key=(1, block)))
        general = rng.standard_normal(BLOCK)
        unique = rng.standard_normal((BLOCK, len(comp_ids)))
        traits = POOL_MEAN + GENERAL * general[:, None] + math.sqrt(1 - GENERAL**2) * unique
        columns = [
            _answer_column(assessment, model, traits[:, model.competency], rng) for model in models
        ]
        missing = rng.random((BLOCK, len(items))) < MISSING
        extra_columns = [
            _answer_column(assessment, model, traits[:, model.competency], rng)
            for model in extra_models
        ]
        count = min(BLOCK, n - block * BLOCK)
        trait_rows = traits[:count].tolist()
        for i in range(count):
            number = block * BLOCK + i + 1
            answers: dict[str, Answer] = {
                model.item.id: None if missing[i, j] else columns[j][i]
                for j, model in enumerate(models)
            }
            if reserve:
                planned = {
                    m.item.id: column[i]
                    for m, column in zip(extra_models, extra_columns, strict=True)
                }
                answers.update(dict.fromkeys(planned))
                while True:
                    item = next_follow_up(assessment, answers, name)
                    if item is None:
                        break
                    answers[item.id] = planned[item.id]
            yield SimulatedCandidate(
                candidate_id=f"sim-{number:0{width}d}",
                name=f"Candidate {number}",
                traits=dict(zip(comp_ids, trait_rows[i], strict=True)),
                answers=answers,
            )


def _logistic(x: npt.NDArray[np.float64]) -> npt.NDArray[np.float64]:
    return 1.0 / (1.0 + np.exp(-x))


def _answer_column(
    assessment: Assessment,
    model: _ItemModel,
    trait: npt.NDArray[np.float64],
    rng: np.random.Generator,
) -> list[Answer]:
    """One item's answers for a block of people (always the same draws per item kind)."""
    item = model.item
    size = len(trait)
    if isinstance(item, ChoiceItem | NumericItem):
        right = rng.random(size) < _logistic(1.7 * model.a * (trait - model.b))
        if isinstance(item, ChoiceItem):
            others = [o.id for o in item.options if o.id != item.key]
            wrong = rng.integers(0, len(others), size)
            return [
                item.key if r else others[w]
                for r, w in zip(right.tolist(), wrong.tolist(), strict=True)
            ]
        off = item.tolerance + max(1.0, abs(item.answer) * 0.1)
        sign = np.where(rng.random(size) < 0.5, -1.0, 1.0)
        wrong_values = [
            _tidy(item.answer + s * off * (1 + 0.5 * u))
            for s, u in zip(sign.tolist(), rng.random(size).tolist(), strict=True)
        ]
        correct = _tidy(item.answer)
        return [correct if r else w for r, w in zip(right.tolist(), wrong_values, strict=True)]
    if isinstance(item, LikertItem):
        scale = assessment.scale_of(item)
        steps = scale.max - scale.min
        cuts = np.linspace(-1.6, 1.6, steps) + model.b * 0.3
        latent = model.a * 0.7 * trait + rng.standard_normal(size)
        level = scale.min + (latent[:, None] > cuts[None, :]).sum(axis=1)
        if item.reverse:
            level = scale.min + scale.max - level
        return list(level.tolist())
    assert isinstance(item, JudgementItem)
    values = np.array([o.points for o in item.options], dtype=float)
    low, high = values.min(), values.max()
    z = 2 * (values - low) / (high - low) - 1 if high > low else np.zeros_like(values)
    utility = (1.2 * model.a) * trait[:, None] * z[None, :] + 0.6 * z[None, :]
    utility = utility + rng.gumbel(size=(size, len(values)))
    chosen = utility.argmax(axis=1)
    ids = [o.id for o in item.options]
    return [ids[c] for c in chosen.tolist()]


def _tidy(value: float) -> int | float:
    rounded = round(value, 4)
    return int(rounded) if float(rounded).is_integer() else rounded


def _cell(answer: Answer) -> str:
    if answer is None:
        return ""
    if isinstance(answer, float) and answer.is_integer():
        return str(int(answer))
    return str(answer)


def write_csv(
    rows: Iterable[SimulatedCandidate], fh: TextIO, items: Sequence[str] | None = None
) -> int:
    """Write ``candidate_id,name,<item ids>`` rows (the items of the first row unless given).

    Missing answers are empty cells; the file reads back with ``read_table``.
    Returns the number of candidates written.
    """
    writer = csv.writer(fh, lineterminator="\n")
    columns = list(items) if items is not None else None
    count = 0
    for row in rows:
        if columns is None:
            columns = list(row.answers)
        if count == 0:
            writer.writerow(["candidate_id", "name", *columns])
        writer.writerow([row.candidate_id, row.name, *(_cell(row.answers.get(c)) for c in columns)])
        count += 1
    if count == 0 and columns is not None:
        writer.writerow(["candidate_id", "name", *columns])
    return count
