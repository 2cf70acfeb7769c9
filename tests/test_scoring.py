"""Unit tests of item points, POMP, statuses, outcomes and the coaching plan."""

from __future__ import annotations

import math

import pytest
from content_fixtures import tiny

from screener.coaching import build_plan
from screener.content import Assessment, Decision
from screener.errors import AnswerError, NotFoundError
from screener.scoring import item_points, pomp, score_form


def item(a: Assessment, item_id: str):  # type: ignore[no-untyped-def]
    return next(i for i in a.items if i.id == item_id)


def test_choice_points_key_or_zero() -> None:
    a = tiny()
    assert item_points(a, item(a, "m1"), "b") == 1.0
    assert item_points(a, item(a, "m1"), "a") == 0.0
    assert item_points(a, item(a, "m1"), None) is None


def test_likert_value_and_reverse() -> None:
    a = tiny()
    assert item_points(a, item(a, "t1"), 4) == 4.0
    assert item_points(a, item(a, "t2"), 4) == 2.0  # 1 + 5 - 4
    assert item_points(a, item(a, "t2"), 1) == 5.0
    assert item_points(a, item(a, "t1"), 3.0) == 3.0


def test_judgement_points_of_chosen_option() -> None:
    a = tiny()
    assert item_points(a, item(a, "s1"), "c") == 1.0
    assert item_points(a, item(a, "s1"), "b") == 2.0


def test_numeric_within_tolerance() -> None:
    a = tiny()
    m2 = item(a, "m2")
    assert item_points(a, m2, 25.4) == 1.0
    assert item_points(a, m2, 25.5) == 1.0  # exactly at the tolerance edge
    assert item_points(a, m2, 25.51) == 0.0
    assert item_points(a, m2, 25) == 0.0
    assert item_points(a, item(a, "m4"), 12) == 1.0
    assert item_points(a, item(a, "m4"), 12.0001) == 0.0


@pytest.mark.parametrize(
    ("item_id", "value", "reason"),
    [
        ("m1", "z", "not an option"),
        ("m1", 2, "expected an option id"),
        ("t1", 6, "out of range"),
        ("t1", 0, "out of range"),
        ("t1", 2.5, "whole number"),
        ("t1", "4", "whole number"),
        ("t1", True, "whole number"),
        ("s1", "d", "not an option"),
        ("m2", "abc", "expected a number"),
        ("m2", float("nan"), "expected a number"),
        ("m2", True, "expected a number"),
    ],
)
def test_bad_answers_raise_naming_item_and_value(item_id: str, value: object, reason: str) -> None:
    a = tiny()
    with pytest.raises(AnswerError) as err:
        item_points(a, item(a, item_id), value)  # type: ignore[arg-type]
    assert item_id in str(err.value) and reason in str(err.value) and repr(value) in str(err.value)


def test_answer_for_item_outside_the_form_is_an_error() -> None:
    with pytest.raises(AnswerError, match="no such item in form A"):
        score_form(tiny(), {"m3": "a"}, "A")


def test_pomp_weighted() -> None:
    # weight 1 choice right (1 of 1) and weight 2 numeric wrong (0 of 1): 1 / 3
    card = score_form(tiny(), {"m1": "b", "m2": 3}, "A")
    assert card.competency("math").score == pytest.approx(100 / 3, abs=1e-12)
    assert pomp([]) is None


def test_likert_pomp_is_mean_transform() -> None:
    card = score_form(tiny(), {"t1": 4, "t2": 2}, "A")  # t2 reversed -> 4; mean 4 on 1..5
    assert card.competency("team").score == pytest.approx((4 - 1) / 4 * 100)


def test_statuses_outcome_and_plan() -> None:
    a = tiny()
    card = score_form(a, {"m1": "a", "m2": 1, "t1": 5, "t2": 1, "s1": "b"}, "A")
    assert [c.status for c in card.competencies] == ["below", "meets", "meets"]
    assert card.outcome == "coaching"
    plan = build_plan(a, card)
    assert [(e.module, e.competencies, e.gap) for e in plan] == [("tiny-math", ("math",), 60.0)]


def test_plan_largest_gap_first_and_deduplicated() -> None:
    a = tiny()
    # math 0 (gap 60), team 25 (gap 25), safety 50 (gap 25)
    card = score_form(a, {"m1": "a", "m2": 1, "t1": 2, "t2": 4, "s1": "c"}, "A")
    plan = build_plan(a, card)
    assert [e.module for e in plan] == ["tiny-math", "tiny-team"]
    assert plan[0].competencies == ("math", "team")
    assert plan[0].gap == 60.0
    assert plan[1].competencies == ("team", "safety")
    assert plan[1].gap == 25.0


def test_too_few_answers_is_incomplete_not_a_gap() -> None:
    a = tiny()
    card = score_form(a, {"m1": "b", "t1": 5}, "A")  # safety: 0 of 1 answered
    safety = card.competency("safety")
    assert safety.status == "incomplete" and safety.score is None and safety.gap == 0
    assert card.outcome == "incomplete"
    assert build_plan(a, card) == ()


def test_min_answered_counts_half() -> None:
    # math has 2 items in form A and min_answered 0.5: one answer is enough
    card = score_form(tiny(), {"m2": 25.4}, "A")
    assert card.competency("math").status == "meets"


def test_compensatory_rule() -> None:
    a = tiny().model_copy(update={"decision": Decision(rule="compensatory", overall_cut=50)})
    answers = {"m1": "a", "m2": 1, "t1": 5, "t2": 1, "s1": "b"}  # math 0, team 100, safety 100
    card = score_form(a, answers, "A")
    assert card.overall == pytest.approx(200 / 3)
    assert card.outcome == "pass"
    assert build_plan(a, card) == ()
    strict = a.model_copy(update={"decision": Decision(rule="compensatory", overall_cut=70)})
    card = score_form(strict, answers, "A")
    assert card.outcome == "coaching"
    assert [e.module for e in build_plan(strict, card)] == ["tiny-math"]


def test_form_b_scores_its_own_items() -> None:
    card = score_form(tiny(), {"m3": "a", "m4": 12, "t3": 5, "t4": 1, "s2": "a"}, "B")
    assert card.form == "B"
    assert all(c.score == 100 for c in card.competencies)
    assert card.outcome == "pass"
    assert math.isclose(card.overall or 0, 100)


def test_one_form_check_names_the_forms() -> None:
    a = tiny()
    assert a.form(None) == "A" and a.form("B") == "B"
    with pytest.raises(NotFoundError, match=r"^no form 'C' in tiny \(forms: A, B\)$"):
        a.form("C")
    with pytest.raises(NotFoundError, match="no form 'C' in tiny"):
        score_form(a, {}, "C")


def test_huge_integers_are_bad_answers_not_crashes() -> None:
    a = tiny()
    with pytest.raises(AnswerError, match="whole number"):
        item_points(a, item(a, "t1"), 10**400)
    with pytest.raises(AnswerError, match="expected a number"):
        item_points(a, item(a, "m2"), 10**400)
