"""Commands that take results out of the store: ``results``, ``export``, ``report``, ``stats``.

A thin layer like ``cli``: options → library call (``screener.exporting``,
``screener.report``, ``screener.stats``) → output. Data goes to stdout (or
``--output``), counts and messages to stderr. Heavy imports stay inside the
commands so ``screener --help`` stays quick.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, BinaryIO

import typer

from screener.cli import app, catalog_for, emit_json, guard_output, settings
from screener.errors import UsageError
from screener.terminal import printable

if TYPE_CHECKING:
    from screener.store import AttemptStream, Store


class OutcomeChoice(StrEnum):
    passed = "pass"
    coaching = "coaching"
    incomplete = "incomplete"


class ExportChoice(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    json = "json"
    xlsx = "xlsx"


class ReportChoice(StrEnum):
    md = "md"
    html = "html"


AssessmentOpt = Annotated[
    str | None, typer.Option("--assessment", "-a", help="Only attempts of this assessment id.")
]
OutcomeOpt = Annotated[
    OutcomeChoice | None, typer.Option("--outcome", help="Only attempts with this outcome.")
]
ModuleOpt = Annotated[
    str | None, typer.Option("--module", "-m", help="Only attempts whose plan has this module.")
]
SinceOpt = Annotated[
    str | None,
    typer.Option("--since", help="Only attempts submitted on or after this date (ISO 8601, UTC)."),
]


def _since(value: str | None) -> str | None:
    if value is None:
        return None
    from screener.store.records import utc_stamp

    try:
        return utc_stamp(value)
    except ValueError:
        raise UsageError(
            f"--since: {value!r} is not a date (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SS)"
        ) from None


def _stream(
    store: Store,
    assessment: str | None,
    outcome: OutcomeChoice | None,
    module: str | None,
    since: str | None,
) -> AttemptStream:
    return store.iter_attempts(
        assessment=assessment,
        outcome=outcome.value if outcome is not None else None,
        module=module,
        since=_since(since),
    )


def _store(ctx: typer.Context) -> Store:
    from screener.store import Store

    return Store(settings(ctx).db)


@app.command()
def results(
    ctx: typer.Context,
    assessment: AssessmentOpt = None,
    outcome: OutcomeOpt = None,
    module: ModuleOpt = None,
    since: SinceOpt = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="JSON lines: one attempt per line (docs/format.md).")
    ] = False,
) -> None:
    """List stored attempts, oldest first: a table, or JSON lines with --json."""
    stream = _stream(_store(ctx), assessment, outcome, module, since)
    if as_json:
        import orjson

        from screener.terminal import json_bytes

        out = sys.stdout.buffer
        for rec in stream:
            out.write(json_bytes(orjson.dumps(rec.to_json())) + b"\n")
        out.flush()
        return
    from screener.render import attempts_table, console

    table = attempts_table(stream)
    console().print(table)
    console(stderr=True).print(f"{len(stream)} attempt(s)")


@app.command()
def export(
    ctx: typer.Context,
    fmt: Annotated[ExportChoice, typer.Option("--format", "-f", help="Output format.")],
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default, or -: stdout)."),
    ] = None,
    assessment: AssessmentOpt = None,
    outcome: OutcomeOpt = None,
    module: ModuleOpt = None,
    since: SinceOpt = None,
    items: Annotated[
        bool, typer.Option("--items", help="Add every item's answer and points.")
    ] = False,
    anonymize: Annotated[
        bool,
        typer.Option(
            "--anonymize",
            help="Replace ids and names with keyed pseudonyms; leave out contact details.",
        ),
    ] = False,
) -> None:
    """Export attempts, one row each: CSV and XLSX safe to open in Excel, JSON Lines, JSON."""
    from screener.exporting import Format, export, export_to_file

    chosen = Format(fmt.value)
    to_file = _named(output)
    guard_output(ctx, "--output", to_file)
    if chosen.binary_only and to_file is None:
        raise UsageError(f"export: --format {chosen.value} needs --output FILE")
    store = _store(ctx)
    stream = _stream(store, assessment, outcome, module, since)
    secret = store.secret() if anonymize else None
    models = dict(catalog_for(ctx).assessments) if items else None
    if to_file is None:
        out: BinaryIO = sys.stdout.buffer
        count = export(stream, chosen, out, items=items, secret=secret, assessments=models)
        out.flush()
        where = "stdout"
    else:
        count = export_to_file(
            stream, chosen, to_file, items=items, secret=secret, assessments=models
        )
        where = printable(str(to_file))
    sys.stderr.write(f"exported {count} attempt(s) to {where}\n")


def _named(output: Path | None) -> Path | None:
    """The file an ``--output`` names; None for stdout (no option, or ``-``)."""
    return None if output is None or str(output) == "-" else output


@app.command()
def report(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="Candidate id, or exact name.")],
    fmt: Annotated[ReportChoice, typer.Option("--format", "-f", help="md or html.")] = (
        ReportChoice.md
    ),
    output: Annotated[
        Path | None,
        typer.Option("--output", "-o", help="File to write (default, or -: stdout)."),
    ] = None,
) -> None:
    """A report for the candidate: outcome, competencies, strengths, plan, progress, history."""
    from datetime import UTC, datetime

    from screener.report import ReportData, html_report, markdown_report

    to_file = _named(output)
    guard_output(ctx, "--output", to_file)
    store = _store(ctx)
    person = store.resolve_candidate(candidate)
    catalog = catalog_for(ctx)
    data = ReportData(
        candidate=person,
        attempts=store.attempts(candidate=person.id),
        progress=store.progress(candidate_id=person.id),
        assessments=catalog.assessments,
        modules=catalog.modules,
        generated=datetime.now(UTC).strftime("%Y-%m-%d"),
    )
    text = html_report(data) if fmt is ReportChoice.html else markdown_report(data)
    if to_file is None:
        sys.stdout.write(text)
        return
    from screener.exporting import output_file

    with output_file(to_file) as target:  # 0600, whole or not at all, like exports
        target.stream.write(text.encode("utf-8"))
    sys.stderr.write(f"wrote {printable(str(to_file))}\n")


@app.command()
def stats(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(help="Assessment id (or YAML path).")],
    form: Annotated[str | None, typer.Option("--form", help="Only this form.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print data as JSON.")] = False,
) -> None:
    """Reliability and item statistics of an assessment, from the stored attempts."""
    from screener.stats import assessment_stats, stats_json

    model = catalog_for(ctx).assessment(assessment)
    if form is not None and form not in model.form_names():
        raise UsageError(
            f"--form: {model.id} has forms {', '.join(model.form_names())}, not {form}"
        )
    stream = _store(ctx).iter_attempts(assessment=model.id)
    result = assessment_stats(model, stream, form)
    if result.skipped:
        sys.stderr.write(
            f"note: left out {result.skipped} attempt(s) of other versions of {model.id}\n"
        )
    if as_json:
        emit_json(stats_json(result))
        return
    if not result.attempts:
        sys.stderr.write(f"no stored attempts of {model.id} {model.version}\n")
        return
    _show_stats(result)


def _show_stats(result: Any) -> None:
    from rich.table import Table
    from rich.text import Text

    from screener.render import bar, console

    con = console()
    width = 20 if con.width >= 100 else 12

    def num(value: float, spec: str = ".2f") -> str:
        return "-" if value != value else format(value, spec)  # NaN != NaN

    con.print(
        Text(
            printable(f"{result.assessment} {result.version}: {result.attempts} attempt(s)"),
            style="bold",
        )
    )
    for form in result.forms:
        table = Table(title=f"Form {form.form}: competencies ({form.attempts} attempts)")
        table.add_column("competency")
        for head in ("items", "N", "mean", "SD", "alpha", "SEM", "below cut"):
            table.add_column(head, justify="right")
        table.add_column("mean, 0-100", no_wrap=True)
        for c in form.competencies:
            table.add_row(
                printable(c.name),
                str(c.items),
                str(c.n),
                num(c.mean, ".1f"),
                num(c.sd, ".1f"),
                num(c.alpha),
                num(c.sem, ".1f"),
                num(c.below_cut * 100, ".0f") + "%",
                bar(None if c.mean != c.mean else c.mean, c.cut, width, con),
            )
        con.print(table)
        items = Table(title=f"Form {form.form}: items")
        items.add_column("item")
        items.add_column("competency")
        items.add_column("N", justify="right")
        items.add_column("difficulty", justify="right")
        items.add_column("0-1", no_wrap=True)
        items.add_column("item-rest r", justify="right")
        items.add_column("flag")
        for i in form.items:
            items.add_row(
                printable(i.id),
                printable(i.competency),
                str(i.n),
                num(i.difficulty),
                bar(None if i.difficulty != i.difficulty else i.difficulty * 100, None, width, con),
                num(i.item_rest),
                Text(i.flag or "", style="yellow" if i.flag else ""),
            )
        con.print(items)
    if result.modules:
        mods = Table(title="Coaching modules in plans")
        mods.add_column("module")
        mods.add_column("attempts", justify="right")
        mods.add_column("share", justify="right")
        mods.add_column("0-100%", no_wrap=True)
        for m in result.modules:
            mods.add_row(
                printable(m.module),
                str(m.attempts),
                num(m.share * 100, ".0f") + "%",
                bar(m.share * 100, None, width, con),
            )
        con.print(mods)
