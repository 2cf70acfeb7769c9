"""The funnel as Markdown or as one self-contained HTML file, for coordinators. Pure.

Both show the same figures (``screener.funnel``): the headline per route, the
core program's time per route against the first route's, every stage's counts,
conversion and days, why people left, the BCG coaching figures and, when given,
the waiting list by region. The HTML holds everything inline (CSS, bars as
plain ``div`` elements; nothing to fetch) and escapes every text from the
program file or the events (names, regions, notes) as ``screener.report`` does.
"""

from __future__ import annotations

from collections.abc import Sequence

from screener.funnel import Funnel, RouteFigures, Spread
from screener.pathway import RegionWaiting
from screener.report import _e, _md


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{100 * value:.0f}%"


def _num(value: float | None) -> str:
    return "-" if value is None else f"{value:.0f}" if value == round(value) else f"{value:.1f}"


def _days(s: Spread) -> str:
    if s.median is None:
        return "-"
    if s.n == 1:
        return _num(s.median)
    return f"{_num(s.median)} ({_num(s.q1)}-{_num(s.q3)})"


def _exits(pairs: Sequence[tuple[str, int]]) -> str:
    return ", ".join(f"{kind} {n}" for kind, n in pairs) or "-"


def _ratio_lines(f: Funnel) -> list[str]:
    """Plain sentences comparing each route's core-program time with the first route's."""
    if not f.routes:
        return []
    base = f.routes[0]
    lines = []
    for figures in f.routes[1:]:
        ratio = f.ratio(figures.route or "")
        if ratio is None:
            lines.append(
                f"{figures.name}: too few people completed the core program to compare "
                f"with {base.name}."
            )
        else:
            lines.append(
                f"{figures.name}: a median {_num(figures.core_days.median)} days from the start "
                f"of the core program to completing it, {ratio:.2f} times the "
                f"{_num(base.core_days.median)} days of {base.name} "
                f"({figures.core_days.n} and {base.core_days.n} people who completed it)."
            )
    return lines


def _headline_rows(f: Funnel) -> list[RouteFigures]:
    return [f.total, *f.routes]


# -- Markdown ----------------------------------------------------------------------


def funnel_markdown(f: Funnel, *, generated: str, waiting: Sequence[RegionWaiting] = ()) -> str:
    since = f" · people who started on or after {f.since.isoformat()}" if f.since else ""
    out = [
        f"# Program funnel: {_md(f.title)}",
        "",
        f"Program {_md(f.program)} · made {_md(generated)}{since}",
        "",
        f"{f.people} people; {f.employers} employers in all"
        + (
            " ("
            + ", ".join(
                f"{_md(r.region)}: {r.employers} employers with {r.seats} seats" for r in f.regions
            )
            + ")"
            if f.regions
            else ""
        )
        + ".",
        "",
        "## Headline",
        "",
        "| Route | People | Entered core | Completed | Rate | Core rate | Core days | Left |",
        "| --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |",
    ]
    for r in _headline_rows(f):
        out.append(
            f"| {_md(r.name)} | {r.people} | {r.entered_core} | {r.completed} | "
            f"{_pct(r.certification_rate)} | {_pct(r.core_completion_rate)} | "
            f"{_days(r.core_days)} | {r.left} |"
        )
    out += ["", *[_md(line) for line in _ratio_lines(f)]]
    for r in _headline_rows(f):
        out += [
            "",
            f"## Stages: {_md(r.name)}",
            "",
            "| Stage | Reached | Now | From prev. | From start | Days: median (quartiles) | Left by |",
            "| --- | ---: | ---: | ---: | ---: | --- | --- |",
        ]
        for s in r.stages:
            out.append(
                f"| {_md(s.name)} | {s.reached} | {s.now} | {_pct(s.from_previous)} | "
                f"{_pct(s.from_start)} | {_days(s.days)} | {_md(_exits(s.exits))} |"
            )
    t = f.total
    out += ["", "## Why people left", ""]
    out += [f"- {_md(reason)}: {n}" for reason, n in t.reasons] or ["Nobody has left."]
    out += [
        "",
        "## BCG coaching",
        "",
        f"{t.bcg.coached} people were given coaching; {t.bcg.passed_after} of them passed a "
        f"later screening, after a median {_num(t.bcg.modules_per_pass.median)} modules.",
        "",
    ]
    out += [f"- {_md(module)}: {n}" for module, n in t.bcg.modules]
    if waiting:
        out += [
            "",
            "## Waiting for an employer",
            "",
            "| Region | Waiting | Open seats | Short | Offer due |",
            "| --- | ---: | ---: | ---: | ---: |",
        ]
        for w in waiting:
            out.append(
                f"| {_md(w.region or '(no region recorded)')} | {len(w.waiting)} | "
                f"{w.open_seats} | {w.short} | {sum(x.offer_due for x in w.waiting)} |"
            )
    out.append("")
    return "\n".join(out)


# -- HTML --------------------------------------------------------------------------

CSS = """
@page { size: A4; margin: 15mm; }
* { box-sizing: border-box; }
body { font-family: "DejaVu Sans", Arial, Helvetica, sans-serif; color: #1a1a1a;
  font-size: 10pt; line-height: 1.4; margin: 0 auto; padding: 12px; max-width: 180mm; }
h1 { font-size: 17pt; margin: 0 0 2px; }
h2 { font-size: 12.5pt; margin: 18px 0 6px; border-bottom: 1px solid #ccc;
  padding-bottom: 2px; break-after: avoid; }
.meta { color: #555; font-size: 9pt; margin: 0 0 10px; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 3px 5px; border-bottom: 1px solid #e3e3e3;
  vertical-align: middle; overflow-wrap: anywhere; }
th { font-size: 8pt; color: #444; overflow-wrap: normal; }
table.stages { table-layout: fixed; }
td.num, th.num { text-align: right; }
tr { break-inside: avoid; }
.bar { position: relative; width: 100%; height: 10px; background: #eceff1; border-radius: 3px; }
.fill { position: absolute; left: 0; top: 0; bottom: 0; background: #1e88e5; border-radius: 3px; }
.small { font-size: 8.5pt; color: #555; }
@media print { body { padding: 0; } }
"""


def _bar(part: int, whole: int) -> str:
    width = 0.0 if not whole else max(0.0, min(100.0, 100.0 * part / whole))
    return (
        f'<div class="bar" role="img" aria-label="{part} of {whole}">'
        f'<div class="fill" style="width:{width:.1f}%"></div></div>'
    )


def funnel_html(f: Funnel, *, generated: str, waiting: Sequence[RegionWaiting] = ()) -> str:
    since = f" · people who started on or after {_e(f.since.isoformat())}" if f.since else ""
    regions = ", ".join(
        f"{_e(r.region)}: {r.employers} employers with {r.seats} seats" for r in f.regions
    )
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        f"<title>Program funnel: {_e(f.title)}</title>",
        f"<style>{CSS}</style></head><body>",
        f"<h1>Program funnel: {_e(f.title)}</h1>",
        f'<p class="meta">Program {_e(f.program)} · made {_e(generated)}{since}</p>',
        f"<p>{f.people} people; {f.employers} employers in all"
        + (f" ({regions})" if regions else "")
        + ".</p>",
        "<h2>Headline</h2>",
        '<table><tr><th>Route</th><th class="num">People</th><th class="num">Entered core</th>'
        '<th class="num">Completed</th><th class="num">Rate</th><th class="num">Core rate</th>'
        '<th>Core days</th><th class="num">Left</th></tr>',
    ]
    for r in _headline_rows(f):
        parts.append(
            f'<tr><td>{_e(r.name)}</td><td class="num">{r.people}</td>'
            f'<td class="num">{r.entered_core}</td><td class="num">{r.completed}</td>'
            f'<td class="num">{_pct(r.certification_rate)}</td>'
            f'<td class="num">{_pct(r.core_completion_rate)}</td>'
            f'<td>{_e(_days(r.core_days))}</td><td class="num">{r.left}</td></tr>'
        )
    parts.append("</table>")
    parts += [f"<p>{_e(line)}</p>" for line in _ratio_lines(f)]
    for r in _headline_rows(f):
        parts += [
            f"<h2>Stages: {_e(r.name)}</h2>",
            '<table class="stages"><colgroup><col style="width:23%"><col style="width:11%">'
            '<col style="width:8%"><col style="width:6%"><col style="width:9%">'
            '<col style="width:8%"><col style="width:14%"><col style="width:21%"></colgroup>',
            '<tr><th>Stage</th><th>Share reached</th><th class="num">Reached</th>'
            '<th class="num">Now</th><th class="num">From prev.</th>'
            '<th class="num">From start</th><th>Days: median (quartiles)</th><th>Left by</th></tr>',
        ]
        for s in r.stages:
            parts.append(
                f"<tr><td>{_e(s.name)}</td><td>{_bar(s.reached, r.people)}</td>"
                f'<td class="num">{s.reached}</td><td class="num">{s.now}</td>'
                f'<td class="num">{_pct(s.from_previous)}</td>'
                f'<td class="num">{_pct(s.from_start)}</td>'
                f"<td>{_e(_days(s.days))}</td><td>{_e(_exits(s.exits))}</td></tr>"
            )
        parts.append("</table>")
    t = f.total
    parts.append("<h2>Why people left</h2>")
    if t.reasons:
        parts.append("<ul>")
        parts += [f"<li>{_e(reason)}: {n}</li>" for reason, n in t.reasons]
        parts.append("</ul>")
    else:
        parts.append("<p>Nobody has left.</p>")
    parts += [
        "<h2>BCG coaching</h2>",
        f"<p>{t.bcg.coached} people were given coaching; {t.bcg.passed_after} of them passed "
        f"a later screening, after a median {_e(_num(t.bcg.modules_per_pass.median))} modules.</p>",
    ]
    if t.bcg.modules:
        parts.append("<ul>")
        parts += [f"<li>{_e(module)}: {n}</li>" for module, n in t.bcg.modules]
        parts.append("</ul>")
    if waiting:
        parts += [
            "<h2>Waiting for an employer</h2>",
            '<table><tr><th>Region</th><th class="num">Waiting</th>'
            '<th class="num">Open seats</th><th class="num">Short</th>'
            '<th class="num">Offer due</th></tr>',
        ]
        for w in waiting:
            parts.append(
                f"<tr><td>{_e(w.region or '(no region recorded)')}</td>"
                f'<td class="num">{len(w.waiting)}</td><td class="num">{w.open_seats}</td>'
                f'<td class="num">{w.short}</td>'
                f'<td class="num">{sum(x.offer_due for x in w.waiting)}</td></tr>'
            )
        parts.append("</table>")
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"


__all__ = ["funnel_html", "funnel_markdown"]
