"""Prompts that fit the terminal they are shown in (questionary and prompt_toolkit).

prompt_toolkit breaks a line that is wider than the terminal at the last column,
mid-word, and cuts a list option off at the edge. Here every question, option,
hint and echoed answer is wrapped at word boundaries to the terminal's width as
it is when the prompt is drawn: a question's continuation lines are indented
under its first word, an option's under the option's text. Only a word longer
than a whole line is split.

``select`` is questionary's select with that layout, number keys for numbered
options (a Likert scale point) and extra keys that end the prompt with a marker
(``?`` for the glossary); ``confirm``, ``text`` and ``pause`` wrap their
question the same way. Each returns a ``questionary.Question``.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import questionary
from prompt_toolkit.application import Application
from prompt_toolkit.application.current import get_app_session
from prompt_toolkit.formatted_text import to_formatted_text
from prompt_toolkit.key_binding import KeyBindings
from prompt_toolkit.keys import Keys
from prompt_toolkit.shortcuts import PromptSession
from prompt_toolkit.utils import get_cwidth
from questionary.prompts import common
from questionary.prompts.common import Choice, InquirerControl, Separator
from questionary.styles import merge_styles_default

from screener import messages

__all__ = [
    "GLOSSARY",
    "POINTER",
    "STYLE",
    "columns",
    "confirm",
    "pause",
    "question_tokens",
    "select",
    "text",
    "wrap",
]

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
#: questionary shows " > " in front of the option pointed at, three spaces elsewhere
POINTER = ">"
_OPTION_INDENT = 3
#: "? " in front of a question; its continuation lines are indented as far
_QUESTION_INDENT = 2


class _Marker:
    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


#: what a prompt returns when the candidate pressed ``?`` to see the glossary
GLOSSARY: Any = _Marker("GLOSSARY")


def columns() -> int:
    """The width of the terminal the prompts are drawn on (80 when unknown)."""
    try:
        width = get_app_session().output.get_size().columns
    except Exception:  # no terminal at all: what the environment says
        width = shutil.get_terminal_size().columns
    return max(20, width or 80)


def _split_long(word: str, width: int) -> list[str]:
    pieces: list[str] = []
    piece = ""
    for char in word:
        if piece and get_cwidth(piece + char) > width:
            pieces.append(piece)
            piece = ""
        piece += char
    return [*pieces, piece] if piece else pieces


def wrap(text: str, width: int, *, first: int = 0, tail: int = 0) -> list[str]:
    """``text`` in lines of at most ``width`` cells, broken between words.

    The first line has ``first`` cells less room (a prefix stands before it), the
    last leaves ``tail`` cells free (something follows it); when the tail cannot
    fit, an empty last line says it goes on a line of its own. Line breaks in
    ``text`` are kept; a word longer than a line is the only thing split.
    """
    width = max(width, 1)
    lines: list[str] = []
    for paragraph in text.split("\n"):
        line = ""
        room = width - (first if not lines else 0)
        for word in paragraph.split():
            candidate = f"{line} {word}" if line else word
            if get_cwidth(candidate) <= room:
                line = candidate
                continue
            if line:
                lines.append(line)
                room = width
            if get_cwidth(word) > room:
                *whole, word = _split_long(word, room)
                lines += whole
                room = width
            line = word
        lines.append(line)
    if tail and get_cwidth(lines[-1]) + 1 + tail > width - (first if len(lines) == 1 else 0):
        lines.append("")
    return lines


def question_tokens(
    message: str, after: str = "", after_style: str = "class:instruction"
) -> list[tuple[str, str]]:
    """``? message after`` as prompt_toolkit tokens, wrapped to the terminal: the
    question's lines indented under its first word, ``after`` (a hint or the answer
    given) on the last line when it fits, else wrapped on lines of its own."""
    width = columns() - 1  # the last column makes some terminals wrap early
    room = width - _QUESTION_INDENT
    pad = "\n" + " " * _QUESTION_INDENT
    lines = wrap(message, room, tail=get_cwidth(after) if after else 0)
    tokens: list[tuple[str, str]] = [("class:qmark", "?")]
    own_line = lines[-1] == "" and len(lines) > 1
    if own_line:
        lines.pop()
    tokens.append(("class:question", " " + pad.join(lines) + " "))
    if after:
        if own_line:
            tokens.append(("", pad.rstrip(" ") + " " * _QUESTION_INDENT))
            fits = get_cwidth(after) <= room  # as written ("4  Agree" keeps its spaces)
            tokens.append((after_style, after if fits else pad.join(wrap(after, room))))
        else:
            tokens.append((after_style, after))
    return tokens


def _option_title(label: str, prefix: str = "") -> str:
    """An option's text wrapped to the terminal, its continuation lines under its text
    (under ``label``, past a ``prefix`` such as the "1  " of a scale point)."""
    room = columns() - 1 - _OPTION_INDENT - get_cwidth(prefix)
    indent = " " * (_OPTION_INDENT + get_cwidth(prefix))
    return prefix + ("\n" + indent).join(wrap(label, room))


def _index(ic: InquirerControl) -> int:
    """Which option is pointed at (choices carry their position as value)."""
    value = ic.get_pointed_at().value
    assert isinstance(value, int)
    return value


def select(
    message: str | Callable[[], str],
    options: Sequence[tuple[str, Any]],
    *,
    hint: str | None = None,
    skip: tuple[str, Any] | None = None,
    number_keys: Mapping[str, Any] | None = None,
    prefixes: Sequence[str] | None = None,
    keys: Mapping[str, Any] | None = None,
    style: questionary.Style | None = None,
) -> questionary.Question:
    """One option of ``options`` ((label, value) pairs), wrapped to the terminal.

    ``skip``: a last option after a separator. ``number_keys``: a key that picks the
    option of that value and answers at once. ``keys``: a key that ends the prompt
    returning the value given (``GLOSSARY``). ``prefixes``: text before each label
    (the "1  " of "1  Agree"); the label's continuation lines line up after it.
    ``hint``: "(arrow keys, Enter)" when not given.
    """
    if hint is None:
        hint = messages.text("prompt.select_hint")
    heads = list(prefixes) if prefixes is not None else [""] * len(options)
    labels = [head + label for head, (label, _) in zip(heads, options, strict=True)]
    if skip is not None:
        labels.append(skip[0])

    def build() -> list[Any]:
        built: list[Any] = [
            Choice(title=_option_title(label, head), value=n)
            for n, (head, (label, _)) in enumerate(zip(heads, options, strict=True))
        ]
        if skip is not None:
            built += [Separator(), Choice(title=skip[0], value=len(options))]
        return built

    ic = InquirerControl(build(), None, pointer=POINTER, use_indicator=False)
    drawn_for = [columns()]

    def get_prompt_tokens() -> list[tuple[str, str]]:
        if drawn_for[0] != columns():  # the terminal was resized: wrap the options anew
            drawn_for[0] = columns()
            pointed = ic.pointed_at
            ic.choices = build()
            ic.pointed_at = pointed
        text_now = message() if callable(message) else message
        if ic.is_answered:
            return question_tokens(text_now, labels[_index(ic)], "class:answer")
        return question_tokens(text_now, hint)

    layout = common.create_inquirer_layout(ic, get_prompt_tokens)
    bindings = KeyBindings()
    values = [value for _, value in options] + ([skip[1]] if skip is not None else [])

    @bindings.add(Keys.ControlQ, eager=True)
    @bindings.add(Keys.ControlC, eager=True)
    def _interrupt(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    def move(step: int) -> Callable[[Any], None]:
        def handler(event: Any) -> None:
            (ic.select_next if step > 0 else ic.select_previous)()
            while not ic.is_selection_valid():
                (ic.select_next if step > 0 else ic.select_previous)()

        return handler

    for key in (Keys.Down, "j", Keys.ControlN):
        bindings.add(key, eager=True)(move(1))
    for key in (Keys.Up, "k", Keys.ControlP):
        bindings.add(key, eager=True)(move(-1))

    def answer(event: Any) -> None:
        ic.is_answered = True
        event.app.exit(result=values[_index(ic)])

    bindings.add(Keys.ControlM, eager=True)(answer)
    for key, wanted in (number_keys or {}).items():

        def pick(event: Any, wanted: Any = wanted) -> None:
            index = values.index(wanted)
            ic.pointed_at = next(
                n
                for n, c in enumerate(ic.choices)
                if not isinstance(c, Separator) and c.value == index
            )
            answer(event)

        bindings.add(key, eager=True)(pick)
    for key, result in (keys or {}).items():

        def leave(event: Any, result: Any = result) -> None:
            event.app.exit(result=result)

        bindings.add(key, eager=True)(leave)

    @bindings.add(Keys.Any)
    def _other(event: Any) -> None:
        """Other keys type nothing."""

    return questionary.Question(
        Application(
            layout=layout,
            key_bindings=bindings,
            style=merge_styles_default([style or STYLE]),
        )
    )


def confirm(message: str, default: bool = True) -> questionary.Question:
    """A yes/no question wrapped to the terminal, room left for "(Y/n) Yes"."""
    wrapped = _wrapped_message(message, len("(Y/n) Yes"))
    return questionary.confirm(wrapped, default=default, style=STYLE)


def text(
    message: str,
    *,
    validate: Callable[[str], bool | str] | None = None,
    keys: Mapping[str, Any] | None = None,
) -> questionary.Question:
    """A line of text. ``keys``: a key that ends the prompt returning the value given."""
    bindings = KeyBindings()
    for key, result in (keys or {}).items():

        def leave(event: Any, result: Any = result) -> None:
            event.app.exit(result=result)

        bindings.add(key, eager=True)(leave)
    # a str subclass (a countdown that formats itself when drawn) is short: kept as it is
    shown = _wrapped_message(message, 12) if type(message) is str else message
    return questionary.text(shown, validate=validate, style=STYLE, key_bindings=bindings)


def _wrapped_message(message: str, tail: int) -> str:
    """A question's text with line breaks (and the indent after them) that fit the
    terminal, for questionary's own prompts (they put ``? `` before it)."""
    room = columns() - 1 - _QUESTION_INDENT
    lines = wrap(message, room, tail=tail)
    if lines[-1] == "" and len(lines) > 1:
        lines[-1] = ""  # what follows goes on its own line
    return ("\n" + " " * _QUESTION_INDENT).join(lines).rstrip(" ")


def pause(message: str | None = None, keys: Mapping[str, Any] | None = None) -> Any:
    """Wait for a key (``message``: "Press any key to go on..." when not given); returns
    None, or the value of one of ``keys`` when that was pressed."""
    if message is None:
        message = messages.text("prompt.press_any_key")
    bindings = KeyBindings()
    for key, result in (keys or {}).items():

        def leave(event: Any, result: Any = result) -> None:
            event.app.exit(result=result)

        bindings.add(key, eager=True)(leave)

    @bindings.add(Keys.ControlC, eager=True)
    def _interrupt(event: Any) -> None:
        event.app.exit(exception=KeyboardInterrupt, style="class:aborting")

    @bindings.add(Keys.Any)
    def _any(event: Any) -> None:
        event.app.exit(result=None)

    def tokens() -> Any:
        lines = wrap(message, columns() - 2)
        return to_formatted_text([("class:question", " " + "\n ".join(lines) + " ")])

    session: PromptSession[Any] = PromptSession(tokens, key_bindings=bindings, style=STYLE)
    return questionary.Question(session.app).unsafe_ask()
