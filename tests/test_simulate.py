"""Synthetic candidates: deterministic, plausible, and readable back as a batch file."""

from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pytest
from content_fixtures import bfi, tiny
from helpers import ROOT
from vector_reference import encoded_answers

from screener.answers import normalise
from screener.catalog import check_file
from screener.content import Assessment, LikertItem
from screener.errors import NotFoundError
from screener.importing import read_table
from screener.scoring import score_form
from screener.simulate import SimulatedCandidate, simulate, write_csv
from screener.vectorscore import encode


def screening() -> Assessment:
    checked = check_file(ROOT / "assessments" / "wblc-screening.yaml")
    assert isinstance(checked.model, Assessment), checked.problems
    return checked.model


def test_same_seed_same_candidates_other_seed_others() -> None:
    a = screening()
    first = list(simulate(a, "A", 300, seed=1))
    again = list(simulate(a, "A", 300, seed=1))
    other = list(simulate(a, "A", 300, seed=2))
    assert first == again
    assert [p.answers for p in first] != [p.answers for p in other]
    assert [p.candidate_id for p in first] == [p.candidate_id for p in other]


def test_a_longer_run_starts_with_the_shorter_one() -> None:
    a = tiny()
    short = list(simulate(a, "B", 100, seed=9))
    long = list(simulate(a, "B", 2100, seed=9))  # crosses two block boundaries
    assert long[:100] == short
    assert len(long) == 2100 and len({p.candidate_id for p in long}) == 2100


def test_ids_names_and_traits() -> None:
    a = tiny()
    people = list(simulate(a, None, 3, seed=0))
    assert [p.candidate_id for p in people] == ["sim-000001", "sim-000002", "sim-000003"]
    assert [p.name for p in people] == ["Candidate 1", "Candidate 2", "Candidate 3"]
    assert set(people[0].traits) == {c.id for c in a.competencies}
    assert list(people[0].answers) == [i.id for i in a.form_items("A")]
    assert list(simulate(a, "A", 0, seed=0)) == []
    big = simulate(a, "A", 1_234_567, seed=0)
    assert next(big).candidate_id == "sim-0000001"  # ids stay sortable


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="n must"):
        list(simulate(tiny(), "A", -1, seed=0))
    with pytest.raises(ValueError, match="seed must"):
        list(simulate(tiny(), "A", 1, seed=-1))
    with pytest.raises(NotFoundError):
        list(simulate(tiny(), "Z", 1, seed=0))


@pytest.mark.parametrize("form", ["A", "B"])
def test_answers_are_valid_and_about_two_percent_missing(form: str) -> None:
    a = screening()
    items = {i.id: i for i in a.form_items(form)}
    reserve = {i.id: i for i in a.reserve_items()}
    people = list(simulate(a, form, 2000, seed=11))
    missing = 0
    for person in people:
        for item_id, answer in person.answers.items():
            if answer is None:
                missing += item_id in items  # a reserve item left None was not asked
            else:
                item = items.get(item_id) or reserve[item_id]
                assert normalise(a, item, answer) == answer
        score_form(a, person.answers, form)  # raises on anything invalid
    share = missing / (len(people) * len(items))
    assert 0.015 < share < 0.025


def test_answers_follow_the_trait() -> None:
    a = screening()
    people = list(simulate(a, "A", 3000, seed=5))
    cards = [score_form(a, p.answers, "A") for p in people]
    for m, comp in enumerate(a.competencies):
        pairs = [
            (p.traits[comp.id], c.competencies[m].score)
            for p, c in zip(people, cards, strict=True)
            if c.competencies[m].score is not None
        ]
        traits, scores = np.array(pairs).T
        assert np.corrcoef(traits, scores)[0, 1] > 0.4, comp.id
    outcomes = {c.outcome for c in cards}
    assert outcomes == {"pass", "coaching", "incomplete"}


def test_reverse_keyed_likert_answers_fall_as_the_trait_rises() -> None:
    a = bfi()
    people = list(simulate(a, None, 3000, seed=4))
    for item in a.items:
        assert isinstance(item, LikertItem)
        pairs = [
            (p.traits[item.competency], p.answers[item.id])
            for p in people
            if p.answers[item.id] is not None
        ]
        traits, answers = np.array(pairs, dtype=float).T
        r = np.corrcoef(traits, answers)[0, 1]
        assert (r < -0.2) if item.reverse else (r > 0.2), (item.id, r)
        assert answers.min() >= 1 and answers.max() <= 6


def test_write_csv_reads_back(tmp_path: Path) -> None:
    a = tiny()
    people = list(simulate(a, "A", 50, seed=3))
    buffer = io.StringIO()
    assert write_csv(people, buffer) == 50
    text = buffer.getvalue()
    assert text.splitlines()[0] == "candidate_id,name,m1,m2,t1,t2,s1"
    path = tmp_path / "sim.csv"
    path.write_text(text, encoding="utf-8")
    table = read_table(path)
    assert table.ids == [p.candidate_id for p in people]
    assert table.names == [p.name for p in people]
    encoded = encode(a, "A", table)
    assert encoded.errors == ()
    for i, person in enumerate(people):
        assert encoded_answers(encoded, i) == person.answers


def test_write_csv_with_no_rows_writes_the_header_when_items_are_given() -> None:
    buffer = io.StringIO()
    rows: list[SimulatedCandidate] = []
    assert write_csv(rows, buffer, items=["t1", "t2"]) == 0
    assert buffer.getvalue() == "candidate_id,name,t1,t2\n"


def test_follow_up_items_are_asked_by_the_one_rule_and_read_back(tmp_path: Path) -> None:
    """On the six-item assessment (action follow_up) simulated candidates answer the
    reserve items ``next_follow_up`` asks, no others; the file reads back with them and
    the batch path scores it as ``score_form`` does."""
    from content_fixtures import load_assessment
    from vector_reference import row_scorecard

    from screener.scoring import next_follow_up
    from screener.vectorscore import score_points

    a = load_assessment("measure/sixitem.yaml")
    reserve = [i.id for i in a.reserve_items()]
    people = list(simulate(a, "A", 400, seed=5))
    assert people == list(simulate(a, "A", 400, seed=5))
    asked = 0
    for person in people:
        assert list(person.answers)[-len(reserve) :] == reserve
        given = [i for i in reserve if person.answers[i] is not None]
        asked += len(given)
        # replaying the rule on the form's answers asks exactly these, in this order
        replay = {k: v for k, v in person.answers.items() if k not in reserve}
        replay.update(dict.fromkeys(reserve))
        order = []
        while (item := next_follow_up(a, replay, "A")) is not None:
            order.append(item.id)
            replay[item.id] = person.answers[item.id]
        assert order == given
        assert len(given) <= 4  # max_extra
    assert asked > 0
    # the form's answers do not depend on the rule
    plain = a.model_copy(update={"decision": a.decision.model_copy(update={"borderline": None})})
    same = list(simulate(plain, "A", 400, seed=5))
    assert [{k: p.answers[k] for k in q.answers} for p, q in zip(people, same, strict=True)] == [
        q.answers for q in same
    ]
    path = tmp_path / "six.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        write_csv(people, fh)
    encoded = encode(a, "A", read_table(path))
    assert encoded.errors == ()
    scores = score_points(a, "A", encoded.points)
    for i, person in enumerate(people):
        assert encoded_answers(encoded, i) == person.answers
        assert row_scorecard(a, "A", scores, i) == score_form(a, person.answers, "A")
