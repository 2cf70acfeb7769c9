"""A candidate-facing report as Markdown or as one self-contained, printable HTML file. Pure.

Plain language, second person: the outcome and what happens next, every
competency with a bar and its cut (a borderline one "close to the level",
with its score interval in words), strengths (competencies met, highest
first), the coaching plan with each module's summary and the candidate's
progress in it (required modules, then recommended ones apart), and the
history of their attempts.

The HTML holds everything inline (CSS, bars as plain ``div`` elements; no
scripts, fonts or images to fetch), fits A4 (``@page size: A4``; content at
most 180 mm wide, the page less 15 mm margins) and escapes every text that
comes from content or the database.
"""

from __future__ import annotations

import html
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from screener.bars import text_bar
from screener.coaching import PlanRow
from screener.content import Assessment, Module
from screener.terminal import printable

if TYPE_CHECKING:  # the store package imports tinydb; reports only need its types
    from screener.store import AttemptRecord, Candidate, Progress

OUTCOME_HEADLINE = {
    "pass": "You passed the screening.",
    "coaching": "You are on your way: a few areas need coaching first.",
    "incomplete": "Your screening is incomplete.",
}
OUTCOME_NEXT = {
    "pass": "Next step: an interview with the employer, then the core training program.",
    "coaching": (
        "Next step: work through the coaching modules below, one for each area below "
        "the level needed. Then take the screening again on a new form."
    ),
    "incomplete": (
        "Too few questions were answered to score every area. Please finish the "
        "screening or take it again."
    ),
}
STATUS_WORDS = {
    "meets": "meets the level",
    "below": "below the level",
    "borderline": "close to the level",
    "incomplete": "not scored",
}
STRENGTHS = 3
RECOMMENDED_INTRO = (
    "Your score is close to the level needed in these areas, so it could be on either "
    "side of it. These modules are recommended, not required:"
)


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows; the CLI gathers it from the store and the catalog."""

    candidate: Candidate
    attempts: Sequence[AttemptRecord]  # submitted ones, oldest first
    progress: Sequence[Progress]
    assessments: Mapping[str, Assessment]
    modules: Mapping[str, Module]
    generated: str  # e.g. "2024-05-01"

    @property
    def latest(self) -> AttemptRecord | None:
        return self.attempts[-1] if self.attempts else None


@dataclass(frozen=True)
class _Comp:
    name: str
    score: float | None
    cut: float
    status: str
    interval: tuple[float, float] | None = None

    @property
    def result(self) -> str:
        """The status in words; a borderline one with its interval in plain words."""
        words = STATUS_WORDS[self.status]
        if self.status == "borderline" and self.interval is not None:
            return f"{words} ({interval_words(self.interval)})"
        return words


def interval_words(interval: tuple[float, float]) -> str:
    """A score interval in plain words: ``between 58 and 79 out of 100``."""
    low, high = interval
    return f"between {low:.0f} and {high:.0f} out of 100"


def _competencies(data: ReportData, attempt: AttemptRecord) -> list[_Comp]:
    model = data.assessments.get(attempt.assessment)
    names = {c.id: c.name for c in model.competencies} if model is not None else {}
    return [
        _Comp(names.get(cid, cid), score, cut, status, interval)
        for cid, score, cut, status, interval in zip(
            attempt.layout.competencies,
            attempt.scores,
            attempt.layout.cuts,
            attempt.statuses,
            attempt.intervals,
            strict=True,
        )
    ]


def _strengths(comps: list[_Comp]) -> list[_Comp]:
    met = [c for c in comps if c.status == "meets" and c.score is not None]
    return sorted(met, key=lambda c: -(c.score or 0.0))[:STRENGTHS]


def _title(data: ReportData, attempt: AttemptRecord) -> str:
    model = data.assessments.get(attempt.assessment)
    return model.title if model is not None else attempt.assessment


def _progress_text(data: ReportData, module: str) -> str:
    found = [p for p in data.progress if p.module == module]
    if not found:
        return "not started yet"
    p = found[0]
    if p.completed:
        check = f", check score {p.check_score:.0f}%" if p.check_score is not None else ""
        return f"completed on {p.completed[:10]}{check}"
    lessons = len(data.modules[module].lessons) if module in data.modules else None
    seen = len(p.lessons)
    total = lessons if lessons is not None else seen
    of = f" of {lessons}" if lessons is not None else ""
    return f"{seen}{of} lesson{'' if total == 1 else 's'} viewed"


def _date(stamp: str | None) -> str:
    return stamp[:10] if stamp else "-"


def _score(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}"


#: Characters with a meaning in Markdown or HTML where a name or id can stand (mid-line,
#: table cells): each gets a backslash, CommonMark's escape for any ASCII punctuation.
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#&~])")


def _md(text: str) -> str:
    """Text from the database or content, safe inside Markdown prose and table cells:
    one line, control characters shown as escapes, Markdown and HTML characters
    escaped (an id like ``<img/src=x/onerror=…>`` stays text)."""
    return _MD_SPECIAL.sub(r"\\\1", printable(" ".join(text.split())))


# -- Markdown ----------------------------------------------------------------------


def markdown_report(data: ReportData) -> str:
    c = data.candidate
    out = [
        f"# Screening report: {_md(c.name)}",
        "",
        f"Candidate id {_md(c.id)} · made {_md(data.generated)}",
    ]
    latest = data.latest
    if latest is None:
        out += ["", "There are no submitted screenings yet.", ""]
        return "\n".join(out)
    comps = _competencies(data, latest)
    outcome = latest.outcome or "incomplete"
    out += [
        "",
        "## Your result",
        "",
        f"**{OUTCOME_HEADLINE[outcome]}** ({_md(_title(data, latest))}, form {_md(latest.form)}, "
        f"{_md(_date(latest.submitted))})",
        "",
        OUTCOME_NEXT[outcome],
        "",
        "## Your competencies",
        "",
        "Each bar runs from 0 to 100; `|` marks the level needed.",
        "",
        "| Competency | Score | Needed | | Result |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for comp in comps:
        out.append(
            f"| {_md(comp.name)} | {_score(comp.score)} | {comp.cut:.0f} | "
            f"`{text_bar(comp.score, comp.cut)}` | {comp.result} |"
        )
    strengths = _strengths(comps)
    out += ["", "## Your strengths", ""]
    if strengths:
        out += [f"- **{_md(s.name)}**: {_score(s.score)} (needed {s.cut:.0f})" for s in strengths]
    else:
        out.append("No area reached the level needed yet; the coaching plan below helps with that.")
    required = [row for row in latest.plan_table if row[3]]
    recommended = [row for row in latest.plan_table if not row[3]]
    out += ["", "## Your coaching plan", ""]
    if not required:
        out.append("No coaching is needed.")
    out += _md_modules(data, latest, required)
    if recommended:
        out += ["", "### Recommended", "", RECOMMENDED_INTRO, ""]
        out += _md_modules(data, latest, recommended, start=len(required) + 1)
    out += ["", "## Your screenings so far", "", "| Date | Screening | Form | Result | Average |"]
    out.append("| --- | --- | --- | --- | ---: |")
    for rec in reversed(data.attempts):
        out.append(
            f"| {_md(_date(rec.submitted))} | {_md(_title(data, rec))} | {_md(rec.form)} | "
            f"{_md(rec.outcome or '-')} | {_score(rec.overall)} |"
        )
    out.append("")
    return "\n".join(out)


def _why(data: ReportData, attempt: AttemptRecord, row: PlanRow) -> list[tuple[str, str]]:
    """Why a module is in the plan: (competency, reason) for each competency it coaches,
    each with its own gap ("below the level by 1 point", "… by 48 points")."""
    index = {cid: k for k, cid in enumerate(attempt.layout.competencies)}
    out: list[tuple[str, str]] = []
    for cid in row[1]:
        reason = "close to the level needed"
        if row[3]:
            k = index.get(cid)
            score = attempt.scores[k] if k is not None else None
            gap = (
                attempt.layout.cuts[k] - score
                if k is not None and score is not None
                else row[2]
            )
            points = round(gap)
            reason = f"below the level by {points} point{'' if points == 1 else 's'}"
        out.append((_comp_name(data, attempt, cid), reason))
    return out


def _md_modules(
    data: ReportData, attempt: AttemptRecord, rows: list[PlanRow], start: int = 1
) -> list[str]:
    out: list[str] = []
    for n, row in enumerate(rows, start):
        module_id = row[0]
        module = data.modules.get(module_id)
        title = module.title if module is not None else module_id
        why = ", ".join(f"{_md(name)} ({reason})" for name, reason in _why(data, attempt, row))
        out += [f"{n}. **{_md(title)}** ({module.minutes if module else '?'} minutes)"]
        if module is not None:
            out.append(f"   {_md(module.summary)}")
        out += [
            f"   For: {why or '-'}.",
            f"   Progress: {_md(_progress_text(data, module_id))}.",
        ]
    return out


def _comp_name(data: ReportData, attempt: AttemptRecord, cid: str) -> str:
    model = data.assessments.get(attempt.assessment)
    if model is not None:
        for comp in model.competencies:
            if comp.id == cid:
                return comp.name
    return cid


# -- HTML --------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 15mm; }
* { box-sizing: border-box; }
html { background: #fff; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1a1a1a;
  font-size: 11pt; line-height: 1.45; margin: 0 auto; padding: 12px; max-width: 180mm; }
h1 { font-size: 18pt; margin: 0 0 2px; }
h3 { font-size: 11.5pt; margin: 12px 0 4px; break-after: avoid; }
h2 { font-size: 13pt; margin: 18px 0 6px; border-bottom: 1px solid #ccc; padding-bottom: 2px;
  break-after: avoid; }
.meta { color: #555; font-size: 9pt; margin: 0 0 10px; }
.outcome { border-radius: 6px; padding: 10px 12px; margin: 8px 0; border: 1px solid; }
.outcome.pass { background: #e8f5e9; border-color: #66bb6a; }
.outcome.coaching { background: #fff8e1; border-color: #ffb300; }
.outcome.incomplete { background: #f1f1f1; border-color: #999; }
.outcome p { margin: 4px 0 0; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th, td { text-align: left; padding: 4px 6px; border-bottom: 1px solid #e3e3e3;
  vertical-align: middle; overflow-wrap: anywhere; }
th { font-size: 9pt; color: #444; }
td.num, th.num { text-align: right; }
tr { break-inside: avoid; }
.bar { position: relative; display: inline-block; width: 100%; height: 12px;
  background: #eceff1; border-radius: 3px; vertical-align: middle; }
.fill { position: absolute; left: 0; top: 0; bottom: 0; border-radius: 3px; }
.fill.meets { background: #43a047; } .fill.below { background: #fb8c00; }
.fill.borderline { background: #fdd835; } .fill.incomplete { background: #bdbdbd; }
.cut { position: absolute; top: -3px; bottom: -3px; width: 2px; background: #222; }
.status.meets { color: #2e7d32; } .status.below { color: #b45f06; }
.status.borderline { color: #7a6200; } .status.incomplete { color: #666; }
ol.plan { padding-left: 20px; } ol.plan li { margin: 0 0 8px; break-inside: avoid; }
.small { font-size: 9pt; color: #555; }
@media print { body { padding: 0; } }
"""


def _e(text: object) -> str:
    """Text for HTML: ``& < > " '`` as entities, control characters shown as escapes."""
    return html.escape(printable(str(text)), quote=True)


def _html_bar(score: float | None, cut: float, status: str) -> str:
    width = 0.0 if score is None else max(0.0, min(100.0, score))
    return (
        f'<div class="bar" role="img" aria-label="{_e(_score(score))} of 100, '
        f'needed {cut:.0f}"><div class="fill {_e(status)}" style="width:{width:.1f}%"></div>'
        f'<div class="cut" style="left:calc({max(0.0, min(100.0, cut)):.1f}% - 1px)"></div></div>'
    )


def _html_modules(
    data: ReportData, attempt: AttemptRecord, rows: list[PlanRow], start: int = 1
) -> list[str]:
    parts = [f'<ol class="plan" start="{start}">']
    for row in rows:
        module_id = row[0]
        module = data.modules.get(module_id)
        title = module.title if module is not None else module_id
        minutes = f"{module.minutes} minutes" if module is not None else ""
        why = ", ".join(f"{name} ({reason})" for name, reason in _why(data, attempt, row))
        parts.append(
            f"<li><strong>{_e(title)}</strong> <span class='small'>{_e(minutes)}</span>"
            + (f"<br>{_e(module.summary)}" if module is not None else "")
            + f"<br><span class='small'>For: {_e(why)}."
            f" Progress: {_e(_progress_text(data, module_id))}.</span></li>"
        )
    parts.append("</ol>")
    return parts


def html_report(data: ReportData) -> str:
    c = data.candidate
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Screening report: {_e(c.name)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Screening report: {_e(c.name)}</h1>",
        f'<p class="meta">Candidate id {_e(c.id)} · made {_e(data.generated)}</p>',
    ]
    latest = data.latest
    if latest is None:
        parts += ["<p>There are no submitted screenings yet.</p>", "</body></html>"]
        return "\n".join(parts) + "\n"
    comps = _competencies(data, latest)
    outcome = latest.outcome or "incomplete"
    parts += [
        "<h2>Your result</h2>",
        f'<div class="outcome {_e(outcome)}"><strong>{_e(OUTCOME_HEADLINE[outcome])}</strong>',
        f'<p class="small">{_e(_title(data, latest))}, form {_e(latest.form)}, '
        f"{_e(_date(latest.submitted))}</p>",
        f"<p>{_e(OUTCOME_NEXT[outcome])}</p></div>",
        "<h2>Your competencies</h2>",
        '<p class="small">Each bar runs from 0 to 100; the black line marks the level needed.</p>',
        '<table><colgroup><col style="width:34%"><col style="width:9%"><col style="width:10%">'
        '<col style="width:29%"><col style="width:18%"></colgroup>',
        '<tr><th>Competency</th><th class="num">Score</th><th class="num">Needed</th>'
        "<th>0 - 100</th><th>Result</th></tr>",
    ]
    for comp in comps:
        parts.append(
            f'<tr><td>{_e(comp.name)}</td><td class="num">{_score(comp.score)}</td>'
            f'<td class="num">{comp.cut:.0f}</td>'
            f"<td>{_html_bar(comp.score, comp.cut, comp.status)}</td>"
            f'<td class="status {_e(comp.status)}">{_e(comp.result)}</td></tr>'
        )
    parts.append("</table>")
    strengths = _strengths(comps)
    parts.append("<h2>Your strengths</h2>")
    if strengths:
        parts.append("<ul>")
        parts += [
            f"<li><strong>{_e(s.name)}</strong>: {_score(s.score)} (needed {s.cut:.0f})</li>"
            for s in strengths
        ]
        parts.append("</ul>")
    else:
        parts.append(
            "<p>No area reached the level needed yet; the coaching plan below helps with that.</p>"
        )
    parts.append("<h2>Your coaching plan</h2>")
    required = [row for row in latest.plan_table if row[3]]
    recommended = [row for row in latest.plan_table if not row[3]]
    if not required:
        parts.append("<p>No coaching is needed.</p>")
    else:
        parts += _html_modules(data, latest, required)
    if recommended:
        parts += ["<h3>Recommended</h3>", f"<p>{_e(RECOMMENDED_INTRO)}</p>"]
        parts += _html_modules(data, latest, recommended, start=len(required) + 1)
    parts += [
        "<h2>Your screenings so far</h2>",
        "<table><tr><th>Date</th><th>Screening</th><th>Form</th><th>Result</th>"
        '<th class="num">Average</th></tr>',
    ]
    for rec in reversed(data.attempts):
        parts.append(
            f"<tr><td>{_e(_date(rec.submitted))}</td><td>{_e(_title(data, rec))}</td>"
            f"<td>{_e(rec.form)}</td><td>{_e(rec.outcome or '-')}</td>"
            f'<td class="num">{_score(rec.overall)}</td></tr>'
        )
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts) + "\n"
