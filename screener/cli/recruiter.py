"""Commands for recruiters and program staff, over many candidates: ``batch``,
``simulate``, ``results``, ``export``, ``report``, ``stats`` and ``evaluate``.

Options -> one library call (``screener.batch``, ``screener.simulate``,
``screener.exporting``, ``screener.report``, ``screener.stats``,
``screener.evaluate``) -> output. Data goes to stdout (or ``--output``), counts,
progress and messages to stderr.
"""

from __future__ import annotations

import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, BinaryIO

import typer

from screener.cli.base import (
    FormOpt,
    JsonOpt,
    assessment_for,
    catalog_for,
    emit_json,
    form_option,
    guard_output,
    open_store,
)
from screener.cli.program import NominatedByOpt, RegionOpt, after_screening, export_pathway
from screener.errors import UsageError
from screener.terminal import printable

if TYPE_CHECKING:
    from screener.store import AttemptStream
    from screener.store.interface import ResultsStore

EXIT_REJECTED = 3


class OutcomeChoice(StrEnum):
    passed = "pass"
    coaching = "coaching"
    incomplete = "incomplete"


class ExportChoice(StrEnum):
    csv = "csv"
    jsonl = "jsonl"
    json = "json"
    xlsx = "xlsx"


class TemplateChoice(StrEnum):
    csv = "csv"
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
OutputOpt = Annotated[
    Path | None,
    typer.Option("--output", "-o", help="File to write (default, or -: stdout)."),
]


# -- batch and simulate ------------------------------------------------------------------


def batch(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="Answers file: .csv/.tsv/.txt, .xlsx, .json or .jsonl.")
    ],
    assessment: Annotated[
        str,
        typer.Option(
            "--assessment",
            "-a",
            help="Assessment id, or YAML path (modules are looked up in modules/ beside it).",
        ),
    ],
    form: FormOpt = None,
    id_column: Annotated[
        str, typer.Option("--id-column", help="Column holding the candidate id.")
    ] = "candidate_id",
    name_column: Annotated[
        str, typer.Option("--name-column", help="Column holding the name (optional column).")
    ] = "name",
    map_file: Annotated[
        Path | None,
        typer.Option("--map", help="YAML file mapping header texts to item ids and labels."),
    ] = None,
    errors_file: Annotated[
        Path | None,
        typer.Option(
            "--errors",
            help=(
                "Write every rejected row as CSV: row,candidate_id,column,value,message "
                "(created 0600; fields cut to 1,000 characters)."
            ),
        ),
    ] = None,
    contact_column: Annotated[
        list[str] | None,
        typer.Option(
            "--contact-column",
            help=(
                "Column of contact details, stored for new candidates (repeatable; default: "
                "columns headed email, e-mail, phone, mobile, telephone or contact)."
            ),
        ),
    ] = None,
    ignore_extra: Annotated[
        bool,
        typer.Option(
            "--ignore-extra",
            help="Leave out columns that are no item of the assessment (listed on stderr).",
        ),
    ] = False,
    update_names: Annotated[
        bool,
        typer.Option(
            "--update-names",
            help="Rename stored candidates whose row gives another name (audited).",
        ),
    ] = False,
    keep_both: Annotated[
        bool,
        typer.Option(
            "--keep-both",
            help=(
                "Store a changed row (a candidate with another attempt on the same form) "
                "as a further attempt (audited) instead of rejecting it."
            ),
        ),
    ] = False,
    dry_run: Annotated[
        bool,
        typer.Option(
            "--dry-run", help="Read, check (against the database too) and score; store nothing."
        ),
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
    nominated_by: NominatedByOpt = None,
    region: RegionOpt = None,
) -> None:
    """Score and store a whole file of candidates' answers, then summarise the cohort.

    Bad rows (unknown option, value out of range, missing or duplicate
    candidate id, a stored id with another name, a changed row of a candidate
    already screened on the form) are listed on stderr with row, column and
    value, and in --errors; every good row is scored and stored in one atomic
    write (all of them or none). Each row has a submission key, so importing
    the same file again stores nothing twice. The summary (stdout) gives
    candidates by outcome, the competencies most often below their cut and the
    coaching seats needed per module.
    """
    from screener.batch import SHOWN_ERRORS, read_ahead, screen_file
    from screener.batchtext import Steps, batch_summary

    guard_output(ctx, "--errors", errors_file, file, *([map_file] if map_file else []))
    steps = Steps(total=4)
    # a big file is read on the other core while the assessment loads
    ahead = read_ahead(
        file,
        id_column=id_column,
        name_column=name_column,
        map_file=map_file,
        contact_columns=contact_column or None,
    )
    try:
        chosen = assessment_for(ctx, assessment)
        result = screen_file(
            chosen,
            file,
            store=open_store(ctx, read_only=dry_run),
            form=form_option(chosen, form),
            id_column=id_column,
            name_column=name_column,
            map_file=map_file,
            errors_file=errors_file,
            on_step=steps.step,
            contact_columns=contact_column or None,
            ignore_extra=ignore_extra,
            update_names=update_names,
            keep_both=keep_both,
            dry_run=dry_run,
            ahead=ahead,
        )
    except KeyboardInterrupt:
        # typer would exit 130 without a word; the store's write is one atomic rename
        steps.close()
        sys.stderr.write(
            "interrupted while storing: the rows were stored all together or not at all; "
            "running the batch again stores nothing twice\n"
            if "storing" in steps.done and not dry_run
            else "interrupted: nothing was stored\n"
        )
        raise typer.Exit(130) from None
    finally:
        steps.close()
        if ahead is not None:
            ahead.stop()
    if not dry_run:  # the program's automatic events for the rows stored
        after_screening(ctx, chosen.id, result.candidates, nominated_by=nominated_by, region=region)
    if not result.rows and not as_json:
        # a header and nothing under it: one line, not a summary of zeros
        sys.stdout.write(
            f"{printable(str(file))}: no candidate rows under the header; nothing to screen\n"
        )
        return
    err = sys.stderr
    shown_file = printable(str(file))
    if result.ignored_columns:
        names = ", ".join(repr(printable(c)) for c in result.ignored_columns[:8])
        more = " ..." if len(result.ignored_columns) > 8 else ""
        err.write(
            f"note: {shown_file}: left out {len(result.ignored_columns)} column(s): {names}{more}\n"
        )
    if result.contact_columns:
        names = ", ".join(repr(printable(c)) for c in result.contact_columns)
        err.write(f"note: {shown_file}: contact details from {names}\n")
    for count, what in (
        (result.renamed, "stored candidate(s) renamed (--update-names)"),
        (result.kept_both, "changed row(s) stored as further attempts (--keep-both)"),
    ):
        if count:
            err.write(f"note: {count:,} {what}\n")
    if result.missing_items:
        missing = result.missing_items
        shown = ", ".join(missing[:8]) + (" ..." if len(missing) > 8 else "")
        err.write(
            f"warning: {printable(str(file))}: no column for {len(missing)} item(s) of form "
            f"{result.form} ({shown}); they count as unanswered\n"
        )
    errors = result.errors
    if errors:
        for e in errors[:SHOWN_ERRORS]:
            err.write(f"{printable(str(file))}: {e}\n")
        if len(errors) > SHOWN_ERRORS:
            more = (
                f" (all in {printable(str(errors_file))})"
                if errors_file
                else " (--errors FILE lists them all)"
            )
            err.write(f"... and {len(errors) - SHOWN_ERRORS:,} more row error(s){more}\n")
        err.write(
            f"{result.rejected:,} row(s) rejected; the other {result.scored:,} "
            f"{'were checked (dry run)' if dry_run else 'were stored or already there'}\n"
        )
    if as_json:
        emit_json(result.to_json())
    else:
        sys.stdout.write(batch_summary(result))
    if result.rejected:
        raise typer.Exit(EXIT_REJECTED)


def template(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(help="Assessment id or YAML path.")],
    form: Annotated[
        str | None,
        typer.Option("--form", help="Form whose items are the columns (default: the first)."),
    ] = None,
    fmt: Annotated[
        TemplateChoice | None,
        typer.Option(
            "--format", "-f", help="csv or xlsx (default: from the --output name, else csv)."
        ),
    ] = None,
    output: OutputOpt = None,
) -> None:
    """A blank batch file with the exact headers, and what each column takes.

    Columns: candidate_id, name, contact, then the form's items. CSV: a second row
    (starting '# ', skipped by batch) gives each column's allowed answers (option
    ids and labels, the rating scale, the unit). XLSX: drop-down lists of the
    allowed answers, and a second sheet with each column's question and answers.
    """
    from screener.exporting import output_file
    from screener.exporting.template import (
        template_columns,
        write_template_csv,
        write_template_xlsx,
    )

    to_file = _named(output)
    guard_output(ctx, "--output", to_file)
    if fmt is None:
        suffix = to_file.suffix.lower() if to_file is not None else ""
        fmt = TemplateChoice.xlsx if suffix == ".xlsx" else TemplateChoice.csv
    check_output_suffix(fmt.value, to_file)
    if fmt is TemplateChoice.xlsx and to_file is None:
        raise UsageError("template: --format xlsx needs --output FILE")
    chosen = assessment_for(ctx, assessment)
    columns = template_columns(chosen, form_option(chosen, form))
    if to_file is None:
        write_template_csv(sys.stdout.buffer, columns)
        sys.stdout.buffer.flush()
        return
    with output_file(to_file) as target:  # 0600, whole or not at all, like exports
        if fmt is TemplateChoice.xlsx:
            if target.folder is None:
                raise UsageError(f"template: {printable(str(to_file))}: XLSX needs a regular file")
            write_template_xlsx(target.stream, columns)
        else:
            write_template_csv(target.stream, columns, bom=target.folder is not None)
    sys.stderr.write(
        f"wrote {printable(str(to_file))}: {len(columns) - 3} item column(s) of "
        f"{printable(chosen.id)} form {printable(form_option(chosen, form))}\n"
    )


def simulate_command(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(help="Assessment id or YAML path.")],
    n: Annotated[int, typer.Option("--n", help="How many candidates.", min=0)] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same file).", min=0)
    ] = 1,
    form: Annotated[
        str | None, typer.Option("--form", help="Form to answer (default: the first).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the CSV here instead of stdout.")
    ] = None,
) -> None:
    """Write deterministic synthetic candidates' answers as CSV (for demos, tests, benchmarks).

    Each candidate has a latent trait per competency and answers plausibly
    from it; about 2% of answers are missing. The columns are candidate_id,
    name, the form's item ids and, with a follow-up rule, the reserve items
    (empty where the rule did not ask one), so the file goes straight into `batch`.
    """
    from itertools import chain

    from screener.errors import ScreenerError
    from screener.simulate import simulate, write_csv

    guard_output(ctx, "--output", output)
    chosen = assessment_for(ctx, assessment)
    name = form_option(chosen, form)
    generated = simulate(chosen, name, n, seed)
    first = next(generated, None)  # every row has the same columns: the first one's
    items = list(first.answers) if first else [item.id for item in chosen.form_items(name)]
    rows = chain([first], generated) if first else generated
    if output is None:
        write_csv(rows, sys.stdout, items)
        return
    try:
        with output.open("w", newline="", encoding="utf-8") as fh:
            count = write_csv(rows, fh, items)
    except OSError as exc:
        raise ScreenerError(
            f"--output: cannot write {printable(str(output))}: {exc.strerror or exc}"
        ) from None
    sys.stderr.write(f"wrote {count:,} simulated candidate(s) to {printable(str(output))}\n")


# -- results, export, report -------------------------------------------------------------


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
    store: ResultsStore,
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


def check_filters(
    ctx: typer.Context,
    store: ResultsStore,
    stream: AttemptStream,
    assessment: str | None,
    module: str | None,
) -> None:
    """An ``--assessment`` or ``--module`` that names nothing known is a usage error
    naming the known ones, not an empty result.

    Known: the catalog's (bundled, ``$SCREENER_CONTENT``, ``--content-dir``) and those
    of stored attempts (content may have been removed since). Looked up only when
    the filters matched nothing: a match proves the ids exist.
    """
    if len(stream) or (assessment is None and module is None):
        return
    catalog = catalog_for(ctx)
    stored = store.layouts()
    known_assessments = {*catalog.assessments, *(lay.assessment for lay in stored)}
    known_modules = {
        *catalog.modules,
        *(m for lay in stored for mods in lay.modules for m in mods),
    }
    for option, what, value, known in (
        ("--assessment", "assessment", assessment, known_assessments),
        ("--module", "module", module, known_modules),
    ):
        if value is not None and value not in known:
            names = ", ".join(sorted(known)) or "none"
            raise UsageError(
                f"{option}: no {what} '{printable(value)}' (known: {printable(names)})"
            )


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
    store = open_store(ctx, reads_only=True)
    stream = _stream(store, assessment, outcome, module, since)
    check_filters(ctx, store, stream, assessment, module)
    if as_json:
        import orjson

        from screener.terminal import json_bytes

        out = sys.stdout.buffer
        for rec in stream:
            out.write(json_bytes(orjson.dumps(rec.to_json())) + b"\n")
        out.flush()
        return
    from screener.render import attempts_table, console

    screen = console()
    screen.print(attempts_table(stream, width=screen.width))
    console(stderr=True).print(f"{len(stream)} attempt(s)")


def _named(output: Path | None) -> Path | None:
    """The file an ``--output`` names; None for stdout (no option, or ``-``)."""
    return None if output is None or str(output) == "-" else output


#: Output file endings that name an export format.
_FORMAT_OF_SUFFIX = {".csv": "csv", ".jsonl": "jsonl", ".ndjson": "jsonl", ".json": "json"}
_FORMAT_OF_SUFFIX[".xlsx"] = "xlsx"


def check_output_suffix(fmt: str, output: Path | None) -> None:
    """An ``--output`` whose ending names another format (``--format xlsx -o out.csv``)
    is a usage error: the file would not open as its name promises."""
    if output is None:
        return
    suffix = output.suffix.lower()
    meant = _FORMAT_OF_SUFFIX.get(suffix)
    if meant is not None and meant != fmt:
        ending = ".jsonl" if fmt == "jsonl" else f".{fmt}"
        raise UsageError(
            f"--output: {printable(str(output))} ends in {printable(suffix)} but --format is "
            f"{fmt}; name it {printable(output.stem)}{ending} or use --format {meant}"
        )


def export(
    ctx: typer.Context,
    fmt: Annotated[ExportChoice, typer.Option("--format", "-f", help="Output format.")],
    output: OutputOpt = None,
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
    pathway: Annotated[
        bool,
        typer.Option(
            "--pathway",
            help="Export the program events instead, one row each (--since: events from then).",
        ),
    ] = False,
) -> None:
    """Export attempts, one row each: CSV and XLSX safe to open in Excel, JSON Lines, JSON.

    CSV and XLSX round numbers to 2 decimal places (JSON keeps full precision); XLSX
    has date-time cells for submitted_at (UTC) and set column widths.
    """
    if pathway:
        attempts_only = (("--assessment", assessment), ("--outcome", outcome), ("--module", module))
        for flag, value in (*attempts_only, ("--items", items or None)):
            if value is not None:
                raise UsageError(f"export --pathway: {flag} is about attempts, not events")
        export_pathway(ctx, fmt.value, _named(output), since, anonymize)
        return
    from screener.exporting import Format, export, export_to_file

    chosen = Format(fmt.value)
    to_file = _named(output)
    guard_output(ctx, "--output", to_file)
    check_output_suffix(chosen.value, to_file)
    if chosen.binary_only and to_file is None:
        raise UsageError(f"export: --format {chosen.value} needs --output FILE")
    store = open_store(ctx, reads_only=True)
    stream = _stream(store, assessment, outcome, module, since)
    check_filters(ctx, store, stream, assessment, module)
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


def report(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="Candidate id, or exact name.")],
    fmt: Annotated[ReportChoice, typer.Option("--format", "-f", help="md or html.")] = (
        ReportChoice.md
    ),
    output: OutputOpt = None,
) -> None:
    """A report for the candidate: outcome, competencies, strengths, plan, progress, history."""
    from datetime import UTC, datetime

    from screener.report import ReportData, html_report, markdown_report

    to_file = _named(output)
    guard_output(ctx, "--output", to_file)
    store = open_store(ctx, reads_only=True)
    with store.reading():  # one read of the database for all three
        person = store.resolve_candidate(candidate)
        attempts = store.attempts(candidate=person.id)
        progress = store.progress(candidate_id=person.id)
    content = catalog_for(ctx).rendered()  # views: no content models, no pydantic
    data = ReportData(
        candidate=person,
        attempts=attempts,
        progress=progress,
        assessments=content.assessments,
        modules=content.modules,
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


# -- the instrument ----------------------------------------------------------------------


def stats(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(help="Assessment id (or YAML path).")],
    form: Annotated[str | None, typer.Option("--form", help="Only this form.")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Reliability, error at the cut and item statistics of an assessment, from the
    stored attempts."""
    from screener.render import console, show_stats
    from screener.stats import assessment_stats, stats_json

    model = assessment_for(ctx, assessment)
    if form is not None:
        form_option(model, form)
    stream = open_store(ctx, reads_only=True).iter_attempts(assessment=model.id)
    result = assessment_stats(model, stream, form)
    if result.skipped:
        sys.stderr.write(
            f"note: left out {result.skipped} attempt(s) of other versions of "
            f"{printable(model.id)}\n"
        )
    if as_json:
        emit_json(stats_json(result))
        return
    if not result.attempts:
        sys.stderr.write(
            f"no stored attempts of {printable(model.id)} {printable(model.version)}\n"
        )
        return
    show_stats(console(), result)


def evaluate_command(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(help="Assessment id or YAML path.")],
    form: Annotated[
        str | None,
        typer.Option("--form", help="Form whose decisions are judged (default: the first)."),
    ] = None,
    n: Annotated[int, typer.Option("--n", min=1, help="How many simulated candidates.")] = 20000,
    seed: Annotated[
        int, typer.Option("--seed", min=0, help="Random seed (same seed, same figures).")
    ] = 1,
    zone: Annotated[
        float,
        typer.Option(
            "--zone",
            min=0,
            help="POMP points around the cut where decisions are not judged.",
        ),
    ] = 5.0,
    levels: Annotated[
        str | None,
        typer.Option(
            "--levels",
            help=(
                "True levels: uniform:LOW:HIGH or beta:A:B on 0..1 (default: fitted to the "
                "stored attempts when there are enough, else uniform:0.30:1.00)."
            ),
        ),
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """How often the screening's gap decisions are right: simulated candidates of known level
    through the real scoring, follow-up and plan (docs/psychometrics.md)."""
    from screener.evaluate import evaluate, evaluation_json, levels_for, parse_levels
    from screener.render import console, show_evaluation

    model = assessment_for(ctx, assessment)
    form_name = form_option(model, form)
    if levels is not None:
        spread = parse_levels(levels)
    else:
        spread = levels_for(model, open_store(ctx).iter_attempts(assessment=model.id))
    sys.stderr.write(
        f"simulating {n:,} candidates on {printable(model.id)} form {printable(form_name)} "
        f"(levels: {spread.source})...\n"
    )
    result = evaluate(model, form=form_name, n=n, seed=seed, zone=zone, levels=spread)
    if as_json:
        emit_json(evaluation_json(result))
        return
    show_evaluation(console(), result)
