"""The questionary flows driven through prompt_toolkit pipe input (no terminal needed)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from content_fixtures import load_assessment, tiny
from helpers import DATA
from prompt_toolkit.application import create_app_session
from prompt_toolkit.input import PipeInput, create_pipe_input
from prompt_toolkit.output import DummyOutput
from rich.console import Console

from screener.catalog import check_file
from screener.content import AnyItem, Assessment, ChoiceItem, JudgementItem, Module
from screener.scoring import Answer, score_form
from screener.session import (
    QuitRequested,
    TakeState,
    module_option_order,
    option_order,
    question_order,
    run_check,
    run_follow_ups,
    run_lessons,
    run_practice,
    run_take,
)
from screener.store import Store
from screener.taking import Taking

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
    words = tiny().form_items("A")[4]  # s1: options in words
    assert option_order(words, 1) == option_order(words, 1)
    orders = {tuple(option_order(words, seed)) for seed in range(20)}
    assert len(orders) > 1


def test_ordered_options_keep_their_order_unless_the_item_says_shuffle() -> None:
    """Issue #11.3: options whose order carries meaning keep it. ``shuffle`` unset:
    numbers keep the file's order, words are shuffled; false never, true always."""
    numbers = tiny().form_items("A")[0]  # m1: "3", "4", "5"
    words = tiny().form_items("A")[4]
    in_file = ["a", "b", "c"]
    assert {tuple(option_order(numbers, seed)) for seed in range(20)} == {tuple(in_file)}
    never = words.model_copy(update={"shuffle": False})
    assert {tuple(option_order(never, seed)) for seed in range(20)} == {
        tuple(o.id for o in words.options)
    }
    always = numbers.model_copy(update={"shuffle": True})
    assert len({tuple(option_order(always, seed)) for seed in range(20)}) > 1


def test_bundled_ordered_items_are_shown_in_file_order() -> None:
    """Directions and counts in words ("Up/Right/Down/Left", "2 molds high") are
    marked ``shuffle: false`` in the bundled screening and shown as written."""
    from screener.catalog import load_catalog

    a = load_catalog().assessments["wblc-screening"]
    fixed = [i for i in a.items if i.shuffle is False]
    assert fixed
    for item in fixed:
        assert isinstance(item, ChoiceItem | JudgementItem)
        assert option_order(item, 12345) == [o.id for o in item.options], item.id


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
        shown = module_option_order(m.practice[0], 3)
        inp.send_text(select(shown.index("b")))  # the wrong answer: feedback
        right, total = run_practice(m, 3, con)
    out = con.file.getvalue()  # type: ignore[attr-defined]
    assert "Lesson 1 of 2: Adding" in out and "Add the ones first" in out
    assert (right, total) == (0, 1)
    assert "Count again" in out and "The best answer: 2" in out

    def pick(q_index: int, option: str, seed: int) -> str:
        return select(module_option_order(m.check.items[q_index], seed).index(option))

    with keys() as inp:
        inp.send_text(pick(0, "a", 3) + pick(1, "b", 3))
        result = run_check(m, 3, con)
    assert result.passed and result.score == 100 and result.review == []
    with keys() as inp:
        inp.send_text(pick(0, "b", 3) + pick(1, "a", 3))
        result = run_check(m, 3, con)
    assert not result.passed and result.review == ["adding", "halves"]


# -- follow-up items after the form (issue #13) ---------------------------------------


def sixitem() -> Assessment:
    return load_assessment("measure/sixitem.yaml")


def right_or_wrong(item: AnyItem, seed: int, right: bool) -> str:
    """Keys that pick the keyed option (``right``) or the other one of a two-option item."""
    assert isinstance(item, ChoiceItem)
    wanted = item.key if right else next(o.id for o in item.options if o.id != item.key)
    return select(option_order(item, seed).index(wanted))


def take_sixitem(
    store: Store, candidate: str, form: str, right: int, follow_ups: tuple[str, ...] = ()
) -> tuple[Taking, str]:
    """Take ``form`` of sixitem through the real prompts: ``right`` of the six reasoning
    items right, teamwork 5 on every item, then the ``follow_ups`` items, if asked, right.
    Returns the attempt (not submitted) and what the screen showed."""
    a = sixitem()
    seed = 7
    taking = Taking.begin(store, a, candidate, form=form, seed=seed)
    items = a.form_items(form)
    typed = "".join(
        right_or_wrong(items[i], seed, n < right) if i < 6 else select(4)
        for n, i in enumerate(question_order(a, form))
    )
    typed += "".join(right_or_wrong(a.item(i), seed, True) for i in follow_ups)
    con = console()
    with keys() as inp:
        inp.send_text(typed)
        inp.close()  # no more keys: a question too many ends in EOFError, never a hang
        run_take(a, form, seed, taking.state, taking.save, con)
        run_follow_ups(a, seed, taking.next_follow_up, taking.save_follow_up, con)
    return taking, con.file.getvalue()  # type: ignore[attr-defined]


def test_a_borderline_form_asks_reserve_items_until_the_decision_is_sure(
    tmp_path: Path,
) -> None:
    """4 of 6 right is 66.7, interval 39.6-93.7 around the cut 65: reserve items follow;
    after three right (7 of 9) no fourth answer can take it below the cut, so it stops
    (docs/psychometrics.md's example)."""
    store = Store(tmp_path / "db.json")
    store.add_candidate("Border Line", candidate_id="bl")
    reserve = tuple(i.id for i in sixitem().reserve_items())
    taking, screen = take_sixitem(store, "bl", "A", 4, reserve[:3])
    assert list(taking.follow_ups) == ["re-r1", "re-r2", "re-r3"]
    assert "A few more questions" in screen
    assert [n for n in range(1, 6) if f"extra question {n}\n" in screen] == [1, 2, 3]
    card = score_form(sixitem(), taking.answers(), "A")
    reasoning = card.competency("reasoning")
    assert reasoning.extra == ("re-r1", "re-r2", "re-r3") and reasoning.answered == 9
    # 7 of 9: no answer can take it below the cut, yet its interval still straddles it
    assert round(reasoning.score or 0, 1) == 77.8 and reasoning.near_cut
    assert reasoning.status == "borderline"  # a recommended module, never a block
    final, previous = taking.submit()
    assert previous is None and final.outcome == "pass"
    stored = store.attempt(final.attempt_id)  # the answers as given, follow-up items too
    assert {i: stored.answers.get(i) for i in reserve[:4]} == {
        "re-r1": "a",
        "re-r2": "a",
        "re-r3": "a",
        "re-r4": None,
    }
    # the retake on form B never asks the reserve items met in form A again: r4 and r5
    # right make 6 of 8; only r6 is left unseen, and 6 of 9 still meets the cut
    retake, _ = take_sixitem(store, "bl", "B", 4, reserve[3:])
    assert list(retake.follow_ups) == ["re-r4", "re-r5"]


def test_a_clear_form_asks_no_reserve_item(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.json")
    store.add_candidate("Clear Case", candidate_id="cc")
    for right, form in ((6, "A"), (1, "B")):  # clearly above, clearly below the cut
        taking, screen = take_sixitem(store, "cc", form, right)
        assert taking.follow_ups == {}
        assert "extra question" not in screen and "A few more questions" not in screen
        assert score_form(sixitem(), taking.answers(), form).competency("reasoning").status == (
            "meets" if right == 6 else "below"
        )
        final, _ = taking.submit()
        assert final.outcome == ("pass" if right == 6 else "coaching")


def test_quit_during_follow_ups_and_resume_goes_on_with_them(tmp_path: Path) -> None:
    store = Store(tmp_path / "db.json")
    store.add_candidate("Go On", candidate_id="go")
    a = sixitem()
    seed = 7
    taking = Taking.begin(store, a, "go", form="A", seed=seed)
    items = a.form_items("A")
    order = question_order(a, "A")
    typed = "".join(
        right_or_wrong(items[i], seed, n < 4) if i < 6 else select(4) for n, i in enumerate(order)
    )
    typed += right_or_wrong(a.item("re-r1"), seed, False) + CTRL_C + "y" + ENTER
    with keys() as inp, pytest.raises(QuitRequested):
        inp.send_text(typed)
        run_take(a, "A", seed, taking.state, taking.save, console())
        run_follow_ups(a, seed, taking.next_follow_up, taking.save_follow_up, console())
    assert taking.follow_ups == {"re-r1": "b"}
    again = Taking.begin(store, a, "go", resume=True)
    assert again.record.attempt_id == taking.record.attempt_id and again.resumed
    assert again.remaining == 0 and again.follow_ups == {"re-r1": "b"}
    con = console()
    with keys() as inp:
        inp.send_text("".join(right_or_wrong(a.item(f"re-r{k}"), seed, True) for k in range(2, 5)))
        inp.close()
        run_take(a, "A", seed, again.state, again.save, con)  # nothing left of the form
        asked = run_follow_ups(
            a, seed, again.next_follow_up, again.save_follow_up, con, done=len(again.follow_ups)
        )
    screen = con.file.getvalue()  # type: ignore[attr-defined]
    assert "question 1 of" not in screen and "extra question 2" in screen
    assert "extra question 1\n" not in screen
    # 4 of 7 is below the cut and near it; r2, r3 right make 6 of 9 (66.7) and r4 right
    # 7 of 10: then max_extra (4) is reached
    assert asked == 3 and list(again.follow_ups) == ["re-r1", "re-r2", "re-r3", "re-r4"]
    final, _ = again.submit()
    assert [i for i, _, _ in final.follow_ups] == list(again.follow_ups)


# -- issues #11 and #14: what a candidate sees -----------------------------------------


@contextmanager
def terminal(columns: int = 80, rows: int = 40) -> Iterator[tuple[PipeInput, io.StringIO]]:
    """Keys from a pipe; what the prompts draw, as a terminal of that size would get it."""
    from prompt_toolkit.data_structures import Size
    from prompt_toolkit.output.vt100 import Vt100_Output

    drawn = io.StringIO()
    out = Vt100_Output(drawn, lambda: Size(rows=rows, columns=columns), term="xterm")
    out.enable_cpr = False
    with create_pipe_input() as inp, create_app_session(input=inp, output=out):
        yield inp, drawn


def plain_text(drawn: io.StringIO) -> str:
    """What the prompts wrote, without escape sequences."""
    import re

    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r", "", drawn.getvalue())


def tiny_state(a: Assessment, asked: set[int]) -> TakeState:
    n = len(a.form_items("A"))
    return TakeState([None] * n, [None] * n, set(asked))


def test_likert_number_keys_answer_and_the_hint_says_so() -> None:
    """Issue #11.4: pressing 2 picks scale point 2 (it did nothing)."""
    a = tiny()
    saved: dict[int, Answer] = {}
    with terminal() as (inp, drawn):
        inp.send_text("4" + "2")
        inp.close()
        run_take(
            a, "A", 1, tiny_state(a, {0, 1, 4}), lambda i, v, s: saved.update({i: v}), console()
        )
    assert saved == {2: 4, 3: 2}
    assert "(press 1-5, or arrow keys and Enter)" in plain_text(drawn)


def test_a_number_with_a_comma_and_three_digits_is_asked_again() -> None:
    """Issue #14: "1,250" may be 1.250 or 1250: the candidate says which; "25,4" is 25.4."""
    a = tiny()
    saved: dict[int, Answer] = {}
    for typed, pick, expected in (
        ("1,250", 1, 1250.0),
        ("9,525 mm", 0, 9.525),
        ("25,4", None, 25.4),
    ):
        keys = typed + ENTER + ("" if pick is None else select(pick))
        with terminal() as (inp, drawn):
            inp.send_text(keys)
            inp.close()
            run_take(
                a,
                "A",
                1,
                tiny_state(a, {0, 2, 3, 4}),
                lambda i, v, s: saved.update({i: v}),
                console(),
            )
        assert saved[1] == expected
        asked = "Did you mean" in plain_text(drawn)
        assert asked == (pick is not None)
    with terminal() as (inp, drawn):  # neither: typed again
        inp.send_text("1,250" + ENTER + select(2) + "\x7f" * 5 + "12" + ENTER)
        inp.close()
        run_take(
            a, "A", 1, tiny_state(a, {0, 2, 3, 4}), lambda i, v, s: saved.update({i: v}), console()
        )
    assert saved[1] == 12.0
    assert "Did you mean 1.250 or 1250?" in plain_text(drawn)


def test_question_mark_explains_the_glossary_words_of_the_screen() -> None:
    """Issue #14: the hint names the screen's glossary words; ? shows their meanings and
    the question is asked again."""
    a = tiny().model_copy(
        update={"glossary": {"millimetre": "A thousandth of a metre.", "guard": "A cover."}}
    )
    saved: dict[int, Answer] = {}
    con = console()
    order = option_order(a.form_items("A")[4], 1)
    with terminal() as (inp, drawn):
        inp.send_text("?" + "25.4" + ENTER + "?" + select(order.index("b")))
        inp.close()
        run_take(a, "A", 1, tiny_state(a, {0, 2, 3}), lambda i, v, s: saved.update({i: v}), con)
    assert saved == {1: 25.4, 4: "b"}
    out = con.file.getvalue()  # type: ignore[attr-defined]
    assert "millimetre: A thousandth of a metre." in out and "guard: A cover." in out
    assert "? explains: millimetre" in out  # the number's hint, printed above the prompt
    assert "(arrow keys, Enter; ? explains: guard)" in plain_text(drawn)


def test_figures_are_drawn_unwrapped_before_the_prompt_or_described_when_plain() -> None:
    """Issue #14: a figure keeps its lines at any width; --plain shows its alt text."""
    from screener.catalog import load_catalog
    from screener.session import Look, ask_item

    a = load_catalog().assessments["wblc-screening"]
    item = max((i for i in a.items if i.figure), key=lambda i: max(map(len, i.figure.splitlines())))
    assert item.figure and item.alt
    narrow = max(map(len, item.figure.splitlines())) - 4  # narrower than the drawing
    for plain in (False, True):
        con = Console(file=io.StringIO(), width=narrow, no_color=True)
        with terminal(40) as (inp, _):
            inp.send_text(ENTER)
            inp.close()
            ask_item(a, item, 1, 1, 1, con, Look(plain=plain))
        out = con.file.getvalue()  # type: ignore[attr-defined]
        lines = out.splitlines()
        if plain:
            assert "Drawing: " + item.alt.split()[0] in out
            assert item.figure.splitlines()[0].strip() not in lines
        else:
            figure = [line.rstrip() for line in item.figure.rstrip().splitlines()]
            start = lines.index(figure[0])
            assert [line.rstrip() for line in lines[start : start + len(figure)]] == figure


def test_extra_time_multiplies_the_time_limit() -> None:
    a = tiny()
    item = a.form_items("A")[1].model_copy(update={"time_limit": 1})
    timed = a.model_copy(update={"items": [item if i.id == item.id else i for i in a.items]})
    from screener.session import Look, ask_item

    con = console()
    with terminal():
        value, spent, out_of_time = ask_item(timed, item, 1, 2, 5, con, Look(extra_time=2))
    assert value is None and out_of_time and spent >= 2.0
    assert "time limit 2 s" in con.file.getvalue()  # type: ignore[attr-defined]


def test_calculator_policy_is_shown_once_before_the_math_section() -> None:
    from screener.session import CALCULATOR_POLICY

    a = tiny()
    con = Console(file=io.StringIO(), width=200, no_color=True)
    with terminal() as (inp, _):
        inp.send_text(ENTER + "25.4" + ENTER + "4" + "2" + ENTER)
        inp.close()
        run_take(a, "A", 1, tiny_state(a, set()), lambda i, v, s: None, con)
    out = con.file.getvalue()  # type: ignore[attr-defined]
    assert out.count(CALCULATOR_POLICY) == 1
    assert out.index(CALCULATOR_POLICY) < out.index("question 1 of 5")
    assert "basic calculator" in CALCULATOR_POLICY


def test_welcome_says_accommodation_is_available_and_time_for_what_is_left() -> None:
    from screener.render import console as make_console
    from screener.session import Look, welcome

    a = tiny()  # 5 minutes, 5 questions
    out = io.StringIO()
    welcome(make_console(file=out, width=80), a, "A", 2, True, Look(extra_time=1.5))
    text = " ".join(out.getvalue().split())
    assert "Accommodation is available" in text and "AODA" in text
    assert "Expected time: about 2 minutes for the questions left" in text
    assert "every time limit is 1.5 times as long" in text
    assert "╭" in out.getvalue()
    plain = io.StringIO()
    welcome(make_console(file=plain, width=80, plain=True), a, "A", 5, False, Look(plain=True))
    assert "Accommodation is available" in plain.getvalue()
    assert not set("╭╮╰╯│─") & set(plain.getvalue()) and "\x1b" not in plain.getvalue()


# -- coaching --------------------------------------------------------------------------


def test_feedback_never_says_correct_twice() -> None:
    """Issue #11.9: "Correct. Yes." -> "Correct."."""
    from screener.session import feedback_text

    assert feedback_text(True, "Yes. 2 + 2 = 4.") == "Correct. 2 + 2 = 4."
    assert feedback_text(True, "Right. One and one make two.") == "Correct. One and one make two."
    assert feedback_text(False, "Count again.") == "Not quite. Count again."
    assert feedback_text(True, None) == "Correct."


def test_objectives_are_not_introduced_twice() -> None:
    """Issue #11.9: "You will:" followed by "You will be able to…"."""
    con = console()
    run_lessons(module("tiny-math"), con, pause=lambda: None)
    out = con.file.getvalue()  # type: ignore[attr-defined]
    assert "You will be able to:" in out and "add small numbers" in out
    assert "You will:" not in out and out.count("You will be able to") == 1


def test_pick_module_has_the_same_hint_as_take() -> None:
    """Issue #11.9: "(Use arrow keys)" in coach vs "(arrow keys, Enter)" in take."""
    from screener.session import pick_module

    m = module("tiny-math")
    with terminal() as (inp, drawn):
        inp.send_text(ENTER)
        assert pick_module([m]) is m
    assert "(arrow keys, Enter)" in plain_text(drawn)
    assert "Use arrow keys" not in plain_text(drawn)


def test_practice_options_are_shuffled_anew_for_a_new_seed() -> None:
    from screener.catalog import load_catalog

    safety = load_catalog().modules["safety"]
    q = max(safety.practice, key=lambda q: len(q.options))
    assert len({tuple(module_option_order(q, seed)) for seed in range(10)}) > 1


def test_a_lesson_drawing_is_shown_before_its_text_and_described_when_plain() -> None:
    from screener.catalog import load_catalog
    from screener.render import console as make_console
    from screener.session import Look

    spatial = load_catalog().modules["spatial-visualization"]
    lesson = next(lesson for lesson in spatial.lessons if lesson.figure)
    assert lesson.figure and lesson.alt
    one = spatial.model_copy(update={"lessons": [lesson], "examples": []})
    out = io.StringIO()
    run_lessons(one, make_console(file=out, width=80), pause=lambda: None)
    text = out.getvalue()
    first = lesson.figure.rstrip().splitlines()[0].rstrip()
    assert first in text and text.index(first) < text.index(lesson.body.split()[0] + " ")
    plain = io.StringIO()
    run_lessons(
        one,
        make_console(file=plain, width=80, plain=True),
        pause=lambda: None,
        look=Look(plain=True),
    )
    assert "Drawing:" in plain.getvalue() and first not in plain.getvalue()
    assert not set("─━") & set(plain.getvalue())


def test_pause_explains_the_lesson_words_on_question_mark() -> None:
    m = module("tiny-math").model_copy(update={"glossary": {"ones": "The last digit."}})
    con = console()
    with terminal() as (inp, drawn):
        inp.send_text(" " + "?" + " ")  # after objectives; on lesson 1: ? then go on
        inp.close()
        run_lessons(m, con)
    assert "ones: The last digit." in con.file.getvalue()  # type: ignore[attr-defined]
    assert "? explains: ones" in plain_text(drawn)


def test_plain_lessons_of_every_bundled_module_draw_no_boxes() -> None:
    """--plain: Markdown tables and rules in lessons are drawn without box characters."""
    from screener.catalog import load_catalog
    from screener.render import console as make_console
    from screener.session import Look

    drawing = set("─━│┃┌┐└┘├┤┬┴┼╭╮╰╯═║")
    for m in load_catalog().modules.values():
        out = io.StringIO()
        run_lessons(
            m,
            make_console(file=out, width=80, plain=True),
            pause=lambda: None,
            look=Look(plain=True),
        )
        assert not drawing & set(out.getvalue()), m.id
