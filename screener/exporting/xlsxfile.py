"""XLSX through openpyxl's write-only mode: rows go to a temp file as they come.

Numbers become numeric cells; text cells are neutralised (a leading ``=`` would
otherwise make openpyxl write a formula) and stripped of the control characters
the XML format cannot hold.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from typing import Any, BinaryIO

from screener.exporting.interface import Cell, Column, safe_text, spreadsheet_rows

# characters XML 1.0 cannot hold (openpyxl refuses them): C0 controls except tab, LF, CR
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class XlsxWriter:
    sheet_title = "attempts"

    def write(self, out: BinaryIO, columns: Sequence[Column], rows: Iterable[list[Cell]]) -> int:
        from openpyxl import Workbook  # 0.2 s to import: only when writing XLSX

        book = Workbook(write_only=True)
        sheet: Any = book.create_sheet(self.sheet_title)
        sheet.freeze_panes = "A2"
        sheet.append([_text(c.name) for c in columns])
        texts = [n for n, c in enumerate(columns) if c.kind == "text"]
        count = 0
        for row in spreadsheet_rows(columns, rows):
            for n in texts:
                value = row[n]
                if isinstance(value, str) and _ILLEGAL.search(value):
                    row[n] = _text(value)
            sheet.append(row)
            count += 1
        book.save(out)
        return count


def _text(value: str) -> str:
    """Illegal control characters replaced; then neutralised (again harmless: a cell
    already starting with ``'`` does not start with a formula character)."""
    return safe_text(_ILLEGAL.sub("\ufffd", value))
