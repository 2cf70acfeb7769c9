"""The questionary flows driven through prompt_toolkit pipe input (no terminal needed)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from content_fixtures import load_assessment, tiny
from helpers import DATA
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from screener.catalog import check_file
from screener.content import Module
from screener.scoring import Answer
from screener.session import (
    QuitRequested,
    TakeState,
    option_order,
    question_order,
    run_check,
    run_lessons,
    run_practice,
    run_take,
)

DOWN = "\x1b[B"
ENTER = "\r"
CTRL_C = "\x03"


@contextmanager
def keys() -> Iterator[PipeInput]:
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        yield inp


def console() -> Console:
    return Console(file=io.StringIO(), width=80, no_color=True)


def module(name: str) -> Module:
    checked = check_file(DATA / "tiny" / "modules" / f"{name}.yaml")
    assert isinstance(checked.model, Module)
    return checked.model


def select(position: int) -> str:
    """Keys that pick the option at ``position`` (0-based) of a select list."""
    return DOWN * position + ENTER


def test_question_order_groups_by_domain() -> None:
    a = tiny()
    items = a.form_items("A")
    order = question_order(a, "A")
    domains = [a.competency(items[i].competency).domain for i in order]
    assert domains == ["cognitive", "cognitive", "relational", "relational", "business"]


def test_option_order_is_shuffled_but_stable_for_a_seed() -> None:
    item = tiny().form_items("A")[0]
    assert option_order(item, 1) == option_order(item, 1)
    orders = {tuple(option_order(item, seed)) for seed in range(20)}
    assert len(orders) > 1


def test_a_whole_short_assessment() -> None:
    a = tiny()
    items = a.form_items("A")
    saved: list[tuple[int, Answer]] = []
    state = TakeState([None] * len(items), [None] * len(items))
    m1_order = option_order(items[0], 5)
    with keys() as inp:
        inp.send_text(
            select(m1_order.index("b"))  # m1: the key
            + "abc"
            + ENTER  # m2: not a number: asked again
            + "\x7f\x7f\x7f"
            + "25.4 mm"
            + ENTER
            + select(3)  # t1: 4
            + select(0)  # t2: 1 (reversed)
            + select(len(items[4].options) + 1 - 1)  # s1: skip (after the options and a separator)
        )
        run_take(a, "A", 5, state, lambda i, v, s: saved.append((i, v)), console())
    assert saved == [(0, "b"), (1, 25.4), (2, 4), (3, 1), (4, None)]
    assert state.asked == {0, 1, 2, 3, 4}
    assert all(s is not None and s >= 0 for s in state.seconds)


def test_ctrl_c_offers_to_quit_and_resume_continues_at_the_next_question() -> None:
    a = tiny()
    items = a.form_items("A")
    saved: dict[int, Answer] = {}
    state = TakeState([None] * len(items), [None] * len(items))
    order = option_order(items[0], 9)
    with keys() as inp, pytest.raises(QuitRequested):
        inp.send_text(select(order.index("b")) + "12" + ENTER + CTRL_C + "y" + ENTER)
        run_take(a, "A", 9, state, lambda i, v, s: saved.__setitem__(i, v), console())
    assert saved == {0: "b", 1: 12.0}
    # resume: a fresh state rebuilt from what was saved
    state2 = TakeState([saved.get(i) for i in range(len(items))], [None] * len(items), set(saved))
    with keys() as inp:
        inp.send_text(select(4) + select(4) + select(0))
        run_take(a, "A", 9, state2, lambda i, v, s: saved.__setitem__(i, v), console())
    assert saved == {0: "b", 1: 12.0, 2: 5, 3: 5, 4: option_order(items[4], 9)[0]}


def test_ctrl_c_then_no_goes_on_with_the_same_question() -> None:
    a = tiny()
    items = a.form_items("A")
    saved: dict[int, Answer] = {}
    state = TakeState([None] * len(items), [None] * len(items))
    with keys() as inp:
        inp.send_text(
            CTRL_C + "n" + ENTER + select(0) + "1" + ENTER + select(0) + select(0) + select(0)
        )
        run_take(a, "A", 2, state, lambda i, v, s: saved.__setitem__(i, v), console())
    assert len(saved) == 5 and saved[0] == option_order(items[0], 2)[0]


def test_timed_item_left_unanswered_when_time_runs_out() -> None:
    a = load_assessment("tiny/assessments/tiny.yaml")
    item = a.form_items("A")[1].model_copy(update={"time_limit": 1})
    timed = a.model_copy(update={"items": [item if i.id == item.id else i for i in a.items]})
    saved: dict[int, Answer] = {}
    seconds: dict[int, float | None] = {}
    state = TakeState([None] * 5, [None] * 5, {0, 2, 3, 4})

    def sink(i: int, v: Answer, s: float | None) -> None:
        saved[i] = v
        seconds[i] = s

    con = console()
    with keys():
        run_take(timed, "A", 1, state, sink, con)  # nobody types
    assert saved == {1: None}
    assert seconds[1] is not None and seconds[1] >= 1.0
    assert "Time is up" in con.file.getvalue()  # type: ignore[attr-defined]


def test_module_lessons_practice_feedback_and_check_pass() -> None:
    m = module("tiny-math")
    con = console()
    with keys() as inp:
        run_lessons(m, con, pause=lambda: None)
        p1 = [o.id for o in m.practice[0].options]
        import random

        shown = list(p1)
        random.Random(f"3:{m.practice[0].id}").shuffle(shown)
        inp.send_text(select(shown.index("b")))  # the wrong answer: feedback
        right, total = run_practice(m, 3, con)
    out = con.file.getvalue()  # type: ignore[attr-defined]
    assert "Lesson 1 of 2: Adding" in out and "Add the ones first" in out
    assert (right, total) == (0, 1)
    assert "Count again" in out and "The best answer: 2" in out

    def pick(q_index: int, option: str, seed: int) -> str:
        q = m.check.items[q_index]
        ids = [o.id for o in q.options]
        random.Random(f"{seed}:{q.id}").shuffle(ids)
        return select(ids.index(option))

    with keys() as inp:
        inp.send_text(pick(0, "a", 3) + pick(1, "b", 3))
        result = run_check(m, 3, con)
    assert result.passed and result.score == 100 and result.review == []
    with keys() as inp:
        inp.send_text(pick(0, "b", 3) + pick(1, "a", 3))
        result = run_check(m, 3, con)
    assert not result.passed and result.review == ["adding", "halves"]
