"""XLSX through openpyxl's write-only mode: rows go to a scratch file as they come.

openpyxl would put that scratch file (a full copy of the sheet) in the system
temp folder as ``openpyxl.*``, where a killed export leaves it for good. Given
``scratch`` (``OutputFile.scratch``: beside the output, recognisable, removed
however the export ends), the sheet's writer is made on that file instead.

Cells are what a spreadsheet user expects: numbers are numeric cells rounded to
``SPREADSHEET_DECIMALS`` places; ``submitted_at`` (a ``time`` column) is a real
date-time cell (UTC); every column has a width. Text is always a text cell, so
nothing runs: a text starting like a formula (``=``, ``+``, ``-``, ``@``, tab,
CR) is written as a string cell marked "quote prefix" (how Excel stores a
typed ``'=1+2``: shown as ``=1+2``, kept as text when edited) rather than with a
literal apostrophe, and control characters are replaced (``interface.CONTROL``:
the C0 ones XML cannot hold, and DEL and C1 like CSV).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from screener.exporting.interface import (
    CONTROL,
    FORMULA_STARTS,
    SPREADSHEET_DECIMALS,
    Cell,
    Column,
    list_text,
    without_controls,
)

#: How a date-time cell is shown (ISO order, 24 hours; the value is UTC).
TIME_FORMAT = "yyyy-mm-dd hh:mm:ss"
_WIDE_TEXT = {"name": 24, "contact": 28}  # columns people read, by name
_WIDTHS = {"text": 14, "number": 9, "label": 10, "list": 36, "time": 20}


def column_width(column: Column) -> float:
    """A column's width in characters: its header, and room for what it holds."""
    base = _WIDE_TEXT.get(column.name, _WIDTHS[column.kind])
    return float(max(len(column.name) + 2, base))


class XlsxWriter:
    sheet_title = "attempts"

    def __init__(self, scratch: Callable[[], Path] | None = None) -> None:
        self.scratch = scratch

    def write(self, out: BinaryIO, columns: Sequence[Column], rows: Iterable[list[Cell]]) -> int:
        from openpyxl import Workbook  # 0.2 s to import: only when writing XLSX
        from openpyxl.utils import get_column_letter

        book = Workbook(write_only=True)
        sheet: Any = book.create_sheet(self.sheet_title)
        sheet.freeze_panes = "A2"
        for n, column in enumerate(columns, 1):  # write-only: before the first row
            sheet.column_dimensions[get_column_letter(n)].width = column_width(column)
        if self.scratch is not None:
            _write_sheet_to(sheet, self.scratch())
        cells = _Cells(sheet)
        sheet.append([cells.text(c.name) for c in columns])
        texts = [n for n, c in enumerate(columns) if c.kind == "text"]
        lists = [n for n, c in enumerate(columns) if c.kind == "list"]
        numbers = [n for n, c in enumerate(columns) if c.kind == "number"]
        times = [n for n, c in enumerate(columns) if c.kind == "time"]
        places = SPREADSHEET_DECIMALS
        count = 0
        try:
            for row in rows:
                for n in texts:
                    value = row[n]
                    if value.__class__ is str:
                        row[n] = cells.text(value)
                for n in lists:
                    value = row[n]
                    if isinstance(value, list):
                        row[n] = cells.text(list_text(value))
                for n in numbers:
                    value = row[n]
                    if value.__class__ is float:
                        row[n] = round(value, places) + 0.0
                for n in times:
                    value = row[n]
                    if isinstance(value, str):
                        row[n] = cells.time(value)
                sheet.append(row)
                count += 1
        except BaseException:
            _abandon(sheet)
            raise
        book.save(out)
        return count


class _Cells:
    """Cells that need more than a plain value: formula-like text, date-times."""

    def __init__(self, sheet: Any) -> None:
        from openpyxl.cell import WriteOnlyCell

        self.sheet = sheet
        self.make = WriteOnlyCell

    def text(self, value: str) -> Any:
        """``value`` as a text cell: controls replaced; a formula-like start kept as text."""
        if CONTROL.search(value):
            value = without_controls(value)
        if not value.startswith(FORMULA_STARTS):
            return value  # openpyxl writes other text as a string cell
        cell = self.make(self.sheet, value=value)
        cell.data_type = "s"  # not "f": openpyxl would write a text starting "=" as a formula
        cell.quotePrefix = True
        return cell

    def time(self, stamp: str) -> Any:
        """A UTC stamp as a date-time cell (Excel has no time zones: the UTC wall time)."""
        try:
            when = datetime.fromisoformat(stamp)
        except ValueError:
            return self.text(stamp)
        cell = self.make(self.sheet, value=when.replace(tzinfo=None))
        cell.number_format = TIME_FORMAT
        return cell


def _write_sheet_to(sheet: Any, path: Path) -> None:
    """Make ``sheet``'s writer on ``path`` before its first row (openpyxl would make one
    in the system temp folder). openpyxl 3.1's write-only sheet creates its writer only
    when it has none, and removes the file through its own list once it is zipped."""
    from openpyxl.worksheet._writer import ALL_TEMP_FILES, WorksheetWriter

    name = str(path)
    ALL_TEMP_FILES.append(name)
    sheet._writer = WorksheetWriter(sheet, out=name)
    sheet._writer.write_top()


def _abandon(sheet: Any) -> None:
    """Close the sheet's row writer while its scratch file is still open: left to the
    garbage collector, openpyxl would write to it after it is closed and removed."""
    with contextlib.suppress(Exception):
        if sheet._rows is not None:
            sheet._rows.close()
        if sheet._writer is not None:
            sheet._writer.close()
