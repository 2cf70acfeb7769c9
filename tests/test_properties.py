"""Property tests of the scoring and coaching rules on generated assessments."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from screener.coaching import build_plan
from screener.content import AnyItem, Assessment, ChoiceItem, JudgementItem, LikertItem
from screener.scoring import Answer, point_range, reverse, score_form

MODULES = ["m-a", "m-b", "m-c", "m-d"]


@st.composite
def assessments(draw: st.DrawFn) -> Assessment:
    n_comp = draw(st.integers(1, 4))
    comps = [
        {
            "id": f"c{n}",
            "name": f"C{n}",
            "domain": draw(st.sampled_from(["cognitive", "personal", "relational", "business"])),
            "cut": draw(st.floats(0, 100, allow_nan=False)),
            "min_answered": draw(st.sampled_from([0.25, 0.5, 1.0])),
            "modules": draw(st.lists(st.sampled_from(MODULES), max_size=3, unique=True)),
        }
        for n in range(n_comp)
    ]
    items: list[dict[str, Any]] = []
    for n in range(n_comp):
        for k in range(draw(st.integers(1, 5))):
            kind = draw(st.sampled_from(["choice", "judgement", "likert", "numeric"]))
            base: dict[str, Any] = {
                "id": f"i{n}_{k}",
                "kind": kind,
                "competency": f"c{n}",
                "prompt": "q",
                "weight": draw(st.sampled_from([0.5, 1.0, 2.0, 3.0])),
            }
            if kind == "choice":
                base |= {
                    "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
                    "key": "b",
                }
            elif kind == "judgement":
                pts = draw(
                    st.lists(st.integers(-2, 4), min_size=2, max_size=4).filter(
                        lambda p: len(set(p)) > 1
                    )
                )
                base["options"] = [
                    {"id": f"o{j}", "label": "x", "points": float(p)} for j, p in enumerate(pts)
                ]
            elif kind == "likert":
                low = draw(st.integers(0, 2))
                base |= {
                    "scale": {"min": low, "max": low + draw(st.integers(1, 6))},
                    "reverse": draw(st.booleans()),
                }
            else:
                base |= {"answer": draw(st.floats(-100, 100, allow_nan=False)), "tolerance": 0.5}
            items.append(base)
    return Assessment.model_validate(
        {
            "id": "gen",
            "title": "G",
            "version": "1",
            "description": "d",
            "competencies": comps,
            "items": items,
        }
    )


def best_answer(a: Assessment, item: AnyItem) -> Answer:
    if isinstance(item, ChoiceItem):
        return item.key
    if isinstance(item, JudgementItem):
        return max(item.options, key=lambda o: o.points).id
    if isinstance(item, LikertItem):
        scale = a.scale_of(item)
        return scale.min if item.reverse else scale.max
    return item.answer


@st.composite
def answered(draw: st.DrawFn) -> tuple[Assessment, dict[str, Answer]]:
    a = draw(assessments())
    answers: dict[str, Answer] = {}
    for item in a.items:
        if draw(st.booleans()) and draw(st.booleans()):
            continue  # a quarter left unanswered
        if isinstance(item, ChoiceItem | JudgementItem):
            answers[item.id] = draw(st.sampled_from([o.id for o in item.options]))
        elif isinstance(item, LikertItem):
            scale = a.scale_of(item)
            answers[item.id] = draw(st.integers(scale.min, scale.max))
        else:
            answers[item.id] = draw(
                st.sampled_from([item.answer, item.answer + 0.3, item.answer + 5])
            )
    return a, answers


@given(assessments())
def test_best_answers_score_100_and_pass_with_empty_plan(a: Assessment) -> None:
    card = score_form(a, {i.id: best_answer(a, i) for i in a.items})
    assert all(c.score == 100.0 and c.status == "meets" for c in card.competencies)
    assert card.outcome == "pass"
    assert build_plan(a, card) == ()


@given(answered())
def test_met_competencies_never_contribute_modules(
    case: tuple[Assessment, dict[str, Answer]],
) -> None:
    a, answers = case
    card = score_form(a, answers)
    plan = build_plan(a, card)
    below = {c.id for c in card.competencies if c.status == "below"}
    from_below = {m for c in a.competencies if c.id in below for m in c.modules}
    assert len({e.module for e in plan}) == len(plan)
    for entry in plan:
        assert set(entry.competencies) <= below
        assert entry.module in from_below
        assert entry.gap > 0
    if card.outcome == "coaching":
        assert {e.module for e in plan} == from_below
    assert [e.gap for e in plan] == sorted((e.gap for e in plan), reverse=True)


@given(answered())
def test_pomp_stays_within_0_and_100(case: tuple[Assessment, dict[str, Answer]]) -> None:
    a, answers = case
    for comp in score_form(a, answers).competencies:
        assert comp.score is None or 0.0 <= comp.score <= 100.0


@given(st.integers(-5, 5), st.integers(1, 10), st.data())
def test_reversing_twice_is_identity(low: int, span: int, data: st.DataObject) -> None:
    value = data.draw(st.integers(low, low + span))
    assert low <= reverse(value, low, low + span) <= low + span
    assert reverse(reverse(value, low, low + span), low, low + span) == value


@settings(max_examples=60)
@given(answered(), st.randoms(use_true_random=False))
def test_item_order_does_not_change_scores(
    case: tuple[Assessment, dict[str, Answer]], rnd: Any
) -> None:
    a, answers = case
    shuffled = list(a.items)
    rnd.shuffle(shuffled)
    b = a.model_copy(update={"items": shuffled})
    first, second = score_form(a, answers), score_form(b, answers)
    assert [c.score for c in first.competencies] == [c.score for c in second.competencies]
    assert first.outcome == second.outcome


@given(assessments())
def test_point_range_is_ordered(a: Assessment) -> None:
    for item in a.items:
        low, high = point_range(a, item)
        assert low < high


# -- fast copies of rules, each against its reference (issue 12) ---------------------------

_ID_TEXT = st.text(
    alphabet=st.one_of(
        st.characters(codec="utf-8"),
        st.sampled_from([" ", "\t", "\n", "\x85", "\xa0", "\u2028", "\u3000", "\u202e", "a"]),
    ),
    max_size=70,
)


@settings(max_examples=400)
@given(st.lists(_ID_TEXT, max_size=6))
def test_fast_candidate_id_check_is_check_candidate_id(ids: list[str]) -> None:
    from screener.errors import RecordError
    from screener.store.records import (
        all_valid_candidate_ids,
        check_candidate_id,
        invalid_candidate_ids,
    )

    refused: dict[str, str] = {}
    for ident in ids:
        try:
            check_candidate_id(ident)
        except RecordError as exc:
            refused[ident] = str(exc)
    assert all_valid_candidate_ids(ids) == (not refused)
    assert invalid_candidate_ids(ids) == {k: v for k, v in refused.items() if k}


_STATUS = st.sampled_from(["meets", "below", "borderline", "incomplete"])


@settings(max_examples=400)
@given(
    outcome=st.sampled_from(["pass", "coaching", "incomplete", None]),
    rows=st.lists(
        st.tuples(
            _STATUS,
            st.sampled_from([0.0, 1.0, 5.0, 12.5, 1 / 3]),
            st.lists(st.sampled_from(MODULES), max_size=3, unique=True),
        ),
        max_size=6,
    ),
    module=st.sampled_from(MODULES),
)
def test_plan_has_module_is_the_plan_rule(
    outcome: str | None, rows: list[tuple[str, float, list[str]]], module: str
) -> None:
    """``coaching.plan_has_module`` (the store's filter shortcut) says what ``plan_rows`` lists."""
    from screener.coaching import plan_has_module, plan_rows

    ids = [f"c{n}" for n in range(len(rows))]
    statuses = [s for s, _, _ in rows]
    gaps = [g if s in ("below", "borderline") else 0.0 for s, g, _ in rows]
    modules = [m for _, _, m in rows]
    listed = {row[0] for row in plan_rows(outcome, ids, statuses, gaps, modules)}
    coached = [s for s, _, m in rows if module in m]
    assert plan_has_module(outcome, coached) == (module in listed)


@given(answered())
def test_an_interval_wholly_above_the_cut_adds_no_module(
    case: tuple[Assessment, dict[str, Answer]],
) -> None:
    """Under every borderline action, a competency whose interval lies wholly at or above
    its cut meets it and adds no module (required or recommended)."""
    from screener.content import Borderline

    a, answers = case
    for action in ("follow_up", "recommend", "gap"):
        rule = a.decision.model_copy(update={"borderline": Borderline(action=action)})
        b = a.model_copy(update={"decision": rule})
        card = score_form(b, answers)
        plan = build_plan(b, card)
        for comp in card.competencies:
            if comp.interval is not None and comp.interval[0] >= comp.cut:
                assert comp.status == "meets" and not comp.near_cut
                assert all(comp.id not in e.competencies for e in plan)


@settings(max_examples=400)
@given(
    outcome=st.sampled_from(["pass", "coaching", "incomplete", None]),
    rows=st.lists(
        st.tuples(
            _STATUS,
            st.sampled_from([0.0, 1.0, 5.0, 12.5, 1 / 3, 40.0]),
            st.lists(st.sampled_from(MODULES), max_size=3, unique=True),
        ),
        max_size=7,
    ),
)
def test_plan_modules_is_the_plan_rule(
    outcome: str | None, rows: list[tuple[str, float, list[str]]]
) -> None:
    """``coaching.plan_modules`` (exports' fast module list) is ``plan_rows``' modules in order."""
    from screener.coaching import plan_modules, plan_rows

    ids = [f"c{n}" for n in range(len(rows))]
    statuses = [s for s, _, _ in rows]
    gaps = [g if s in ("below", "borderline") else 0.0 for s, g, _ in rows]
    modules = [m for _, _, m in rows]
    expected = [row[0] for row in plan_rows(outcome, ids, statuses, gaps, modules)]
    assert plan_modules(outcome, statuses, gaps, modules) == expected


@settings(max_examples=400)
@given(
    outcome=st.sampled_from(["pass", "coaching", "incomplete", None]),
    rows=st.lists(
        st.tuples(
            st.sampled_from("mboi"),
            st.sampled_from([None, 0.0, 20.0, 45.5, 50.0, 100 / 3]),
            st.lists(st.sampled_from(MODULES), max_size=3, unique=True),
        ),
        min_size=1,
        max_size=7,
    ),
)
def test_a_records_plan_modules_is_the_plan_rule(
    outcome: str | None, rows: list[tuple[str, float | None, list[str]]]
) -> None:
    """``AttemptRecord.plan_modules`` (memoised per layout) is ``coaching.plan_modules``
    of the stored statuses and gaps, also read a second time (from the memo)."""
    import orjson

    from screener.coaching import plan_modules
    from screener.store.records import AttemptRecord, Layout, raw_gaps, statuses_of

    n = len(rows)
    layout = Layout(
        assessment="a",
        version="1",
        form="A",
        items=(),
        item_competency=(),
        competencies=tuple(f"c{k}" for k in range(n)),
        cuts=(50.0,) * n,
        modules=tuple(tuple(m) for _, _, m in rows),
    )
    codes = "".join(c for c, _, _ in rows)
    scores = [s for _, s, _ in rows]
    doc = {
        "id": "t1",
        "cand": "p1",
        "status": "submitted",
        "outcome": outcome,
        "codes": codes,
        "scores": orjson.dumps(scores).decode(),
    }
    expected = plan_modules(
        outcome, statuses_of(codes), raw_gaps(layout, scores, codes), layout.modules
    )
    for _ in range(2):
        assert AttemptRecord.from_doc(doc, layout, None).plan_modules == expected


_NAME_TEXT = st.text(
    alphabet=st.sampled_from(["a", "B", "é", " ", "\t", "\u00a0", "\u200b", "\x07", "-"]),
    max_size=8,
)


@given(
    st.lists(
        st.tuples(st.sampled_from(["c-1", "c-2", "c-3", "c-4"]), st.none() | _NAME_TEXT),
        max_size=12,
    ),
    st.sets(st.sampled_from(["c-1", "c-2"])),
)
@settings(max_examples=300, deadline=None)
def test_a_batchs_new_people_are_named_as_clean_name_names_them_one_by_one(
    rows: list[tuple[str, str | None]], known: set[str]
) -> None:
    """``records.new_people`` names each new person by their first row's name as
    ``clean_name`` makes it (or by their id), whether every name is clean already (the
    check over all of them at once) or not; a name ``clean_name`` refuses is refused."""
    from screener.errors import RecordError
    from screener.store.records import clean_name, new_people

    cands = [c for c, _ in rows]
    names = [n for _, n in rows]
    want: dict[str, tuple[str, None]] = {}
    refused = False
    for cid, name in rows:
        if cid in known or cid in want:
            continue
        try:
            want[cid] = (clean_name(name) if name and name.strip() else cid, None)
        except RecordError:
            refused = True
            break
    if refused:
        with pytest.raises(RecordError):
            new_people(cands, names, known)
    else:
        assert new_people(cands, names, known) == want


def _piece_facts(text: str, plain: bool, delimiter: str = ",") -> tuple[object, ...]:
    """What ``importing._read_piece`` makes of the text after the header, read as one
    piece, with its plain-text way (``_read_plain``) allowed or not."""
    import csv
    from pathlib import Path

    from screener import importing

    path = Path("piece.csv")
    out = importing._new_builder(path, "candidate_id", "name", None, ("email",), ())
    cut = importing._cut(text, delimiter, out, path)
    assert cut is not None
    head_end = importing._after_lines(text, cut[1])
    real = importing._read_plain
    if not plain:
        importing._read_plain = lambda *args: None  # type: ignore[assignment]
    try:
        piece = importing._read_piece(text, [head_end, len(text)], 0, delimiter, out)
    except csv.Error as error:
        return ("csv.Error", str(error))
    finally:
        importing._read_plain = real
    part = piece.part
    cells = [[part.values[c] for c in row] for chunk in part.chunks for row in chunk.tolist()]
    rows = [r for chunk in part.rows for r in chunk.tolist()]
    errors = [(e.row, e.column, e.value, e.message) for e in part.errors]
    return (
        piece.records,
        piece.open_end,
        rows,
        part.ids,
        part.names,
        part.contacts,
        cells,
        errors,
        sorted(part.structural),
    )


_CSV_CELL = st.one_of(  # mostly cells a plain piece holds, now and then one it does not
    st.text(alphabet=list("a1 2é#x"), max_size=3),
    st.text(alphabet=list("a12"), max_size=3),
    st.text(alphabet=list('a1 2#,;\t"\r\né\x00x'), max_size=4),
)


def _csv_records(
    cell: st.SearchStrategy[str], ends: list[str], cells: tuple[int, int] = (4, 4)
) -> st.SearchStrategy[Any]:
    return st.lists(
        st.tuples(
            st.lists(
                st.tuples(cell, st.sampled_from(["raw", "quoted", "digit"])),
                min_size=cells[0],
                max_size=cells[1],
            ),
            st.sampled_from(ends),
        ),
        min_size=1,
        max_size=12,
    )


_TIDY_CELL = st.text(alphabet=list("a1 2é#x"), max_size=3)


@given(
    st.one_of(
        _csv_records(_TIDY_CELL, ["\n"]),
        _csv_records(_TIDY_CELL, ["\n", "\r\n"]),
        _csv_records(_CSV_CELL, ["\n", "\r\n", ""], (3, 5)),
    ),
    st.sampled_from([",", ",", ";", "\t"]),
)
@settings(max_examples=400, deadline=None)
def test_a_csv_piece_read_the_plain_way_is_what_the_csv_reader_reads(
    records: list[tuple[list[tuple[str, str]], str]], delimiter: str
) -> None:
    """A CSV piece read through ``_read_plain`` (cell bounds found with numpy, answers
    coded through a table of their bytes) gives the same rows, ids, names, contacts,
    answer cells, errors and record count as ``csv.reader`` through ``_add_chunk``;
    any piece it does not take as plain (quotes inside cells, ragged rows, blank or
    comment ids, lone carriage returns, NUL) is left to the csv reader."""
    lines = []
    for n, (cells, end) in enumerate(records):
        shown = [f"id{n}" if n != 5 else cells[0][0]]  # an odd id now and then
        for cell, way in cells:
            if way == "quoted":
                shown.append('"' + cell.replace('"', '""') + '"')
            elif way == "digit":
                shown.append(str(len(cell)))
            else:
                shown.append(cell)
        lines.append(delimiter.join(shown) + (end if end or n < len(records) - 1 else ""))
        if not end and n < len(records) - 1:
            lines[-1] += "\n"
    head = delimiter.join(["candidate_id", "name", "email", "m1", "m2"])
    text = head + "\n" + "".join(lines)
    assert _piece_facts(text, True, delimiter) == _piece_facts(text, False, delimiter)


@pytest.mark.parametrize(
    "body",
    [
        'a,Ann,a@x.org,1,2\nb,"Bo, B",,"3",\r\nc,Cé,c@x.org,10,yes\n',
        "a,Ann,,1,2\nb,Bo,,3,4",  # no newline at the end
        'a,"Ann",,"",""\n',  # empty quoted cells
        "a,Ann,,1,2\n# note,,,,\n",  # a comment row: the csv reader's way
        "a,Ann,,1,2\n\nb,Bo,,3,4\n",  # a blank line: the csv reader's way
    ],
)
def test_plain_csv_pieces_read_as_the_csv_reader_reads_them(body: str) -> None:
    text = "candidate_id,name,email,m1,m2\n" + body
    assert _piece_facts(text, plain=True) == _piece_facts(text, plain=False)
