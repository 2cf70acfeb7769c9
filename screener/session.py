"""Questionary flows for a candidate at the terminal: taking a screening and coaching.

The flows know nothing about storage: every answer goes to a ``sink`` as soon as
it is given, so it is saved before the next question appears (``screener.taking``
decides which attempt, form and follow-up items; this module asks). They raise
``QuitRequested`` to the caller only after offering to save and quit, so
Ctrl-C never loses an answer.

Every prompt is wrapped to the terminal at word boundaries (``screener.prompts``).
``Look`` says how screens are shown: ``plain`` for a screen reader (no box
drawing, no colour, a figure's alt text instead of the drawing) and the
``extra_time`` factor of an accommodation, which multiplies every time limit.
A screen whose text uses a word of the content's ``glossary:`` says so in its
hint ("? explains: purge") and ``?`` shows the meanings.
"""

from __future__ import annotations

import asyncio
import math
import random
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Protocol

from rich.console import Console, ConsoleOptions, RenderResult
from rich.markdown import HorizontalRule, Markdown, MarkdownElement, TableElement
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from screener import prompts
from screener.answers import comma_readings, parse_number
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
from screener.glossary import meanings, terms_in
from screener.lint import looks_ordered
from screener.messages import plural, text
from screener.prompts import GLOSSARY, STYLE
from screener.scoring import Answer
from screener.taking import TakeState, Unfinished, question_order
from screener.terminal import printable, printable_layout

if TYPE_CHECKING:
    from screener.store import Candidate

__all__ = [
    "ACCOMMODATION",
    "CALCULATOR_POLICY",
    "STYLE",
    "Look",
    "QuitRequested",
    "TakeState",
    "ask_item",
    "ask_name",
    "feedback_text",
    "go_on_with",
    "module_option_order",
    "option_order",
    "pick_module",
    "question_order",
    "ready",
    "retake_anyway",
    "run_check",
    "run_follow_ups",
    "run_lessons",
    "run_practice",
    "run_take",
    "same_person",
    "show_figure",
    "straight_to_check",
    "welcome",
]

SKIP = "__skip__"

#: The calculator policy, shown before the first question of a section with
#: numbers to work out (documented in docs/walkthrough.md and the README). The
#: screen looks it up when shown; this is its text in the language at import.
CALCULATOR_POLICY = text("take.calculator_policy")
#: Told on the welcome screen: Ontario's AODA asks employers to tell applicants that
#: accommodation is available in the selection process, and how to ask for it.
ACCOMMODATION = text("take.accommodation")


class QuitRequested(Exception):
    """The candidate chose to stop; everything answered so far is saved."""


class AnswerSink(Protocol):
    def __call__(self, index: int, value: Answer, seconds: float | None) -> None: ...


class FollowUpSink(Protocol):
    def __call__(self, item_id: str, value: Answer, seconds: float | None) -> None: ...


@dataclass(frozen=True)
class Look:
    """How screens are shown: ``plain`` for a screen reader, ``extra_time`` (1, 1.25,
    1.5 or 2) multiplies every time limit."""

    plain: bool = False
    extra_time: float = 1.0


DEFAULT_LOOK = Look()


# -- screens -------------------------------------------------------------------------


def heading(con: Console, title: str, look: Look = DEFAULT_LOOK) -> None:
    """A section heading: a rule across the screen, or the words alone when plain."""
    if look.plain:
        con.print()
        con.print(Text(title, style="bold"))
    else:
        con.rule(Text(title, style="bold"))


def show_figure(con: Console, figure: str | None, alt: str | None, look: Look) -> None:
    """A drawing as drawn (monospaced, never wrapped), or its alt text when plain."""
    if not figure:
        return
    if look.plain:
        con.print(Text(text("take.drawing_alt", alt=printable(alt or text("take.no_description")))))
        return
    con.print()
    for line in printable_layout(figure.rstrip("\n")).split("\n"):
        con.print(Text(line), soft_wrap=True, no_wrap=True, overflow="ignore", crop=False)
    con.print()


def show_meanings(con: Console, glossary: Mapping[str, str], words: Sequence[str]) -> None:
    """What each word means, one to a line."""
    for word, meaning in meanings(glossary, words):
        con.print(Text.assemble((printable(word), "bold"), ": ", printable(meaning)))


def _explains(words: Sequence[str]) -> str:
    return text("take.explains", words=", ".join(words)) if words else ""


def _with_words(hint: str, words: Sequence[str]) -> str:
    """``(arrow keys, Enter)`` with "; ? explains: purge" inside the brackets."""
    if not words:
        return hint
    return text("take.hint_with_words", hint=hint[:-1], explains=_explains(words))


# -- who and which attempt -------------------------------------------------------------


def ask_name() -> str:
    """The candidate's name, typed at the prompt (never blank)."""
    value = prompts.text(
        text("take.ask_name"),
        validate=lambda t: bool(t.strip()) or text("take.ask_name_blank"),
    ).unsafe_ask()
    return str(value).strip()


def _day(stamp: str | None) -> str:
    return (stamp or "")[:10] or text("take.earlier")


def go_on_with(unfinished: Sequence[Unfinished]) -> Unfinished | None:
    """Which unfinished attempt to continue, or None to start a new one. Starting anew
    keeps the unfinished ones: each is offered again next time, and
    ``take --attempt ID`` goes straight back to one."""
    if len(unfinished) == 1:
        u = unfinished[0]
        options: list[tuple[str, Any]] = [
            (text("take.continue_it"), u),
            (text("take.start_new_keep_one", attempt=printable(u.record.attempt_id)), None),
        ]
        message = text(
            "take.unfinished_one",
            form=printable(u.record.form),
            done=u.done,
            total=u.total,
            day=_day(u.record.started),
        )
    else:
        options = [
            (
                text(
                    "take.continue_form",
                    form=printable(u.record.form),
                    day=_day(u.record.started),
                    done=u.done,
                    total=u.total,
                    attempt=printable(u.record.attempt_id),
                ),
                u,
            )
            for u in reversed(unfinished)
        ]
        options.append((text("take.start_new_keep_all"), None))
        message = text("take.unfinished_many", count=len(unfinished))
    picked: Unfinished | None = prompts.select(message, options).unsafe_ask()
    return picked


def same_person(found: Sequence[Candidate], name: str) -> Candidate | None:
    """Someone with this name is stored already: which of them the candidate is, or
    None for a different person with the same name."""
    options: list[tuple[str, Any]] = [
        (text("take.same_person_yes", id=printable(c.id), day=_day(c.created)), c) for c in found
    ]
    options.append((text("take.same_person_no"), None))
    who = plural("take.same_person_who", len(found))
    picked: Candidate | None = prompts.select(
        text("take.same_person_question", who=who, name=printable(name)), options
    ).unsafe_ask()
    return picked


def retake_anyway(done: int, total: int) -> bool:
    """Before a retake with coaching left: go on anyway (True) or coach first."""
    return bool(
        prompts.confirm(
            plural("coach.retake_anyway", total, done=done),
            default=False,
        ).unsafe_ask()
    )


def pick_module(modules: Sequence[Module]) -> Module | None:
    """The coaching module to work on now, or None to stop for now."""
    options: list[tuple[str, Any]] = [(printable(m.title), m) for m in modules]
    options.append((text("coach.stop_for_now"), None))
    picked: Module | None = prompts.select(text("coach.which_module"), options).unsafe_ask()
    return picked


def straight_to_check() -> bool:
    """A retry of a failed check: go straight to it (True) or read the lessons first."""
    picked = prompts.select(
        text("coach.tried_before"),
        [(text("coach.straight_to_check"), True), (text("coach.lessons_first"), False)],
    ).unsafe_ask()
    return bool(picked)


def ready(resumed: bool) -> bool:
    """The last question before the first item: start (or go on) now?"""
    question = text("take.ready_go_on") if resumed else text("take.ready_start")
    return bool(prompts.confirm(question).unsafe_ask())


# -- taking ---------------------------------------------------------------------------


def option_order(item: AnyItem, seed: int) -> list[str]:
    """Option ids in the order shown: shuffled (the same for the same seed and item)
    unless the item's order carries meaning: ``shuffle: false``, or ``shuffle`` unset
    and every label starts with a number (``screener.lint.looks_ordered``)."""
    if not isinstance(item, ChoiceItem | JudgementItem):
        return []
    ids = [option.id for option in item.options]
    keep = (
        not item.shuffle
        if item.shuffle is not None
        else looks_ordered([o.label for o in item.options])
    )
    if not keep:
        random.Random(f"{seed}:{item.id}").shuffle(ids)
    return ids


def module_option_order(q: ModuleQuestion, seed: int) -> list[str]:
    """A practice or check question's option ids as shown: shuffled for the seed,
    except options that are all numbers, which keep their order."""
    ids = [o.id for o in q.options]
    if not looks_ordered([o.label for o in q.options]):
        random.Random(f"{seed}:{q.id}").shuffle(ids)
    return ids


_TIMED_OUT: Any = object()


def _ask(question: Any, limit: float | None) -> Any:
    """Ask; with a limit, give up when it runs out (``_TIMED_OUT``)."""
    if limit is None:
        return question.unsafe_ask()
    if limit <= 0:
        return _TIMED_OUT
    question.application.refresh_interval = 0.5

    async def run() -> Any:
        return await asyncio.wait_for(question.unsafe_ask_async(), timeout=limit)

    try:
        return asyncio.run(run())
    except TimeoutError:
        return _TIMED_OUT


def _minutes(assessment: Assessment, form: str) -> int:
    return assessment.minutes or max(5, round(len(assessment.form_items(form)) * 0.75))


def welcome(
    con: Console,
    assessment: Assessment,
    form: str,
    remaining: int,
    resumed: bool,
    look: Look = DEFAULT_LOOK,
) -> None:
    """What the screening is, how long it takes (for the questions left), how answers
    are kept, that accommodation is available, and any extra time granted."""
    items = assessment.form_items(form)
    minutes = _minutes(assessment, form)
    if resumed and items:
        minutes = max(1, math.ceil(minutes * remaining / len(items)))
    lines = [
        "",
        printable_layout(assessment.description.strip()),
        "",
        text("take.questions", count=len(items))
        + (text("take.questions_left", count=remaining) if resumed else ""),
        plural("take.expected_time", minutes)
        + (text("take.for_questions_left") if resumed else ""),
    ]
    if look.extra_time != 1:
        lines.append(text("take.extra_time", factor=f"{look.extra_time:g}"))
    lines += [
        text("take.saved_as_you_go"),
        text("take.may_skip"),
        "",
        text("take.accommodation"),
        "",
        text("take.results_use"),
    ]
    body = Text.assemble(
        (printable(assessment.title), "bold"), text("take.form_of", form=printable(form))
    )
    body.append("\n" + "\n".join(lines))  # plain text: content is never read as rich markup
    title = text("take.welcome_back") if resumed else text("take.welcome")
    if look.plain:
        con.print(Text(title, style="bold"))
        con.print(body)
    else:
        con.print(Panel(body, title=title, expand=False))


def _item_words(assessment: Assessment, item: AnyItem) -> list[str]:
    texts = [item.prompt]
    if isinstance(item, ChoiceItem | JudgementItem):
        texts += [o.label for o in item.options]
    return terms_in(assessment.glossary, texts)


def ask_item(
    assessment: Assessment,
    item: AnyItem,
    seed: int,
    number: int,
    total: int | None,
    con: Console,
    look: Look = DEFAULT_LOOK,
) -> tuple[Answer, float, bool]:
    """Ask one item; returns (answer or None if skipped, seconds taken, timed out).

    ``total`` is the form's length; None for a follow-up item ("extra question 2")."""
    limit = float(item.time_limit) * look.extra_time if item.time_limit else None
    head = (
        text("take.question_of", number=number, total=total)
        if total is not None
        else text("take.extra_question", number=number)
    )
    if limit:
        head += text("take.time_limit", seconds=f"{limit:g}")
    con.print(Text(head, style="dim"))
    show_figure(con, item.figure, item.alt, look)
    question_text = item.prompt.rstrip()
    if "\n" in question_text:
        con.print(Text(printable_layout(question_text)))
        question_text = text("take.your_answer")
    words = _item_words(assessment, item)
    if isinstance(item, NumericItem):
        unit = item.unit
        hint = (
            text("take.type_number_in", unit=printable(unit)) if unit else text("take.type_number")
        )
        con.print(Text(" ".join(filter(None, (hint, _explains(words)))), style="dim"))
    start = time.monotonic()
    deadline = start + limit if limit else None
    while True:
        left = None if deadline is None else deadline - time.monotonic()
        question = _build_question(
            assessment, item, seed, printable(question_text), deadline, words
        )
        value = _ask(question, left)
        if value is GLOSSARY:
            show_meanings(con, assessment.glossary, words)
            continue
        if value is _TIMED_OUT:
            con.print(Text(text("take.time_is_up"), style="yellow"))
            return None, time.monotonic() - start, True
        if isinstance(item, NumericItem) and isinstance(value, str) and value.strip():
            readings = comma_readings(value, item.unit)
            if readings is not None:
                left = None if deadline is None else deadline - time.monotonic()
                meant = _ask(_which_number(readings, item.unit), left)
                if meant is _TIMED_OUT:
                    con.print(Text(text("take.time_is_up"), style="yellow"))
                    return None, time.monotonic() - start, True
                if meant is None:  # neither: type it again
                    continue
                return float(meant), time.monotonic() - start, False
        break
    spent = time.monotonic() - start
    if value is None or value == SKIP or value == "":
        return None, spent, False
    if isinstance(item, NumericItem):
        return parse_number(str(value), item.unit), spent, False
    answer: Answer = value
    return answer, spent, False


def _which_number(readings: tuple[str, str], unit: str | None) -> Any:
    """ "9,525" may be 9.525 or 9525: ask which (None: type it again)."""
    point, whole = readings
    suffix = f" {printable(unit)}" if unit else ""
    return prompts.select(
        text("take.did_you_mean", point=point, whole=whole),
        [
            (f"{point}{suffix}", point),
            (f"{whole}{suffix}", whole),
            (text("take.neither"), None),
        ],
    )


def _countdown(question: str, deadline: float | None) -> str | Callable[[], str]:
    if deadline is None:
        return question

    def message() -> str:
        if _answered():
            return question
        left = max(0, math.ceil(deadline - time.monotonic()))
        return text("take.seconds_left", text=question, left=left)

    return message


def _answered() -> bool:
    """Whether the prompt being drawn is done (its last drawing: no countdown in it)."""
    from prompt_toolkit.application.current import get_app

    return bool(get_app().is_done)


class _Countdown(str):
    """Question text that shows the seconds left each time the prompt is drawn
    (for questionary's text prompt, which formats the message it is given)."""

    deadline: float
    text: str

    def __new__(cls, text: str, deadline: float) -> _Countdown:
        obj = super().__new__(cls, text)
        obj.text = text
        obj.deadline = deadline
        return obj

    def __format__(self, spec: str) -> str:
        if _answered():
            return self.text
        left = max(0, math.ceil(self.deadline - time.monotonic()))
        return text("take.seconds_left", text=self.text, left=left)


def _build_question(
    assessment: Assessment,
    item: AnyItem,
    seed: int,
    message: str,
    deadline: float | None,
    words: Sequence[str],
) -> Any:
    keys = {"?": GLOSSARY} if words else None
    skip = (text("take.skip_question"), SKIP)
    if isinstance(item, ChoiceItem | JudgementItem):
        labels = {o.id: printable(o.label) for o in item.options}
        return prompts.select(
            _countdown(message, deadline),
            [(labels[i], i) for i in option_order(item, seed)],
            hint=_with_words(text("prompt.select_hint"), words),
            skip=skip,
            keys=keys,
        )
    if isinstance(item, LikertItem):
        scale = assessment.scale_of(item)
        points = list(range(scale.min, scale.max + 1))
        numbered = all(0 <= v <= 9 for v in points)
        hint = (
            text("take.press_number", low=points[0], high=points[-1])
            if numbered
            else text("prompt.select_hint")
        )
        return prompts.select(
            _countdown(message, deadline),
            [(printable(scale.labels.get(v, "")), v) for v in points],
            prefixes=[f"{v}  " for v in points],
            hint=_with_words(hint, words),
            skip=skip,
            number_keys={str(v): v for v in points} if numbered else None,
            keys=keys,
        )
    assert isinstance(item, NumericItem)
    unit = item.unit

    def valid(typed: str) -> bool | str:
        if not typed.strip():
            return True
        try:
            parse_number(typed, unit)
        except ValueError:
            return text("take.not_a_number")
        return True

    shown: str = _Countdown(message, deadline) if deadline is not None else message
    return prompts.text(shown, validate=valid, keys=keys)


def offer_quit(con: Console) -> bool:
    """After Ctrl-C: True to save and quit, False to go on. A second Ctrl-C quits."""
    con.print()
    try:
        answer = prompts.confirm(text("take.save_and_quit")).unsafe_ask()
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
    look: Look = DEFAULT_LOOK,
) -> None:
    """Ask every question not yet asked, in order; raises ``QuitRequested`` to stop.

    The calculator policy is shown before the first question of a competency with
    numbers to work out."""
    items = assessment.form_items(form)
    order = question_order(assessment, form)
    total = len(order)
    domain_of = {c.id: c.domain for c in assessment.competencies}
    with_numbers = {i.competency for i in items if isinstance(i, NumericItem)}
    last_domain: str | None = None
    policy_shown = False
    for number, index in enumerate(order, 1):
        if index in state.asked:
            continue
        item = items[index]
        domain = domain_of[item.competency]
        if domain != last_domain:
            heading(con, DOMAIN_TITLES[domain], look)
            last_domain = domain
        if item.competency in with_numbers and not policy_shown:
            con.print(Text(text("take.calculator_policy"), style="bold"))
            policy_shown = True
        value, spent = _ask_or_quit(assessment, item, seed, number, total, con, look)
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
    look: Look = DEFAULT_LOOK,
) -> int:
    """After the form: ask each follow-up item ``next_item`` picks (``Taking.next_follow_up``)
    with the same prompts as the form's, until it picks none; returns how many were asked.

    ``done`` counts the follow-up items asked before a break, for the numbering."""
    asked = done
    while (item := next_item()) is not None:
        if asked == done:
            heading(con, text("take.a_few_more"), look)
        asked += 1
        value, spent = _ask_or_quit(assessment, item, seed, asked, None, con, look)
        sink(item.id, value, spent)
    return asked - done


def _ask_or_quit(
    assessment: Assessment,
    item: AnyItem,
    seed: int,
    number: int,
    total: int | None,
    con: Console,
    look: Look,
) -> tuple[Answer, float]:
    """Ask one item; Ctrl-C offers to save and quit (``QuitRequested``) or ask it again."""
    while True:
        try:
            value, spent, _ = ask_item(assessment, item, seed, number, total, con, look)
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


class _PlainTable(TableElement):
    """A Markdown table without the line under its header (screen-reader mode)."""

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        for table in super().__rich_console__(console, options):
            if isinstance(table, Table):
                table.box = None
            yield table


class _NoRule(HorizontalRule):
    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        yield Text("")


class PlainMarkdown(Markdown):
    """Markdown without box drawing: tables unruled, horizontal rules left out."""

    elements: ClassVar[dict[str, type[MarkdownElement]]] = {
        **Markdown.elements,
        "table_open": _PlainTable,
        "hr": _NoRule,
    }


def page_markdown(
    con: Console,
    body: str,
    pause: Callable[[], None],
    height: int | None = None,
    look: Look = DEFAULT_LOOK,
) -> None:
    """Show Markdown a screen at a time, pausing between screens when it is long."""
    kind = PlainMarkdown if look.plain else Markdown
    lines = con.render_lines(kind(body), con.options, pad=False)
    rows = max(8, (height or con.height) - 4)
    for start in range(0, len(lines), rows):
        for line in lines[start : start + rows]:
            con.print(Text.assemble(*((seg.text, seg.style or "") for seg in line)), soft_wrap=True)
        if start + rows < len(lines):
            pause()


def _pauser(
    con: Console, glossary: Mapping[str, str], words: Sequence[str], listed: bool = False
) -> Callable[[], None]:
    """Wait for a key; ``?`` shows what the screen's glossary words mean, then waits again.
    ``listed``: the screen lists the words already, so the hint does not repeat them."""

    def wait() -> None:
        message = text("prompt.press_any_key")
        if words:
            message += text("coach.explains_these") if listed else " (" + _explains(words) + ")"
        while prompts.pause(message, keys={"?": GLOSSARY} if words else None) is GLOSSARY:
            show_meanings(con, glossary, words)

    return wait


def _objectives(module: Module) -> str:
    """The module's objectives as Markdown, under one lead-in: "You will be able to:"
    when every objective starts so (the words are not said twice)."""
    lead = text("coach.able_to_lead")
    if all(o.startswith(lead) for o in module.objectives):
        points = [o[len(lead) :] for o in module.objectives]
        return text("coach.able_to") + "\n\n" + "\n".join(f"- {p}" for p in points)
    return text("coach.in_this_module") + "\n\n" + "\n".join(f"- {o}" for o in module.objectives)


def run_lessons(
    module: Module,
    con: Console,
    pause: Callable[[], None] | None = None,
    on_lesson: Callable[[str], None] = lambda lesson_id: None,
    look: Look = DEFAULT_LOOK,
) -> list[str]:
    """Show objectives, the module's glossary words, lessons (each lesson's drawing
    before its text) and worked examples; returns the lesson ids shown.

    ``on_lesson`` is called as each lesson is shown, so progress is saved as it goes.
    ``pause`` waits between screens (default: a key, ``?`` for the screen's words).
    """

    def waiter(texts: Sequence[str], listed: bool = False) -> Callable[[], None]:
        if pause is not None:
            return pause
        return _pauser(con, module.glossary, terms_in(module.glossary, texts), listed)

    heading(con, printable(module.title), look)
    con.print(Markdown(_objectives(module)))
    if module.glossary:
        con.print(
            Text(
                text("coach.module_words", words=", ".join(printable(w) for w in module.glossary)),
                style="dim",
            )
        )
    shown: list[str] = []
    on_screen: list[str] = [*module.objectives, *module.glossary]  # what ? explains
    for n, lesson in enumerate(module.lessons, 1):
        waiter(on_screen, listed=n == 1)()
        heading(
            con,
            text(
                "coach.lesson_of",
                number=n,
                total=len(module.lessons),
                title=printable(lesson.title),
            ),
            look,
        )
        show_figure(con, lesson.figure, lesson.alt, look)
        on_screen = [lesson.title, lesson.body, lesson.alt if look.plain and lesson.alt else ""]
        page_markdown(con, lesson.body, waiter(on_screen), look=look)
        shown.append(lesson.id)
        on_lesson(lesson.id)
    for example in module.examples:
        waiter(on_screen)()
        heading(con, text("coach.worked_example", title=printable(example.title)), look)
        on_screen = [example.title, example.body]
        page_markdown(con, example.body, waiter(on_screen), look=look)
    return shown


def _ask_question(
    q: ModuleQuestion, seed: int, con: Console, glossary: Mapping[str, str], look: Look
) -> str:
    show_figure(con, q.figure, q.alt, look)
    words = terms_in(glossary, [q.prompt, *(o.label for o in q.options)])
    labels = {o.id: printable(o.label) for o in q.options}
    prompt = q.prompt.strip()
    if "\n" in prompt:
        con.print(Text(printable_layout(prompt)))
        prompt = text("take.your_answer")
    while True:
        value = prompts.select(
            printable(prompt),
            [(labels[i], i) for i in module_option_order(q, seed)],
            hint=_with_words(text("prompt.select_hint"), words),
            keys={"?": GLOSSARY} if words else None,
        ).unsafe_ask()
        if value is not GLOSSARY:
            return str(value)
        show_meanings(con, glossary, words)


_AFFIRMING = ("Right.", "Yes.", "Correct.", "Right,", "Yes,")


def feedback_text(ok: bool, feedback: str | None) -> str:
    """ "Correct." or "Not quite." with the option's feedback, without saying it twice
    (keyed feedback that opens with "Right." or "Yes." opens with "Correct." instead)."""
    words = (feedback or "").strip()
    mark = text("coach.correct") if ok else text("coach.not_quite")
    if ok and words.startswith(_AFFIRMING):
        words = words.split(None, 1)[1] if " " in words else ""
    if not ok and words.startswith(text("coach.not_quite_lead")):
        return words
    return f"{mark} {words}".strip()


def run_practice(
    module: Module, seed: int, con: Console, look: Look = DEFAULT_LOOK
) -> tuple[int, int]:
    """Practice questions with feedback straight after each answer. ``seed`` orders
    the options: a new one on each try shuffles them anew."""
    right = 0
    if module.practice:
        heading(con, text("coach.practice"), look)
    for n, q in enumerate(module.practice, 1):
        con.print(
            Text(text("coach.practice_of", number=n, total=len(module.practice)), style="dim")
        )
        chosen = _ask_question(q, seed, con, module.glossary, look)
        option = next(o for o in q.options if o.id == chosen)
        ok = chosen == q.key
        right += ok
        con.print(
            Text(
                printable_layout(feedback_text(ok, option.feedback)),
                style="green" if ok else "yellow",
            )
        )
        if not ok:
            key = next(o for o in q.options if o.id == q.key)
            con.print(Text(text("coach.best_answer", label=printable(key.label)), style="bold"))
    return right, len(module.practice)


def run_check(module: Module, seed: int, con: Console, look: Look = DEFAULT_LOOK) -> CheckResult:
    """The completion check: score against the pass mark, and the lessons to review."""
    heading(con, text("coach.check"), look)
    count = len(module.check.items)
    con.print(plural("coach.check_intro", count, mark=module.check.pass_mark))
    correct = 0
    missed: list[str] = []
    for n, q in enumerate(module.check.items, 1):
        con.print(Text(text("coach.check_of", number=n, total=count), style="dim"))
        if _ask_question(q, seed, con, module.glossary, look) == q.key:
            correct += 1
        elif q.lesson and q.lesson not in missed:
            missed.append(q.lesson)
    score = 100.0 * correct / count
    passed = score >= module.check.pass_mark - 1e-9
    return CheckResult(correct, count, score, passed, [] if passed else missed)


def lesson_titles(module: Module, ids: Sequence[str]) -> list[str]:
    titles = {lesson.id: lesson.title for lesson in module.lessons}
    return [titles[i] for i in ids if i in titles]
