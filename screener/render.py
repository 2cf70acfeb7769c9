"""Rich renderings for people: results tables, bars, plans, problem lists.

Everything here writes to a console it is given, so the CLI decides what goes
to stdout (data) and what to stderr (messages). Bars fall back to ASCII on
terminals that cannot show block characters.

Names, ids and titles come from people and files, so nothing is printed as
rich markup or emoji codes (a ``[link=…]`` or a stray ``[/b]`` in a name stays
text), user text goes through ``printable`` (control characters shown as
escapes), and the console itself escapes any control character left in the
text it renders: rich's own styling is the only escape sequence it writes.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TextIO

from rich import box
from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from screener.bars import text_bar
from screener.batchtext import Steps, batch_summary
from screener.messages import plural, text
from screener.terminal import _UNSAFE_IN_LAYOUT, printable, printable_layout

if TYPE_CHECKING:  # the store package imports tinydb, content pydantic: only their types here
    from screener.coaching import PlanEntry
    from screener.evaluate import Evaluation
    from screener.scoring import CompetencyScore, Scorecard
    from screener.stats import AssessmentStats
    from screener.store import AttemptRecord, Candidate, Progress
    from screener.views import AssessmentInfo, ContentInfo, ModuleInfo

__all__ = [
    "Steps",
    "attempt_screen",
    "attempts_table",
    "bar",
    "batch_summary",
    "catalog_table",
    "coaching_plan_table",
    "console",
    "modules_table",
    "next_step",
    "printable",
    "show_candidate",
    "show_evaluation",
    "show_result",
    "show_stats",
]

STATUS_STYLE = {"meets": "green", "below": "yellow", "borderline": "cyan", "incomplete": "dim"}
STATUS_TEXT = {"meets": "meets", "below": "gap", "borderline": "close", "incomplete": "incomplete"}
#: Each outcome's line under the results table (message ids, screener/messages.py).
OUTCOME_TEXT = {
    "pass": "screen.outcome.pass",
    "coaching": "screen.outcome.coaching",
    "incomplete": "screen.outcome.incomplete",
}


class SafeConsole(Console):
    """A rich console that never passes a control character of the text it prints.

    ``plain``: screen-reader mode (see ``console``).

    Segments that rich marks as control (cursor moves of a progress bar) are
    its own and pass; every other segment's text is ``printable_layout``-ed
    before styles are rendered around it.
    """

    def _render_buffer(self, buffer: Iterable[Segment]) -> str:
        segments = list(buffer)
        if _UNSAFE_IN_LAYOUT.search("".join(s.text for s in segments if not s.control)):
            segments = [
                s if s.control else Segment(printable_layout(s.text), s.style, s.control)
                for s in segments
            ]
        return super()._render_buffer(segments)

    plain: bool = False


def console(
    stderr: bool = False,
    width: int | None = None,
    file: TextIO | None = None,
    *,
    plain: bool = False,
) -> Console:
    """A console that honours NO_COLOR, writes to stdout or stderr (or ``file``) and
    treats every string as plain text: no markup, no emoji codes. ``plain`` is the
    screen-reader mode of ``take`` and ``coach``: no colour, and the screens drawn
    on it (``is_plain``) use no box drawing and no bars."""
    con = SafeConsole(
        file=file or (sys.stderr if stderr else sys.stdout),
        no_color=plain or "NO_COLOR" in os.environ,
        width=width,
        highlight=False,
        soft_wrap=False,
        markup=False,
        emoji=False,
    )
    con.plain = plain
    return con


def is_plain(con: Console) -> bool:
    """Whether ``con`` is in screen-reader mode (``console(plain=True)``)."""
    return bool(getattr(con, "plain", False))


_UNITS = {"module": "unit.module", "minute": "unit.minute", "lesson": "unit.lesson"}


def _plural(count: int, word: str) -> str:
    """``1 module``, ``12 modules``: the catalogue's ``unit.<word>`` entries."""
    return plural(_UNITS[word], count)


def unicode_ok(con: Console) -> bool:
    return con.encoding.lower().startswith("utf")


def bar(value: float | None, cut: float | None, width: int, con: Console) -> Text:
    """``bars.text_bar`` in colour: green at or above the cut, yellow below, ASCII on a
    terminal that cannot show block characters."""
    if value is None:
        return Text(text_bar(None, None, width, unscored="-"), style="dim")
    full, empty = ("█", "░") if unicode_ok(con) else ("#", ".")
    cells = text_bar(value, cut, width, full=full, empty=empty)
    return Text(cells, style="green" if cut is None or value >= cut else "yellow")


def fmt(score: float | None) -> str:
    return "-" if score is None else f"{score:.0f}"


def scorecard_table(
    assessment: AssessmentInfo,
    scorecard: Scorecard,
    con: Console,
    previous: Scorecard | None = None,
) -> Table:
    """Competencies grouped by domain: score, cut, bar, status (and change since last time).
    Plain (screen reader): no box and no bar."""
    plain = is_plain(con)
    table = Table(
        show_header=True, header_style="bold", expand=False, box=None if plain else box.HEAVY_HEAD
    )
    table.add_column("Competency", no_wrap=False, min_width=14)
    table.add_column("Score", justify="right")
    table.add_column("Cut", justify="right")
    if not plain:
        table.add_column("0-100", no_wrap=True)
    table.add_column("Status")
    if previous is not None:
        table.add_column("Change", justify="right")
    from screener.views import DOMAIN_TITLES, DOMAINS

    width = 20 if con.width >= 90 else 12
    for domain in DOMAINS:
        comps = [c for c in assessment.competencies if c.domain == domain]
        if not comps:
            continue
        table.add_row(Text(DOMAIN_TITLES[domain], style="bold"), end_section=False)
        for comp in comps:
            sc = scorecard.competency(comp.id)
            row: list[Text | str] = [
                "  " + printable(comp.name),
                fmt(sc.score),
                f"{sc.cut:.0f}",
                *([] if plain else [bar(sc.score, sc.cut, width, con)]),
                Text(_status_text(sc), style=STATUS_STYLE[sc.status]),
            ]
            if previous is not None:
                row.append(_change(sc.score, _prev_score(previous, comp.id)))
            table.add_row(*row)
    return table


def _status_text(sc: CompetencyScore) -> str:
    """``gap``, ``meets``, ``incomplete``; a borderline score ``close`` with its interval."""
    if sc.status == "borderline" and sc.interval is not None:
        low, high = sc.interval
        return f"close ({low:.0f}-{high:.0f})"
    return STATUS_TEXT[sc.status]


def _prev_score(previous: Scorecard, competency: str) -> float | None:
    try:
        return previous.competency(competency).score
    except KeyError:
        return None


def _change(now: float | None, before: float | None) -> str:
    if now is None or before is None:
        return "-"
    delta = round(now - before)
    return f"{delta:+d}" if delta else "0"


def plan_table(
    plan: tuple[PlanEntry, ...],
    assessment: AssessmentInfo,
    modules: Mapping[str, ModuleInfo],
    scorecard: Scorecard | None = None,
    plain: bool = False,
) -> Table:
    """The coaching plan: module, why (which gaps, each by how much; or close to the cut
    for a recommended module), minutes. Without the scorecard a module for several
    competencies gives its largest gap once, not next to each of them."""
    table = Table(show_header=True, header_style="bold", box=None if plain else box.HEAVY_HEAD)
    table.add_column("#", justify="right")
    table.add_column(text("screen.col.module"))
    table.add_column(text("screen.col.why"))
    table.add_column(text("screen.col.min"), justify="right")
    for n, entry in enumerate(plan, 1):
        module = modules.get(entry.module)
        names = [printable(assessment.competency(c).name) for c in entry.competencies]
        if not entry.required:
            why = "; ".join(text("screen.why_close", name=n) for n in names)
        elif scorecard is None and len(names) > 1:
            why = text("screen.why_up_to", names=", ".join(names), below=_below(entry.gap))
        else:
            why = "; ".join(
                text("screen.why_below", name=n, below=_below(_gap_of(scorecard, c, entry.gap)))
                for n, c in zip(names, entry.competencies, strict=True)
            )
        table.add_row(
            str(n),
            printable(module.title if module else entry.module),
            why,
            str(module.minutes) if module else "?",
        )
    return table


def _below(gap: float) -> str:
    """ "1 point below cut", "12 points below cut"."""
    return plural("screen.points_below", round(gap))


def _gap_of(scorecard: Scorecard | None, competency: str, fallback: float) -> float:
    if scorecard is None:
        return fallback
    try:
        return scorecard.competency(competency).gap
    except KeyError:
        return fallback


def show_result(
    con: Console,
    assessment: AssessmentInfo,
    scorecard: Scorecard,
    plan: tuple[PlanEntry, ...],
    modules: Mapping[str, ModuleInfo],
    previous: Scorecard | None = None,
    heading: str | None = None,
) -> None:
    """The full results screen."""
    con.print(
        Text(
            printable(
                heading or text("screen.title_form", title=assessment.title, form=scorecard.form)
            ),
            style="bold",
        )
    )
    con.print(scorecard_table(assessment, scorecard, con, previous))
    style = {"pass": "bold green", "coaching": "bold yellow", "incomplete": "bold"}[
        scorecard.outcome
    ]
    con.print(Text(text(OUTCOME_TEXT[scorecard.outcome]), style=style))
    if plan:
        con.print(Text(_plan_heading(plan, modules), style="bold"))
        con.print(plan_table(plan, assessment, modules, scorecard, is_plain(con)))


def _plan_heading(plan: tuple[PlanEntry, ...], modules: Mapping[str, ModuleInfo]) -> str:
    """How many modules are required and recommended, and about how long each part takes."""
    required = [e for e in plan if e.required]
    recommended = [e for e in plan if not e.required]

    def minutes(entries: list[PlanEntry]) -> int:
        return sum(modules[e.module].minutes for e in entries if e.module in modules)

    if not required:
        return text(
            "screen.plan_recommended_only",
            modules=_plural(len(recommended), "module"),
            minutes=_plural(minutes(recommended), "minute"),
        )
    heading = text(
        "screen.plan_required",
        modules=_plural(len(required), "module"),
        minutes=_plural(minutes(required), "minute"),
    )
    if recommended:
        heading += text(
            "screen.plan_more_recommended",
            count=len(recommended),
            minutes=_plural(minutes(recommended), "minute"),
        )
    return heading


def attempts_table(records: Iterable[AttemptRecord], width: int | None = None) -> Table:
    """Stored attempts, one row each (``screener results``); every text cell ``printable``.

    Laid out to read at 80 columns (``width``: the screen's; None: as wide as needed):
    names wrap between words and are never cut; the plan (module ids) takes what
    is left and is the column that wraps first. An assessment shared by every row
    is named once, in the title (and the form column is left out when the form is
    shared too); below 100 columns the attempt id is left out (``--json`` and
    ``export`` carry it).
    """
    from rich import box

    rows = [
        (
            printable(rec.attempt_id),
            printable(rec.candidate_id),
            printable(rec.name or ""),
            printable(rec.assessment),
            printable(rec.form),
            printable((rec.submitted or "")[:10]),
            printable(rec.outcome or ""),
            fmt(rec.overall),
            printable(", ".join(rec.plan_modules)),
        )
        for rec in records
    ]
    one_assessment = len({row[3] for row in rows}) == 1
    one_form = one_assessment and len({row[4] for row in rows}) == 1
    wide = width is None or width >= 100
    title = None
    if one_assessment:
        title = rows[0][3] + (f" form {rows[0][4]}" if one_form else "")
    table = Table(
        box=box.SIMPLE_HEAD,
        pad_edge=False,
        collapse_padding=True,
        show_edge=False,
        title=title,
        title_justify="left",
    )
    longest = max((len(row[2]) for row in rows), default=4)
    name_width: int | None = None  # as wide as the longest name
    if width is not None:
        # what the other columns need (with a gap of 2 each; the plan at least 12)
        shown = [0, 1, 5, 6, 7] if wide else [1, 5, 6, 7]
        shown += ([] if one_assessment else [3]) + ([] if one_form else [4])
        headers = {0: 7, 1: 9, 3: 10, 4: 4, 5: 9, 6: 7, 7: 3}
        others = sum(max([headers[c], *(len(row[c]) for row in rows)]) + 2 for c in shown)
        room = width - others - 2 - 12
        name_width = max(4, min(longest, max(20, room)))
    # ids are what people copy into `show` and `report`: never cut them short
    if wide:
        table.add_column("attempt", no_wrap=True, min_width=12)
    table.add_column("candidate", no_wrap=True, overflow="fold")
    # a fixed width keeps the name out of the squeeze; longer names wrap between words
    table.add_column("name", width=name_width, overflow="fold")
    if not one_assessment:
        table.add_column("assessment", overflow="fold")
    if not one_form:
        table.add_column("form", no_wrap=True)
    table.add_column("submitted", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("avg", justify="right", no_wrap=True)
    table.add_column("plan", overflow="fold")  # what `show` and `export` spell out
    for row in rows:
        cells = [
            *([row[0]] if wide else []),
            row[1],
            row[2],
            *([] if one_assessment else [row[3]]),
            *([] if one_form else [row[4]]),
            *row[5:],
        ]
        table.add_row(*cells)
    return table


# -- content -----------------------------------------------------------------------------


def catalog_table(rows: Iterable[Mapping[str, object]]) -> Table:
    """``screener assessments``: id, title, version, forms, items."""
    table = Table("id", "title", "version", "forms", "items")
    for row in rows:
        forms = row["forms"]
        assert isinstance(forms, list)
        table.add_row(
            *map(printable, (str(row["id"]), str(row["title"]), str(row["version"]))),
            printable(",".join(forms)),
            str(row["items"]),
        )
    return table


def modules_table(rows: Iterable[Mapping[str, object]]) -> Table:
    """``screener modules``: id, title, minutes, the competencies each coaches."""
    table = Table("id", "title", "min", "coaches")
    for row in rows:
        coaches = row["competencies"]
        assert isinstance(coaches, list)
        table.add_row(
            printable(str(row["id"])),
            printable(str(row["title"])),
            str(row["minutes"]),
            printable(", ".join(coaches)),
        )
    return table


# -- a candidate -------------------------------------------------------------------------


def attempt_screen(
    con: Console,
    catalog: ContentInfo,
    record: AttemptRecord,
    previous: AttemptRecord | None,
    heading: str | None = None,
    taken: AssessmentInfo | None = None,
) -> None:
    """A stored attempt's results screen (``show_result``) with the change since
    ``previous`` when both are of the same version; a note when the assessment
    version is neither ``taken`` (the one just taken, maybe from a YAML path) nor in
    the content in use."""
    assessment = (
        taken
        if taken is not None and taken.id == record.assessment
        else catalog.assessments.get(record.assessment)
    )
    if assessment is None or assessment.version != record.version:
        con.print(
            text(
                "screen.version_not_here",
                version=printable(f"{record.assessment} version {record.version}"),
            )
        )
        return
    prev = (
        previous.scorecard if previous is not None and previous.version == record.version else None
    )
    show_result(con, assessment, record.scorecard, record.plan, catalog.modules, prev, heading)


def next_step(con: Console, record: AttemptRecord, candidate_id: str) -> None:
    """The command to run next after a coaching or incomplete outcome."""
    if record.outcome == "coaching":
        con.print(Text(text("cli.next_coach", id=printable(candidate_id)), style="bold"))
    elif record.outcome == "incomplete":
        con.print(Text(text("screen.next_take", id=printable(candidate_id)), style="bold"))


def progress_text(p: Progress | None) -> str:
    """One module's coaching progress in words."""
    if p is None:
        return text("screen.progress_not_started")
    if p.completed:
        return text("screen.progress_complete", score=p.check_score or 0)
    if p.check_score is not None:
        return text("screen.progress_retry", score=p.check_score)
    return text("screen.progress_started", lessons=_plural(len(p.lessons), "lesson"))


def show_candidate(
    con: Console,
    catalog: ContentInfo,
    who: Candidate,
    done: list[AttemptRecord],
    in_progress: bool,
    progress: Iterable[Progress],
    *,
    unfinished: Sequence[AttemptRecord] = (),
    extra_time: Mapping[str, float] | None = None,
) -> None:
    """``screener show``: latest results, coaching progress, history, unfinished attempts
    (each with the command that goes back to it), any extra time granted, next step."""
    extra = extra_time or {}
    con.print(Text(f"{printable(who.name)} ({printable(who.id)})", style="bold"))
    for record in unfinished:
        con.print(
            Text(
                text(
                    "screen.unfinished",
                    assessment=printable(record.assessment),
                    form=printable(record.form),
                    day=printable((record.started or "-")[:10]),
                )
                + _extra_time_note(extra.get(record.attempt_id))
            )
        )
        con.print(
            Text(
                text(
                    "screen.to_go_on",
                    id=printable(who.id),
                    attempt=printable(record.attempt_id),
                )
            ),
            no_wrap=True,
            overflow="ignore",
            crop=False,
        )
    if not done:
        more = text("screen.one_in_progress") if in_progress and not unfinished else ""
        con.print(text("screen.no_finished") + more)
        return
    latest = done[-1]
    if extra.get(latest.attempt_id, 1) != 1:
        con.print(Text(text("screen.accommodation") + _extra_time_note(extra[latest.attempt_id])))
    earlier = [a for a in done[:-1] if a.assessment == latest.assessment]
    attempt_screen(
        con,
        catalog,
        latest,
        earlier[-1] if earlier else None,
        heading=text(
            "screen.latest",
            assessment=latest.assessment,
            form=latest.form,
            submitted=latest.submitted,
        ),
    )
    if latest.plan:
        by_module = {p.module: p for p in progress}
        table = Table(
            text("screen.col.module"),
            text("screen.col.progress"),
            title=text("screen.coaching_progress"),
            title_justify="left",
        )
        for entry in latest.plan:
            module = catalog.modules.get(entry.module)
            table.add_row(
                printable(module.title if module else entry.module),
                progress_text(by_module.get(entry.module)),
            )
        con.print(table)
    if len(done) > 1:
        history = Table(
            text("screen.col.submitted"),
            text("screen.col.assessment"),
            text("screen.col.form"),
            text("screen.col.outcome"),
            title=text("screen.history"),
            title_justify="left",
        )
        for a in done:
            history.add_row(
                *map(printable, (a.submitted or "-", a.assessment, a.form, a.outcome or "-"))
            )
        con.print(history)
    next_step(con, latest, who.id)


def _extra_time_note(factor: float | None) -> str:
    if factor is None or factor == 1:
        return ""
    return text("screen.extra_time_note", factor=f"{factor:g}")


def coaching_plan_table(
    name: str,
    plan: Iterable[PlanEntry],
    modules: Mapping[str, ModuleInfo],
    progress: Mapping[str, Progress],
    con: Console | None = None,
) -> Table:
    """``screener coach``: the plan's modules with minutes and progress (no box drawing
    on a plain console)."""
    table = Table(
        "#",
        text("screen.col.module"),
        text("screen.col.minutes"),
        text("screen.col.progress"),
        title=text("screen.plan_for", name=printable(name)),
        title_justify="left",
        box=None if con is not None and is_plain(con) else box.HEAVY_HEAD,
    )
    for n, entry in enumerate(plan, 1):
        module = modules[entry.module]
        table.add_row(
            str(n),
            printable(module.title),
            str(module.minutes),
            progress_text(progress.get(entry.module)),
        )
    return table


def _num(value: float, spec: str = ".2f") -> str:
    return "-" if value != value else format(value, spec)  # NaN != NaN


def _pct(value: float, spec: str = ".0f") -> str:
    return "-" if value != value else format(value * 100, spec) + "%"


def show_stats(con: Console, result: AssessmentStats) -> None:
    """``screener stats``: per form, the competencies (with the error at the cut) and
    items, then the modules in plans."""
    width = 20 if con.width >= 100 else 12
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
                _num(c.mean, ".1f"),
                _num(c.sd, ".1f"),
                _num(c.alpha),
                _num(c.sem, ".1f"),
                _pct(c.below_cut),
                bar(None if c.mean != c.mean else c.mean, c.cut, width, con),
            )
        con.print(table)
        at_cut = Table(
            title=f"Form {form.form}: error at the cut (same gap decision on a parallel form)"
        )
        at_cut.add_column("competency")
        for head in ("cut", "CSEM\nat cut", "p0\nSubkoviak", "kappa", "p0\nbeta-bin", "kappa", "n"):
            at_cut.add_column(head, justify="right")
        at_cut.add_column("method", no_wrap=True)
        for c in form.competencies:
            at_cut.add_row(
                printable(c.name),
                f"{c.cut:g}",
                _num(c.csem_at_cut, ".1f"),
                _pct(c.consistency, ".1f"),
                _num(c.consistency_kappa),
                _pct(c.consistency_ll, ".1f"),
                _num(c.consistency_ll_kappa),
                _num(c.consistency_length, ".0f"),
                printable(c.consistency_method),
            )
        con.print(at_cut)
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
                _num(i.difficulty),
                bar(None if i.difficulty != i.difficulty else i.difficulty * 100, None, width, con),
                _num(i.item_rest),
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
                _pct(m.share),
                bar(m.share * 100, None, width, con),
            )
        con.print(mods)


#: evaluate's per-competency figures: (header, DecisionFigures attribute, percent?)
EVALUATION_FIGURES = (
    ("accuracy", "accuracy", True),
    ("false\ngap", "false_gap", True),
    ("missed\ngap", "missed_gap", True),
    ("A/B\nagree", "agreement", True),
    ("kappa", "kappa", False),
    ("items", "mean_items", False),
)


#: the rules of ``evaluate`` as the table heads them
RULE_LABEL = {"today": "today", "configured": "config"}


def show_evaluation(con: Console, evaluation: Evaluation) -> None:
    """``screener evaluate``: per competency and pooled, each figure under each rule side
    by side (shares in percent); then the per-candidate figures."""
    from rich import box

    rules = evaluation.rules
    levels = evaluation.levels
    spreads = sorted({levels.of(c.id).text() for c in rules[0].competencies})
    con.print(
        Text(
            printable(
                f"{evaluation.assessment} {evaluation.version}, form {evaluation.form} "
                f"(agreement with form {evaluation.other_form}): {evaluation.n:,} simulated "
                f"candidates, seed {evaluation.seed}, zone {evaluation.zone:g} points"
            ),
            style="bold",
        )
    )
    con.print(printable(f"true levels ({levels.source}): {', '.join(spreads)}"))
    for rule in rules:
        if rule.borderline is not None:
            b = rule.borderline
            con.print(
                printable(
                    f"{rule.name}: borderline {b.action}, confidence {b.confidence:g}"
                    + (f", max_extra {b.max_extra}" if b.action == "follow_up" else "")
                )
            )

    def cell(figures: Any, attribute: str, percent: bool) -> str:
        value: float = getattr(figures, attribute)
        return _num(value * 100 if percent else value, ".1f" if percent else ".2f")

    comps = rules[0].competencies
    rows: list[tuple[str | Text, str, list[Any]]] = [
        (printable(c.name), f"{c.cut:g}", [rule.competencies[k].figures for rule in rules])
        for k, c in enumerate(comps)
    ]
    rows.append((Text("overall", style="bold"), "", [rule.overall for rule in rules]))
    table = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
        show_edge=False,
        title="Gap decisions (shares in %)",
        title_justify="left",
    )
    table.add_column("competency", overflow="fold", min_width=10)
    table.add_column("cut", justify="right")
    if len(rules) == 1 or con.width >= 96:
        # one column per figure and rule, the rules of a figure side by side: narrow
        # columns (shares in %, no sign) so two rules fit 100 terminal columns
        for head, _, _ in EVALUATION_FIGURES:
            for n in range(len(rules)):
                table.add_column(head if n == 0 else "", justify="right")
        if len(rules) > 1:
            labels = [RULE_LABEL[rule.name] for _ in EVALUATION_FIGURES for rule in rules]
            table.add_row("", "", *labels, end_section=True)
        for n, (name, cut, by_rule) in enumerate(rows):
            table.add_row(
                name,
                cut,
                *(
                    cell(figures, attribute, percent)
                    for _, attribute, percent in EVALUATION_FIGURES
                    for figures in by_rule
                ),
                end_section=n == len(rows) - 2,
            )
    else:  # a narrow terminal: the rules one under the other
        table.add_column("rule")
        for head, _, _ in EVALUATION_FIGURES:
            table.add_column(head, justify="right")
        for n, (name, cut, by_rule) in enumerate(rows):
            for r, (rule, figures) in enumerate(zip(rules, by_rule, strict=True)):
                table.add_row(
                    name if r == 0 else "",
                    cut if r == 0 else "",
                    RULE_LABEL[rule.name],
                    *(cell(figures, a, percent) for _, a, percent in EVALUATION_FIGURES),
                    end_section=r == len(rules) - 1 and n >= len(rows) - 2,
                )
    con.print(table)
    con.print()
    people = Table(
        box=box.SIMPLE_HEAD,
        padding=(0, 0),
        show_edge=False,
        title="Per candidate (shares in %)",
        title_justify="left",
    )
    people.add_column("rule")
    for head in (
        "needless\ncoaching",
        "missed\ncoaching",
        "required\nmodules",
        "pass\nrate",
        "A/B same\noutcome",
        "kappa",
        "items",
    ):
        people.add_column(head, justify="right")
    for rule in rules:
        c = rule.candidates
        people.add_row(
            RULE_LABEL[rule.name],
            _num(c.needless_coaching * 100, ".1f"),
            _num(c.missed_coaching * 100, ".1f"),
            _num(c.required_modules),
            _num(c.pass_rate * 100, ".1f"),
            _num(c.outcome_agreement * 100, ".1f"),
            _num(c.outcome_kappa),
            _num(c.mean_items),
        )
    con.print(people)
