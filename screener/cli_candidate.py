"""Commands for a candidate at the terminal: ``take``, ``show`` and ``coach``.

The flows themselves live in ``screener.session``; this module picks the
candidate, attempt and form, saves each answer through the store as it is given
and renders results. Nothing prompts unless stdin is a terminal.
"""

from __future__ import annotations

import random
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from screener.cli import app, catalog_for, emit_json, settings
from screener.errors import NotFoundError, RecordError, UsageError

if TYPE_CHECKING:
    from rich.console import Console

    from screener.catalog import Catalog
    from screener.content import Assessment
    from screener.store import AttemptRecord, Candidate, Store
    from screener.store.records import NameConflict


def open_store(ctx: typer.Context) -> Store:
    from screener.store import Store, resolve_db_path

    return Store(resolve_db_path(settings(ctx).db))


def interactive(no_input: bool = False) -> bool:
    """Prompts only for a person at a terminal."""
    return not no_input and sys.stdin.isatty()


def _ask_name() -> str:
    import questionary

    from screener.session import STYLE

    value = questionary.text(
        "Your full name:",
        validate=lambda t: bool(t.strip()) or "Please type your name",
        style=STYLE,
    ).unsafe_ask()
    return str(value).strip()


def find_or_create(
    store: Store,
    candidate: str | None,
    name: str | None,
    *,
    ask: bool,
    update_name: bool = False,
    command: str = "take",
) -> tuple[Candidate, bool]:
    """The candidate by id or exact name; created when new. Returns (candidate, created).

    The rules are ``Store.resolve_or_add_candidate``'s; here they get option names.
    """
    from screener.store.records import NameConflict

    if not candidate and not name:
        if not ask:
            raise UsageError("give --candidate ID or --name NAME")
        name = _ask_name()
    try:
        return store.resolve_or_add_candidate(
            candidate or None, name, rename=update_name, command=command
        )
    except NameConflict as exc:
        raise _name_conflict(exc) from None
    except NotFoundError as exc:
        raise _not_found(exc, candidate, name) from None


def _not_found(exc: NotFoundError, candidate: str | None, name: str | None) -> NotFoundError:
    """An unknown --candidate alone gets the hint how to create them."""
    from screener.store.records import shown

    if candidate and not name and "candidates are named" not in str(exc):
        return NotFoundError(f"no candidate {shown(candidate)}: add --name NAME to create them")
    return exc


def _name_conflict(exc: NameConflict) -> UsageError:
    return UsageError(f"--name: {exc}; give the stored name, or add --update-name to rename them")


def check_who_options(candidate: str | None, name: str | None, update_name: bool) -> None:
    """Refuse bad --candidate/--name values before anything is read or locked.

    With --name, --candidate is an id and must be a valid one; alone it may be
    an id or a name, so it must be valid as one of them.
    """
    from screener.store.records import check_candidate_id, clean_name

    if name is not None:
        if not name.strip():
            raise UsageError("--name: a name cannot be blank")
        try:
            clean_name(name)
        except RecordError as exc:
            raise UsageError(f"--name: {exc}") from None
    if candidate is not None:
        try:
            check_candidate_id(candidate)
        except RecordError as exc:
            if name is not None:
                raise UsageError(f"--candidate: {exc}") from None
            try:
                clean_name(candidate)
            except RecordError:
                raise UsageError(f"--candidate: {exc}") from None
    if update_name and (candidate is None or name is None):
        raise UsageError(
            "--update-name renames a stored candidate: give --candidate ID and --name NAME"
        )


def _previous(
    store: Store, candidate_id: str, assessment: str, before: str | None
) -> AttemptRecord | None:
    done = [
        a
        for a in store.attempts(candidate=candidate_id, assessment=assessment)
        if before is None or a.attempt_id != before
    ]
    return done[-1] if done else None


def _choose_form(
    store: Store, chosen: Assessment, candidate_id: str | None, form: str | None
) -> str:
    """``--form`` if given (checked), else the form the candidate has not taken yet."""
    from screener.session import next_form

    names = chosen.form_names()
    if form is not None:
        if form not in names:
            raise UsageError(f"--form: {chosen.id} has forms {', '.join(names)}, not {form}")
        return form
    if candidate_id is None:
        return names[0]
    taken = [a.form for a in store.attempts(candidate=candidate_id, assessment=chosen.id)]
    return next_form(names, taken)


def _show_attempt(
    con: Console,
    catalog: Catalog,
    record: AttemptRecord,
    previous: AttemptRecord | None,
    heading: str | None = None,
) -> None:
    from screener.render import printable, show_result

    assessment = catalog.assessments.get(record.assessment)
    if assessment is None or assessment.version != record.version:
        con.print(
            printable(f"{record.assessment} version {record.version}")
            + " is not available here; use --json."
        )
        return
    prev = (
        previous.scorecard if previous is not None and previous.version == record.version else None
    )
    show_result(con, assessment, record.scorecard, record.plan, catalog.modules, prev, heading)


def _next_step(con: Console, record: AttemptRecord, candidate_id: str) -> None:
    from rich.text import Text

    from screener.render import printable

    if record.outcome == "coaching":
        con.print(Text(f"Next: screener coach {printable(candidate_id)}", style="bold"))
    elif record.outcome == "incomplete":
        con.print(Text(f"Next: screener take --candidate {printable(candidate_id)}", style="bold"))


@app.command()
def take(
    ctx: typer.Context,
    assessment: Annotated[
        str | None, typer.Argument(help="Assessment id or YAML path (default: the only one).")
    ] = None,
    candidate: Annotated[
        str | None, typer.Option("--candidate", help="Candidate id (or exact name).")
    ] = None,
    name: Annotated[
        str | None, typer.Option("--name", help="Candidate's name (creates them if new).")
    ] = None,
    form: Annotated[
        str | None, typer.Option("--form", help="Form to take (default: one not taken yet).")
    ] = None,
    seed: Annotated[
        int | None,
        typer.Option("--seed", min=0, max=2**63 - 1, help="Seed for the option order (stored)."),
    ] = None,
    resume: Annotated[
        bool, typer.Option("--resume", help="Continue the unfinished attempt.")
    ] = False,
    answers: Annotated[
        Path | None,
        typer.Option(
            "--answers", help="YAML/JSON file of item id -> answer: score without prompts."
        ),
    ] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Never prompt (needs --answers).")
    ] = False,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the stored attempt as JSON.")
    ] = False,
    update_name: Annotated[
        bool,
        typer.Option(
            "--update-name", help="Rename the stored candidate --candidate ID to --name NAME."
        ),
    ] = False,
) -> None:
    """Take a screening: interactively at a terminal, or from an --answers file."""
    from screener.render import console

    check_who_options(candidate, name, update_name)
    if answers is not None and resume:
        raise UsageError("--resume is for an interactive attempt; it does not go with --answers")
    if answers is None and not interactive(no_input):
        why = "--no-input was given" if no_input else "stdin is not a terminal"
        raise UsageError(f"{why}: pass --answers FILE to take a screening without prompts")
    catalog = catalog_for(ctx)
    chosen = catalog.assessment(assessment) if assessment else catalog.default_assessment()
    store = open_store(ctx)
    if answers is not None:
        record = _take_from_file(store, chosen, answers, candidate, name, form, seed, update_name)
        previous = _previous(store, record.candidate_id, chosen.id, record.attempt_id)
        if as_json:
            emit_json(record.to_json())
        else:
            _show_attempt(console(), catalog, record, _before(previous, record))
        return
    _take_interactive(
        store, catalog, chosen, candidate, name, form, seed, resume, as_json, update_name
    )


def _before(previous: AttemptRecord | None, record: AttemptRecord) -> AttemptRecord | None:
    if previous is None or (previous.submitted or "") > (record.submitted or ""):
        return None
    return previous


def _take_from_file(
    store: Store,
    chosen: Assessment,
    answers: Path,
    candidate: str | None,
    name: str | None,
    form: str | None,
    seed: int | None,
    update_name: bool = False,
) -> AttemptRecord:
    """Score an answers file and store it: the person is found or created and the
    attempt saved under ONE lock, so parallel runs for a new person make one person,
    and a crash cannot leave a person without their attempt."""
    from screener.answers import read_answers
    from screener.coaching import build_plan
    from screener.scoring import Answer, score_form
    from screener.store import Layout

    if not candidate and not name:
        raise UsageError("give --candidate ID or --name NAME")
    form_name: str | None = None
    values: dict[str, Answer] = {}
    if not store.path.exists():
        # nothing stored yet, so this first look costs nothing: an unknown person or a
        # bad file fails before the lock creates a folder (with a database, it is read
        # once, under the lock, where a failure writes nothing)
        try:
            store.match_candidate(candidate or None, name, rename=update_name)
        except NotFoundError as exc:
            raise _not_found(exc, candidate, name) from None
        form_name = _choose_form(store, chosen, None, form)
        values = read_answers(answers, chosen, form_name)
    with store.transaction():
        who, created = find_or_create(
            store, candidate, name, ask=False, update_name=update_name, command="take --answers"
        )
        chosen_form = _choose_form(store, chosen, None if created else who.id, form)
        if chosen_form != form_name:  # first read, or another run stored an attempt meanwhile
            form_name = chosen_form
            values = read_answers(answers, chosen, form_name)
        card = score_form(chosen, values, form_name)
        plan = build_plan(chosen, card)
        return store.save_attempt(
            who.id,
            card,
            plan,
            values,
            Layout.of(chosen, form_name),
            seed=seed,
            command="take --answers",
        )


def _take_interactive(
    store: Store,
    catalog: Catalog,
    chosen: Assessment,
    candidate: str | None,
    name: str | None,
    form: str | None,
    seed: int | None,
    resume: bool,
    as_json: bool,
    update_name: bool = False,
) -> None:
    import questionary
    from rich.text import Text

    from screener.coaching import build_plan
    from screener.render import console, printable
    from screener.scoring import score_form
    from screener.session import STYLE, QuitRequested, TakeState, question_order, run_take, welcome
    from screener.store import Layout

    out = console()
    err = console(stderr=True)
    who: Candidate | None = None
    try:
        who, created = find_or_create(store, candidate, name, ask=True, update_name=update_name)
        if created:
            err.print(
                Text.assemble(
                    f"Welcome, {printable(who.name)}. Your candidate id is ",
                    (printable(who.id), "bold"),
                    ": keep it to resume later.",
                )
            )
        open_attempts = store.attempts(candidate=who.id, assessment=chosen.id, status="in_progress")
        record: AttemptRecord | None = None
        if open_attempts:
            latest = open_attempts[-1]
            done = sum(
                1
                for i in latest.layout.items
                if latest.answers[i] is not None or latest.seconds[i] is not None
            )
            if (
                resume
                or questionary.confirm(
                    f"You have an unfinished screening (form {latest.form}, {done} of {len(latest.layout.items)} "
                    "questions done). Continue it?",
                    default=True,
                    style=STYLE,
                ).unsafe_ask()
            ):
                record = latest
        elif resume:
            raise NotFoundError(f"{who.id} has no unfinished attempt at {chosen.id}")
        if record is not None and record.version != chosen.version:
            raise UsageError(
                f"the unfinished attempt is on {chosen.id} version {record.version}, "
                f"now {chosen.version}: start a new one without --resume"
            )
        if record is None:
            form_name = _choose_form(store, chosen, who.id, form)
            items = chosen.form_items(form_name)
            order = [items[i].id for i in question_order(chosen, form_name)]
            record = store.start_attempt(
                who.id,
                Layout.of(chosen, form_name),
                seed=seed if seed is not None else random.randrange(1, 2**31),
                order=order,
                command="take",
            )
        form_name = record.form
        items = chosen.form_items(form_name)
        ids = [i.id for i in items]
        state = TakeState(
            [record.answers[i] for i in ids],
            [record.seconds[i] for i in ids],
            {
                n
                for n, i in enumerate(ids)
                if record.answers[i] is not None or record.seconds[i] is not None
            },
        )
        resumed = bool(state.asked)
        welcome(out, chosen, form_name, len(ids) - len(state.asked), resumed)
        if not questionary.confirm(
            "Ready to start?" if not resumed else "Ready to go on?", default=True, style=STYLE
        ).unsafe_ask():
            raise QuitRequested()
        attempt_id = record.attempt_id

        def save(index: int, value: Any, seconds: float | None) -> None:
            store.record_answer(attempt_id, ids[index], value, seconds=seconds)

        run_take(chosen, form_name, record.seed or 0, state, save, out)
    except (QuitRequested, KeyboardInterrupt, EOFError):
        hint = f" --candidate {printable(who.id)}" if who is not None else ""
        err.print(
            Text(
                f"Your answers are saved. To go on later: screener take --resume{hint}",
                style="bold",
            )
        )
        raise typer.Exit(130) from None
    card = score_form(chosen, dict(zip(ids, state.answers, strict=True)), form_name)
    plan = build_plan(chosen, card)
    final = store.submit_attempt(attempt_id, card, plan, command="take")
    previous = _before(_previous(store, who.id, chosen.id, final.attempt_id), final)
    if as_json:
        emit_json(final.to_json())
        return
    out.print()
    _show_attempt(out, catalog, final, previous, heading=f"Your results, {printable(who.name)}")
    _next_step(out, final, who.id)


@app.command()
def show(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="Candidate id or exact name.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print data as JSON.")] = False,
) -> None:
    """A candidate's latest results, plan, coaching progress and history."""
    from rich.table import Table
    from rich.text import Text

    from screener.render import console, printable

    store = open_store(ctx)
    who = store.resolve_candidate(candidate)
    done = store.attempts(candidate=who.id)
    open_ = store.attempts(candidate=who.id, status="in_progress")
    progress = store.progress(who.id)
    if as_json:
        emit_json(
            {
                "candidate": {
                    "id": who.id,
                    "name": who.name,
                    "contact": who.contact,
                    "created": who.created,
                },
                "latest": done[-1].to_json() if done else None,
                "attempts": [a.to_json() for a in done],
                "in_progress": [
                    {
                        "attempt_id": a.attempt_id,
                        "assessment": a.assessment,
                        "version": a.version,
                        "form": a.form,
                        "started_at": a.started,
                    }
                    for a in open_
                ],
                "progress": [
                    {
                        "module": p.module,
                        "started": p.started,
                        "completed": p.completed,
                        "check_score": p.check_score,
                        "lessons": list(p.lessons),
                    }
                    for p in progress
                ],
            }
        )
        return
    catalog = catalog_for(ctx)
    out = console()
    out.print(Text(f"{printable(who.name)} ({printable(who.id)})", style="bold"))
    if not done:
        out.print("No finished screening yet." + (" One is in progress." if open_ else ""))
        return
    latest = done[-1]
    earlier = [a for a in done[:-1] if a.assessment == latest.assessment]
    _show_attempt(
        out,
        catalog,
        latest,
        earlier[-1] if earlier else None,
        heading=f"Latest: {latest.assessment} form {latest.form}, {latest.submitted}",
    )
    if latest.plan:
        by_module = {p.module: p for p in progress}
        table = Table("Module", "Progress", title="Coaching progress", title_justify="left")
        for entry in latest.plan:
            module = catalog.modules.get(entry.module)
            table.add_row(
                printable(module.title if module else entry.module),
                _progress_text(by_module.get(entry.module)),
            )
        out.print(table)
    if len(done) > 1:
        history = Table(
            "Submitted", "Assessment", "Form", "Outcome", title="History", title_justify="left"
        )
        for a in done:
            history.add_row(
                *map(printable, (a.submitted or "-", a.assessment, a.form, a.outcome or "-"))
            )
        out.print(history)
    _next_step(out, latest, who.id)


def _progress_text(p: Any) -> str:
    if p is None:
        return "not started"
    if p.completed:
        return f"complete (check {p.check_score:.0f}%)"
    if p.check_score is not None:
        return f"check {p.check_score:.0f}%: review and try again"
    return f"started, {len(p.lessons)} lesson(s) read"


@app.command()
def coach(
    ctx: typer.Context,
    candidate: Annotated[str | None, typer.Argument(help="Candidate id or exact name.")] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Only show the plan and progress.")
    ] = False,
) -> None:
    """Work through the coaching modules of your plan (at a terminal)."""
    import questionary
    from rich.table import Table
    from rich.text import Text

    from screener.render import console, printable
    from screener.session import STYLE, lesson_titles, run_check, run_lessons, run_practice

    at_terminal = interactive(no_input)
    store = open_store(ctx)
    if candidate is None:
        if not at_terminal:
            raise UsageError("name the candidate: screener coach CANDIDATE")
        candidate = _ask_name()
    who = store.resolve_candidate(candidate)
    catalog = catalog_for(ctx)
    done = [a for a in store.attempts(candidate=who.id) if a.plan]
    out = console()
    if not done:
        out.print(f"{printable(who.name)} has no coaching plan: no screening with gaps yet.")
        return
    latest = done[-1]
    plan = [e for e in latest.plan if e.module in catalog.modules]
    seed = latest.seed or 0
    try:
        while True:
            progress = {p.module: p for p in store.progress(who.id)}
            table = Table(
                "#",
                "Module",
                "Minutes",
                "Progress",
                title=f"Coaching plan for {printable(who.name)}",
                title_justify="left",
            )
            for n, entry in enumerate(plan, 1):
                module = catalog.modules[entry.module]
                table.add_row(
                    str(n),
                    printable(module.title),
                    str(module.minutes),
                    _progress_text(progress.get(entry.module)),
                )
            out.print(table)
            remaining = [
                e for e in plan if not (progress.get(e.module) and progress[e.module].completed)
            ]
            if not remaining:
                out.print(
                    Text(
                        "You have finished your coaching plan. You may retake the screening:",
                        style="bold green",
                    )
                )
                out.print(f"  screener take --candidate {printable(who.id)}")
                return
            if not at_terminal:
                console(stderr=True).print("Run this in a terminal to work through a module.")
                return
            choices = [
                questionary.Choice(title=catalog.modules[e.module].title, value=e.module)
                for e in remaining
            ]
            choices.append(questionary.Choice(title="Stop for now", value=""))
            chosen = questionary.select(
                "Which module?", choices=choices, style=STYLE, pointer=">"
            ).unsafe_ask()
            if not chosen:
                return
            module = catalog.modules[chosen]
            store.start_module(who.id, module.id, attempt_id=latest.attempt_id)

            def viewed(lesson: str, module_id: str = module.id) -> None:
                store.view_lesson(who.id, module_id, lesson)

            run_lessons(module, out, on_lesson=viewed)
            run_practice(module, seed, out)
            result = run_check(module, seed, out)
            store.record_check(who.id, module.id, result.score, passed=result.passed)
            if result.passed:
                out.print(
                    Text(
                        f"Module complete: {result.correct} of {result.total} right.",
                        style="bold green",
                    )
                )
            else:
                out.print(
                    Text(
                        f"{result.correct} of {result.total} right; you need {module.check.pass_mark:.0f}%.",
                        style="bold yellow",
                    )
                )
                review = lesson_titles(module, result.review) or [
                    lesson.title for lesson in module.lessons
                ]
                out.print("Review these lessons, then try the module again: " + "; ".join(review))
    except (KeyboardInterrupt, EOFError):
        console(stderr=True).print(
            "Your progress is saved. Come back with: screener coach " + printable(who.id)
        )
        raise typer.Exit(130) from None
