"""CSV: numbers as plain numerals, every text cell neutralised against formula injection.

Text cells also lose their control characters (``interface.CONTROL``: C0 but
tab, LF and CR; DEL; C1), each replaced by U+FFFD, so a CSV on a terminal
(``export`` to stdout, ``cat``) cannot clear the screen, retitle the window or
carry a link. Tab, LF and CR stay: LF and CR only inside quoted fields, where
a reader takes them as text.

Numbers are rounded to ``SPREADSHEET_DECIMALS`` places (full precision is in
JSON): 41.666666666666664 is written 41.67, and every number as a decimal
(``-7.0``).

RFC 4180 as Python's ``csv`` module writes it with ``QUOTE_MINIMAL`` (a field is
quoted only when it holds a comma, a quote or a line break; quotes doubled),
``\\r\\n`` line ends, UTF-8. The lines are built here rather than by
``csv.writer``, which formats each float with ``repr``: for a 13-competency
row that was 6 of its 11 µs, a third of a 100k-attempt export. numpy rounds
and orjson formats the numbers of 1,024 rows at once instead (shortest
round-trip digits, like ``repr``).
"""

from __future__ import annotations

import codecs
import io
import re
from collections.abc import Callable, Iterable, Iterator, Sequence
from itertools import islice
from typing import BinaryIO

import numpy as np
import orjson

from screener.exporting.interface import (
    FORMULA_STARTS,
    SPREADSHEET_DECIMALS,
    Cell,
    Column,
    list_text,
    safe_text,
    without_controls,
)

_NEEDS_QUOTES = re.compile(r'[",\r\n]')
#: A text that needs any work: a formula start (see ``safe_text``), quoting, or a
#: control character to replace (``interface.CONTROL``).
_SPECIAL = re.compile('^[=+\\-@\t\r]|[",\r\n\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]')


def field(value: str) -> str:
    """One CSV field: quoted (quotes doubled) only when it must be."""
    if _NEEDS_QUOTES.search(value):
        return '"' + value.replace('"', '""') + '"'
    return value


def _text_cell(value: Cell) -> str:
    """A text (or answer) cell: neutralised and quoted as needed; numbers as numerals."""
    if value is None:
        return ""
    if isinstance(value, str):
        return field(safe_text(without_controls(value)))
    if isinstance(value, list):
        return field(safe_text(without_controls(list_text(value))))
    return orjson.dumps(value).decode()


class CsvWriter:
    """``bom`` writes a UTF-8 byte-order mark first, which Excel needs to read
    non-ASCII names correctly; the CLI adds it for ``--output`` files only, so a
    pipe gets plain UTF-8."""

    def __init__(self, *, bom: bool = False) -> None:
        self.bom = bom

    def write(self, out: BinaryIO, columns: Sequence[Column], rows: Iterable[list[Cell]]) -> int:
        self._head(out, columns)
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        try:
            count = 0
            for lines, n in _chunks(columns, rows):
                text.write(lines)
                count += n
            text.flush()
        finally:
            text.detach()  # the caller owns ``out``
        return count

    def write_parts(
        self,
        out: BinaryIO,
        columns: Sequence[Column],
        parts: Sequence[Callable[[], Iterable[list[Cell]]]],
        *,
        fork: bool,
    ) -> int:
        """``write`` of the rows of ``parts`` one after the other, each part's lines made
        whole (an archive segment's: a few MB) and written in order; with ``fork`` a
        forked child makes every other part or so (``forked.in_order``)."""
        from functools import partial

        from screener.forked import in_order

        self._head(out, columns)
        count = 0

        def take(made: tuple[int, bytes]) -> None:
            nonlocal count
            out.write(made[1])
            count += made[0]

        in_order([partial(_part_bytes, columns, part) for part in parts], take, fork=fork)
        return count

    def _head(self, out: BinaryIO, columns: Sequence[Column]) -> None:
        if self.bom:  # written here: a "utf-8-sig" wrapper runs Python code on every write
            out.write(codecs.BOM_UTF8)
        names = ",".join(field(safe_text(without_controls(c.name))) for c in columns)
        out.write((names + "\r\n").encode("utf-8"))


def _part_bytes(
    columns: Sequence[Column], part: Callable[[], Iterable[list[Cell]]]
) -> tuple[int, bytes]:
    """A part's rows as CSV lines, UTF-8: (how many rows, the bytes)."""
    texts: list[str] = []
    count = 0
    for lines, n in _chunks(columns, part()):
        texts.append(lines)
        count += n
    return count, "".join(texts).encode("utf-8")


def _chunks(columns: Sequence[Column], rows: Iterable[list[Cell]]) -> Iterator[tuple[str, int]]:
    """The CSV lines of ``rows``, ``_CHUNK`` rows at a time: (their text, how many)."""
    numbers = [n for n, c in enumerate(columns) if c.kind == "number"]
    texts = [n for n, c in enumerate(columns) if c.kind in ("text", "list")]
    labels = [n for n, c in enumerate(columns) if c.kind not in ("number", "text", "list")]
    iterator = iter(rows)
    lists: dict[str, str] = {}  # a list cell (the plan) by its text: few distinct ones
    known: dict[object, str] = {}  # a number's cell: scores take few values
    while chunk := list(islice(iterator, _CHUNK)):
        # a column at a time: a chunk's cells are checked, converted and joined by
        # C code (zip, map, join, one regex scan per column) instead of per cell
        cells: list[Sequence[object]] = list(zip(*chunk, strict=True))
        if numbers:
            made = _number_columns(cells, numbers, known)
            for n, column in zip(numbers, made, strict=True):
                cells[n] = column
        for n in texts:
            cells[n] = _text_column(cells[n], lists)
        for n in labels:  # a label (status, outcome) an attempt has no value for
            try:
                "".join(cells[n])  # type: ignore[arg-type]  # (faster than None in)
            except TypeError:
                cells[n] = ["" if v is None else v for v in cells[n]]
        lines = map(",".join, zip(*cells, strict=True))  # all str by now
        yield "\r\n".join(lines) + "\r\n", len(chunk)


_CHUNK = 1024  # rows converted and written at once

#: A chunk's text column joined with NUL between cells: ``_SPECIAL`` but for the
#: first character (checked after each NUL) and NUL itself (counted instead).
_SPECIAL_JOINED = re.compile('[",\r\n\x01-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]')
_STARTS_JOINED = re.compile("\0[=+\\-@\t]")  # \r: in _SPECIAL_JOINED
#: ``_SPECIAL_JOINED``'s characters when the text is ASCII, as bytes (deleting them
#: with ``bytes.translate`` is 7 times faster than the regex's scan).
_SPECIAL_ASCII = bytes([*b'",\r\n', *range(1, 9), 11, 12, *range(14, 32), 127])


def _plain(joined: str, cells: int) -> bool:
    """Whether the ``cells`` text cells joined with NUL in ``joined`` all need nothing."""
    if (
        joined.count("\0") != cells - 1  # a NUL of a cell's own
        or joined.startswith(FORMULA_STARTS)
        or _STARTS_JOINED.search(joined)
    ):
        return False
    if joined.isascii():
        data = joined.encode("ascii")
        return len(data.translate(None, _SPECIAL_ASCII)) == len(data)
    return not _SPECIAL_JOINED.search(joined)


def _text_column(column: Sequence[object], lists: dict[str, str]) -> Sequence[object]:
    """A chunk's text (or list) column as CSV fields: as it is when every cell is
    plain text needing nothing (the usual case: one scan of the joined cells)."""
    try:
        joined = "\0".join(column)  # type: ignore[arg-type]
    except TypeError:  # not all text: the plan's lists, empty cells, answers that are numbers
        kinds = set(map(type, column))
        if kinds == {list}:  # the plan's modules: joined (list_text), then text like any
            return _text_column(list(map(" ".join, column)), lists)  # type: ignore[arg-type]
        if kinds <= {str, type(None)}:  # no contact, say
            return _text_column(["" if v is None else v for v in column], lists)
    else:
        if _plain(joined, len(column)):
            return column
    special = _SPECIAL.search
    out: list[str] = []
    for value in column:
        if value.__class__ is str:
            out.append(_text_cell(value) if special(value) else value)
        elif value.__class__ is list:
            text = list_text(value)
            found = lists.get(text)
            if found is None:
                found = _text_cell(text)
                if len(lists) < 65536:
                    lists[text] = found
            out.append(found)
        elif value is None:
            out.append("")
        else:
            out.append(_text_cell(value))  # type: ignore[arg-type]
    return out


def _number_columns(
    cells: Sequence[Sequence[object]], numbers: list[int], known: dict[object, str] | None = None
) -> list[list[str]]:
    """The number columns of a chunk (``cells``, by column) as CSV cells, rounded to
    ``SPREADSHEET_DECIMALS`` places (``""`` when empty).

    A column's cells are looked up in ``known`` (each number's cell, kept across a
    file's chunks: scores of a few items take few values), the numbers not there yet
    made by ``_number_cells``; a column of many new numbers (intervals) is made by it
    whole.
    """
    if known is None:
        known = {}
    out: list[list[str]] = []
    fresh: list[int] = []  # positions in ``out`` of columns made whole below
    for n in numbers:
        column = cells[n]
        try:
            out.append(list(map(known.__getitem__, column)))
            continue
        except (KeyError, TypeError):  # a new number (or a cell no dict key can be)
            pass
        try:
            new = set(column).difference(known)
        except TypeError:
            new = None
        if new is None or len(new) > len(column) // 8 or len(known) + len(new) > _KNOWN_MAX:
            fresh.append(len(out))
            out.append([])  # made whole below
            continue
        values = list(new)
        known.update(zip(values, _number_cells([values])[0], strict=True))
        out.append(list(map(known.__getitem__, column)))
    if fresh:
        made = _number_cells([cells[numbers[i]] for i in fresh])
        for i, column_cells in zip(fresh, made, strict=True):
            out[i] = column_cells
    return out


#: Most numbers ``_number_columns`` keeps the cell of, per file.
_KNOWN_MAX = 1 << 16


def _number_cells(columns: Sequence[Sequence[object]]) -> list[list[str]]:
    """Columns of numbers as CSV cells: one numpy rounding and one orjson call for all
    (shortest round-trip digits, as ``repr``): rounding each of 100k rows x 52
    numbers in Python cost 1 s."""
    matrix = np.array(columns, dtype=np.float64)  # None -> NaN
    rounded = np.round(matrix, SPREADSHEET_DECIMALS) + 0.0  # + 0.0: no "-0.0"
    encoded = orjson.dumps(rounded, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    lines = encoded[2:-2].replace("null", "").split("],[")  # "[[62.5,null],[..]]"
    return [line.split(",") for line in lines]
