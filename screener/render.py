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
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, TextIO

from rich.console import Console
from rich.segment import Segment
from rich.table import Table
from rich.text import Text

from screener.coaching import PlanEntry
from screener.content import DOMAIN_TITLES, DOMAINS, Assessment, Module
from screener.scoring import Scorecard
from screener.terminal import _UNSAFE_IN_LAYOUT, printable, printable_layout

if TYPE_CHECKING:  # the store package imports tinydb; rendering only needs its types
    from screener.store import AttemptRecord

__all__ = ["attempts_table", "console", "printable", "show_result"]

STATUS_STYLE = {"meets": "green", "below": "yellow", "incomplete": "dim"}
STATUS_TEXT = {"meets": "meets", "below": "gap", "incomplete": "incomplete"}
OUTCOME_TEXT = {
    "pass": "Pass: go on to the employer interview, then the core training program.",
    "coaching": "Coaching: work through the modules below, then retake the screening.",
    "incomplete": "Incomplete: too few answers to score every competency. Finish or retake it.",
}


class SafeConsole(Console):
    """A rich console that never passes a control character of the text it prints.

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


def console(stderr: bool = False, width: int | None = None, file: TextIO | None = None) -> Console:
    """A console that honours NO_COLOR, writes to stdout or stderr (or ``file``) and
    treats every string as plain text: no markup, no emoji codes."""
    return SafeConsole(
        file=file or (sys.stderr if stderr else sys.stdout),
        no_color="NO_COLOR" in os.environ,
        width=width,
        highlight=False,
        soft_wrap=False,
        markup=False,
        emoji=False,
    )


def unicode_ok(con: Console) -> bool:
    return con.encoding.lower().startswith("utf")


def bar(value: float | None, cut: float | None, width: int, con: Console) -> Text:
    """A horizontal bar from 0 to 100 with the cut marked by ``|``."""
    if value is None:
        return Text("-" * width, style="dim")
    full, empty = ("█", "░") if unicode_ok(con) else ("#", ".")
    filled = round(max(0.0, min(100.0, value)) / 100 * width)
    cells = [full] * filled + [empty] * (width - filled)
    if cut is not None:
        at = min(width - 1, round(cut / 100 * width))
        cells[at] = "|"
    return Text("".join(cells), style="green" if cut is None or value >= cut else "yellow")


def fmt(score: float | None) -> str:
    return "-" if score is None else f"{score:.0f}"


def scorecard_table(
    assessment: Assessment,
    scorecard: Scorecard,
    con: Console,
    previous: Scorecard | None = None,
) -> Table:
    """Competencies grouped by domain: score, cut, bar, status (and change since last time)."""
    table = Table(show_header=True, header_style="bold", expand=False)
    table.add_column("Competency", no_wrap=False, min_width=14)
    table.add_column("Score", justify="right")
    table.add_column("Cut", justify="right")
    table.add_column("0-100", no_wrap=True)
    table.add_column("Status")
    if previous is not None:
        table.add_column("Change", justify="right")
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
                bar(sc.score, sc.cut, width, con),
                Text(STATUS_TEXT[sc.status], style=STATUS_STYLE[sc.status]),
            ]
            if previous is not None:
                row.append(_change(sc.score, _prev_score(previous, comp.id)))
            table.add_row(*row)
    return table


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
    assessment: Assessment,
    modules: Mapping[str, Module],
    scorecard: Scorecard | None = None,
) -> Table:
    """The coaching plan: module, why (which gaps, by how much), minutes."""
    table = Table(show_header=True, header_style="bold")
    table.add_column("#", justify="right")
    table.add_column("Module")
    table.add_column("Why")
    table.add_column("Min", justify="right")
    for n, entry in enumerate(plan, 1):
        module = modules.get(entry.module)
        why = "; ".join(
            f"{printable(assessment.competency(c).name)} {_gap_of(scorecard, c, entry.gap):.0f} below cut"
            for c in entry.competencies
        )
        table.add_row(
            str(n),
            printable(module.title if module else entry.module),
            why,
            str(module.minutes) if module else "?",
        )
    return table


def _gap_of(scorecard: Scorecard | None, competency: str, fallback: float) -> float:
    if scorecard is None:
        return fallback
    try:
        return scorecard.competency(competency).gap
    except KeyError:
        return fallback


def show_result(
    con: Console,
    assessment: Assessment,
    scorecard: Scorecard,
    plan: tuple[PlanEntry, ...],
    modules: Mapping[str, Module],
    previous: Scorecard | None = None,
    heading: str | None = None,
) -> None:
    """The full results screen."""
    con.print(
        Text(printable(heading or f"{assessment.title} - form {scorecard.form}"), style="bold")
    )
    con.print(scorecard_table(assessment, scorecard, con, previous))
    style = {"pass": "bold green", "coaching": "bold yellow", "incomplete": "bold"}[
        scorecard.outcome
    ]
    con.print(Text(OUTCOME_TEXT[scorecard.outcome], style=style))
    if plan:
        total = sum(modules[e.module].minutes for e in plan if e.module in modules)
        con.print(
            Text(f"Coaching plan: {len(plan)} module(s), about {total} minutes", style="bold")
        )
        con.print(plan_table(plan, assessment, modules, scorecard))


def attempts_table(records: Iterable[AttemptRecord]) -> Table:
    """Stored attempts, one row each (``screener results``); every text cell ``printable``."""
    from rich import box

    table = Table(box=box.SIMPLE_HEAD, pad_edge=False, collapse_padding=True, show_edge=False)
    # ids are what people copy into `show` and `report`: never cut them short
    table.add_column("attempt", no_wrap=True, min_width=12)
    table.add_column("candidate", no_wrap=True, overflow="fold")
    table.add_column("name")
    table.add_column("assessment")
    table.add_column("form")
    table.add_column("submitted", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("avg", justify="right")
    table.add_column("modules", justify="right")  # their names: `show`, `export` or --json
    for rec in records:
        table.add_row(
            printable(rec.attempt_id),
            printable(rec.candidate_id),
            printable(rec.name or ""),
            printable(rec.assessment),
            printable(rec.form),
            printable((rec.submitted or "")[:10]),
            printable(rec.outcome or ""),
            fmt(rec.overall),
            str(len(rec.plan_modules)),
        )
    return table
