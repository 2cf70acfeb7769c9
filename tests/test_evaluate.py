"""``evaluate``: simulated decisions against exact computations (issue #13, point 1).

The oracles here are written independently of ``screener.evaluate``: the
binomial probabilities of today's rule, and a dynamic programme over
(follow-up items asked, right answers) that calls the one follow-up rule
``measurement.follow_up_wanted``; both integrated exactly over the uniform
0.30-1.00 spread of true levels with Gauss-Legendre nodes.
"""

from __future__ import annotations

import json
import math
from functools import cache
from pathlib import Path

import numpy as np
import pytest
from content_fixtures import load_assessment, tiny
from results_data import START

from screener.catalog import load_catalog
from screener.coaching import build_plan
from screener.content import Assessment, Borderline
from screener.errors import NotFoundError, UsageError
from screener.evaluate import (
    DEFAULT_LEVELS,
    Evaluation,
    LevelModel,
    Spread,
    cohen_kappa,
    draw_answers,
    evaluate,
    evaluation_json,
    fit_levels,
    levels_for,
    parse_levels,
    true_pomp,
)
from screener.measurement import FollowUpRule, follow_up_wanted
from screener.scoring import score_form
from screener.store import Layout, NewAttempt, NewCandidate, Store

CUT, ITEMS, ZONE = 65.0, 6, 5.0
LOW, HIGH = 0.30, 1.00


def six() -> Assessment:
    return load_assessment("measure/sixitem.yaml")


def plain(assessment: Assessment) -> Assessment:
    """The assessment without a borderline rule (what the store can hold today)."""
    decision = assessment.decision.model_copy(update={"borderline": None})
    return assessment.model_copy(update={"decision": decision})


@cache
def six_evaluation() -> Evaluation:
    """20,000 candidates on both forms, today's rule and the configured follow-up rule."""
    return evaluate(six(), n=20000, seed=1, zone=ZONE)


# -- the oracles ---------------------------------------------------------------------


def gauss(low: float, high: float, nodes: int = 40) -> tuple[np.ndarray, np.ndarray]:
    """Nodes and weights on [low, high]: exact for the polynomials integrated here."""
    x, w = np.polynomial.legendre.leggauss(nodes)
    return (high - low) / 2 * x + (high + low) / 2, (high - low) / 2 * w


def outcome_exact(decide: object) -> dict[str, float]:
    """Misclassified, false-gap and missed-gap rates and mean items over the uniform spread.

    ``decide(tau)`` returns (P(gap | tau), E[items | tau]). Truth for keyed items is
    100 tau, so outside the zone means tau < 0.60 (truly below) or tau > 0.70.
    """
    assert callable(decide)
    below_lo, below_hi = LOW, (CUT - ZONE) / 100
    above_lo, above_hi = (CUT + ZONE) / 100, HIGH
    missed = sum(w * (1 - decide(t)[0]) for t, w in zip(*gauss(below_lo, below_hi), strict=True))
    false = sum(w * decide(t)[0] for t, w in zip(*gauss(above_lo, above_hi), strict=True))
    items = sum(w * decide(t)[1] for t, w in zip(*gauss(LOW, HIGH), strict=True))
    below_len, above_len = below_hi - below_lo, above_hi - above_lo
    return {
        "missed": missed / below_len,
        "false": false / above_len,
        "misclassified": (missed + false) / (below_len + above_len),
        "items": items / (HIGH - LOW),
    }


def todays_rule(tau: float) -> tuple[float, float]:
    """Gap when fewer than 4 of 6 right: P(X < 4), X ~ binomial(6, tau)."""
    need = math.ceil(CUT * ITEMS / 100)
    meet = sum(math.comb(ITEMS, k) * tau**k * (1 - tau) ** (ITEMS - k) for k in range(need, 7))
    return 1 - meet, float(ITEMS)


def follow_up_rule(rule: FollowUpRule, reserve: int) -> object:
    """The exact P(gap | tau) and E[items | tau] of the follow-up rule, by dynamic programming."""

    def terms(right: int, asked: int) -> list[tuple[float, float, float, float]]:
        return [(1.0, 1.0, 0.0, 1.0)] * right + [(1.0, 0.0, 0.0, 1.0)] * (asked - right)

    @cache
    def wanted(extra: int, right: int) -> bool:
        upcoming = [(1.0, 0.0, 1.0)] * (reserve - extra)
        return follow_up_wanted(terms(right, ITEMS + extra), CUT, rule, extra, upcoming)

    def decide(tau: float) -> tuple[float, float]:
        # state: (extra items asked, right answers so far) -> probability
        states = {
            (0, k): math.comb(ITEMS, k) * tau**k * (1 - tau) ** (ITEMS - k)
            for k in range(ITEMS + 1)
        }
        gap = items = 0.0
        while states:
            nxt: dict[tuple[int, int], float] = {}
            for (extra, right), p in states.items():
                if wanted(extra, right):
                    for step, q in ((1, tau), (0, 1 - tau)):
                        key = (extra + 1, right + step)
                        nxt[key] = nxt.get(key, 0.0) + p * q
                    continue
                asked = ITEMS + extra
                items += p * asked
                if 100.0 * right / asked < CUT:  # follow_up: a score below the cut is a gap
                    gap += p
            states = nxt
        return gap, items

    return decide


# -- the targets ---------------------------------------------------------------------


def test_todays_rule_matches_the_exact_binomial() -> None:
    exact = outcome_exact(todays_rule)
    # the figures quoted in issue #13
    assert exact["misclassified"] == pytest.approx(0.174, abs=0.0005)
    assert exact["false"] == pytest.approx(0.076, abs=0.0005)
    assert exact["missed"] == pytest.approx(0.273, abs=0.0005)
    got = six_evaluation().rule("today").competencies[0]
    assert got.id == "reasoning"
    assert abs(got.figures.misclassified - exact["misclassified"]) <= 0.01
    assert abs(got.figures.false_gap - exact["false"]) <= 0.01
    assert abs(got.figures.missed_gap - exact["missed"]) <= 0.01
    assert got.figures.mean_items == ITEMS


def test_follow_up_rule_matches_the_exact_dynamic_programme() -> None:
    rule = six().decision.borderline
    assert rule is not None and rule.action == "follow_up"
    exact = outcome_exact(follow_up_rule(FollowUpRule(rule.confidence, rule.max_extra), 6))
    got = six_evaluation().rule("configured").competencies[0].figures
    assert abs(got.misclassified - exact["misclassified"]) <= 0.01
    assert abs(got.false_gap - exact["false"]) <= 0.01
    assert abs(got.missed_gap - exact["missed"]) <= 0.01
    assert abs(got.mean_items - exact["items"]) <= 0.05


def test_follow_up_cuts_misclassification_by_a_third_for_few_items() -> None:
    today = outcome_exact(todays_rule)["misclassified"]
    exact = outcome_exact(follow_up_rule(FollowUpRule(0.8, 4), 6))
    assert exact["misclassified"] <= 0.7 * today and exact["items"] <= 1.3 * ITEMS
    got = six_evaluation().rule("configured").competencies[0].figures
    assert got.misclassified <= 0.7 * today
    assert got.mean_items <= 1.3 * ITEMS
    # and the decisions are steadier across forms
    assert got.agreement > six_evaluation().rule("today").competencies[0].figures.agreement


def test_teamwork_has_no_reserve_so_both_rules_agree_on_it() -> None:
    ev = six_evaluation()
    today, configured = (r.competencies[1].figures for r in ev.rules)
    assert today.mean_items == configured.mean_items == 4
    # follow_up without reserve items: the score decides, as today
    assert today.gap_rate == configured.gap_rate
    assert today.borderline_rate == 0 < configured.borderline_rate


# -- kappa, determinism, shapes ------------------------------------------------------


def test_cohen_kappa() -> None:
    rng = np.random.default_rng(5)
    x = rng.random(1000) < 0.4
    assert cohen_kappa(x, x) == 1.0
    half = np.arange(1000) % 2 == 0
    assert cohen_kappa(half, ~half) == -1.0  # balanced and always opposite
    assert cohen_kappa(x, ~x) == pytest.approx(-0.48 / 0.52, abs=0.05)  # chance agreement .48
    y = rng.random(1000) < 0.4
    assert abs(cohen_kappa(x, y)) < 0.1  # independent decisions: chance agreement
    assert math.isnan(cohen_kappa(np.ones(5, bool), np.ones(5, bool)))
    for rule in six_evaluation().rules:
        for comp in rule.competencies:
            assert -1 <= comp.figures.kappa <= 1
            assert 0 <= comp.figures.agreement <= 1


def test_a_one_form_assessment_is_compared_with_itself_answered_again() -> None:
    a = six()
    assert a.forms is not None
    one = a.model_copy(update={"forms": {"A": a.forms["A"]}})
    ev = evaluate(one, n=300, seed=2)
    assert ev.form == ev.other_form == "A"
    assert 0 < ev.rule("today").competencies[0].figures.agreement < 1


def test_same_seed_same_figures_other_seed_other_figures() -> None:
    first = evaluation_json(evaluate(six(), n=400, seed=9))
    assert evaluation_json(evaluate(six(), n=400, seed=9)) == first
    assert evaluation_json(evaluate(six(), n=400, seed=10)) != first
    text = json.dumps(first, allow_nan=False)
    assert '"rule": "today"' in text and '"rule": "configured"' in text


def test_rule_override_and_today_only() -> None:
    ev = evaluate(six(), n=300, seed=1, rule=Borderline(action="recommend"), today=False)
    assert [r.name for r in ev.rules] == ["configured"]
    figures = ev.rules[0].competencies[0].figures
    assert figures.mean_items == ITEMS  # recommend asks nothing more
    assert figures.borderline_rate > 0
    with pytest.raises(UsageError):
        evaluate(plain(six()), n=10, today=False)


def test_bad_arguments_are_one_line_errors() -> None:
    with pytest.raises(NotFoundError, match="no form 'Z'"):
        evaluate(six(), form="Z", n=10)
    for kwargs in ({"n": 0}, {"seed": -1}, {"zone": -1.0}, {"sigma": math.nan}):
        with pytest.raises(UsageError) as err:
            evaluate(six(), **kwargs)  # type: ignore[arg-type]
        assert "\n" not in str(err.value)


def test_bundled_screening_runs_the_real_decisions() -> None:
    bundled = load_catalog().assessment("wblc-screening")
    ev = evaluate(bundled, n=300, seed=1, rule=Borderline(action="recommend"))
    today, configured = ev.rules
    assert [c.id for c in today.competencies] == [c.id for c in bundled.competencies]
    assert today.candidates.required_modules > 0
    # recommend turns near-cut gaps into recommendations: never more required gaps
    for t, c in zip(today.competencies, configured.competencies, strict=True):
        assert c.figures.gap_rate <= t.figures.gap_rate
        assert c.figures.false_gap <= t.figures.false_gap
    json.dumps(evaluation_json(ev), allow_nan=False)


# -- the generating model ------------------------------------------------------------


def test_levels_are_parsed_or_refused_in_one_line() -> None:
    assert parse_levels("uniform:0.3:1") == LevelModel(Spread("uniform", 0.3, 1.0))
    assert parse_levels(" beta:6:3 ").spread == Spread("beta", 6.0, 3.0)
    assert parse_levels("uniform:0.30:1.00").spread.text() == "uniform:0.30:1.00"
    assert parse_levels("uniform:0.333:0.9").spread.text() == "uniform:0.333:0.90"
    for bad in (
        "",
        "uniform",
        "uniform:0.5:0.4",
        "uniform:-1:1",
        "beta:0:2",
        "beta:a:b",
        "normal:0:1",
    ):
        with pytest.raises(UsageError) as err:
            parse_levels(bad)
        assert "\n" not in str(err.value) and "uniform:LOW:HIGH" in str(err.value)


def test_answers_are_what_a_candidate_gives_and_truth_is_their_expected_score() -> None:
    """Every kind of item (weights, tolerance, reverse keying, judgement points) on tiny:
    the mean POMP of many people at one level equals the exact expected POMP."""
    a = tiny()
    rng = np.random.default_rng(4)
    for tau in (0.2, 0.55, 0.9):
        n = 6000
        levels = {c.id: np.full(n, tau) for c in a.competencies}
        for form in a.form_names():
            items = a.form_items(form)
            answers = draw_answers(a, items, levels, rng)
            cards = [score_form(a, ans, form) for ans in answers]  # every answer scores
            for k, comp in enumerate(a.competencies):
                mine = [i for i in items if i.competency == comp.id]
                if not mine:
                    continue
                mean = float(np.mean([c.competencies[k].score for c in cards]))
                want = float(true_pomp(a, mine, np.array([tau]), 0.2)[0])
                sd = float(np.std([c.competencies[k].score for c in cards]))
                assert abs(mean - want) <= 4 * sd / math.sqrt(n) + 1e-9, (form, comp.id, tau)


def test_reverse_keyed_likert_answers_rise_with_the_level() -> None:
    a = tiny()
    item = next(i for i in a.items if i.kind == "likert" and getattr(i, "reverse", False))
    rng = np.random.default_rng(1)
    low = draw_answers(a, [item], {item.competency: np.full(500, 0.1)}, rng)
    high = draw_answers(a, [item], {item.competency: np.full(500, 0.9)}, rng)
    # the candidate ticks a LOW value when their level is high (the item is reversed)
    assert np.mean([r[item.id] for r in high]) < np.mean([r[item.id] for r in low])


def store_six_attempts(db: Path, spread: Spread, n: int, seed: int) -> Store:
    """``n`` attempts at form A of the six-item assessment from levels drawn from ``spread``."""
    a = plain(six())
    rng = np.random.default_rng(seed)
    levels = {c.id: spread.sample(rng, n) for c in a.competencies}
    layout = Layout.of(a, "A")
    rows = []
    for k, answers in enumerate(draw_answers(a, a.form_items("A"), levels, rng)):
        card = score_form(a, answers, "A")
        rows.append(
            NewAttempt(NewCandidate(f"Sim {k}"), layout, card, build_plan(a, card), answers, START)
        )
    store = Store(db)
    store.save_attempts(rows)
    return store


def test_fitted_levels_recover_the_spread(isolated_db: Path) -> None:
    spread = Spread("beta", 6.0, 3.0)
    store = store_six_attempts(isolated_db, spread, 1500, seed=11)
    model = fit_levels(six(), store.iter_attempts())
    assert model.source == "fitted" and model.attempts == 1500
    fitted = model.of("reasoning")
    assert fitted.kind == "beta"
    assert abs(fitted.mean - spread.mean) <= 0.02

    # the observed variance is shrunk by alpha towards the true variance
    def var(s: Spread) -> float:
        return s.a * s.b / ((s.a + s.b) ** 2 * (s.a + s.b + 1))

    assert abs(var(fitted) / var(spread) - 1) <= 0.35
    assert levels_for(six(), store.iter_attempts()) == model


def test_too_few_attempts_to_fit_use_the_default(tmp_path: Path) -> None:
    store = store_six_attempts(tmp_path / "few.json", Spread("uniform", 0.3, 1.0), 50, seed=1)
    with pytest.raises(UsageError, match="200 stored attempts"):
        fit_levels(six(), store.iter_attempts())
    assert levels_for(six(), store.iter_attempts()) is DEFAULT_LEVELS
