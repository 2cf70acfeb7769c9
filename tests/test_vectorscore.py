"""Vectorised scoring gives exactly what score_form + build_plan give, row by row."""

from __future__ import annotations

import csv
import io
import math
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from content_fixtures import bfi, load_assessment, tiny
from helpers import ROOT, SHARED_BFI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from vector_reference import encoded_answers, row_scorecard, scorecards

from screener.catalog import check_file
from screener.coaching import build_plan
from screener.content import (
    AnyItem,
    Assessment,
    ChoiceItem,
    JudgementItem,
    LikertItem,
    NumericItem,
)
from screener.errors import ContentError, NotFoundError
from screener.importing import Mapping, RowError, read_mapping, read_table
from screener.scoring import Answer, item_points, score_form
from screener.simulate import simulate, write_csv
from screener.vectorscore import (
    BELOW,
    COACHING,
    OUTCOMES,
    STATUSES,
    Encoded,
    _group_rows,
    _sums_are_exact,
    encode,
    exact_row_sums,
    factorise_rows,
    plans,
    score_points,
)


def screening() -> Assessment:
    checked = check_file(ROOT / "assessments" / "wblc-screening.yaml")
    assert isinstance(checked.model, Assessment), checked.problems
    return checked.model


def points_matrix(
    a: Assessment, form: str, rows: list[dict[str, Answer]], reserve: bool = False
) -> np.ndarray:
    """Item points of every row: the form's items, then (with ``reserve``) the reserve items."""
    items = [*a.form_items(form), *(a.reserve_items() if reserve else [])]
    out = np.full((len(rows), len(items)), np.nan)
    for i, answers in enumerate(rows):
        for j, item in enumerate(items):
            earned = item_points(a, item, answers.get(item.id))
            if earned is not None:
                out[i, j] = earned
    return out


def assert_same_as_scalar(a: Assessment, form: str, rows: list[dict[str, Answer]]) -> None:
    """Every row: the vector scorecard and plan equal the scalar ones exactly (scores,
    statuses, intervals, near-cut flags, follow-up items, outcome, points, plan)."""
    reserve = bool(a.reserve) and any(i.id in r for r in rows for i in a.reserve_items())
    scores = score_points(a, form, points_matrix(a, form, rows, reserve))
    vector_plans = plans(a, scores)
    cards = scorecards(a, scores)
    gaps = scores.gap
    assert len(scores) == len(vector_plans) == len(cards) == len(rows)
    for i, answers in enumerate(rows):
        card = score_form(a, answers, form)
        got = row_scorecard(a, form, scores, i)
        assert got == card, (i, answers)  # floats bit for bit, statuses, outcome, points
        assert cards[i] == card, (i, answers)
        assert dict(cards[i].points) == dict(card.points)
        assert vector_plans[i] == build_plan(a, card), (i, answers)
        for m, comp in enumerate(card.competencies):
            assert STATUSES[scores.status[i, m]] == comp.status
            assert gaps[i, m] == comp.gap
        assert OUTCOMES[scores.outcome[i]] == card.outcome


# -- answers for hypothesis ------------------------------------------------------------


def answer_strategy(a: Assessment, item: AnyItem) -> st.SearchStrategy[Answer]:
    if isinstance(item, ChoiceItem | JudgementItem):
        valid: st.SearchStrategy[Answer] = st.sampled_from([o.id for o in item.options])
    elif isinstance(item, LikertItem):
        scale = a.scale_of(item)
        valid = st.integers(scale.min, scale.max)
    else:
        assert isinstance(item, NumericItem)
        edge = [item.answer, item.answer + item.tolerance, item.answer - item.tolerance]
        valid = st.one_of(
            st.sampled_from(edge),
            st.floats(item.answer - 3 * item.tolerance - 1, item.answer + 3 * item.tolerance + 1),
        )
    return st.one_of(st.none(), valid, valid)


@st.composite
def answer_rows(draw: st.DrawFn, a: Assessment, form: str) -> list[dict[str, Answer]]:
    """Rows of answers to the form and, when the assessment has reserve items, to
    some of them (follow-up items: None = not asked)."""
    items = [*a.form_items(form), *a.reserve_items()]
    row = st.fixed_dictionaries({item.id: answer_strategy(a, item) for item in items})
    return draw(st.lists(row, min_size=1, max_size=25))


@settings(max_examples=150, deadline=None)
@given(data=st.data(), form=st.sampled_from(["A", "B"]))
def test_tiny_vector_equals_scalar(data: st.DataObject, form: str) -> None:
    a = tiny()
    assert _sums_are_exact(a, a.form_items(form))
    assert_same_as_scalar(a, form, data.draw(answer_rows(a, form)))


def test_tiny_every_answer_pattern_of_form_a() -> None:
    """All 3x4x6x6x4 (with 'unanswered') answer combinations of form A."""
    a = tiny()
    rows: list[dict[str, Answer]] = []
    for m1 in [None, "a", "b", "c"]:
        for m2 in [None, 25.4, 25.5, 30.0]:
            for t1 in [None, 1, 2, 3, 4, 5]:
                for t2 in [None, 1, 3, 5]:
                    for s1 in [None, "a", "b", "c"]:
                        rows.append({"m1": m1, "m2": m2, "t1": t1, "t2": t2, "s1": s1})
    assert_same_as_scalar(a, "A", rows)


# -- generated assessments: odd weights and points, compensatory rules, forms ------------


def _cut_strategy() -> st.SearchStrategy[float]:
    # cuts that scores hit exactly, so ">= cut" is tested on the boundary
    return st.one_of(
        st.sampled_from([0.0, 25.0, 50.0, 100.0, 100 / 3, 200 / 3, 100 * 0.1 / 0.3, 60.0, 75.0]),
        st.floats(0, 100),
    )


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    weights = [0.1, 0.3, 0.5, 1.0, 1.7, 2.0, 3.0]
    n_comp = draw(st.integers(1, 4))
    modules = ["m-a", "m-b", "m-c", "m-d"]
    comps = [
        {
            "id": f"c{n}",
            "name": f"C{n}",
            "domain": "cognitive",
            "cut": draw(_cut_strategy()),
            "min_answered": draw(st.sampled_from([0.2, 0.5, 2 / 3, 0.75, 1.0])),
            "modules": draw(st.lists(st.sampled_from(modules), max_size=3, unique=True)),
        }
        for n in range(n_comp)
    ]
    items: list[dict[str, Any]] = []
    for n in range(n_comp):
        for k in range(draw(st.integers(1, 4))):
            kind = draw(st.sampled_from(["choice", "judgement", "likert", "numeric"]))
            base: dict[str, Any] = {
                "id": f"i{n}_{k}",
                "kind": kind,
                "competency": f"c{n}",
                "prompt": "q",
                "weight": draw(st.sampled_from(weights)),
            }
            if kind == "choice":
                base |= {
                    "options": [{"id": "1", "label": "A"}, {"id": "2", "label": "B"}],
                    "key": "2",
                    "points": draw(st.sampled_from([1.0, 0.7, 2.0])),
                }
            elif kind == "judgement":
                pts = draw(
                    st.lists(
                        st.sampled_from([-1.0, 0.0, 0.1, 0.3, 1.0, 2.0, 2.5]),
                        min_size=2,
                        max_size=4,
                    ).filter(lambda p: len(set(p)) > 1)
                )
                base["options"] = [
                    {"id": f"o{j}", "label": "x", "points": p} for j, p in enumerate(pts)
                ]
            elif kind == "likert":
                low = draw(st.integers(0, 2))
                base |= {
                    "scale": {"min": low, "max": low + draw(st.integers(1, 6))},
                    "reverse": draw(st.booleans()),
                }
            else:
                base |= {"answer": draw(st.sampled_from([12.0, 25.4, -3.5])), "tolerance": 0.1}
            items.append(base)
    rule = draw(st.sampled_from(["non_compensatory", "compensatory"]))
    decision: dict[str, Any] = {"rule": rule}
    if rule == "compensatory":
        decision["overall_cut"] = draw(_cut_strategy())
    reserve: list[str] = []
    if draw(st.booleans()):  # a borderline rule: intervals, and maybe reserve items
        decision["borderline"] = {
            "confidence": draw(st.sampled_from([0.5, 0.8, 0.9, 0.95, 0.99])),
            "action": draw(st.sampled_from(["follow_up", "recommend", "gap"])),
        }
        ids = [i["id"] for i in items]
        reserve = draw(st.lists(st.sampled_from(ids), max_size=3, unique=True))
    spec: dict[str, Any] = {
        "id": "gen",
        "title": "G",
        "version": "1",
        "description": "d",
        "decision": decision,
        "competencies": comps,
        "items": items,
    }
    spec["reserve"] = reserve
    in_forms = [i["id"] for i in items if i["id"] not in reserve]
    if not in_forms:
        spec["reserve"] = reserve = reserve[1:]
        in_forms = [i["id"] for i in items if i["id"] not in reserve]
    if draw(st.booleans()) or reserve:  # reserve items sit in no form
        chosen = draw(st.lists(st.sampled_from(in_forms), min_size=1, unique=True))
        spec["forms"] = {
            "A": chosen,
            "B": [i for i in in_forms if i not in chosen] or in_forms,
        }
    return Assessment.model_validate(spec)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), a=assessments())
def test_generated_assessments_vector_equals_scalar(data: st.DataObject, a: Assessment) -> None:
    form = data.draw(st.sampled_from(a.form_names()))
    assert_same_as_scalar(a, form, data.draw(answer_rows(a, form)))


def test_both_summation_routes_are_taken() -> None:
    a = tiny()
    assert _sums_are_exact(a, a.items)
    odd = a.model_copy(
        update={"items": [a.items[0].model_copy(update={"weight": 0.1}), *a.items[1:]]}
    )
    assert not _sums_are_exact(odd, odd.items)


def test_ties_keep_competency_order_in_plans() -> None:
    a = tiny()
    # math 0 (gap 60) and team 50 - 0 ... build equal gaps: math and safety both at 0
    rows: list[dict[str, Answer]] = [
        {"m1": "a", "m2": 1.0, "t1": 1, "t2": 5, "s1": "a"},
        {"m1": "b", "m2": 1.0, "t1": 1, "t2": 5, "s1": "c"},
        {"m1": "a", "m2": 25.4, "t1": 3, "t2": 3, "s1": "c"},
    ]
    assert_same_as_scalar(a, "A", rows)
    scores = score_points(a, "A", points_matrix(a, "A", rows))
    assert (scores.status[0] == BELOW).all() and scores.outcome[0] == COACHING


# -- borderline rules and follow-up (reserve) items: the six-item assessment (#13) ------------


def six(action: str = "follow_up", confidence: float = 0.8) -> Assessment:
    """tests/data/measure/sixitem.yaml with coaching modules (so plans are not empty) and
    the given borderline action and confidence."""
    a = load_assessment("measure/sixitem.yaml")
    assert a.decision.borderline is not None
    comps = [
        c.model_copy(update={"modules": [f"mod-{c.id}", "mod-shared"]}) for c in a.competencies
    ]
    rule = a.decision.borderline.model_copy(update={"action": action, "confidence": confidence})
    decision = a.decision.model_copy(update={"borderline": rule})
    return a.model_copy(update={"competencies": comps, "decision": decision})


def six_rows(form: str) -> list[dict[str, Answer]]:
    """Every number right on the form's six reasoning items (and one unanswered), a spread
    of teamwork ratings, and follow-up answers on the first 0-4 reserve items."""
    f = form.lower()
    rows: list[dict[str, Answer]] = []
    teamwork: list[list[Answer]] = [[4, 4, 4, 4], [3, 3, 4, 3], [5, 1, 5, 1], [2, 2, 3, 2], [3] * 4]
    for right in range(7):
        for ratings in teamwork:
            for asked in range(5):
                for pattern in range(1 << asked):
                    row: dict[str, Answer] = {
                        f"re-{f}{k}": "a" if k <= right else "b" for k in range(1, 7)
                    }
                    row.update({f"tw-{f}{k}": r for k, r in enumerate(ratings, 1)})
                    for k in range(asked):
                        row[f"re-r{k + 1}"] = "a" if pattern >> k & 1 else "b"
                    rows.append(row)
    missing = dict(rows[-1])
    missing[f"re-{f}1"] = None
    return [*rows, missing]


@pytest.mark.parametrize("action", ["follow_up", "recommend", "gap"])
@pytest.mark.parametrize("form", ["A", "B"])
def test_six_item_every_pattern_vector_equals_scalar(action: str, form: str) -> None:
    a = six(action)
    rows = six_rows(form)
    assert_same_as_scalar(a, form, rows)
    scores = score_points(a, form, points_matrix(a, form, rows, reserve=True))
    statuses = {STATUSES[c] for c in scores.status.ravel().tolist()}
    assert {"meets", "below"} <= statuses
    assert ("borderline" in statuses) == (action != "gap")
    assert scores.near is not None and scores.near.any()


@settings(max_examples=150, deadline=None)
@given(
    data=st.data(),
    form=st.sampled_from(["A", "B"]),
    action=st.sampled_from(["follow_up", "recommend", "gap"]),
    confidence=st.sampled_from([0.5, 0.6, 0.8, 0.9, 0.95]),
)
def test_six_item_vector_equals_scalar(
    data: st.DataObject, form: str, action: str, confidence: float
) -> None:
    a = six(action, confidence)
    assert_same_as_scalar(a, form, data.draw(answer_rows(a, form)))


def test_intervals_near_a_cut_are_rechecked_by_the_scalar_code(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With the vector copy's z made a little wrong on purpose, rows within ``RECHECK`` of
    a cut are still exactly the scalar code's: the re-check is real."""
    import screener.vectorscore as vectorscore

    a = six("recommend")
    rows = six_rows("A")
    points = points_matrix(a, "A", rows, reserve=True)
    cards = [score_form(a, r, "A") for r in rows]
    true_z = vectorscore.z_value
    monkeypatch.setattr(vectorscore, "z_value", lambda c: true_z(c) * (1 + 1e-12))
    monkeypatch.setattr(vectorscore, "RECHECK", 0.0)  # nothing re-checked: the copy is off
    off = score_points(a, "A", points)
    assert any(
        row_scorecard(a, "A", off, i).competencies != card.competencies
        for i, card in enumerate(cards)
    )
    monkeypatch.setattr(vectorscore, "RECHECK", 1000.0)  # every row within reach of a cut
    rechecked = score_points(a, "A", points)
    for i, card in enumerate(cards):
        assert row_scorecard(a, "A", rechecked, i) == card


def test_score_points_without_reserve_columns_is_the_form_alone() -> None:
    a = six()
    rows = [{k: v for k, v in r.items() if not k.startswith("re-r")} for r in six_rows("A")]
    without = score_points(a, "A", points_matrix(a, "A", rows))
    with_empty = score_points(a, "A", points_matrix(a, "A", rows, reserve=True))
    np.testing.assert_array_equal(without.score, with_empty.score)
    np.testing.assert_array_equal(without.status, with_empty.status)
    with pytest.raises(ValueError, match=r"10 \(or 16 with the reserve items\) columns"):
        score_points(a, "A", np.zeros((1, 12)))


def test_encode_reads_reserve_columns(tmp_path: Path) -> None:
    a = six()
    path = tmp_path / "six.csv"
    path.write_text(
        "candidate_id,re-a1,re-a2,re-a3,re-a4,re-a5,re-a6,tw-a1,tw-a2,tw-a3,tw-a4,re-r2,re-r1\n"
        "p1,a,a,a,a,b,b,4,4,4,4,,a\n"
        "p2,a,a,a,b,b,b,4,4,4,4,b,a\n"
        "p3,a,a,a,a,a,a,4,4,4,4,,\n"
        "p4,a,a,a,a,b,b,4,4,4,4,zz,a\n",
        encoding="utf-8",
    )
    encoded = encode(a, "A", read_table(path))
    assert encoded.reserve_ids == ("re-r1", "re-r2", "re-r3", "re-r4", "re-r5", "re-r6")
    assert encoded.missing_items == ()  # reserve columns a file lacks are simply not asked
    assert [(e.row, e.column) for e in encoded.errors] == [(5, "re-r2")]
    assert encoded.points.shape == (3, 16)
    assert encoded_answers(encoded, 1)["re-r2"] == "b"
    assert encoded_answers(encoded, 0)["re-r2"] is None  # not asked
    scores = score_points(a, "A", encoded.points)
    for i in range(len(encoded)):
        card = score_form(a, encoded_answers(encoded, i), "A")
        assert row_scorecard(a, "A", scores, i) == card
    assert row_scorecard(a, "A", scores, 1).competency("reasoning").extra == ("re-r1", "re-r2")
    other = tmp_path / "other.csv"
    other.write_text("candidate_id,re-a1,re-b1\np1,a,a\n", encoding="utf-8")
    with pytest.raises(ContentError, match="'re-b1' is an item of sixitem but not of form A"):
        encode(a, "A", read_table(other))


# -- exact sums ----------------------------------------------------------------------------


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 8).flatmap(
        lambda m: st.lists(
            st.lists(
                st.one_of(
                    st.floats(-1e300, 1e300, allow_nan=False),
                    st.sampled_from([0.1, 0.2, 0.3, 1.0, 1e16, -1e16, 2.0**-53, 100 / 3]),
                ),
                min_size=m,
                max_size=m,
            ),
            min_size=1,
            max_size=20,
        )
    )
)
def test_exact_row_sums_equal_fsum(rows: list[list[float]]) -> None:
    got = exact_row_sums(np.array(rows))
    for value, row in zip(got.tolist(), rows, strict=True):
        assert value == math.fsum(row)


def test_exact_row_sums_hard_cases() -> None:
    rows = [
        [1.0, 2.0**-53, 2.0**-106],  # a tie broken by a tiny third term
        [1.0, 2.0**-53, -(2.0**-106)],
        [1.0, 2.0**-53, 0.0],  # an exact tie: round half to even
        [1e16, 1.0, -1e16],
        [0.1] * 7 + [0.0],
        [2.0**-1074, 2.0**-1074, 0.0],  # subnormals
        [0.0, 0.0, 0.0],
    ]
    width = max(map(len, rows))
    padded = [r + [0.0] * (width - len(r)) for r in rows]
    got = exact_row_sums(np.array(padded))
    assert got.tolist() == [math.fsum(r) for r in rows]
    assert exact_row_sums(np.zeros((3, 0))).tolist() == [0.0, 0.0, 0.0]
    assert exact_row_sums(np.array([[0.5], [7.0]])).tolist() == [0.5, 7.0]


def test_grouping_by_hash_matches_exact_factorisation() -> None:
    rng = np.random.default_rng(5)
    columns = [rng.integers(0, 3, 500), rng.integers(0, 2, 500).astype(float) * 0.1]
    group, first = _group_rows(columns)
    exact_group, exact_first = factorise_rows(columns)
    assert len(first) == len(exact_first)
    assert sorted(first.tolist()) == sorted(exact_first.tolist())
    pairs = set(zip(group.tolist(), exact_group.tolist(), strict=True))
    assert len(pairs) == len(first)  # the same partition of the rows
    for g, f in enumerate(first.tolist()):
        assert group[f] == g


# -- encode: cells to points, row errors -----------------------------------------------------


def answer_rows_of(encoded: Encoded) -> list[tuple[Answer, ...]]:
    """Every good row's answers (form items, then reserve items) from ``answer_codes``."""
    columns = [[values[c] for c in codes.tolist()] for codes, values in encoded.answer_codes()]
    return list(zip(*columns, strict=True))


TINY_CSV = """\
candidate_id,name,m1,m2,t1,t2,s1
c1,Ann,b,25.4,4,2,b
c2,Bo,z,25.4,4,2,b
c3,Cy,b,abc,4,2,b
c4,Di,b,25.4,6,2,b
c5,Ed,b,25.4,2.5,2,b
c6,Fa, b ,"1 250 mm",4.0,,
,Gi,b,25.4,4,2,b
c1,Ha,b,25.4,4,2,b
c9,Io,z,abc,9,2,d
c10,Jo,b,"1,250 mm",4,2,b
"""


def test_encode_reports_each_bad_cell_and_scores_the_good_rows(tmp_path: Path) -> None:
    path = tmp_path / "batch.csv"
    path.write_text(TINY_CSV, encoding="utf-8")
    a = tiny()
    encoded = encode(a, "A", read_table(path))
    assert encoded.errors == (
        RowError(3, "m1", "z", "not an option (options: a, b, c)"),
        RowError(4, "m2", "abc", "expected a number"),
        RowError(5, "t1", "6", "out of range 1..5"),
        RowError(6, "t1", "2.5", "expected a whole number 1..5"),
        RowError(8, "candidate_id", "", "missing candidate id"),
        RowError(9, "candidate_id", "c1", "duplicate candidate id (first at row 2)"),
        RowError(10, "m1", "z", "not an option (options: a, b, c)"),
        RowError(10, "m2", "abc", "expected a number"),
        RowError(10, "t1", "9", "out of range 1..5"),
        RowError(10, "s1", "d", "not an option (options: a, b, c)"),
        RowError(11, "m2", "1,250 mm", "could be 1.250 or 1250: write 1.250 or 1250"),
    )
    assert encoded.rejected == (3, 4, 5, 6, 8, 9, 10, 11)
    assert encoded.rows.tolist() == [2, 7]
    assert encoded.ids == ["c1", "c6"]
    assert encoded.names == ["Ann", "Fa"]
    assert encoded.item_ids == ("m1", "m2", "t1", "t2", "s1")
    assert encoded_answers(encoded, 0) == {"m1": "b", "m2": 25.4, "t1": 4, "t2": 2, "s1": "b"}
    assert encoded_answers(encoded, 1) == {
        "m1": "b",
        "m2": 1250.0,
        "t1": 4,
        "t2": None,
        "s1": None,
    }
    assert answer_rows_of(encoded) == [("b", 25.4, 4, 2, "b"), ("b", 1250.0, 4, None, None)]
    np.testing.assert_array_equal(
        encoded.points, [[1.0, 1.0, 4.0, 4.0, 2.0], [1.0, 0.0, 4.0, np.nan, np.nan]]
    )
    scores = score_points(a, "A", encoded.points)
    for i in range(len(encoded)):
        card = score_form(a, encoded_answers(encoded, i), "A")
        assert row_scorecard(a, "A", scores, i) == card


def test_encode_with_many_distinct_cells_takes_the_sorted_lookup(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screener.vectorscore as vectorscore

    path = tmp_path / "batch.csv"
    path.write_text(TINY_CSV, encoding="utf-8")
    a = tiny()
    dense = encode(a, "A", read_table(path))
    monkeypatch.setattr(vectorscore, "_DENSE_LOOKUP", 1)  # as if the file had 65,537+ values
    sparse = encode(a, "A", read_table(path))
    assert sparse.errors == dense.errors
    np.testing.assert_array_equal(sparse.points, dense.points)
    assert answer_rows_of(sparse) == answer_rows_of(dense)


def test_encode_json_types(tmp_path: Path) -> None:
    a = Assessment.model_validate(
        {
            "id": "x",
            "title": "X",
            "version": "1",
            "description": "d",
            "competencies": [{"id": "c", "name": "C", "domain": "business", "cut": 50}],
            "items": [
                {
                    "id": "q",
                    "kind": "choice",
                    "competency": "c",
                    "prompt": "p",
                    "options": [{"id": "1", "label": "one"}, {"id": "2", "label": "two"}],
                    "key": "2",
                },
                {
                    "id": "r",
                    "kind": "likert",
                    "competency": "c",
                    "prompt": "p",
                    "scale": {"min": 1, "max": 5},
                },
            ],
        }
    )
    path = tmp_path / "a.jsonl"
    path.write_text(
        '{"candidate_id": "a", "q": 2, "r": 1}\n'
        '{"candidate_id": "b", "q": "1", "r": true}\n'
        '{"candidate_id": "c", "q": 2.0, "r": "5"}\n'
        '{"candidate_id": "d", "q": 3, "r": [4]}\n',
        encoding="utf-8",
    )
    encoded = encode(a, None, read_table(path))
    assert [(e.row, e.column, e.value) for e in encoded.errors] == [
        (2, "r", "true"),
        (4, "q", "3"),
        (4, "r", "[4]"),
    ]
    assert "yes/no" in encoded.errors[0].message
    assert encoded.ids == ["a", "c"]
    np.testing.assert_array_equal(encoded.points, [[1.0, 1.0], [1.0, 5.0]])
    assert encoded_answers(encoded, 0) == {"q": "2", "r": 1}
    assert answer_rows_of(encoded) == [("2", 1), ("2", 5)]  # as normalise returns them


def test_encode_with_a_mapping(tmp_path: Path) -> None:
    mapping_path = tmp_path / "columns.yaml"
    mapping_path.write_text(
        "columns:\n"
        '  "What is 2 + 2?": m1\n'
        '  "A guard is missing on a press. What do you do?": s1\n'
        "answers:\n"
        "  s1:\n"
        '    "Stop and tell the lead": b\n'
        '    "Run it carefully": a\n'
        '  "*":\n'
        '    "Strongly agree": 5\n'
        '    "Agree": 4\n',
        encoding="utf-8",
    )
    mapping = read_mapping(mapping_path)
    path = tmp_path / "export.csv"
    path.write_text(
        'candidate_id,"What is 2 + 2?",t1,t2,"A guard is missing on a press. What do you do?"\n'
        "c1,b,Strongly agree,agree,Stop and tell the lead\n"
        "c2,c,4,Strongly agree,Run it carefully\n"
        "c3,Agree,1,2,Finish it\n",
        encoding="utf-8",
    )
    a = tiny()
    encoded = encode(a, "A", read_table(path, mapping=mapping), mapping)
    assert encode(a, "A", read_table(path, mapping=mapping)).errors == encoded.errors  # kept
    assert encoded_answers(encoded, 0) == {"m1": "b", "m2": None, "t1": 5, "t2": 4, "s1": "b"}
    assert encoded_answers(encoded, 1) == {"m1": "c", "m2": None, "t1": 4, "t2": 5, "s1": "a"}
    codes, values = encoded.answer_codes()[1]
    assert [values[c] for c in codes.tolist()] == [None, None]  # m2 is not in the file
    assert encoded.missing_items == ("m2",)
    header = "A guard is missing on a press. What do you do?"
    assert encoded.errors == (
        RowError(
            4,
            "What is 2 + 2?",
            "Agree",
            "expected an option id (the mapping gives 4)",
        ),
        RowError(4, header, "Finish it", "not an option (options: a, b, c)"),
    )


def test_mapping_faults_found_by_encode_name_their_line(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("candidate_id,t1\nc1,4\n", encoding="utf-8")
    mapping_path = tmp_path / "columns.yaml"
    mapping_path.write_text(
        "answers:\n  t1:\n    Top: 9\n  nope:\n    X: a\n  m3:\n    Y: z\n", encoding="utf-8"
    )
    with pytest.raises(ContentError) as err:
        encode(tiny(), "A", read_table(path), read_mapping(mapping_path))
    assert err.value.problems == [
        f"{mapping_path}:3: item t1: out of range 1..5 (got 9)",
        f"{mapping_path}:4: no item 'nope' in tiny",
    ]  # m3 is of form B: not checked against form A


def test_unknown_and_other_form_columns_are_file_errors(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("candidate_id,name,m1,zz,Question 9,m3\nc1,Ann,b,1,2,a\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        encode(tiny(), "A", read_table(path))
    unknown, other = err.value.problems
    assert "unknown columns 'zz', 'Question 9'" in unknown and "--map" in unknown
    assert "'m3' is an item of tiny but not of form A" in other
    mapped = Mapping(columns={"Question 9": "q9"})
    with pytest.raises(ContentError, match="'Question 9' \\(mapped to 'q9'\\)"):
        encode(tiny(), "A", read_table(path, mapping=mapped), mapped)
    with pytest.raises(NotFoundError, match="no form 'C' in tiny"):
        encode(tiny(), "C", read_table(path))


def test_encode_of_an_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("candidate_id,m1\n", encoding="utf-8")
    a = tiny()
    encoded = encode(a, "A", read_table(path))
    assert encoded.points.shape == (0, 5) and encoded.errors == ()
    scores = score_points(a, "A", encoded.points)
    assert len(scores) == 0 and plans(a, scores) == []


def test_unanswered_rows_are_incomplete_and_plans_shared() -> None:
    a = tiny()
    answered: dict[str, Answer] = {"m1": "a", "m2": 1.0, "t1": 1, "s1": "b"}
    rows: list[dict[str, Answer]] = [answered, answered, answered, {}]
    scores = score_points(a, "A", points_matrix(a, "A", rows))
    cards = scorecards(a, scores)
    assert cards[0] == cards[1] == score_form(a, rows[0], "A")
    assert cards[0].outcome == "coaching"
    assert cards[3].outcome == "incomplete" and cards[3].overall is None
    assert dict(cards[0].points) == {"m1": 0.0, "m2": 0.0, "t1": 1.0, "t2": None, "s1": 2.0}
    planned = plans(a, scores)
    assert planned[0] and planned[0] is planned[1] is planned[2]  # one plan per distinct row
    assert planned[3] == ()
    empty = score_points(a, "A", np.zeros((0, 5)))
    assert scorecards(a, empty) == [] and plans(a, empty) == []


def test_score_points_checks_the_shape() -> None:
    with pytest.raises(ValueError, match="5 columns"):
        score_points(tiny(), "A", np.zeros((2, 3)))


# -- bundled screening via simulate, and the bfi data ---------------------------------------


@pytest.mark.parametrize("form", ["A", "B"])
def test_screening_simulated_cohort_vector_equals_scalar(form: str) -> None:
    a = screening()
    rows = [c.answers for c in simulate(a, form, 1500, seed=7)]
    assert_same_as_scalar(a, form, rows)


def test_screening_through_csv_round_trip(tmp_path: Path) -> None:
    a = screening()
    people = list(simulate(a, "B", 600, seed=3))
    path = tmp_path / "cohort.csv"
    with path.open("w", encoding="utf-8", newline="") as fh:
        write_csv(people, fh)
    encoded = encode(a, "B", read_table(path))
    assert encoded.errors == () and encoded.ids == [p.candidate_id for p in people]
    assert encoded.names == [p.name for p in people]
    scores = score_points(a, "B", encoded.points)
    vector_plans = plans(a, scores)
    outcomes = set()
    for i, person in enumerate(people):
        assert encoded_answers(encoded, i) == person.answers
        card = score_form(a, person.answers, "B")
        assert row_scorecard(a, "B", scores, i) == card
        assert vector_plans[i] == build_plan(a, card)
        outcomes.add(card.outcome)
    assert outcomes == {"pass", "coaching", "incomplete"}


needs_bfi = pytest.mark.skipif(
    not SHARED_BFI.is_dir(), reason="shared/reference/bfi is not beside the repo"
)


@needs_bfi
def test_bfi_read_encode_score_matches_psych() -> None:
    a = bfi()
    table = read_table(SHARED_BFI / "responses.csv")
    encoded = encode(a, None, table)
    assert len(encoded) == 2800 and encoded.errors == ()
    scores = score_points(a, None, encoded.points)
    with (SHARED_BFI / "psych_scores.csv").open(newline="") as fh:
        expected = {row["candidate_id"]: row for row in csv.DictReader(fh)}
    checked = 0
    for i, cid in enumerate(encoded.ids):
        for m, comp in enumerate(scores.competencies):
            want = expected[cid][comp]
            got = scores.score[i, m]
            if want == "NA":
                assert math.isnan(got)
                continue
            assert abs(got - (float(want) - 1) / 5 * 100) <= 1e-9, (cid, comp)
            checked += 1
    assert checked >= 2800 * 5 - 50
    # and bit for bit what the scalar engine says
    for i in range(0, 2800, 7):
        card = score_form(a, encoded_answers(encoded, i))
        assert row_scorecard(a, None, scores, i) == card
    vector_plans = plans(a, scores)
    assert all(
        vector_plans[i] == build_plan(a, row_scorecard(a, None, scores, i))
        for i in range(len(encoded))
    )


@needs_bfi
def test_bfi_repeated_file_gives_repeated_scores(tmp_path: Path) -> None:
    source = (SHARED_BFI / "responses.csv").read_text(encoding="utf-8").splitlines()
    out = io.StringIO()
    out.write(source[0] + "\n")
    for k in (1, 2):
        for line in source[1:]:
            cid, rest = line.split(",", 1)
            out.write(f'"{cid.strip(chr(34))}-{k}",{rest}\n')
    path = tmp_path / "twice.csv"
    path.write_text(out.getvalue(), encoding="utf-8")
    encoded = encode(bfi(), None, read_table(path))
    assert len(encoded) == 5600 and encoded.errors == ()
    scores = score_points(bfi(), None, encoded.points)
    np.testing.assert_array_equal(scores.score[:2800], scores.score[2800:])
