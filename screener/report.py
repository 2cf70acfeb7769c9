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
from screener.messages import plural, text
from screener.terminal import printable

if TYPE_CHECKING:  # the store package imports tinydb; a report reads the content it
    # names through what the models and their views share (``screener.views``)
    from screener.store import AttemptRecord, Candidate, Progress
    from screener.views import AssessmentInfo, ModuleInfo

#: The message ids (screener/messages.py) of each outcome's headline and next step,
#: and of each status in words.
OUTCOME_HEADLINE = {
    "pass": "report.headline.pass",
    "coaching": "report.headline.coaching",
    "incomplete": "report.headline.incomplete",
}
OUTCOME_NEXT = {
    "pass": "report.next.pass",
    "coaching": "report.next.coaching",
    "incomplete": "report.next.incomplete",
}
STATUS_WORDS = {
    "meets": "report.status.meets",
    "below": "report.status.below",
    "borderline": "report.status.borderline",
    "incomplete": "report.status.incomplete",
}
STRENGTHS = 3
#: The history table's headings (message ids), the Average column apart.
_HISTORY_HEADS = ("report.col.date", "report.col.screening", "report.col.form", "report.col.result")


@dataclass(frozen=True)
class ReportData:
    """Everything a report shows; the CLI gathers it from the store and the catalog."""

    candidate: Candidate
    attempts: Sequence[AttemptRecord]  # submitted ones, oldest first
    progress: Sequence[Progress]
    assessments: Mapping[str, AssessmentInfo]  # the models, or their views
    modules: Mapping[str, ModuleInfo]
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
        words = text(STATUS_WORDS[self.status])
        if self.status == "borderline" and self.interval is not None:
            return text(
                "report.status_with_interval", status=words, interval=interval_words(self.interval)
            )
        return words


def interval_words(interval: tuple[float, float]) -> str:
    """A score interval in plain words: ``between 58 and 79 out of 100``."""
    low, high = interval
    return text("report.interval", low=low, high=high)


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
        return text("report.not_started")
    p = found[0]
    if p.completed:
        check = text("report.check_score", score=p.check_score) if p.check_score is not None else ""
        return text("report.completed_on", date=p.completed[:10]) + check
    lessons = len(data.modules[module].lessons) if module in data.modules else None
    seen = len(p.lessons)
    total = lessons if lessons is not None else seen
    of = text("report.lessons_of", total=lessons) if lessons is not None else ""
    return plural("report.lessons_viewed", total, seen=seen, of=of)


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
        "# " + text("report.title", name=_md(c.name)),
        "",
        text("report.meta", id=_md(c.id), date=_md(data.generated)),
    ]
    latest = data.latest
    if latest is None:
        out += ["", text("report.no_attempts"), ""]
        return "\n".join(out)
    comps = _competencies(data, latest)
    outcome = latest.outcome or "incomplete"
    out += [
        "",
        "## " + text("report.your_result"),
        "",
        f"**{text(OUTCOME_HEADLINE[outcome])}** ("
        + text(
            "report.result_line",
            title=_md(_title(data, latest)),
            form=_md(latest.form),
            date=_md(_date(latest.submitted)),
        )
        + ")",
        "",
        text(OUTCOME_NEXT[outcome]),
        "",
        "## " + text("report.your_competencies"),
        "",
        text("report.bar_note_md"),
        "",
        f"| {text('report.col.competency')} | {text('report.col.score')} | "
        f"{text('report.col.needed')} | | {text('report.col.result')} |",
        "| --- | ---: | ---: | --- | --- |",
    ]
    for comp in comps:
        out.append(
            f"| {_md(comp.name)} | {_score(comp.score)} | {comp.cut:.0f} | "
            f"`{text_bar(comp.score, comp.cut)}` | {comp.result} |"
        )
    strengths = _strengths(comps)
    out += ["", "## " + text("report.your_strengths"), ""]
    if strengths:
        out += [
            f"- **{_md(s.name)}**: {_score(s.score)} {text('report.needed', cut=s.cut)}"
            for s in strengths
        ]
    else:
        out.append(text("report.no_strengths"))
    required = [row for row in latest.plan_table if row[3]]
    recommended = [row for row in latest.plan_table if not row[3]]
    out += ["", "## " + text("report.your_plan"), ""]
    if not required:
        out.append(text("report.no_coaching"))
    out += _md_modules(data, latest, required)
    if recommended:
        out += ["", "### " + text("report.recommended"), "", text("report.recommended_intro"), ""]
        out += _md_modules(data, latest, recommended, start=len(required) + 1)
    heads = (*_HISTORY_HEADS, "report.col.average")
    out += ["", "## " + text("report.history"), ""]
    out.append("| " + " | ".join(text(h) for h in heads) + " |")
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
        reason = text("report.reason_close")
        if row[3]:
            k = index.get(cid)
            score = attempt.scores[k] if k is not None else None
            gap = attempt.layout.cuts[k] - score if k is not None and score is not None else row[2]
            points = round(gap)
            reason = plural("report.reason_below", points)
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
        minutes = text("report.minutes", minutes=module.minutes if module else "?")
        out += [f"{n}. **{_md(title)}** ({minutes})"]
        if module is not None:
            out.append(f"   {_md(module.summary)}")
        out += [
            "   " + text("report.for", why=why or "-"),
            "   " + text("report.progress", progress=_md(_progress_text(data, module_id))),
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
    label = text("report.bar_label", score=_score(score), cut=cut)
    return (
        f'<div class="bar" role="img" aria-label="{_e(label)}">'
        f'<div class="fill {_e(status)}" style="width:{width:.1f}%"></div>'
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
        minutes = text("report.minutes", minutes=module.minutes) if module is not None else ""
        why = ", ".join(f"{name} ({reason})" for name, reason in _why(data, attempt, row))
        parts.append(
            f"<li><strong>{_e(title)}</strong> <span class='small'>{_e(minutes)}</span>"
            + (f"<br>{_e(module.summary)}" if module is not None else "")
            + f"<br><span class='small'>{_e(text('report.for', why=why))}"
            f" {_e(text('report.progress', progress=_progress_text(data, module_id)))}</span></li>"
        )
    parts.append("</ol>")
    return parts


def html_report(data: ReportData) -> str:
    c = data.candidate
    parts = [
        "<!DOCTYPE html>",
        f'<html lang="{text("report.html_lang")}"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>{_e(text('report.title', name=c.name))}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>{_e(text('report.title', name=c.name))}</h1>",
        f'<p class="meta">{_e(text("report.meta", id=c.id, date=data.generated))}</p>',
    ]
    latest = data.latest
    if latest is None:
        parts += [f"<p>{_e(text('report.no_attempts'))}</p>", "</body></html>"]
        return "\n".join(parts) + "\n"
    comps = _competencies(data, latest)
    outcome = latest.outcome or "incomplete"
    parts += [
        f"<h2>{_e(text('report.your_result'))}</h2>",
        f'<div class="outcome {_e(outcome)}"><strong>{_e(text(OUTCOME_HEADLINE[outcome]))}</strong>',
        '<p class="small">'
        + _e(
            text(
                "report.result_line",
                title=_title(data, latest),
                form=latest.form,
                date=_date(latest.submitted),
            )
        )
        + "</p>",
        f"<p>{_e(text(OUTCOME_NEXT[outcome]))}</p></div>",
        f"<h2>{_e(text('report.your_competencies'))}</h2>",
        f'<p class="small">{_e(text("report.bar_note_html"))}</p>',
        '<table><colgroup><col style="width:34%"><col style="width:9%"><col style="width:10%">'
        '<col style="width:29%"><col style="width:18%"></colgroup>',
        f"<tr><th>{_e(text('report.col.competency'))}</th>"
        f'<th class="num">{_e(text("report.col.score"))}</th>'
        f'<th class="num">{_e(text("report.col.needed"))}</th>'
        f"<th>0 - 100</th><th>{_e(text('report.col.result'))}</th></tr>",
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
    parts.append(f"<h2>{_e(text('report.your_strengths'))}</h2>")
    if strengths:
        parts.append("<ul>")
        parts += [
            f"<li><strong>{_e(s.name)}</strong>: {_score(s.score)} "
            f"{_e(text('report.needed', cut=s.cut))}</li>"
            for s in strengths
        ]
        parts.append("</ul>")
    else:
        parts.append(f"<p>{_e(text('report.no_strengths'))}</p>")
    parts.append(f"<h2>{_e(text('report.your_plan'))}</h2>")
    required = [row for row in latest.plan_table if row[3]]
    recommended = [row for row in latest.plan_table if not row[3]]
    if not required:
        parts.append(f"<p>{_e(text('report.no_coaching'))}</p>")
    else:
        parts += _html_modules(data, latest, required)
    if recommended:
        parts += [
            f"<h3>{_e(text('report.recommended'))}</h3>",
            f"<p>{_e(text('report.recommended_intro'))}</p>",
        ]
        parts += _html_modules(data, latest, recommended, start=len(required) + 1)
    parts += [
        f"<h2>{_e(text('report.history'))}</h2>",
        "<table><tr>"
        + "".join(f"<th>{_e(text(h))}</th>" for h in _HISTORY_HEADS)
        + f'<th class="num">{_e(text("report.col.average"))}</th></tr>',
    ]
    for rec in reversed(data.attempts):
        parts.append(
            f"<tr><td>{_e(_date(rec.submitted))}</td><td>{_e(_title(data, rec))}</td>"
            f"<td>{_e(rec.form)}</td><td>{_e(rec.outcome or '-')}</td>"
            f'<td class="num">{_score(rec.overall)}</td></tr>'
        )
    parts += ["</table>", "</body></html>"]
    return "\n".join(parts) + "\n"
