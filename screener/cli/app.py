"""The ``screener`` typer app: global options, every command registered, and ``main``,
where library errors become one line on stderr and an exit code.

The command modules (``content``, ``candidate``, ``recruiter``, ``data``) hold
plain functions and import only ``screener.cli.base``; this module imports them
and registers their functions, so nothing imports back up here.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from functools import cache
from pathlib import Path
from typing import Annotated, Any

import typer

from screener import __version__
from screener.cli import candidate, content, data, program, recruiter
from screener.cli.base import Settings
from screener.cli.helptext import GroupedGroup, WordyCommand
from screener.errors import ContentError, ScreenerError

app = typer.Typer(
    name="screener",
    help="Screen candidates' competencies and coach them on exactly their gaps.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=True,  # --install-completion / --show-completion (bash, zsh, fish, PowerShell)
    rich_markup_mode=None,
    cls=GroupedGroup,
)


def command(
    group: typer.Typer, name: str, function: Any, panel: str | None = None, **options: Any
) -> None:
    """Register ``function`` as ``name`` under help heading ``panel`` (``helptext.PANELS``)."""
    group.command(name, cls=WordyCommand, rich_help_panel=panel, **options)(function)


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
    source = ctx.get_parameter_source("db")  # typer brings its own click: compare by name
    typed = getattr(source, "name", "") == "COMMANDLINE"
    ctx.obj = Settings(db=db, content_dirs=list(content_dir or []), db_typed=typed)


# the three users' commands, each under its heading of `screener --help`
command(app, "take", candidate.take, "Candidates")
command(app, "show", candidate.show, "Candidates")
command(app, "coach", candidate.coach, "Candidates")
command(app, "report", recruiter.report, "Candidates")
command(
    app,
    "batch",
    recruiter.batch,
    "Recruiters",
    epilog=(
        "Exit codes: 0 every row scored and stored (or stored before); 3 some rows were "
        "rejected (the good rows are still stored, all in one write); 1 a problem with "
        "the file, the assessment or the database (nothing stored); 2 a usage error."
    ),
)
command(app, "template", recruiter.template, "Recruiters")
command(app, "results", recruiter.results, "Recruiters")
command(app, "export", recruiter.export, "Recruiters")
command(app, "stats", recruiter.stats, "Recruiters")
command(app, "evaluate", recruiter.evaluate_command, "Recruiters")
command(app, "score", candidate.score, "Recruiters")
# coordinators, running the program around the screening
employer_app = typer.Typer(
    help="Participating employers: regions and seats.", no_args_is_help=True, cls=GroupedGroup
)
command(employer_app, "add", program.employer_add)
command(employer_app, "list", program.employer_list)
command(employer_app, "edit", program.employer_edit)
app.add_typer(employer_app, name="employer", rich_help_panel="Program")
command(app, "pathway", program.pathway, "Program")
command(
    app,
    "record",
    program.record,
    "Program",
    epilog=(
        "Exit codes: 0 recorded; 1 the program does not allow the move, or (--import) some "
        "rows were refused and nothing was stored; 2 a usage error."
    ),
)
command(app, "waiting", program.waiting, "Program")
command(app, "funnel", program.funnel, "Program")
# content, for whoever writes or checks it
command(app, "assessments", content.list_assessments, "Content")
command(app, "modules", content.list_modules, "Content")
command(app, "validate", content.validate, "Content")
command(app, "schema", content.schema, "Content")
command(app, "simulate", recruiter.simulate_command, "Content")
# the database
db_app = typer.Typer(help="The results database file.", no_args_is_help=True, cls=GroupedGroup)
command(db_app, "path", data.db_path)
command(db_app, "info", data.db_info)
command(db_app, "rotate-secret", data.db_rotate_secret)
command(db_app, "compact", data.db_compact)
command(db_app, "copy", data.db_copy)
app.add_typer(db_app, name="db", rich_help_panel="Data")
command(app, "delete", data.delete, "Data")


@cache
def _command() -> Any:
    """The click command typer builds from ``app`` (built once per process)."""
    return typer.main.get_command(app)


def main(argv: Sequence[str] | None = None) -> None:
    """Console-script entry point (``argv``: the arguments, default ``sys.argv[1:]``):
    library errors become one line and an exit code."""
    import warnings

    warnings.showwarning = _warning_line
    sys.exit(_run(argv))


def _warning_line(message: Warning | str, *_: Any, **__: Any) -> None:
    """A library warning (a write saved, then its folder sync failed) as one line on stderr."""
    from screener.terminal import printable

    sys.stderr.write(f"warning: {printable(str(message))}\n")


def _run(argv: Sequence[str] | None = None) -> int:
    """Run the app; every way it can end becomes an exit code, with at most one line.

    stdout is flushed here, not at interpreter exit, so a full device or a
    closed pipe is reported (or ignored) like any other error instead of as
    "Exception ignored" after the fact.
    """
    try:
        try:
            _command().main(args=None if argv is None else list(argv), prog_name="screener")
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
