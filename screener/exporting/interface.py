"""What every export writer shares: the cell type, the writer protocol, Excel safety.

One module per format implements ``Writer`` (the pip-audit ``_format`` pattern);
``screener.exporting.writer_for`` picks one from a ``Format``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import BinaryIO, Literal, NamedTuple, Protocol

#: One cell of an export row: text, a number, empty, or a list of ids (the plan).
Cell = str | int | float | None | list[str]

#: What a column holds, so writers convert only what needs it:
#: ``text`` free text or ids (may be anything: neutralised for spreadsheets; an
#: item answer may also be a number), ``number`` numbers or empty, ``label`` one
#: of a fixed set of plain words (status, outcome: written as is), ``list`` ids,
#: ``time`` a UTC stamp written by screener (``2026-11-21T14:03:11Z``: as is in
#: text formats, a date-time cell in XLSX).
Kind = Literal["text", "number", "label", "list", "time"]

#: Decimal places of the numbers in CSV and XLSX exports (scores are POMP, 0-100:
#: to a hundredth of a point). JSON and JSON Lines keep full precision.
SPREADSHEET_DECIMALS = 2


def spreadsheet_number(value: float) -> float:
    """A float rounded to ``SPREADSHEET_DECIMALS`` (never ``-0.0``)."""
    return round(value, SPREADSHEET_DECIMALS) + 0.0


class Column(NamedTuple):
    name: str
    kind: Kind


#: OWASP "CSV injection": a spreadsheet treats a cell starting with one of these
#: as a formula (or strips the tab / carriage return and then does).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


#: Control characters a text cell of CSV or XLSX never carries: C0 except tab, line
#: feed and carriage return (which a quoted CSV field and an XLSX cell hold as text),
#: DEL and C1. ESC, CSI (U+009B) and NUL would act on a terminal the CSV is shown
#: on (``export`` to stdout, ``cat``); XML 1.0 cannot hold the C0 ones at all.
CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")
#: What replaces each of them: visible, and never a control character.
REPLACEMENT = "\ufffd"


def without_controls(text: str) -> str:
    """``text`` with every ``CONTROL`` character replaced by U+FFFD."""
    return CONTROL.sub(REPLACEMENT, text)


def safe_text(text: str) -> str:
    """Text a spreadsheet shows as text: a leading formula character gets a ``'`` before it.

    Only text is touched; numbers are written as numbers by the writers, so a
    negative score stays a number while a name like ``-1`` or ``=HYPERLINK(…)``
    is shown literally.
    """
    if text.startswith(FORMULA_STARTS):
        return "'" + text
    return text


def list_text(values: list[str]) -> str:
    """A list cell (the plan's modules) in one spreadsheet cell."""
    return " ".join(values)


class Writer(Protocol):
    """Writes a header and rows to a binary stream as they come; returns the row count.

    ``rows`` is an iterator: a writer must not collect it (an export of 100k
    attempts streams through it row by row).
    """

    def write(self, out: BinaryIO, columns: Sequence[Column], rows: Iterable[list[Cell]]) -> int:
        """Write everything and return how many rows were written.

        A writer may change the row lists it is given (each is made for it alone).
        """
        ...
