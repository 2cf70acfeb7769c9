"""``export --pathway``: the stored program events, one row per event, through the same
writers (CSV and XLSX safe in a spreadsheet, JSON Lines, JSON) and output files.

Columns: ``person, name, kind, at, employer, region, note, route, modules`` (the
fields of ``screener.pathway.Event``, the candidate's name after the id), in time
order. Anonymised, ``person`` and ``name`` become the candidate's keyed pseudonym
(the same one ``export --anonymize`` gives their attempts) and ``note`` is left
out: it is free text and may say why someone left.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO

from screener.errors import ScreenerError
from screener.exporting.interface import Cell, Column
from screener.exporting.outfile import output_file
from screener.exporting.rows import Pseudonyms

if TYPE_CHECKING:
    from screener.exporting import Format
    from screener.pathway import Event

PATHWAY_COLUMNS = (
    Column("person", "text"),
    Column("name", "text"),
    Column("kind", "text"),
    Column("at", "label"),  # ISO 8601 written by screener
    Column("employer", "text"),
    Column("region", "text"),
    Column("note", "text"),
    Column("route", "text"),
    Column("modules", "list"),
)


def pathway_columns(*, anonymize: bool) -> tuple[Column, ...]:
    return tuple(c for c in PATHWAY_COLUMNS if not (anonymize and c.name == "note"))


def pathway_rows(
    events: Iterable[Event],
    names: Mapping[str, str],
    *,
    anonymize: Pseudonyms | None = None,
    since: datetime | None = None,
) -> Iterator[list[Cell]]:
    """One row per event (on or after ``since``), in the columns of ``pathway_columns``."""
    for e in events:
        if since is not None and e.at < since:
            continue
        if anonymize is not None:
            pseudonym = anonymize("candidate", e.person)
            yield [
                pseudonym,
                pseudonym,
                e.kind,
                e.at.isoformat(),
                e.employer,
                e.region,
                e.route,
                list(e.modules),
            ]
        else:
            yield [
                e.person,
                names.get(e.person),
                e.kind,
                e.at.isoformat(),
                e.employer,
                e.region,
                e.note,
                e.route,
                list(e.modules),
            ]


def export_pathway(
    events: Iterable[Event],
    names: Mapping[str, str],
    fmt: Format,
    out: BinaryIO,
    *,
    secret: str | None = None,
    since: datetime | None = None,
    bom: bool = False,
) -> int:
    """Write the events to ``out`` in ``fmt``; returns how many rows."""
    from screener.exporting import writer_for

    anonymize = Pseudonyms(secret) if secret is not None else None
    columns = pathway_columns(anonymize=anonymize is not None)
    rows = pathway_rows(events, names, anonymize=anonymize, since=since)
    return writer_for(fmt, bom=bom).write(out, columns, rows)


def export_pathway_to_file(
    events: Iterable[Event],
    names: Mapping[str, str],
    fmt: Format,
    path: Path,
    *,
    secret: str | None = None,
    since: datetime | None = None,
) -> int:
    """``export_pathway`` to a named output (``outfile.output_file``): whole or not at all."""
    from screener.exporting import writer_for
    from screener.exporting.xlsxfile import XlsxWriter

    with output_file(path) as target:
        if fmt.binary_only and target.folder is None:
            raise ScreenerError(f"cannot write {path}: --format {fmt.value} needs a regular file")
        anonymize = Pseudonyms(secret) if secret is not None else None
        writer = writer_for(fmt, bom=target.folder is not None)
        if isinstance(writer, XlsxWriter):
            writer.scratch = target.scratch
        return writer.write(
            target.stream,
            pathway_columns(anonymize=anonymize is not None),
            pathway_rows(events, names, anonymize=anonymize, since=since),
        )


__all__ = ["PATHWAY_COLUMNS", "export_pathway", "export_pathway_to_file", "pathway_columns"]
