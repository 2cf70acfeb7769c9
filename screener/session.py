"""Questionary flows for a candidate at the terminal: taking a screening and coaching.

The flows know nothing about storage: every answer goes to a ``sink`` as soon as
it is given, so it is saved before the next question appears (``screener.taking``
decides which attempt, form and follow-up items; this module asks). They raise
``QuitRequested`` to the caller only after offering to save and quit, so
Ctrl-C never loses an answer.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

import questionary
from rich.console import Console
from rich.markdown import Markdown
from rich.panel import Panel
from rich.text import Text

from screener.answers import parse_number
from screener.content import (
    DOMAIN_TITLES,
    AnyItem,
    Assessment,
    ChoiceItem,
    JudgementItem,
    LikertItem,
    Module,
    ModuleQuestion,
    NumericItem,
)
from screener.scoring import Answer
from screener.taking import TakeState, Unfinished, question_order
from screener.terminal import printable, printable_layout

__all__ = [
    "STYLE",
    "QuitRequested",
    "TakeState",
    "ask_item",
    "ask_name",
    "go_on_with",
    "option_order",
    "pick_module",
    "question_order",
    "ready",
    "run_check",
    "run_follow_ups",
    "run_lessons",
    "run_practice",
    "run_take",
    "welcome",
]

SKIP = "__skip__"
STYLE = questionary.Style(
    [
        ("qmark", "bold"),
        ("question", "bold"),
        ("answer", "bold"),
        ("pointer", "bold"),
        ("highlighted", "bold"),
        ("instruction", ""),
    ]
)


class QuitRequested(Exception):
    """The candidate chose to stop; everything answered so far is saved."""


class AnswerSink(Protocol):
    def __call__(self, index: int, value: Answer, seconds: float | None) -> None: ...


class FollowUpSink(Protocol):
    def __call__(self, item_id: str, value: Answer, seconds: float | None) -> None: ...


def ask_name() -> str:
    """The candidate's name, typed at the prompt (never blank)."""
    value = questionary.text(
        "Your full name:",
        validate=lambda t: bool(t.strip()) or "Please type your name",
        style=STYLE,
    ).unsafe_ask()
    return str(value).strip()


def go_on_with(unfinished: Unfinished) -> bool:
    """Ask whether to continue the unfinished attempt (True) or start a new one."""
    record = unfinished.record
    return bool(
        questionary.confirm(
            f"You have an unfinished screening (form {printable(record.form)}, "
            f"{unfinished.done} of {unfinished.total} questions done). Continue it?",
            default=True,
            style=STYLE,
        ).unsafe_ask()
    )


def pick_module(modules: Sequence[Module]) -> Module | None:
    """The coaching module to work on now, or None to stop for now."""
    choices = [questionary.Choice(title=m.title, value=n) for n, m in enumerate(modules)]
    choices.append(questionary.Choice(title="Stop for now", value=-1))
    picked = questionary.select(
        "Which module?", choices=choices, style=STYLE, pointer=">"
    ).unsafe_ask()
    return None if picked is None or picked < 0 else modules[picked]


def ready(resumed: bool) -> bool:
    """The last question before the first item: start (or go on) now?"""
    return bool(
        questionary.confirm(
            "Ready to go on?" if resumed else "Ready to start?", default=True, style=STYLE
        ).unsafe_ask()
    )


def option_order(item: AnyItem, seed: int) -> list[str]:
    """Option ids in the order shown: shuffled, but the same for the same seed and item."""
    if not isinstance(item, ChoiceItem | JudgementItem):
        return []
    ids = [option.id for option in item.options]
    random.Random(f"{seed}:{item.id}").shuffle(ids)
    return ids


class _Countdown(str):
    """Question text that shows the seconds left each time the prompt is drawn."""

    deadline: float
    text: str

    def __new__(cls, text: str, deadline: float) -> _Countdown:
        obj = super().__new__(cls, text)
        obj.text = text
        obj.deadline = deadline
        return obj

    def __format__(self, spec: str) -> str:
        left = max(0, math.ceil(self.deadline - time.monotonic()))
        return f"{self.text}  [{left} s left]"


_TIMED_OUT = object()


def _ask(question: questionary.Question, limit: float | None) -> Any:
    """Ask; with a limit, give up when it runs out (``_TIMED_OUT``)."""
    if limit is None:
        return question.unsafe_ask()
    question.application.refresh_interval = 0.5

    async def run() -> Any:
        return await asyncio.wait_for(question.unsafe_ask_async(), timeout=limit)

    try:
        return asyncio.run(run())
    except TimeoutError:
        return _TIMED_OUT


def welcome(con: Console, assessment: Assessment, form: str, remaining: int, resumed: bool) -> None:
    items = assessment.form_items(form)
    minutes = assessment.minutes or max(5, round(len(items) * 0.75))
    lines = [
        "",
        printable_layout(assessment.description.strip()),
        "",
        f"Questions: {len(items)}" + (f" ({remaining} left)" if resumed else ""),
        f"Expected time: about {minutes} minutes",
        "Your answers are saved as you go. Press Ctrl-C to take a break; you can pick up where you left off.",
        "You may skip a question you cannot answer.",
        "",
        "Your results help you and the program see where you are strong and where short coaching "
        "can help. They support development and screening decisions but are never the sole basis "
        "for a hiring decision.",
    ]
    body = Text.assemble((printable(assessment.title), "bold"), f" - form {printable(form)}")
    body.append("\n" + "\n".join(lines))  # plain text: content is never read as rich markup
    con.print(Panel(body, title="Welcome back" if resumed else "Welcome", expand=False))


def ask_item(
    assessment: Assessment,
    item: AnyItem,
    seed: int,
    number: int,
    total: int | None,
    con: Console,
) -> tuple[Answer, float, bool]:
    """Ask one item; returns (answer or None if skipped, seconds taken, timed out).

    ``total`` is the form's length; None for a follow-up item ("extra question 2")."""
    limit = float(item.time_limit) if item.time_limit else None
    head = f"question {number} of {total}" if total is not None else f"extra question {number}"
    if limit:
        head += f" - time limit {item.time_limit} s"
    con.print(Text(head, style="dim"))
    text = item.prompt.rstrip()
    multiline = "\n" in text
    if multiline:
        con.print(Text(text))
        text = "Your answer:"
    start = time.monotonic()
    message: str = _Countdown(text, start + limit) if limit else text
    question = _build_question(assessment, item, seed, message)
    value = _ask(question, limit)
    spent = time.monotonic() - start
    if value is _TIMED_OUT:
        con.print(Text("Time is up for this question; it is left unanswered.", style="yellow"))
        return None, spent, True
    if value is None or value == SKIP or value == "":
        return None, spent, False
    if isinstance(item, NumericItem):
        return parse_number(str(value), item.unit), spent, False
    return value, spent, False


def _build_question(
    assessment: Assessment, item: AnyItem, seed: int, message: str
) -> questionary.Question:
    choices: list[Any] | None = None
    if isinstance(item, ChoiceItem | JudgementItem):
        labels = {o.id: o.label for o in item.options}
        choices = [questionary.Choice(title=labels[i], value=i) for i in option_order(item, seed)]
    elif isinstance(item, LikertItem):
        scale = assessment.scale_of(item)
        choices = [
            questionary.Choice(title=f"{v}  {scale.labels.get(v, '')}".rstrip(), value=v)
            for v in range(scale.min, scale.max + 1)
        ]
    if choices is not None:
        skip = questionary.Choice(title="Skip this question", value=SKIP)
        return questionary.select(
            message,
            choices=[*choices, questionary.Separator(), skip],
            style=STYLE,
            instruction="(arrow keys, Enter)",
            pointer=">",
        )
    assert isinstance(item, NumericItem)
    unit = item.unit

    def valid(text: str) -> bool | str:
        if not text.strip():
            return True
        try:
            parse_number(text, unit)
        except ValueError:
            return (
                "Type a number, like 12.5"
                + (f" (you may add {unit})" if unit else "")
                + ", or leave it empty to skip"
            )
        return True

    hint = f"(a number{', in ' + unit if unit else ''}; Enter on empty skips)"
    return questionary.text(message, validate=valid, style=STYLE, instruction=hint)


def offer_quit(con: Console) -> bool:
    """After Ctrl-C: True to save and quit, False to go on. A second Ctrl-C quits."""
    con.print()
    try:
        answer = questionary.confirm(
            "Save your answers and quit? You can resume later.", default=True, style=STYLE
        ).unsafe_ask()
    except (KeyboardInterrupt, EOFError):
        return True
    return bool(answer)


def run_take(
    assessment: Assessment,
    form: str,
    seed: int,
    state: TakeState,
    sink: AnswerSink,
    con: Console,
) -> None:
    """Ask every question not yet asked, in order; raises ``QuitRequested`` to stop."""
    items = assessment.form_items(form)
    order = question_order(assessment, form)
    total = len(order)
    domain_of = {c.id: c.domain for c in assessment.competencies}
    last_domain: str | None = None
    for number, index in enumerate(order, 1):
        if index in state.asked:
            continue
        item = items[index]
        domain = domain_of[item.competency]
        if domain != last_domain:
            con.rule(Text(DOMAIN_TITLES[domain], style="bold"))
            last_domain = domain
        value, spent = _ask_or_quit(assessment, item, seed, number, total, con)
        state.answers[index] = value
        state.seconds[index] = spent
        state.asked.add(index)
        sink(index, value, spent)


def run_follow_ups(
    assessment: Assessment,
    seed: int,
    next_item: Callable[[], AnyItem | None],
    sink: FollowUpSink,
    con: Console,
    done: int = 0,
) -> int:
    """After the form: ask each follow-up item ``next_item`` picks (``Taking.next_follow_up``)
    with the same prompts as the form's, until it picks none; returns how many were asked.

    ``done`` counts the follow-up items asked before a break, for the numbering."""
    asked = done
    while (item := next_item()) is not None:
        if asked == done:
            con.rule(Text("A few more questions", style="bold"))
        asked += 1
        value, spent = _ask_or_quit(assessment, item, seed, asked, None, con)
        sink(item.id, value, spent)
    return asked - done


def _ask_or_quit(
    assessment: Assessment, item: AnyItem, seed: int, number: int, total: int | None, con: Console
) -> tuple[Answer, float]:
    """Ask one item; Ctrl-C offers to save and quit (``QuitRequested``) or ask it again."""
    while True:
        try:
            value, spent, _ = ask_item(assessment, item, seed, number, total, con)
            return value, spent
        except KeyboardInterrupt:
            if offer_quit(con):
                raise QuitRequested() from None


# --- coaching -----------------------------------------------------------------------


@dataclass
class CheckResult:
    correct: int
    total: int
    score: float
    passed: bool
    review: list[str]


def page_markdown(
    con: Console, body: str, pause: Callable[[], None], height: int | None = None
) -> None:
    """Show Markdown a screen at a time, pausing between screens when it is long."""
    lines = con.render_lines(Markdown(body), con.options, pad=False)
    rows = max(8, (height or con.height) - 4)
    for start in range(0, len(lines), rows):
        for line in lines[start : start + rows]:
            con.print(Text.assemble(*((seg.text, seg.style or "") for seg in line)), soft_wrap=True)
        if start + rows < len(lines):
            pause()


def _pause() -> None:
    questionary.press_any_key_to_continue("Press any key to go on...").unsafe_ask()


def _ask_question(q: ModuleQuestion, seed: int) -> str:
    ids = [o.id for o in q.options]
    random.Random(f"{seed}:{q.id}").shuffle(ids)
    labels = {o.id: o.label for o in q.options}
    value = questionary.select(
        q.prompt.strip(),
        choices=[questionary.Choice(title=labels[i], value=i) for i in ids],
        style=STYLE,
        instruction="(arrow keys, Enter)",
        pointer=">",
    ).unsafe_ask()
    return str(value)


def run_lessons(
    module: Module,
    con: Console,
    pause: Callable[[], None] = _pause,
    on_lesson: Callable[[str], None] = lambda lesson_id: None,
) -> list[str]:
    """Show objectives, lessons and worked examples; returns the lesson ids shown.

    ``on_lesson`` is called as each lesson is shown, so progress is saved as it goes.
    """
    con.rule(Text(printable(module.title), style="bold"))
    con.print(Markdown("**You will:**\n\n" + "\n".join(f"- {o}" for o in module.objectives)))
    shown: list[str] = []
    for n, lesson in enumerate(module.lessons, 1):
        pause()
        con.rule(Text(f"Lesson {n} of {len(module.lessons)}: {printable(lesson.title)}"))
        page_markdown(con, lesson.body, pause)
        shown.append(lesson.id)
        on_lesson(lesson.id)
    for example in module.examples:
        pause()
        con.rule(Text(f"Worked example: {printable(example.title)}"))
        page_markdown(con, example.body, pause)
    return shown


def run_practice(module: Module, seed: int, con: Console) -> tuple[int, int]:
    """Practice questions with feedback straight after each answer."""
    right = 0
    if module.practice:
        con.rule(Text("Practice", style="bold"))
    for n, q in enumerate(module.practice, 1):
        con.print(Text(f"practice {n} of {len(module.practice)}", style="dim"))
        chosen = _ask_question(q, seed)
        option = next(o for o in q.options if o.id == chosen)
        ok = chosen == q.key
        right += ok
        mark = "Correct." if ok else "Not quite."
        con.print(
            Text(mark, style="green" if ok else "yellow"),
            Text(printable_layout(option.feedback or "")),
        )
        if not ok:
            key = next(o for o in q.options if o.id == q.key)
            con.print(Text(f"The best answer: {printable(key.label)}", style="bold"))
    return right, len(module.practice)


def run_check(module: Module, seed: int, con: Console) -> CheckResult:
    """The completion check: score against the pass mark, and the lessons to review."""
    con.rule(Text("Check", style="bold"))
    con.print(
        f"Answer {len(module.check.items)} questions. You need {module.check.pass_mark:.0f}% to complete the module."
    )
    correct = 0
    missed: list[str] = []
    for n, q in enumerate(module.check.items, 1):
        con.print(Text(f"check {n} of {len(module.check.items)}", style="dim"))
        if _ask_question(q, seed) == q.key:
            correct += 1
        elif q.lesson and q.lesson not in missed:
            missed.append(q.lesson)
    total = len(module.check.items)
    score = 100.0 * correct / total
    passed = score >= module.check.pass_mark - 1e-9
    return CheckResult(correct, total, score, passed, [] if passed else missed)


def lesson_titles(module: Module, ids: Sequence[str]) -> list[str]:
    titles = {lesson.id: lesson.title for lesson in module.lessons}
    return [titles[i] for i in ids if i in titles]
