"""The program commands, for coordinators: ``employer add|list|edit``, ``pathway``,
``record`` (one event, or ``--import`` a file), ``waiting`` and ``funnel``; and what
``take``, ``batch``, ``coach`` and ``export`` call for the program
(``--nominated-by``, ``--region``, the automatic events, ``export --pathway``).

Each parses its options, calls ``screener.tracking`` (the store side of
``screener.pathway``) or ``screener.funnel``, and renders with
``screener.program_render`` or ``screener.funnel_report``.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from datetime import datetime
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from screener.cli.base import JsonOpt, catalog_for, emit_json, guard_output, open_store, settings
from screener.errors import UsageError

if TYPE_CHECKING:
    from screener.pathway import Event, PersonState
    from screener.program import Program
    from screener.store.interface import ResultsStore
    from screener.tracking import Entry

ProgramOpt = Annotated[
    str | None,
    typer.Option("--program", "-p", help="Program id or YAML path (default: the only one in use)."),
]


def program_for(ctx: typer.Context, ref: str | None) -> Program:
    """A PROGRAM option: an id, a YAML path, or the only program in use."""
    from screener.program import load_program

    catalog = catalog_for(ctx)
    return load_program(
        ref,
        settings(ctx).content_dirs,
        assessments=catalog.assessments,
        modules=catalog.modules,
    )


def _say(text: str) -> None:
    from screener.terminal import printable

    sys.stderr.write(printable(text) + "\n")


# -- employers -------------------------------------------------------------------------


def employer_add(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="The employer's name.")],
    region: Annotated[
        str, typer.Option("--region", help="Where the employer takes people (e.g. GTA).")
    ],
    seats: Annotated[
        int, typer.Option("--seats", min=0, help="Places for people through the program.")
    ] = 0,
    employer_id: Annotated[
        str | None, typer.Option("--id", help="Id to give it (default: from the name).")
    ] = None,
) -> None:
    """Register a participating employer: its region and how many places it offers."""
    from screener.terminal import printable
    from screener.tracking import add_employer

    added = add_employer(open_store(ctx), name, region, seats=seats, employer_id=employer_id)
    sys.stdout.write(
        f"{printable(added.id)}: {printable(added.name)}, {printable(added.region)}, "
        f"{added.seats} seat(s)\n"
    )


def employer_list(
    ctx: typer.Context,
    program: ProgramOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """List the employers with their seats: taken (people they hired who are still in
    the program) and open."""
    from screener.pathway import replay_all, seats_taken
    from screener.program_render import employer_json, employers_view
    from screener.render import console

    store = open_store(ctx)
    employers = store.employers()
    taken: dict[str, int] = {}
    if employers:
        chosen = program_for(ctx, program)
        taken = seats_taken(chosen, replay_all(chosen, store.events()).values())
    rows = [employer_json(e, taken.get(e.id, 0)) for e in employers]
    if as_json:
        emit_json(rows)
        return
    if not rows:
        _say("No employers yet: screener employer add NAME --region REGION --seats N")
        return
    console().print(employers_view(rows))


def employer_edit(
    ctx: typer.Context,
    employer_id: Annotated[str, typer.Argument(help="The employer's id.")],
    name: Annotated[str | None, typer.Option("--name", help="A new name.")] = None,
    region: Annotated[str | None, typer.Option("--region", help="A new region.")] = None,
    seats: Annotated[
        int | None, typer.Option("--seats", min=0, help="A new number of places.")
    ] = None,
) -> None:
    """Change an employer's name, region or number of places."""
    from screener.terminal import printable
    from screener.tracking import check_employer_fields

    if name is None and region is None and seats is None:
        raise UsageError("employer edit: give --name, --region or --seats")
    check_employer_fields(name=name, region=region, seats=seats)
    changed = open_store(ctx).update_employer(
        employer_id,
        name=" ".join(name.split()) if name is not None else None,
        region=region.strip() if region is not None else None,
        seats=seats,
    )
    sys.stdout.write(
        f"{printable(changed.id)}: {printable(changed.name)}, {printable(changed.region)}, "
        f"{changed.seats} seat(s)\n"
    )


# -- one person ----------------------------------------------------------------------------


def pathway(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="Candidate id or exact name.")],
    program: ProgramOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """A person's way through the program: their route so far and what comes next."""
    from screener.program_render import pathway_json, pathway_view
    from screener.render import console
    from screener.tracking import now_utc, sync

    chosen = program_for(ctx, program)
    store = open_store(ctx)
    who = store.resolve_candidate(candidate)
    now = now_utc()
    states, new = sync(store, chosen, [who.id], now=now)
    _tell_automatic(chosen, new)
    employers = {e.id: e for e in store.employers()}
    state = states[who.id]
    if as_json:
        emit_json(pathway_json(chosen, state, name=who.name, employers=employers, today=now))
        return
    console().print(pathway_view(chosen, state, name=who.name, employers=employers, today=now))


def _tell_automatic(program: Program, made: Sequence[Event]) -> None:
    """One line on stderr about automatic events a read command recorded."""
    if not made:
        return
    kinds: dict[str, int] = {}
    for e in made:
        kinds[e.kind] = kinds.get(e.kind, 0) + 1
    shown = ", ".join(f"{kind} x{n}" if n > 1 else kind for kind, n in kinds.items())
    _say(f"screener recorded {len(made)} automatic event(s) now due: {shown}")


def record(
    ctx: typer.Context,
    candidate: Annotated[
        str | None, typer.Argument(help="Candidate id or exact name.", show_default=False)
    ] = None,
    event: Annotated[
        str | None,
        typer.Argument(
            help="The event, e.g. interview_booked, hired, withdrew.", show_default=False
        ),
    ] = None,
    employer: Annotated[
        str | None, typer.Option("--employer", "-e", help="The employer's id (hires, interviews).")
    ] = None,
    date: Annotated[
        str | None,
        typer.Option(
            "--date", help="When it happened: 2024-03-01 or 2024-03-01T09:30 (UTC); default now."
        ),
    ] = None,
    note: Annotated[
        str | None, typer.Option("--note", help="Free text; for withdrew, the reason.")
    ] = None,
    region: Annotated[
        str | None, typer.Option("--region", help="The person's region, if it changed.")
    ] = None,
    import_file: Annotated[
        Path | None,
        typer.Option(
            "--import",
            help="A CSV/XLSX/JSON/JSONL file of events (columns: person, kind, at, employer, "
            "region, note, route, modules, name): every row checked; stored whole or not at all.",
        ),
    ] = None,
    errors_file: Annotated[
        Path | None,
        typer.Option("--errors", help="With --import: write every refused row as CSV (0600)."),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="With --import: check every row, store nothing.")
    ] = False,
    program: ProgramOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Record what happened to a person (interview, hire, each core component, certification,
    withdrawal): only the moves the program allows from where they are."""
    from screener.pathway import Event, Step
    from screener.program_render import pathway_json, recorded_lines
    from screener.tracking import now_utc, parse_when
    from screener.tracking import record as record_event

    if import_file is not None:
        given = [
            flag
            for flag, value in (
                ("CANDIDATE", candidate),
                ("--employer", employer),
                ("--date", date),
                ("--note", note),
                ("--region", region),
            )
            if value is not None
        ]
        if given:
            raise UsageError(f"record --import takes everything from the file, not {given[0]}")
        _record_import(ctx, import_file, errors_file, dry_run, program, as_json)
        return
    if errors_file is not None or dry_run:
        raise UsageError("--errors and --dry-run go with --import FILE")
    if candidate is None or event is None:
        raise UsageError("give CANDIDATE and EVENT (or --import FILE)")
    chosen = program_for(ctx, program)
    store = open_store(ctx)
    who = store.resolve_candidate(candidate)
    now = now_utc()
    at = parse_when(date, now=now) if date is not None else now
    done = record_event(
        store,
        chosen,
        Event(
            who.id,
            event.strip(),
            at,
            employer=employer.strip() if employer else None,
            region=region.strip() if region else None,
            note=note if note and note.strip() else None,
        ),
        now=now,
    )
    if as_json:
        employers = {e.id: e for e in store.employers()}
        emit_json(
            {
                "recorded": [e.as_dict() for e in (*done.before, done.event, *done.after)],
                "pathway": pathway_json(
                    chosen, done.state, name=who.name, employers=employers, today=now
                ),
            }
        )
        return
    steps = {id(s.event): s for s in done.state.history}
    shown: list[tuple[Step, bool]] = []
    for e in (*done.before, done.event, *done.after):
        step = steps.get(id(e))
        if step is not None:
            shown.append((step, e is not done.event))
    for line in recorded_lines(chosen, shown):
        sys.stdout.write(line + "\n")
    _say(f"{who.name} ({who.id}) is now at: {chosen.stage(done.state.stage).name}")


def _record_import(
    ctx: typer.Context,
    path: Path,
    errors_file: Path | None,
    dry_run: bool,
    program: str | None,
    as_json: bool,
) -> None:
    from screener.batch import SHOWN_ERRORS, write_errors
    from screener.terminal import printable
    from screener.tracking import import_events, now_utc

    guard_output(ctx, "--errors", errors_file, path)
    chosen = program_for(ctx, program)
    result, table = import_events(open_store(ctx), chosen, path, now=now_utc(), dry_run=dry_run)
    if errors_file is not None:
        write_errors(errors_file, table, result.errors)
    err = sys.stderr
    for e in result.errors[:SHOWN_ERRORS]:
        err.write(f"{printable(str(path))}: {printable(str(e))}\n")
    if len(result.errors) > SHOWN_ERRORS:
        more = (
            f" (all in {printable(str(errors_file))})"
            if errors_file
            else " (--errors FILE lists them all)"
        )
        err.write(f"... and {len(result.errors) - SHOWN_ERRORS:,} more row error(s){more}\n")
    refused = len({e.row for e in result.errors})
    if as_json:
        emit_json(result.to_json())
    elif refused:
        sys.stdout.write(
            f"{refused:,} of {result.rows:,} row(s) refused: nothing was stored "
            "(an events file is stored whole or not at all; fix the rows and import it again)\n"
        )
    else:
        verb = "checked, nothing stored (dry run)" if dry_run else "stored"
        sys.stdout.write(
            f"{result.stored:,} event(s) {verb} for {result.people:,} people"
            f" ({result.automatic:,} automatic event(s) with them; "
            f"{result.already:,} row(s) already stored; "
            f"{len(result.added):,} candidate(s) registered)\n"
        )
    if refused:
        raise typer.Exit(1)


# -- everyone --------------------------------------------------------------------------


def _everyone(
    ctx: typer.Context, program: Program
) -> tuple[ResultsStore, dict[str, PersonState], datetime]:
    from screener.tracking import now_utc, sync

    store = open_store(ctx)
    now = now_utc()
    states, new = sync(store, program, None, now=now)
    _tell_automatic(program, new)
    return store, states, now


def waiting(
    ctx: typer.Context,
    program: ProgramOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Who waits for an employer, by region, against the employers' open seats; makes the
    e-learning offer to anyone who has waited longer than the program says."""
    from screener.pathway import waiting_list
    from screener.program_render import waiting_json, waiting_view
    from screener.render import console

    chosen = program_for(ctx, program)
    store, states, now = _everyone(ctx, chosen)
    people = list(states.values())
    regions = waiting_list(chosen, people, store.employers(), today=now)
    names = {c.id: c.name for c in store.candidates()}
    if as_json:
        emit_json(waiting_json(regions, names))
        return
    console().print(waiting_view(regions, names))


class FunnelFormat(StrEnum):
    md = "md"
    html = "html"


def funnel(
    ctx: typer.Context,
    program: ProgramOpt = None,
    since: Annotated[
        str | None,
        typer.Option("--since", help="Only people whose first event is on or after this date."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="The figures as JSON.")] = False,
    fmt: Annotated[
        FunnelFormat | None,
        typer.Option("--format", "-f", help="md (default) or html: one printable page."),
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="File to write (default, or -: stdout).")
    ] = None,
) -> None:
    """Whether the program works: counts and conversion at every stage per route, time in
    each stage, reasons for leaving, BCG modules before success, certification rates."""
    from datetime import date

    from screener.funnel import funnel as funnel_figures
    from screener.funnel import funnel_json
    from screener.funnel_report import funnel_html, funnel_markdown
    from screener.pathway import waiting_list

    if as_json and fmt is not None:
        raise UsageError("--json and --format: choose one")
    day = None
    if since is not None:
        try:
            day = date.fromisoformat(since.strip())
        except ValueError:
            raise UsageError(f"--since: write a date such as 2024-03-01, not {since!r}") from None
    to_file = None if output is None or str(output) == "-" else output
    guard_output(ctx, "--output", to_file)
    chosen = program_for(ctx, program)
    store, states, now = _everyone(ctx, chosen)
    people = list(states.values())
    employers = store.employers()
    figures = funnel_figures(chosen, people, employers=employers, since=day)
    generated = now.date().isoformat()
    if as_json:
        import json

        from screener.terminal import json_text

        text = json_text(json.dumps(funnel_json(figures), indent=2, ensure_ascii=False)) + "\n"
    else:
        regions = waiting_list(chosen, people, employers, today=now)
        render = funnel_html if fmt is FunnelFormat.html else funnel_markdown
        text = render(figures, generated=generated, waiting=regions)
    if to_file is None:
        sys.stdout.write(text)
        return
    from screener.exporting import output_file
    from screener.terminal import printable

    with output_file(to_file) as target:  # 0600, whole or not at all, like reports
        target.stream.write(text.encode("utf-8"))
    _say(f"wrote {printable(str(to_file))}")


# -- what take, batch, coach and export call ---------------------------------------------


def _check_employer(ctx: typer.Context, value: str | None) -> str | None:
    """--nominated-by names a registered employer: checked before anything is stored."""
    if value is None:
        return None
    from screener.store import connect

    root = ctx.find_root().obj
    db = getattr(root, "db", None)
    known = [e.id for e in connect(db).employers()]
    if value not in known:
        raise typer.BadParameter(
            f"no employer {value!r} (registered: {', '.join(known) or 'none'}; "
            "see screener employer add)"
        )
    return value


NominatedByOpt = Annotated[
    str | None,
    typer.Option(
        "--nominated-by",
        metavar="EMPLOYER",
        callback=_check_employer,
        help="The person is an employee nominated by this employer (id): the program's "
        "nominated route (no interview; their plans leave out the modules it leaves out).",
    ),
]
RegionOpt = Annotated[
    str | None,
    typer.Option(
        "--region",
        help="The person's region, for the program's waiting list (default for a "
        "nominated employee: their employer's).",
    ),
]


def _gating(ctx: typer.Context, assessment_id: str) -> Program | None:
    """The one program whose gate is ``assessment_id`` (None when no program has it).

    Read without the content catalog, which ``take`` and ``batch`` have loaded
    already (a second load would cost more than the screening): each program file's
    own rules are checked here, its references to assessments and modules by
    ``validate`` and the program commands. When the content cache says which
    assessment each file gates and none is this one, the files are not loaded.
    """
    from screener.catalog import program_files, program_gates

    files = program_files(settings(ctx).content_dirs)
    gates = program_gates(files)
    if gates is not None and all(
        g.gate != assessment_id for g in {g.id: g for g in gates}.values()
    ):
        return None
    from screener.errors import ContentError
    from screener.program import check_program_file

    found: dict[str, Program] = {}
    for path in files:
        checked = check_program_file(path)
        if checked.problems or checked.model is None:
            raise ContentError([str(p) for p in checked.problems] or [f"{path}: not a program"])
        found[checked.model.id] = checked.model  # a later content root replaces an id
    programs = [p for p in found.values() if p.gate == assessment_id]
    if len(programs) > 1:
        raise UsageError(
            f"programs {', '.join(p.id for p in programs)} all gate on {assessment_id}: "
            "keep one in use"
        )
    return programs[0] if programs else None


def after_screening(
    ctx: typer.Context,
    assessment_id: str,
    candidate_ids: Sequence[str],
    *,
    nominated_by: str | None = None,
    region: str | None = None,
) -> None:
    """After ``take``/``batch`` stored gate screenings: store the program's automatic
    events for those people, with ``--nominated-by`` and ``--region`` on their entry.

    Says something (stderr) only when one of those was given, or when the program
    cannot be read.
    """
    from screener.errors import ContentError, PathwayError

    asked = nominated_by is not None or region is not None
    try:
        chosen = _gating(ctx, assessment_id)
    except (ContentError, UsageError) as exc:
        if asked:
            raise
        _say(f"warning: program events not recorded: {str(exc).splitlines()[0]}")
        return
    if chosen is None:
        if asked:
            _say(
                f"warning: no program has {assessment_id} as its gate screening: "
                "--nominated-by and --region were not recorded"
            )
        return
    from screener.tracking import now_utc, sync  # only with a program to track

    store = open_store(ctx)
    entry = _entry(chosen, store, nominated_by, region)
    try:
        states, _ = sync(store, chosen, list(candidate_ids), now=now_utc(), entry=entry)
    except PathwayError as exc:
        raise PathwayError(f"{exc} (the screening itself is stored)") from None
    if asked:
        _tell_entry(chosen, states, entry)


def _entry(
    program: Program, store: ResultsStore, nominated_by: str | None, region: str | None
) -> Entry:
    from screener.tracking import Entry

    if nominated_by is None:
        return Entry(region=region.strip() if region else None)
    if not any(r.id == "nominated" for r in program.routes):
        raise UsageError(f"--nominated-by: program {program.id} has no 'nominated' route")
    employer = next(e for e in store.employers() if e.id == nominated_by)
    return Entry("nominated", employer.id, region.strip() if region else employer.region)


def _tell_entry(program: Program, states: dict[str, PersonState], entry: Entry) -> None:
    where: dict[str, int] = {}
    for state in states.values():
        name = program.stage(state.stage).name
        where[name] = where.get(name, 0) + 1
    how = f"nominated by {entry.employer}" if entry.employer else f"region {entry.region}"
    shown = ", ".join(f"{n} at {stage}" for stage, n in where.items())
    _say(f"program {program.id} ({how}): {shown}")


def after_coaching(ctx: typer.Context, candidate_id: str, assessment_id: str) -> None:
    """After ``coach`` recorded a completed module of a plan from ``assessment_id``: a
    finished plan moves the person on in the program gated by it (plan done: retake
    due). Quiet; a program that cannot be read is one warning."""
    from screener.errors import ContentError
    from screener.tracking import now_utc, sync

    try:
        chosen = _gating(ctx, assessment_id)
    except (ContentError, UsageError) as exc:
        _say(f"warning: program events not recorded: {str(exc).splitlines()[0]}")
        return
    if chosen is not None:
        sync(open_store(ctx), chosen, [candidate_id], now=now_utc())


def left_out_modules(ctx: typer.Context, candidate_id: str, assessment_id: str) -> frozenset[str]:
    """The modules the person's program route leaves out of coaching plans from
    ``assessment_id`` (a nominated employee needs no interviewing): ``coach`` offers
    what the program's plan-done move waits for, no more. Empty without a program;
    a program that cannot be read is one warning."""
    from screener.errors import ContentError, PathwayError
    from screener.pathway import replay

    try:
        chosen = _gating(ctx, assessment_id)
    except (ContentError, UsageError) as exc:
        _say(f"warning: program not read: {str(exc).splitlines()[0]}")
        return frozenset()
    if chosen is None:
        return frozenset()
    try:
        events = open_store(ctx, reads_only=True).events(candidate_id)
        state = replay(chosen, events, person=candidate_id)
    except PathwayError:
        return frozenset()
    return frozenset(chosen.route(state.route).leaves_out_modules)


def export_pathway(
    ctx: typer.Context,
    fmt: str,
    output: Path | None,
    since: str | None,
    anonymize: bool,
) -> None:
    """``export --pathway``: every stored program event as a row (the attempts' formats
    and output rules)."""
    from screener.exporting import Format
    from screener.exporting.pathway import export_pathway as write_events
    from screener.exporting.pathway import export_pathway_to_file
    from screener.store.records import utc_stamp
    from screener.terminal import printable
    from screener.tracking import to_datetime

    chosen = Format(fmt)
    guard_output(ctx, "--output", output)
    if chosen.binary_only and output is None:
        raise UsageError(f"export: --format {chosen.value} needs --output FILE")
    start = None
    if since is not None:
        try:
            start = to_datetime(utc_stamp(since))
        except ValueError:
            raise UsageError(f"--since: not a date: {since!r}") from None
    store = open_store(ctx)
    events = store.events()
    names = {} if anonymize else {c.id: c.name for c in store.candidates()}
    secret = store.secret() if anonymize else None
    if output is None:
        count = write_events(events, names, chosen, sys.stdout.buffer, secret=secret, since=start)
        sys.stdout.buffer.flush()
        where = "stdout"
    else:
        count = export_pathway_to_file(events, names, chosen, output, secret=secret, since=start)
        where = printable(str(output))
    sys.stderr.write(f"exported {count} event(s) to {where}\n")
