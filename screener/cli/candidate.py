"""Commands for a candidate: ``take``, ``show``, ``coach`` and ``score``.

Each parses its options, calls the library (``screener.taking`` decides who,
which attempt and form, follow-up items and submitting; ``screener.session``
asks the questions; ``screener.screening`` scores and plans) and renders
(``screener.render``). Nothing prompts unless stdin is a terminal.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from screener.cli.base import (
    FormOpt,
    JsonOpt,
    catalog_for,
    emit_json,
    form_option,
    interactive,
    open_store,
)
from screener.cli.program import (
    NominatedByOpt,
    RegionOpt,
    after_coaching,
    after_screening,
    left_out_modules,
)
from screener.errors import RecordError, UsageError
from screener.messages import text

#: ``screener.taking.EXTRA_TIME_EVENT``, the audit event of extra time granted, named
#: here so ``show`` does not import taking (and with it the content models);
#: tests/test_take.py checks the two are the same.
EXTRA_TIME_EVENT = "take.extra_time"

if TYPE_CHECKING:
    from screener.catalog import Catalog
    from screener.content import Assessment
    from screener.session import Look
    from screener.store import Candidate
    from screener.store.interface import ResultsStore


def score(
    ctx: typer.Context,
    answers: Annotated[Path, typer.Argument(help="YAML or JSON file: item id -> answer.")],
    assessment: Annotated[
        str | None, typer.Option("--assessment", "-a", help="Assessment id or YAML path.")
    ] = None,
    form: FormOpt = None,
    as_json: JsonOpt = False,
) -> None:
    """Score one answers file and print results and plan, without storing anything."""
    from screener.answers import read_answers
    from screener.render import console, show_result
    from screener.screening import score_answers
    from screener.shapes import scorecard_json

    catalog = catalog_for(ctx)
    chosen = catalog.assessment(assessment) if assessment else catalog.default_assessment()
    form_name = form_option(chosen, form)
    card, plan = score_answers(chosen, form_name, read_answers(answers, chosen, form_name))
    if as_json:
        emit_json(scorecard_json(card, plan))
        return
    show_result(console(), chosen, card, plan, catalog.modules)


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


@contextmanager
def who_errors(candidate: str | None, name: str | None) -> Iterator[None]:
    """The store's answers about --candidate and --name, with the option that fixes them."""
    from screener.errors import NotFoundError
    from screener.store.records import NameConflict, shown
    from screener.taking import UnknownCandidate

    try:
        yield
    except NameConflict as exc:
        raise UsageError(
            f"--name: {exc}; give the stored name, or add --update-name to rename them"
        ) from None
    except UnknownCandidate as exc:
        if candidate and not name and "candidates are named" not in str(exc):
            raise NotFoundError(
                f"no candidate {shown(candidate)}: add --name NAME to create them"
            ) from None
        raise NotFoundError(str(exc)) from None


PlainOpt = Annotated[
    bool,
    typer.Option(
        "--plain",
        help="Screen-reader mode: no box drawing, no colour, drawings described in words "
        "(also SCREENER_PLAIN=1).",
    ),
]


def plain_mode(plain: bool) -> bool:
    """``--plain``, or ``SCREENER_PLAIN`` set to anything but empty or 0."""
    return plain or os.environ.get("SCREENER_PLAIN", "") not in ("", "0")


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
        bool, typer.Option("--resume", help="Continue the latest unfinished attempt.")
    ] = False,
    attempt: Annotated[
        str | None,
        typer.Option(
            "--attempt", metavar="ATTEMPT", help="Continue this unfinished attempt (its id)."
        ),
    ] = None,
    extra_time: Annotated[
        float | None,
        typer.Option(
            "--extra-time",
            metavar="1.25|1.5|2",
            help="Accommodation: multiply every time limit (stored with the attempt).",
        ),
    ] = None,
    plain: PlainOpt = False,
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
    nominated_by: NominatedByOpt = None,
    region: RegionOpt = None,
) -> None:
    """Take a screening: interactively at a terminal, or from an --answers file."""
    from screener.render import attempt_screen, console
    from screener.taking import EXTRA_TIMES, take_from_file

    check_who_options(candidate, name, update_name)
    if extra_time is not None and extra_time not in EXTRA_TIMES:
        raise UsageError("--extra-time: give 1.25, 1.5 or 2 (every time limit is multiplied by it)")
    if answers is not None:
        for flag, given in (
            ("--resume", resume),
            ("--attempt", attempt is not None),
            ("--extra-time", extra_time is not None),
        ):
            if given:
                raise UsageError(
                    f"{flag} is for an interactive attempt; it does not go with --answers"
                )
    if answers is None and not interactive(no_input):
        why = "--no-input was given" if no_input else "stdin is not a terminal"
        raise UsageError(f"{why}: pass --answers FILE to take a screening without prompts")
    catalog = catalog_for(ctx)
    chosen = catalog.assessment(assessment) if assessment else catalog.default_assessment()
    if form is not None:
        form_option(chosen, form)
    store = open_store(ctx)
    if answers is None:
        from screener.session import Look  # questionary: only when prompting (0.3 s)

        look = Look(plain=plain_mode(plain), extra_time=extra_time or 1.0)
        _take_interactive(
            store,
            catalog,
            chosen,
            candidate,
            name,
            form,
            seed,
            resume,
            attempt,
            update_name,
            as_json,
            look,
            extra_time,
            on_submitted=lambda cid: after_screening(
                ctx, chosen.id, [cid], nominated_by=nominated_by, region=region
            ),
        )
        return
    with who_errors(candidate, name):
        record, previous = take_from_file(
            store, chosen, answers, candidate, name, form, seed, rename=update_name
        )
    after_screening(ctx, chosen.id, [record.candidate_id], nominated_by=nominated_by, region=region)
    if as_json:
        emit_json(record.to_json())
        return
    attempt_screen(console(), catalog, record, previous, taken=chosen)


def _take_interactive(
    store: ResultsStore,
    catalog: Catalog,
    chosen: Assessment,
    candidate: str | None,
    name: str | None,
    form: str | None,
    seed: int | None,
    resume: bool,
    attempt: str | None,
    update_name: bool,
    as_json: bool,
    look: Look,
    extra_time: float | None,
    on_submitted: Callable[[str], None] = lambda candidate_id: None,
) -> None:
    """Who (a new person is stored only once they start), which attempt, the welcome
    screen, the questions and follow-up items, then the results. Stopping says what
    was kept: answers given are saved; before the first answer nothing is."""
    from dataclasses import replace

    from rich.text import Text

    from screener.render import attempt_screen, console, next_step, printable
    from screener.session import (
        QuitRequested,
        ask_name,
        go_on_with,
        ready,
        retake_anyway,
        run_follow_ups,
        run_take,
        same_person,
        welcome,
    )
    from screener.store.records import NewCandidate
    from screener.taking import NotStarted, Taking, choose_form, find_or_create

    out = console(plain=look.plain)
    err = console(stderr=True, plain=look.plain)
    who: Candidate | None = None
    taking: Taking | None = None

    def say(text: str) -> None:
        err.print(Text(text, style="bold"))

    try:
        with who_errors(candidate, name):
            person, _ = find_or_create(
                store,
                candidate,
                name,
                ask_name=ask_name,
                same_person=same_person,
                rename=update_name,
                create=False,
            )
        if isinstance(person, NewCandidate):
            if resume or attempt is not None:
                raise UsageError("a new candidate has no unfinished attempt to resume")
            err.print(Text(text("cli.welcome_name", name=printable(person.name))))
            form_name = choose_form(chosen, form)
            welcome(out, chosen, form_name, len(chosen.form_items(form_name)), False, look)
            if not ready(False):
                raise NotStarted()
            who = store.add_candidate(person.name, candidate_id=person.id)
            err.print(
                Text.assemble(
                    text("cli.your_id_lead"),
                    (printable(who.id), "bold"),
                    text("cli.your_id_tail"),
                )
            )
            taking = Taking.begin(
                store, chosen, who.id, form=form_name, seed=seed, extra_time=extra_time
            )
        else:
            who = person
            taking = Taking.begin(
                store,
                chosen,
                who.id,
                form=form,
                seed=seed,
                resume=resume,
                attempt=attempt,
                go_on=go_on_with,
                retake=retake_anyway,
                extra_time=extra_time,
            )
            look = replace(look, extra_time=taking.extra_time)
            welcome(out, chosen, taking.form, taking.remaining, taking.resumed, look)
            if not ready(taking.resumed):
                raise NotStarted()
        run_take(chosen, taking.form, taking.seed, taking.state, taking.save, out, look)
        run_follow_ups(
            chosen,
            taking.seed,
            taking.next_follow_up,
            taking.save_follow_up,
            out,
            done=len(taking.follow_ups),
            look=look,
        )
    except NotStarted:
        if who is None:
            say(text("cli.not_started"))
        elif taking is not None and taking.saved_anything:
            say(text("cli.saved_so_far", id=printable(who.id)))
        elif taking is None:  # a retake refused while coaching is left
            say(text("cli.next_coach", id=printable(who.id)))
        else:
            say(text("cli.not_started_known", id=printable(who.id)))
        return
    except (QuitRequested, KeyboardInterrupt, EOFError):
        if taking is not None and taking.saved_anything:
            hint = f" --candidate {printable(who.id)}" if who is not None else ""
            say(text("cli.saved_go_on", hint=hint))
        elif who is not None and taking is not None:
            say(text("cli.nothing_answered", id=printable(who.id)))
        else:
            say(text("cli.stopped_before_start"))
        raise typer.Exit(130) from None
    final, previous = taking.submit()
    on_submitted(who.id)  # the program's automatic events (--nominated-by, --region)
    if as_json:
        emit_json(final.to_json())
        return
    out.print()
    heading = text("cli.your_results", name=printable(who.name))
    attempt_screen(out, catalog, final, previous, heading, taken=chosen)
    next_step(out, final, who.id)


def show(
    ctx: typer.Context,
    candidate: Annotated[str, typer.Argument(help="Candidate id or exact name.")],
    as_json: JsonOpt = False,
) -> None:
    """A candidate's latest results, plan, coaching progress and history."""
    from screener.render import console, show_candidate

    store = open_store(ctx, reads_only=True)
    with store.reading():  # one read of the database for everything below
        who = store.resolve_candidate(candidate)
        every = store.attempts(candidate=who.id, status=None)
        progress = store.progress(who.id)
        events = store.audit_events(candidate_id=who.id, event=EXTRA_TIME_EVENT)
    done = [a for a in every if a.status == "submitted"]
    open_ = [a for a in every if a.status == "in_progress"]
    extra_time: dict[str, float] = {}
    for event in events:
        if event.attempt_id is not None:
            try:
                extra_time[event.attempt_id] = float(event.detail or 1)
            except ValueError:
                continue
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
                "accommodations": [
                    {"attempt_id": attempt_id, "extra_time": factor}
                    for attempt_id, factor in extra_time.items()
                    if factor != 1
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
    show_candidate(
        console(),
        catalog_for(ctx).rendered(),  # views: no content models, no pydantic
        who,
        done,
        bool(open_),
        progress,
        unfinished=open_,
        extra_time=extra_time,
    )


def coach(
    ctx: typer.Context,
    candidate: Annotated[str | None, typer.Argument(help="Candidate id or exact name.")] = None,
    no_input: Annotated[
        bool, typer.Option("--no-input", help="Only show the plan and progress.")
    ] = False,
    plain: PlainOpt = False,
) -> None:
    """Work through the coaching modules of your plan (at a terminal)."""
    import random

    from rich.text import Text

    from screener.render import coaching_plan_table, console, printable
    from screener.session import (
        Look,
        ask_name,
        lesson_titles,
        pick_module,
        run_check,
        run_lessons,
        run_practice,
        straight_to_check,
    )

    look = Look(plain=plain_mode(plain))
    at_terminal = interactive(no_input)
    store = open_store(ctx, reads_only=not at_terminal)  # (a write would switch drivers)
    if candidate is None:
        if not at_terminal:
            raise UsageError("name the candidate: screener coach CANDIDATE")
        candidate = ask_name()
    who = store.resolve_candidate(candidate)
    catalog = catalog_for(ctx)
    done = [a for a in store.attempts(candidate=who.id) if a.plan]
    out = console(plain=look.plain)
    if not done:
        out.print(text("cli.no_plan", name=printable(who.name)))
        return
    latest = done[-1]
    left_out = left_out_modules(ctx, who.id, latest.assessment)
    plan = [e for e in latest.plan if e.module in catalog.modules and e.module not in left_out]
    seed = latest.seed or 0
    try:
        while True:
            progress = {p.module: p for p in store.progress(who.id)}
            out.print(coaching_plan_table(who.name, plan, catalog.modules, progress, out))
            remaining = [
                e for e in plan if not (progress.get(e.module) and progress[e.module].completed)
            ]
            if not remaining:
                out.print(
                    Text(
                        text("cli.plan_finished"),
                        style="bold green",
                    )
                )
                out.print(text("cli.retake_command", id=printable(who.id)))
                return
            if not at_terminal:
                console(stderr=True).print(text("cli.needs_terminal"))
                return
            chosen = pick_module([catalog.modules[e.module] for e in remaining])
            if chosen is None:
                return
            module = chosen
            before = progress.get(module.id)
            store.start_module(who.id, module.id, attempt_id=latest.attempt_id)

            def viewed(lesson: str, module_id: str = module.id) -> None:
                store.view_lesson(who.id, module_id, lesson)

            retry = before is not None and before.check_score is not None
            if not (retry and straight_to_check()):
                run_lessons(module, out, on_lesson=viewed, look=look)
                # a new order on each try, so a retry is not answered by position
                run_practice(module, random.randrange(1, 2**31), out, look)
            result = run_check(module, seed, out, look)
            store.record_check(who.id, module.id, result.score, passed=result.passed)
            if result.passed:
                after_coaching(ctx, who.id, latest.assessment)  # a finished plan: plan_done
            if result.passed:
                out.print(
                    Text(
                        text("cli.module_complete", correct=result.correct, total=result.total),
                        style="bold green",
                    )
                )
            else:
                out.print(
                    Text(
                        text(
                            "cli.check_short",
                            correct=result.correct,
                            total=result.total,
                            mark=module.check.pass_mark,
                        ),
                        style="bold yellow",
                    )
                )
                review = lesson_titles(module, result.review) or [
                    lesson.title for lesson in module.lessons
                ]
                out.print(
                    Text(
                        text("cli.review_lessons", lessons="; ".join(printable(t) for t in review))
                    )
                )
    except (KeyboardInterrupt, EOFError):
        console(stderr=True).print(text("cli.progress_saved", id=printable(who.id)))
        raise typer.Exit(130) from None
