"""What every command module shares: global settings, common options, the catalog, the
one way to open the store, JSON output and the output-path guard.

Command modules import this module, never ``screener.cli.app`` (which imports
them to register their commands). Heavy modules (the store, numpy, rich
tables) are imported inside functions, so ``screener --help`` stays quick.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, cast

import typer

from screener.cli.output import emit_json as emit_json  # every command's JSON

if TYPE_CHECKING:
    from screener.catalog import Catalog
    from screener.content import Assessment
    from screener.store.interface import ResultsStore


@dataclass
class Settings:
    """Global options, shared by every command through the click context."""

    db: str | None = None  # a file's path or a postgresql:// URL, as given
    content_dirs: list[Path] = field(default_factory=list)
    db_typed: bool = False  # --db given on the command line (not $SCREENER_DB)


def settings(ctx: typer.Context) -> Settings:
    """The global options. While the shell completes a word the root callback has not
    run, so they are read from the parsed parameters instead."""
    root = ctx.find_root()
    obj = root.obj
    if isinstance(obj, Settings):
        return obj
    params = root.params or {}
    db = params.get("db")
    return Settings(
        db=str(db) if db else None, content_dirs=[Path(d) for d in params.get("content_dir") or []]
    )


# -- options more than one command takes ---------------------------------------------------

JsonOpt = Annotated[bool, typer.Option("--json", help="Print data as JSON.")]
FormOpt = Annotated[
    str | None, typer.Option("--form", help="Form the answers belong to (default: the first).")
]


# -- content, store, output ----------------------------------------------------------------


def catalog_for(ctx: typer.Context) -> Catalog:
    """Every assessment and module in use (bundled, $SCREENER_CONTENT, --content-dir)."""
    from screener.catalog import load_catalog

    return load_catalog(settings(ctx).content_dirs)


def assessment_for(ctx: typer.Context, ref: str) -> Assessment:
    """An ASSESSMENT argument or --assessment option: an id, or the path of a YAML file."""
    from screener.catalog import load_assessment

    return load_assessment(ref, settings(ctx).content_dirs)


def form_option(assessment: Assessment, form: str | None) -> str:
    """The form a ``--form`` option names (the first when not given); a usage error
    naming the assessment's forms otherwise."""
    from screener.errors import NotFoundError, UsageError

    try:
        return assessment.form(form)
    except NotFoundError as exc:
        raise UsageError(f"--form: {exc}") from None


#: Commands that only read the results database. On a ``--db`` in a folder that
#: does not exist they see an empty database and create nothing;
#: every other command would write there, and is refused before it starts.
READ_ONLY_COMMANDS = frozenset(
    {"results", "export", "report", "show", "stats", "evaluate", "db info", "db path"}
)


def open_store(
    ctx: typer.Context, *, read_only: bool = False, reads_only: bool = False
) -> ResultsStore:
    """The results store of ``--db`` / ``$SCREENER_DB`` / the user data dir; opening
    it reads nothing (each store call, or one ``transaction``, reads the file).

    A ``--db`` typed on the command line must be in a folder that exists: for a
    command that writes, a missing folder is a one-line error, since a typo would
    otherwise start a new, empty database in a new folder while the real one
    waits elsewhere (``read_only``: this run will not write, as ``batch --dry-run``).
    The configured locations (``$SCREENER_DB``, set once on
    purpose, and the user data dir) have their folder made by the first write.

    ``reads_only``: the command only reads (``show``, ``report``, ``results``,
    ``export``, ``stats``, ``db info``, ``coach --no-input``); on PostgreSQL it reads
    through the bundled libpq without importing psycopg (a long stream's cursor is
    psycopg's, and a write switches to psycopg for good).
    """
    from screener.store import connect, is_server_db

    store = connect(settings(ctx).db, reads_only=reads_only)
    command = " ".join(ctx.command_path.split()[1:])
    if is_server_db(settings(ctx).db):  # a postgresql:// URL: no folder to check
        return store
    from screener.store import resolve_db_path  # the file store's (tinydb): not for a URL

    if settings(ctx).db_typed and not read_only and command not in READ_ONLY_COMMANDS:
        refuse_missing_folder(resolve_db_path(settings(ctx).db))
    return store


def refuse_missing_folder(db: Path) -> None:
    """``StoreError`` when the folder ``db`` would be written in does not exist.

    A path below a regular file is left to the store, which says so.
    """
    import os

    from screener.errors import StoreError
    from screener.terminal import printable

    folder = db.parent
    if folder.is_dir():
        return
    found = folder  # the nearest part of the path that is there
    while not os.path.lexists(found) and found.parent != found:
        found = found.parent
    if found == folder or not found.is_dir():
        return  # a file where a folder should be: the store reports it
    raise StoreError(
        f"cannot write {printable(str(db))}: the folder {printable(str(folder))} does not "
        f"exist; create it first (mkdir -p) or choose another --db"
    )


def guard_output(ctx: typer.Context, option: str, output: Path | None, *inputs: Path) -> None:
    """Refuse to write an output over the results database or over an input file."""
    if output is None:
        return
    from screener.errors import UsageError
    from screener.store import is_server_db, resolve_db_path

    target = output.resolve()
    if not is_server_db(settings(ctx).db):  # a database on a server is no file here
        db = resolve_db_path(settings(ctx).db)
        if target in (db.resolve(), Path(f"{db}.lock").resolve()):
            raise UsageError(f"{option}: {output} is the results database; choose another file")
    for path in inputs:
        if target == path.resolve():
            raise UsageError(f"{option}: {output} is also an input; choose another file")


def interactive(no_input: bool = False) -> bool:
    """Prompts only for a person at a terminal."""
    return not no_input and sys.stdin.isatty()


# -- shell completion (``screener --install-completion``) ---------------------------------


def complete_assessments(ctx: typer.Context, incomplete: str) -> list[str]:
    """Assessment ids in use (bundled, ``$SCREENER_CONTENT``, ``--content-dir``) starting
    with ``incomplete``."""
    return _completing(lambda: sorted(catalog_for(ctx).assessments), incomplete)


def complete_modules(ctx: typer.Context, incomplete: str) -> list[str]:
    """Coaching module ids in use starting with ``incomplete``."""
    return _completing(lambda: sorted(catalog_for(ctx).modules), incomplete)


def complete_candidates(ctx: typer.Context, incomplete: str) -> list[str]:
    """Ids of the candidates in the results database starting with ``incomplete``
    (reading only: a database that is not there yet completes nothing)."""

    def ids() -> list[str]:
        from screener.store import connect

        store = connect(settings(ctx).db)
        fast = getattr(store, "candidate_ids", None)  # the TinyDB store: no whole-archive read
        if fast is not None:
            return cast(list[str], fast(incomplete))
        return [c.id for c in store.candidates()]

    return _completing(ids, incomplete)


def _completing(found: Callable[[], list[str]], incomplete: str) -> list[str]:
    """The values starting with ``incomplete``; none when they cannot be read (broken
    content, a damaged database): a shell must never show a traceback for a Tab."""
    try:
        values = found()
    except Exception:
        return []
    return [v for v in values if v.startswith(incomplete)]
