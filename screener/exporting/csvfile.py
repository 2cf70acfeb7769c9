"""CSV: numbers as plain numerals, every text cell neutralised against formula injection.

Text cells also lose their control characters (``interface.CONTROL``: C0 but
tab, LF and CR; DEL; C1), each replaced by U+FFFD, so a CSV on a terminal
(``export`` to stdout, ``cat``) cannot clear the screen, retitle the window or
carry a link. Tab, LF and CR stay: LF and CR only inside quoted fields, where
a reader takes them as text.

RFC 4180 as Python's ``csv`` module writes it with ``QUOTE_MINIMAL`` (a field is
quoted only when it holds a comma, a quote or a line break; quotes doubled),
``\\r\\n`` line ends, UTF-8. The lines are built here rather than by
``csv.writer``, which formats each float with ``repr``: for a 13-competency
row that was 6 of its 11 µs, a third of a 100k-attempt export. orjson formats
a row's numbers at once instead (shortest round-trip digits, like ``repr``; an
exponent is written ``1e-5`` rather than ``1e-05``, which every reader accepts).
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterable, Sequence
from operator import itemgetter
from typing import BinaryIO

import orjson

from screener.exporting.interface import Cell, Column, list_text, safe_text, without_controls

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
        text = io.TextIOWrapper(out, encoding="utf-8-sig" if self.bom else "utf-8", newline="")
        numbers = [n for n, c in enumerate(columns) if c.kind == "number"]
        others = [n for n, c in enumerate(columns) if c.kind in ("text", "list")]
        pick = itemgetter(*numbers) if len(numbers) > 1 else None
        try:
            write = text.write
            special = _SPECIAL.search
            write(",".join(field(safe_text(without_controls(c.name))) for c in columns) + "\r\n")
            count = 0
            for row in rows:
                if pick is not None:
                    # one orjson call for all numbers of the row: "[62.5,null,3]" -> cells
                    encoded = orjson.dumps(pick(row)).decode()[1:-1].replace("null", "")
                    for n, cell in zip(numbers, encoded.split(","), strict=True):
                        row[n] = cell
                else:
                    for n in numbers:
                        value = row[n]
                        row[n] = "" if value is None else orjson.dumps(value).decode()
                for n in others:
                    value = row[n]
                    # most cells are plain text needing nothing: one regex test for them
                    if value.__class__ is not str or special(value):  # type: ignore[arg-type,unused-ignore]
                        row[n] = _text_cell(value)
                if None in row:  # a label (status, outcome) this attempt has no value for
                    row = ["" if v is None else v for v in row]
                write(",".join(row) + "\r\n")  # type: ignore[arg-type]  # all str by now
                count += 1
            text.flush()
        finally:
            text.detach()  # the caller owns ``out``
        return count
