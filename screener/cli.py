"""The ``screener`` command line: parse options, call the library, render.

No scoring or storage logic lives here. Library errors (``ScreenerError``) are
turned into one line on stderr and an exit code in ``main``.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import typer

from screener import __version__
from screener.errors import ContentError, ScreenerError

app = typer.Typer(
    name="screener",
    help="Screen candidates' competencies and coach them on exactly their gaps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
    rich_markup_mode=None,
)


@dataclass
class Settings:
    """Global options, shared by every command through the click context."""

    db: Path | None = None
    content_dirs: list[Path] = field(default_factory=list)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"screener {__version__}")
        raise typer.Exit()


@app.callback()
def _root(
    ctx: typer.Context,
    db: Annotated[
        Path | None,
        typer.Option(
            "--db",
            help="Results database file (default: $SCREENER_DB, else the user data dir).",
            envvar="SCREENER_DB",
        ),
    ] = None,
    content_dir: Annotated[
        list[Path] | None,
        typer.Option(
            "--content-dir",
            help="Extra folder of assessments and modules (repeatable; also $SCREENER_CONTENT).",
        ),
    ] = None,
    version: Annotated[
        bool,
        typer.Option(
            "--version", callback=_version, is_eager=True, help="Show the version and exit."
        ),
    ] = False,
) -> None:
    """Screen candidates' competencies and coach them on exactly their gaps."""
    ctx.obj = Settings(db=db, content_dirs=list(content_dir or []))


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()


def guard_output(ctx: typer.Context, option: str, output: Path | None, *inputs: Path) -> None:
    """Refuse to write an output over the results database or over an input file."""
    if output is None:
        return
    from screener.errors import UsageError
    from screener.store import resolve_db_path

    db = resolve_db_path(settings(ctx).db)
    target = output.resolve()
    if target in (db.resolve(), Path(f"{db}.lock").resolve()):
        raise UsageError(f"{option}: {output} is the results database; choose another file")
    for path in inputs:
        if target == path.resolve():
            raise UsageError(f"{option}: {output} is also an input; choose another file")


def catalog_for(ctx: typer.Context) -> Any:
    from screener.catalog import load_catalog

    return load_catalog(settings(ctx).content_dirs)


def emit_json(data: Any) -> None:
    """Data for machines: one JSON document on stdout."""
    from screener.terminal import json_text

    sys.stdout.write(json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


@app.command()
def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the content in use).")
    ] = None,
) -> None:
    """Check assessments and modules; print every problem as file:line:col: message."""
    from screener.catalog import Catalog, check_paths, content_files, load_catalog
    from screener.render import console, printable

    err = console(stderr=True)
    known: Catalog | None = None
    if paths:
        try:
            known = load_catalog(settings(ctx).content_dirs)
        except ContentError:
            known = None  # the given files are checked on their own
        targets = list(paths)
    else:
        targets = content_files(settings(ctx).content_dirs)
    checked, problems = check_paths(targets, known)
    for problem in problems:
        sys.stdout.write(f"{printable(str(problem))}\n")
    files = len(checked)
    if problems:
        err.print(f"{len(problems)} problem(s) in {files} file(s)", style="red")
        raise typer.Exit(1)
    err.print(f"ok: {files} file(s), no problems", style="green")


@app.command()
def schema(
    kind: Annotated[str, typer.Argument(help="assessment, module or all")] = "all",
) -> None:
    """Print the JSON Schema of the content formats (for editors and CI)."""
    from screener.content import Assessment, Module

    schemas = {"assessment": Assessment.model_json_schema(), "module": Module.model_json_schema()}
    if kind == "all":
        emit_json(schemas)
    elif kind in schemas:
        emit_json(schemas[kind])
    else:
        raise typer.BadParameter("choose assessment, module or all", param_hint="KIND")


@app.command("assessments")
def list_assessments(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print data as JSON.")] = False,
) -> None:
    """List the assessments available (bundled and added)."""
    from rich.table import Table

    from screener.render import console, printable

    catalog = catalog_for(ctx)
    rows = [
        {
            "id": a.id,
            "title": a.title,
            "version": a.version,
            "forms": a.form_names(),
            "competencies": len(a.competencies),
            "items": len(a.items),
            "source": str(catalog.sources[a.id]),
        }
        for a in catalog.assessments.values()
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "title", "version", "forms", "items")
    for row in rows:
        table.add_row(
            *map(printable, (row["id"], row["title"], row["version"], ",".join(row["forms"]))),
            str(row["items"]),
        )
    console().print(table)


@app.command("modules")
def list_modules(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print data as JSON.")] = False,
) -> None:
    """List the coaching modules available."""
    from rich.table import Table

    from screener.render import console, printable

    catalog = catalog_for(ctx)
    rows = [
        {"id": m.id, "title": m.title, "minutes": m.minutes, "competencies": list(m.competencies)}
        for m in catalog.modules.values()
    ]
    if as_json:
        emit_json(rows)
        return
    table = Table("id", "title", "min", "coaches")
    for row in rows:
        table.add_row(
            printable(row["id"]),
            printable(row["title"]),
            str(row["minutes"]),
            printable(", ".join(row["competencies"])),
        )
    console().print(table)


@app.command()
def score(
    ctx: typer.Context,
    answers: Annotated[Path, typer.Argument(help="YAML or JSON file: item id -> answer.")],
    assessment: Annotated[
        str | None, typer.Option("--assessment", "-a", help="Assessment id or YAML path.")
    ] = None,
    form: Annotated[
        str | None, typer.Option("--form", help="Form the answers belong to (default: the first).")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print data as JSON.")] = False,
) -> None:
    """Score one answers file and print results and plan, without storing anything."""
    from screener.answers import read_answers
    from screener.coaching import build_plan
    from screener.errors import UsageError
    from screener.render import console, show_result
    from screener.scoring import score_form
    from screener.shapes import scorecard_json

    catalog = catalog_for(ctx)
    chosen = catalog.assessment(assessment) if assessment else catalog.default_assessment()
    form_name = form or chosen.form_names()[0]
    if form_name not in chosen.form_names():
        raise UsageError(
            f"--form: {chosen.id} has forms {', '.join(chosen.form_names())}, not {form_name}"
        )
    values = read_answers(answers, chosen, form_name)
    card = score_form(chosen, values, form_name)
    plan = build_plan(chosen, card)
    if as_json:
        emit_json(scorecard_json(card, plan))
        return
    show_result(console(), chosen, card, plan, catalog.modules)


@app.command()
def delete(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="Candidate id, or exact name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Erase a candidate: their record, attempts, coaching progress and audit events."""
    from screener.errors import UsageError
    from screener.store import Store
    from screener.terminal import printable

    store = Store(settings(ctx).db)
    person = store.resolve_candidate(candidate)
    preview = store.delete_candidate(person.id, dry_run=True)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("delete: stdin is not a terminal, so nobody can confirm; pass --yes")
        typer.confirm(
            f"Delete {printable(person.name)} ({printable(person.id)}) with {preview.attempts} attempt(s), "
            f"{preview.progress} coaching record(s) and {preview.audit_events} audit event(s)?",
            abort=True,
            err=True,
        )
    done = store.delete_candidate(person.id, command="delete")
    sys.stderr.write(
        f"deleted {printable(person.name)} ({printable(person.id)}): {done.summary()}\n"
    )
    if done.still_present:
        sys.stderr.write(
            f"note: the same {' and '.join(done.still_present)} text still occurs in other "
            "records (e.g. another candidate with a similar name)\n"
        )
    _report_stale_outputs(store.path.parent)


def _report_stale_outputs(db_folder: Path) -> None:
    """List temp files of killed exports and reports: copies of personal data that
    erasing from the database cannot reach (SECURITY.md says where we look)."""
    from screener.exporting.outfile import find_openpyxl_leftovers, find_stale
    from screener.terminal import printable

    stale = find_stale([db_folder, Path.cwd()]) + find_openpyxl_leftovers()
    if stale:
        sys.stderr.write(
            f"warning: {len(stale)} file(s) left by an interrupted export or report may "
            "hold personal data (this candidate's too); remove them: "
            + " ".join(printable(str(p)) for p in stale)
            + "\n"
        )


db_app = typer.Typer(help="The results database file.", no_args_is_help=True)
app.add_typer(db_app, name="db")


@db_app.command("path")
def db_path(ctx: typer.Context) -> None:
    """Print where the results database is (or would be created)."""
    from screener.store import resolve_db_path
    from screener.terminal import printable

    sys.stdout.write(f"{printable(str(resolve_db_path(settings(ctx).db)))}\n")


@db_app.command("info")
def db_info(
    ctx: typer.Context,
    as_json: Annotated[bool, typer.Option("--json", help="Print data as JSON.")] = False,
) -> None:
    """Show the database file, its schema version and how many records it holds."""
    from dataclasses import asdict

    from screener.store import Store

    info = asdict(Store(settings(ctx).db).info())
    if as_json:
        emit_json(info)
        return
    from screener.terminal import printable

    for key, value in info.items():
        sys.stdout.write(f"{key}: {printable(str(value))}\n")


@db_app.command("rotate-secret")
def db_rotate_secret(ctx: typer.Context) -> None:
    """Replace the secret behind anonymised exports' pseudonyms (audited)."""
    from screener.store import Store

    store = Store(settings(ctx).db)
    store.rotate_secret(command="db rotate-secret")
    sys.stderr.write(
        f"new secret for {store.path}: anonymised exports made before can no longer be "
        "linked to new ones\n"
    )


def main() -> None:
    """Console-script entry point: library errors become one line and an exit code."""
    import warnings

    warnings.showwarning = _warning_line
    sys.exit(_run())


def _warning_line(message: Warning | str, *_: Any, **__: Any) -> None:
    """A library warning (a write saved, then its folder sync failed) as one line on stderr."""
    from screener.terminal import printable

    sys.stderr.write(f"warning: {printable(str(message))}\n")


def _run() -> int:
    """Run the app; every way it can end becomes an exit code, with at most one line.

    stdout is flushed here, not at interpreter exit, so a full device or a
    closed pipe is reported (or ignored) like any other error instead of as
    "Exception ignored" after the fact.
    """
    try:
        try:
            app()
            code: int = 0
        except SystemExit as exc:
            code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
            if exc.code is not None and not isinstance(exc.code, int):
                sys.stderr.write(f"{exc.code}\n")
            stop = _interrupt_behind(exc)
            if stop is not None:  # typer turns Ctrl-C into a silent exit 130
                code = int(getattr(stop, "exit_code", 130))
                sys.stderr.write("interrupted\n" if code == 130 else "terminated\n")
        sys.stdout.flush()
        return code
    except ContentError as exc:
        from screener.terminal import printable

        for problem in exc.problems:
            sys.stderr.write(f"error: {printable(str(problem))}\n")
        return exc.exit_code
    except ScreenerError as exc:
        from screener.terminal import printable

        sys.stderr.write(f"error: {printable(str(exc))}\n")
        return exc.exit_code
    except KeyboardInterrupt as exc:  # Ctrl-C, or SIGTERM/SIGHUP during an output (Terminated)
        code = getattr(exc, "exit_code", 130)
        sys.stderr.write("interrupted\n" if code == 130 else "terminated\n")
        return int(code)
    except BrokenPipeError:
        _drop_stdout()  # the reader stopped early (`| head`): end quietly
        return 1
    except OSError as exc:  # library file errors are ScreenerErrors: this is stdout
        from screener.terminal import printable

        _drop_stdout()
        if exc.filename is None:
            sys.stderr.write(f"error: cannot write to stdout: {exc.strerror or exc}\n")
        else:
            sys.stderr.write(f"error: {printable(str(exc.filename))}: {exc.strerror or exc}\n")
        return 1


def _interrupt_behind(exc: BaseException) -> KeyboardInterrupt | None:
    """The Ctrl-C (or ``Terminated``) an exit was raised from, unless the command said
    ``from None`` because it already told the user (``take``: "Your answers are saved")."""
    seen: BaseException | None = exc
    for _ in range(8):
        if seen is None:
            return None
        if isinstance(seen, KeyboardInterrupt):
            return seen
        seen = seen.__cause__ or (None if seen.__suppress_context__ else seen.__context__)
    return None


def _drop_stdout() -> None:
    """Point stdout at the null device, so the flush at exit cannot fail a second time."""
    import os

    try:
        null = os.open(os.devnull, os.O_WRONLY)
        os.dup2(null, sys.stdout.fileno())
        os.close(null)
    except (OSError, ValueError):
        pass


from screener import cli_batch as _cli_batch  # noqa: E402,F401  (registers commands)
from screener import cli_candidate as _cli_candidate  # noqa: E402,F401  (registers commands)
from screener import cli_results as _cli_results  # noqa: E402,F401  (registers commands)
