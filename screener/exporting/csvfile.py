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
from collections.abc import Iterable, Sequence
from itertools import islice
from operator import itemgetter
from typing import BinaryIO

import numpy as np
import orjson

from screener.exporting.interface import (
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
        if self.bom:  # written here: a "utf-8-sig" wrapper runs Python code on every write
            out.write(codecs.BOM_UTF8)
        text = io.TextIOWrapper(out, encoding="utf-8", newline="")
        numbers = [n for n, c in enumerate(columns) if c.kind == "number"]
        others = [n for n, c in enumerate(columns) if c.kind in ("text", "list")]
        try:
            write = text.write
            special = _SPECIAL.search
            write(",".join(field(safe_text(without_controls(c.name))) for c in columns) + "\r\n")
            count = 0
            iterator = iter(rows)
            lists: dict[str, str] = {}  # a list cell (the plan) by its text: few distinct ones
            # per column, the last text found to need nothing: the assessment, version and
            # form of a layout are the same objects row after row, so checked once
            clean: list[object] = [None] * len(columns)
            while chunk := list(islice(iterator, _CHUNK)):
                for row, cells in zip(chunk, _number_cells(chunk, numbers), strict=True):
                    for n, cell in zip(numbers, cells, strict=True):
                        row[n] = cell
                    for n in others:
                        value = row[n]
                        if value.__class__ is str:
                            # most cells are plain text needing nothing: one regex test
                            if value is clean[n]:
                                continue
                            if special(value):  # type: ignore[arg-type,unused-ignore]
                                row[n] = _text_cell(value)
                            else:
                                clean[n] = value
                        elif value.__class__ is list:
                            joined = list_text(value)
                            found = lists.get(joined)
                            if found is None:
                                found = _text_cell(joined)
                                if len(lists) < 65536:
                                    lists[joined] = found
                            row[n] = found
                        elif value is None:
                            row[n] = ""
                        else:
                            row[n] = _text_cell(value)
                    if None in row:  # a label (status, outcome) this attempt has no value for
                        row = ["" if v is None else v for v in row]
                    write(",".join(row) + "\r\n")  # type: ignore[arg-type]  # all str by now
                    count += 1
            text.flush()
        finally:
            text.detach()  # the caller owns ``out``
        return count


_CHUNK = 1024  # rows whose numbers are rounded and formatted at once


def _number_cells(chunk: Sequence[list[Cell]], numbers: list[int]) -> list[list[str]]:
    """The number columns of each row of ``chunk`` as CSV cells, rounded to
    ``SPREADSHEET_DECIMALS`` places (``""`` when empty).

    One numpy rounding and one orjson call per chunk (shortest round-trip digits,
    as ``repr``): rounding each of 100k rows x 52 numbers in Python cost 1 s.
    """
    if not numbers:
        return [[] for _ in chunk]
    pick = itemgetter(*numbers)
    if len(numbers) == 1:
        matrix = np.array([[pick(row)] for row in chunk], dtype=np.float64)  # None -> NaN
    else:
        matrix = np.array([pick(row) for row in chunk], dtype=np.float64)
    rounded = np.round(matrix, SPREADSHEET_DECIMALS) + 0.0  # + 0.0: no "-0.0"
    encoded = orjson.dumps(rounded, option=orjson.OPT_SERIALIZE_NUMPY).decode()
    lines = encoded[2:-2].replace("null", "").split("],[")  # "[[62.5,null],[..]]"
    return [line.split(",") for line in lines]
