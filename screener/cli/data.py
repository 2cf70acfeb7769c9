"""Commands about the results database itself: ``db path``, ``db info``,
``db migrate``, ``db init``, ``db rotate-secret``, ``db compact``, ``db copy`` and
``delete`` (erasing a candidate)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from screener.cli.base import JsonOpt, emit_json, open_store, settings
from screener.terminal import printable


def delete(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="Candidate id, or exact name.")],
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Delete without asking.")] = False,
) -> None:
    """Erase a candidate: their record, attempts, coaching progress and audit events."""
    from screener.errors import UsageError

    store = open_store(ctx)
    person = store.resolve_candidate(candidate)
    preview = store.delete_candidate(person.id, dry_run=True)
    if not yes:
        if not sys.stdin.isatty():
            raise UsageError("delete: stdin is not a terminal, so nobody can confirm; pass --yes")
        typer.confirm(
            f"Delete {printable(person.name)} ({printable(person.id)}) with "
            f"{preview.attempts} attempt(s), {preview.progress} coaching record(s) and "
            f"{preview.audit_events} audit event(s)?",
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
    if store.local_folder is not None:
        _report_stale_outputs(store.local_folder)


def _report_stale_outputs(db_folder: Path) -> None:
    """List temp files of killed exports and reports: copies of personal data that
    erasing from the database cannot reach (SECURITY.md says where we look)."""
    from screener.exporting.outfile import find_openpyxl_leftovers, find_stale

    stale = find_stale([db_folder, Path.cwd()]) + find_openpyxl_leftovers()
    if stale:
        sys.stderr.write(
            f"warning: {len(stale)} file(s) left by an interrupted export or report may "
            "hold personal data (this candidate's too); remove them: "
            + " ".join(printable(str(p)) for p in stale)
            + "\n"
        )


def _server_url(ctx: typer.Context) -> str | None:
    """The ``postgresql://`` URL of ``--db`` / ``$SCREENER_DB``, or None for a file."""
    import os

    from screener.store import DB_ENV
    from screener.store.postgres import postgres_url

    db = settings(ctx).db
    return postgres_url(db if db is not None else os.environ.get(DB_ENV) or None)


def db_path(ctx: typer.Context) -> None:
    """Print where the results database is (or would be created): its file, or the
    server's URL (never with a password)."""
    from screener.store import resolve_db_path

    url = _server_url(ctx)
    if url is not None:
        from screener.store.postgres.roles import without_password

        sys.stdout.write(f"{printable(without_password(url))}\n")
        return
    sys.stdout.write(f"{printable(str(resolve_db_path(settings(ctx).db)))}\n")


def db_info(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Show the database (file, or server and login), its schema version and how many
    records it holds."""
    from dataclasses import asdict

    url = _server_url(ctx)
    facts: dict[str, object] = {}
    if url is not None:
        from screener.store.postgres.roles import server_facts

        facts = server_facts(url)
    from screener.errors import StoreError

    try:
        stored: dict[str, object] = asdict(open_store(ctx, reads_only=True).info())
    except StoreError as exc:  # a station may not count what it may not read
        if url is None or not str(exc).startswith("permission denied"):
            raise
        stored = {"path": url, "counts": "not readable by this role"}
    info = {**stored, **facts}  # path: the URL, for a server
    if as_json:
        emit_json(info)
        return
    for key, value in info.items():
        sys.stdout.write(f"{key}: {printable(str(value))}\n")


def db_migrate(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Create or upgrade the database's tables to this screener's schema (a PostgreSQL
    server; a file database upgrades itself whenever it is opened)."""
    url = _server_url(ctx)
    if url is None:
        from screener.store import SCHEMA_VERSION, resolve_db_path

        where = printable(str(resolve_db_path(settings(ctx).db)))
        if as_json:
            emit_json({"database": where, "before": None, "after": None, "file": True})
            return
        sys.stderr.write(
            f"{where} is a file database: screener upgrades it (to schema {SCHEMA_VERSION}) "
            "itself when it next opens it; nothing to do\n"
        )
        return
    from screener.store.postgres import migrate_database
    from screener.store.postgres.roles import without_password

    before, after = migrate_database(url)
    if as_json:
        emit_json({"database": without_password(url), "before": before, "after": after})
        return
    where = printable(without_password(url))
    if before == after:
        sys.stderr.write(f"{where}: already at schema {after}\n")
    else:
        sys.stderr.write(f"{where}: schema {before or 0} \u2192 {after}\n")


def db_init(
    ctx: typer.Context,
    recruiter_role: Annotated[
        str, typer.Option("--recruiter-role", help="The group role that may do everything.")
    ] = "screener_recruiter",
    station_role: Annotated[
        str,
        typer.Option(
            "--station-role",
            help="The group role of test stations: register, take and submit only.",
        ),
    ] = "screener_station",
    as_json: JsonOpt = False,
) -> None:
    """Create the schema (when missing), the recruiter and station roles (NOLOGIN
    groups, when missing) and their grants; run it as the schema's owner, again after
    an upgrade. Logins are then made members: CREATE ROLE ann LOGIN IN ROLE ..."""
    from dataclasses import asdict

    from screener.errors import UsageError
    from screener.store.postgres.roles import init, without_password

    url = _server_url(ctx)
    if url is None:
        raise UsageError(
            "db init: roles are for a PostgreSQL database: give --db postgresql://... "
            "(a file database has no accounts)"
        )
    done = init(url, recruiter_role, station_role)
    if as_json:
        emit_json({"database": without_password(url), **asdict(done)})
        return
    made = ", ".join(done.created) if done.created else "none (both existed)"
    sys.stderr.write(
        f"{printable(without_password(url))}: schema {done.schema_version}; roles created: "
        f"{printable(made)}; grants made for recruiter {printable(done.recruiter)} and "
        f"station {printable(done.station)}\n"
    )


def db_rotate_secret(ctx: typer.Context) -> None:
    """Replace the secret behind anonymised exports' pseudonyms (audited)."""
    store = open_store(ctx)
    store.rotate_secret(command="db rotate-secret")
    sys.stderr.write(
        f"new secret for {printable(store.location)}: anonymised exports made before can no "
        "longer be linked to new ones\n"
    )


def db_compact(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """Move stored results out of the live file into archive segments and merge small
    segments (a crash leaves the database as before or as after)."""
    from dataclasses import asdict

    done = open_store(ctx).compact(command="db compact")
    if as_json:
        emit_json(asdict(done))
        return
    sys.stderr.write(
        f"compacted: {done.moved} record(s) moved into the archive; "
        f"{done.segments_before} segment(s) before, {done.segments_after} now\n"
    )


def db_copy(
    source: Annotated[
        str, typer.Argument(help="The database to copy: a file, or a postgresql:// URL.")
    ],
    dest: Annotated[
        str,
        typer.Argument(help="A new or empty database to copy into: a file, or a URL."),
    ],
    as_json: JsonOpt = False,
) -> None:
    """Copy everything of one results database into a new one (file or server): ids,
    names, times and the audit trail kept; the destination must hold nothing yet."""
    from dataclasses import asdict

    from screener.store import connect, resolve_db_path
    from screener.store.transfer import copy_store

    from_store, to_store = connect(source), connect(dest)
    if to_store.local_folder is not None:
        from screener.cli.base import refuse_missing_folder

        refuse_missing_folder(resolve_db_path(Path(dest)))

    def started() -> None:
        sys.stderr.write(
            f"copying {printable(from_store.location)} into {printable(to_store.location)}\n"
        )

    counts = copy_store(from_store, to_store, command="db copy", started=started)
    if as_json:
        emit_json(asdict(counts))
        return
    sys.stderr.write(
        f"copied into {printable(to_store.location)}: {counts.candidates} candidate(s), "
        f"{counts.attempts} attempt(s), {counts.progress} coaching record(s), "
        f"{counts.audit_events} audit event(s), {counts.employers} employer(s), "
        f"{counts.events} program event(s)\n"
    )
