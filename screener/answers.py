"""Reading one candidate's answers from a YAML or JSON file (item id -> answer).

Text answers typed by people are normalised here, before scoring: ``"1,250.5 mm"``
for a numeric item becomes 1250.5, ``"4"`` for a Likert item becomes 4. Scoring
itself accepts only clean values, so nothing is guessed there: ``"9,525"`` (a comma
followed by exactly three digits) may mean 9.525 or 9525, so it is refused
(``comma_readings``; at the terminal the candidate is asked which).
"""

from __future__ import annotations

import os
import re
import stat
from pathlib import Path

from screener.content import AnyItem, Assessment, LikertItem, NumericItem
from screener.errors import AnswerError, ContentError
from screener.scoring import Answer, item_points
from screener.yamlsource import parse

_NUMBER = re.compile(r"^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$")


def _cleaned(text: str, unit: str | None) -> str:
    """``text`` without spaces and without the item's own unit at the end."""
    cleaned = text.strip().replace(" ", "").replace("\u00a0", "")
    if unit and cleaned.lower().endswith(unit.lower().replace(" ", "")):
        cleaned = cleaned[: -len(unit.replace(" ", ""))]
    return cleaned


def parse_number(text: str, unit: str | None = None) -> float:
    """A number typed by a person: thousands commas, spaces and the item's own unit are fine.

    Any other unit is refused rather than dropped: "1 inch" is not 1 mm.
    """
    cleaned = _cleaned(text, unit)
    if re.fullmatch(r"[+-]?\d{1,3}(,\d{3})+(\.\d*)?", cleaned):
        cleaned = cleaned.replace(",", "")
    elif cleaned.count(",") == 1 and "." not in cleaned:
        cleaned = cleaned.replace(",", ".")  # a decimal comma: 2,5
    if not _NUMBER.match(cleaned):
        raise ValueError(f"{text!r} is not a number")
    return float(cleaned)


_AMBIGUOUS_COMMA = re.compile(r"([+-]?)(\d{1,3}),(\d{3})")


def comma_readings(text: str, unit: str | None = None) -> tuple[str, str] | None:
    """The two readings ("9.525", "9525") of a number like "9,525": one comma followed
    by exactly three digits, which English reads as 9525 and French as 9.525. None for
    any other text, which ``parse_number`` reads without asking ("2,5", "1,250.5",
    "12,345,678")."""
    match = _AMBIGUOUS_COMMA.fullmatch(_cleaned(text, unit))
    if match is None:
        return None
    sign, whole, part = match.groups()
    return f"{sign}{whole}.{part}", f"{sign}{whole}{part}"


def normalise(assessment: Assessment, item: AnyItem, raw: object) -> Answer:
    """Turn a raw answer into what scoring takes, checking it; ``AnswerError`` if it is bad."""
    if raw is None or (isinstance(raw, str) and not raw.strip()):
        return None
    if isinstance(raw, bool):
        raise AnswerError(item.id, raw, "a yes/no value is not an answer here; quote option ids")
    if isinstance(raw, str):
        raw = raw.strip()  # " c " typed or exported with spaces is the option c
    value: Answer
    if isinstance(item, NumericItem | LikertItem) and isinstance(raw, str):
        unit = item.unit if isinstance(item, NumericItem) else None
        readings = comma_readings(raw, unit) if isinstance(item, NumericItem) else None
        if readings is not None:
            point, whole = readings
            raise AnswerError(
                item.id,
                raw,
                f"could be {point} or {whole}: write {point} or {whole}",
            )
        try:
            value = parse_number(raw, unit)
        except ValueError:
            raise AnswerError(item.id, raw, "expected a number") from None
        if isinstance(item, LikertItem) and value.is_integer():
            value = int(value)
    elif isinstance(raw, str | int | float):
        value = raw
    else:
        raise AnswerError(item.id, raw, "expected a single value")
    item_points(assessment, item, value)  # raises on anything scoring would refuse
    return value


#: The largest answers file read (bytes): one candidate's answers are a few KB.
ANSWERS_LIMIT = 4 * 1024 * 1024


def read_regular_file(path: Path, limit: int) -> bytes:
    """The bytes of ``path`` if it is a regular file of at most ``limit`` bytes.

    A named pipe would block until someone writes to it, and ``/dev/zero`` would
    be read until memory runs out: both are refused before reading. The file is
    opened non-blocking and checked on the open descriptor, so it cannot be
    swapped for a pipe between the check and the read.
    """
    flags = os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_BINARY", 0)
    try:
        fd = os.open(path, flags)
    except OSError as exc:
        raise ContentError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    try:
        info = os.fstat(fd)
        if not stat.S_ISREG(info.st_mode):
            what = (
                "it is a folder"
                if stat.S_ISDIR(info.st_mode)
                else "not a regular file (a pipe or device is refused)"
            )
            raise ContentError([f"{path}: cannot read: {what}"])
        if info.st_size > limit:
            raise ContentError([f"{path}: cannot read: larger than {limit // 1024} KB"])
        with open(fd, "rb", closefd=False) as handle:
            data = handle.read(limit + 1)
    except OSError as exc:
        raise ContentError([f"{path}: cannot read: {exc.strerror or exc}"]) from None
    finally:
        os.close(fd)
    if len(data) > limit:  # grew since the check
        raise ContentError([f"{path}: cannot read: larger than {limit // 1024} KB"])
    return data


def read_answers(path: Path, assessment: Assessment, form: str) -> dict[str, Answer]:
    """Answers from a file, every fault reported as ``file:line:col: message``."""
    data = read_regular_file(path, ANSWERS_LIMIT)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContentError([f"{path}: not UTF-8 text"]) from None
    parsed = parse(text, str(path))
    if parsed.problems:
        raise ContentError([str(p) for p in parsed.problems])
    if not isinstance(parsed.value, dict):
        raise ContentError([f"{path}:1:1: expected a mapping of item id to answer"])
    items = {item.id: item for item in assessment.form_items(form)}
    answers: dict[str, Answer] = {}
    problems: list[str] = []
    for key, raw in parsed.value.items():
        mark = parsed.mark((key,))
        where = f"{path}:{mark.line}:{mark.col}"
        item = items.get(str(key))
        if item is None:
            problems.append(f"{where}: no item '{key}' in form {form} of {assessment.id}")
            continue
        try:
            answers[item.id] = normalise(assessment, item, raw)
        except AnswerError as exc:
            problems.append(f"{where}: {exc}")
    if problems:
        raise ContentError(problems)
    return answers
