"""XLSX through openpyxl's write-only mode: rows go to a scratch file as they come.

openpyxl would put that scratch file (a full copy of the sheet) in the system
temp folder as ``openpyxl.*``, where a killed export leaves it for good. Given
``scratch`` (``OutputFile.scratch``: beside the output, recognisable, removed
however the export ends), the sheet's writer is made on that file instead.

Numbers become numeric cells; text cells are neutralised (a leading ``=`` would
otherwise make openpyxl write a formula) and their control characters replaced
(``interface.CONTROL``: the C0 ones XML cannot hold, and DEL and C1 like CSV).
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any, BinaryIO

from screener.exporting.interface import (
    CONTROL,
    Cell,
    Column,
    safe_text,
    spreadsheet_rows,
    without_controls,
)


class XlsxWriter:
    sheet_title = "attempts"

    def __init__(self, scratch: Callable[[], Path] | None = None) -> None:
        self.scratch = scratch

    def write(self, out: BinaryIO, columns: Sequence[Column], rows: Iterable[list[Cell]]) -> int:
        from openpyxl import Workbook  # 0.2 s to import: only when writing XLSX

        book = Workbook(write_only=True)
        sheet: Any = book.create_sheet(self.sheet_title)
        sheet.freeze_panes = "A2"
        if self.scratch is not None:
            _write_sheet_to(sheet, self.scratch())
        sheet.append([_text(c.name) for c in columns])
        texts = [n for n, c in enumerate(columns) if c.kind == "text"]
        count = 0
        try:
            for row in spreadsheet_rows(columns, rows):
                for n in texts:
                    value = row[n]
                    if isinstance(value, str) and CONTROL.search(value):
                        row[n] = _text(value)
                sheet.append(row)
                count += 1
        except BaseException:
            _abandon(sheet)
            raise
        book.save(out)
        return count


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


def _text(value: str) -> str:
    """Illegal control characters replaced; then neutralised (again harmless: a cell
    already starting with ``'`` does not start with a formula character)."""
    return safe_text(without_controls(value))
