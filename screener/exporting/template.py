"""``screener template``: a blank batch file with the exact headers ``batch`` reads.

Columns: ``candidate_id``, ``name``, ``contact`` (read as contact details, see
``importing.CONTACT_HEADERS``), then the form's items in form order. Each column
says what it takes:

* **CSV**: a second row whose first cell starts with ``"# "`` (the readers skip
  such a row: no candidate id holds a space), one explanation per column.
* **XLSX**: the header on the first sheet, with a drop-down list of the allowed
  answers on every choice, judgement and rating column, and a second sheet,
  ``importing.TEMPLATE_HELP_SHEET`` (skipped when the file is read back), with
  each column's question and allowed answers.

Allowed answers: option ids with their labels, a rating scale's numbers with
their labels, a number with its unit. Text from the content is written as text
(formula-like text neutralised, as exports do).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import BinaryIO

from screener.content import AnyItem, Assessment, ChoiceItem, JudgementItem, LikertItem
from screener.exporting.interface import safe_text, without_controls
from screener.importing import COMMENT, TEMPLATE_HELP_SHEET

#: What the id column takes (the store's rule, ``records.check_candidate_id``).
ID_ALLOWED = "a candidate id: no spaces, at most 64 characters"
_LIST_LIMIT = 255  # characters of an XLSX list validation written inline


@dataclass(frozen=True)
class TemplateColumn:
    """One column of the template: header, question (items only), allowed answers, and
    the values a drop-down offers (empty: free entry)."""

    header: str
    question: str
    allowed: str
    choices: tuple[str, ...] = ()


def template_columns(assessment: Assessment, form: str) -> list[TemplateColumn]:
    """The columns of a blank batch file for ``assessment`` form ``form`` (a known form)."""
    columns = [
        TemplateColumn("candidate_id", "", ID_ALLOWED),
        TemplateColumn("name", "", "full name (needed for a new candidate)"),
        TemplateColumn("contact", "", "e-mail or phone (optional; kept for a new candidate)"),
    ]
    columns += [_item_column(assessment, item) for item in assessment.form_items(form)]
    return columns


def _item_column(assessment: Assessment, item: AnyItem) -> TemplateColumn:
    blank = "; empty = not answered"
    if isinstance(item, ChoiceItem | JudgementItem):
        options = "; ".join(f"{o.id} = {' '.join(o.label.split())}" for o in item.options)
        return TemplateColumn(
            item.id,
            item.prompt,
            f"one option id: {options}{blank}",
            tuple(o.id for o in item.options),
        )
    if isinstance(item, LikertItem):
        scale = assessment.scale_of(item)
        named = "; ".join(f"{n} = {label}" for n, label in sorted(scale.labels.items()))
        return TemplateColumn(
            item.id,
            item.prompt,
            f"a whole number from {scale.min} to {scale.max}"
            + (f" ({named})" if named else "")
            + blank,
            tuple(str(n) for n in range(scale.min, scale.max + 1)),
        )
    unit = f", in {item.unit}" if item.unit else ""
    return TemplateColumn(item.id, item.prompt, f"a number{unit}{blank}")


def _cell(text: str) -> str:
    return safe_text(without_controls(text))


def write_template_csv(out: BinaryIO, columns: list[TemplateColumn], *, bom: bool = False) -> None:
    """The header row and the explanation row (its first cell starts ``"# "``)."""
    import csv

    text = io.TextIOWrapper(out, encoding="utf-8-sig" if bom else "utf-8", newline="")
    try:
        writer = csv.writer(text, lineterminator="\r\n")
        writer.writerow([c.header for c in columns])
        first, *rest = columns
        writer.writerow(
            [COMMENT + "allowed answers: " + first.allowed, *(_cell(c.allowed) for c in rest)]
        )
        text.flush()
    finally:
        text.detach()  # the caller owns ``out``


def write_template_xlsx(out: BinaryIO, columns: list[TemplateColumn]) -> None:
    """The answers sheet (header, widths, drop-down lists) and the sheet of allowed answers."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font
    from openpyxl.utils import get_column_letter
    from openpyxl.worksheet.datavalidation import DataValidation

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.title = "answers"
    sheet.append([c.header for c in columns])
    sheet.freeze_panes = "A2"
    for n, column in enumerate(columns, 1):
        letter = get_column_letter(n)
        sheet.cell(row=1, column=n).font = Font(bold=True)
        sheet.column_dimensions[letter].width = max(12, len(column.header) + 4)
        listed = ",".join(column.choices)
        if not column.choices or len(listed) > _LIST_LIMIT - 2:
            continue
        check = DataValidation(
            type="list",
            formula1=f'"{listed}"',
            allow_blank=True,
            showErrorMessage=True,
            errorTitle=column.header,
            error=_cell(column.allowed)[:255],
            promptTitle=column.header,
            prompt=_cell(column.allowed)[:255],
            showInputMessage=True,
        )
        check.add(f"{letter}2:{letter}1048576")
        sheet.add_data_validation(check)
    sheet.column_dimensions["B"].width = 24
    sheet.column_dimensions["C"].width = 28
    helper = book.create_sheet(TEMPLATE_HELP_SHEET)
    helper.append(["column", "question", "allowed answers"])
    for column in columns:
        helper.append([_cell(column.header), _cell(column.question), _cell(column.allowed)])
    for letter, width in (("A", 16), ("B", 60), ("C", 80)):
        helper.column_dimensions[letter].width = width
    for row in helper.iter_rows(min_row=2):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    for cell in helper[1]:
        cell.font = Font(bold=True)
    book.save(out)
