"""Measurement error at the cut: CSEM, intervals, borderline statuses, the follow-up rule (#13)."""

from __future__ import annotations

import math

from content_fixtures import load_assessment
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.coaching import build_plan
from screener.measurement import (
    FollowUpRule,
    conditional_sem,
    decision_can_change,
    follow_up_wanted,
    lord_csem_at,
    meets,
    pomp,
    score_interval,
    straddles,
)
from screener.scoring import next_follow_up, score_form


def six():  # type: ignore[no-untyped-def]
    return load_assessment("measure/sixitem.yaml")


def _answers(right: int, likert: int = 4, form: str = "a") -> dict[str, object]:
    out: dict[str, object] = {f"re-{form}{k}": ("a" if k <= right else "b") for k in range(1, 7)}
    out.update({f"tw-{form}{k}": likert for k in range(1, 5)})
    return out


def test_csem_is_lords_for_right_wrong_items() -> None:
    for n in range(2, 12):
        for x in range(n + 1):
            terms = [(1.0, 1.0 if k < x else 0.0, 0.0, 1.0) for k in range(n)]
            p = x / n
            assert conditional_sem(terms) == pytest_approx(100 * math.sqrt(p * (1 - p) / (n - 1)))
    assert lord_csem_at(50, 5) == pytest_approx(100 * math.sqrt(0.25 / 4))
    assert conditional_sem([(1.0, 1.0, 0.0, 1.0)]) is None


def pytest_approx(value: float) -> object:
    import pytest

    return pytest.approx(value, abs=1e-12)


def test_weights_scale_out_of_the_csem() -> None:
    terms = [(1.0, 1.0, 0.0, 1.0), (1.0, 0.0, 0.0, 1.0), (1.0, 3.0, 1.0, 5.0)]
    doubled = [(2 * w, p, lo, hi) for w, p, lo, hi in terms]
    assert conditional_sem(terms) == pytest_approx(conditional_sem(doubled) or 0.0)


def test_interval_is_clipped_and_straddling_is_strict() -> None:
    assert score_interval(95.0, 10.0, 0.8) == (95.0 - 12.815515655446004, 100.0)
    assert score_interval(50.0, None, 0.8) == (50.0, 50.0)
    assert straddles((60.0, 70.0), 65.0)
    assert not straddles((65.0, 70.0), 65.0)  # the low end at the cut meets it
    assert not straddles((50.0, 64.9), 65.0)


def test_borderline_statuses_on_the_six_item_competency() -> None:
    a = six()
    by_right = {r: score_form(a, _answers(r), "A").competency("reasoning") for r in range(7)}
    assert by_right[6].status == "meets" and not by_right[6].near_cut
    assert by_right[2].status == "below" and not by_right[2].near_cut
    # 5 of 6 = 83.3, CSEM 16.7: the 80% interval reaches below 65
    assert by_right[5].near_cut and by_right[5].status == "borderline"
    # follow_up has not asked anything yet: a near-cut score below the cut is a gap
    assert by_right[3].near_cut and by_right[3].status == "below"
    # the score itself never changes
    assert by_right[4].score == pytest_approx(400 / 6)
    assert by_right[4].interval is not None
    assert by_right[4].interval[0] < 65 <= by_right[4].interval[1]


def test_a_borderline_competency_recommends_and_does_not_block_a_pass() -> None:
    a = six()
    card = score_form(a, _answers(5), "A")
    assert card.competency("reasoning").status == "borderline"
    assert card.outcome == "pass"
    assert all(not entry.required for entry in build_plan(a, card))


def test_follow_up_asks_reserve_items_in_order_until_the_decision_is_clear() -> None:
    a = six()
    answers = _answers(4)
    asked: list[str] = []
    while (item := next_follow_up(a, answers, "A")) is not None:
        asked.append(item.id)
        answers[item.id] = "a"  # right every time
    # 5/7 and 6/8 are still near the cut and one wrong answer could cross it; at 7/9
    # (77.8, interval 59-96) one more item cannot bring it below 65: curtailed
    assert asked == ["re-r1", "re-r2", "re-r3"]
    card = score_form(a, answers, "A")
    reasoning = card.competency("reasoning")
    assert reasoning.extra == ("re-r1", "re-r2", "re-r3")
    assert reasoning.items == 9
    assert reasoning.score == pytest_approx(700 / 9)
    assert reasoning.status == "borderline"


def test_follow_up_stops_at_max_extra_and_never_asks_a_seen_item() -> None:
    a = six()
    answers = _answers(4)
    seen = {"re-r2", "re-r4"}
    asked: list[str] = []
    flip = 0
    while (item := next_follow_up(a, answers, "A", seen)) is not None:
        asked.append(item.id)
        answers[item.id] = "a" if flip % 2 == 0 else "b"
        flip += 1
    assert not set(asked) & seen
    assert len(asked) <= 4


@settings(max_examples=300, deadline=None)
@given(
    right=st.integers(0, 30),
    wrong=st.integers(0, 30),
    cut=st.floats(1, 99),
    confidence=st.sampled_from([0.6, 0.8, 0.9, 0.95]),
    budget=st.integers(0, 8),
    continuation=st.lists(st.booleans(), max_size=8),
)
def test_curtailment_never_changes_a_decision(
    right: int,
    wrong: int,
    cut: float,
    confidence: float,
    budget: int,
    continuation: list[bool],
) -> None:
    terms = [(1.0, 1.0, 0.0, 1.0)] * right + [(1.0, 0.0, 0.0, 1.0)] * wrong
    if not terms:
        return
    upcoming = [(1.0, 0.0, 1.0)] * budget
    now = meets(pomp(terms) or 0.0, cut)
    if not decision_can_change(terms, cut, upcoming):
        # whatever the next answers, and wherever the asking stops, the decision stands
        more = list(terms)
        for answer in continuation[:budget]:
            more.append((1.0, 1.0 if answer else 0.0, 0.0, 1.0))
            assert meets(pomp(more) or 0.0, cut) == now
    rule = FollowUpRule(confidence, budget)
    interval = score_interval(pomp(terms) or 0.0, conditional_sem(terms), confidence)
    if not straddles(interval, cut):
        # a competency whose interval lies wholly on one side is never followed up
        assert not follow_up_wanted(terms, cut, rule, 0, upcoming)


@settings(max_examples=200, deadline=None)
@given(
    right=st.integers(0, 6),
    likert=st.integers(1, 5),
    extra=st.lists(st.booleans(), max_size=6),
)
def test_an_interval_wholly_above_the_cut_never_adds_a_module(
    right: int, likert: int, extra: list[bool]
) -> None:
    a = six()
    answers = _answers(right, likert)
    for k, ok in enumerate(extra, start=1):
        answers[f"re-r{k}"] = "a" if ok else "b"
    card = score_form(a, answers, "A")
    plan_comps = {c for entry in build_plan(a, card) for c in entry.competencies}
    for comp in card.competencies:
        if comp.interval is not None and comp.interval[0] >= comp.cut:
            assert comp.status == "meets"
            assert comp.id not in plan_comps
