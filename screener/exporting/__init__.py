"""Exports of stored attempts: CSV, JSON Lines, JSON and XLSX, one row per attempt.

``export`` streams: it pulls records from a ``Store.iter_attempts`` stream one
at a time, turns each into a row (``rows.RowBuilder``) and hands it to the
format's ``Writer`` (one module per format behind ``interface.Writer``), so no
list of rows is ever built. CSV and XLSX are safe to open in a spreadsheet
(``interface.safe_text``); see ``rows`` for the columns and anonymisation.

No CLI imports here: the command in ``screener.cli_results`` is a thin layer.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, assert_never

from screener.content import Assessment
from screener.errors import ScreenerError
from screener.exporting.csvfile import CsvWriter
from screener.exporting.interface import Cell, Column, Writer, safe_text
from screener.exporting.jsonfile import JsonLinesWriter, JsonWriter
from screener.exporting.outfile import OutputFile, Terminated, find_stale, output_file
from screener.exporting.rows import HEAD, Pseudonyms, RowBuilder
from screener.exporting.xlsxfile import XlsxWriter

if TYPE_CHECKING:
    from screener.store import AttemptStream

__all__ = [
    "HEAD",
    "Cell",
    "Column",
    "Format",
    "OutputFile",
    "Pseudonyms",
    "RowBuilder",
    "Terminated",
    "Writer",
    "export",
    "export_to_file",
    "find_stale",
    "output_file",
    "safe_text",
    "writer_for",
]


class Format(StrEnum):
    CSV = "csv"
    JSONL = "jsonl"
    JSON = "json"
    XLSX = "xlsx"

    @property
    def binary_only(self) -> bool:
        """Formats that cannot go to a terminal or pipe as text."""
        return self is Format.XLSX


def writer_for(fmt: Format, *, bom: bool = False) -> Writer:
    match fmt:
        case Format.CSV:
            return CsvWriter(bom=bom)
        case Format.JSONL:
            return JsonLinesWriter()
        case Format.JSON:
            return JsonWriter()
        case Format.XLSX:
            return XlsxWriter()
        case _:
            assert_never(fmt)


#: The fewest rows a CSV export shares with a forked child (fewer: its fork costs more
#: than it saves).
SHARED_ROWS = 50_000


def export(
    stream: AttemptStream,
    fmt: Format,
    out: BinaryIO,
    *,
    items: bool = False,
    secret: str | None = None,
    assessments: Mapping[str, Assessment] | None = None,
    bom: bool = False,
    scratch: Callable[[], Path] | None = None,
) -> int:
    """Write every attempt of ``stream`` to ``out``; returns the number of rows.

    ``secret`` (the database's, ``Store.secret()``) turns on anonymisation;
    ``assessments`` (by id) are used to re-score item points for ``items``; an
    attempt whose assessment version is not among them gets empty points.
    """
    builder = RowBuilder(
        stream.layouts,
        items=items,
        anonymize=Pseudonyms(secret) if secret is not None else None,
        assessments=assessments,
    )
    writer = writer_for(fmt, bom=bom)
    if (
        isinstance(writer, CsvWriter)
        and len(stream) >= SHARED_ROWS
        and (runs := stream.runs()) is not None
        and len(runs) > 1
    ):  # segment by segment, every other one or so made by a forked child
        from functools import partial

        from screener.forked import spare_core

        parts = [partial(builder.rows, run) for run in runs]
        return writer.write_parts(out, builder.columns, parts, fork=spare_core())
    if isinstance(writer, XlsxWriter):
        writer.scratch = scratch  # its sheet goes to a file beside the output, not /tmp
    return writer.write(out, builder.columns, builder.rows(stream))


def export_to_file(
    stream: AttemptStream,
    fmt: Format,
    path: Path,
    *,
    items: bool = False,
    secret: str | None = None,
    assessments: Mapping[str, Assessment] | None = None,
) -> int:
    """``export`` to a named output (``outfile.output_file``): whole or not at all, 0600.

    A CSV file gets a byte-order mark for Excel; XLSX is refused for a pipe or a
    device, and its scratch file goes beside the output.
    """
    with output_file(path) as target:
        if fmt.binary_only and target.folder is None:
            raise ScreenerError(f"cannot write {path}: --format {fmt.value} needs a regular file")
        return export(
            stream,
            fmt,
            target.stream,
            items=items,
            secret=secret,
            assessments=assessments,
            bom=target.folder is not None,
            scratch=target.scratch,
        )
