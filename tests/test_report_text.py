"""report.py on its own: a borderline competency in plain words, recommended modules apart."""

from __future__ import annotations

from pathlib import Path

from content_fixtures import load_assessment

from screener.coaching import build_plan
from screener.content import Assessment, Module
from screener.report import ReportData, html_report, interval_words, markdown_report
from screener.scoring import score_form
from screener.store import Layout, Progress, Store


def _six() -> Assessment:
    a = load_assessment("measure/sixitem.yaml")
    assert a.decision.borderline is not None
    comps = [
        a.competencies[0].model_copy(update={"modules": ["reasoning-101"]}),
        a.competencies[1].model_copy(update={"modules": ["teamwork-101"]}),
    ]
    rule = a.decision.borderline.model_copy(update={"action": "recommend"})
    decision = a.decision.model_copy(update={"borderline": rule})
    return a.model_copy(update={"competencies": comps, "decision": decision})


def _module(module_id: str, title: str) -> Module:
    return Module.model_validate(
        {
            "id": module_id,
            "title": title,
            "summary": f"About {title.lower()}.",
            "competencies": [],
            "minutes": 20,
            "objectives": ["o"],
            "lessons": [{"id": "l1", "title": "L", "body": "b"}],
            "check": {
                "pass_mark": 50,
                "items": [
                    {
                        "id": "q",
                        "prompt": "p",
                        "options": [{"id": "a", "label": "A"}, {"id": "b", "label": "B"}],
                        "key": "a",
                    }
                ],
            },
        }
    )


def _data(tmp_path: Path, right: int, ratings: list[int]) -> tuple[ReportData, object]:
    a = _six()
    answers: dict[str, object] = {f"re-a{k}": "a" if k <= right else "b" for k in range(1, 7)}
    answers.update({f"tw-a{k}": r for k, r in enumerate(ratings, 1)})
    card = score_form(a, answers, "A")  # type: ignore[arg-type]
    plan = build_plan(a, card)
    store = Store(tmp_path / "db.json")
    person = store.add_candidate("Robin Close")
    store.save_attempt(person.id, card, plan, answers, Layout.of(a, "A"))  # type: ignore[arg-type]
    data = ReportData(
        candidate=person,
        attempts=store.attempts(candidate=person.id),
        progress=[],
        assessments={a.id: a},
        modules={
            "reasoning-101": _module("reasoning-101", "Reasoning basics"),
            "teamwork-101": _module("teamwork-101", "Working in a crew"),
        },
        generated="2026-01-02",
    )
    return data, card


def test_interval_words() -> None:
    assert interval_words((58.3, 79.4)) == "between 58 and 79 out of 100"


def test_a_borderline_competency_is_close_to_the_level_with_its_interval(
    tmp_path: Path,
) -> None:
    data, card = _data(tmp_path, right=4, ratings=[2, 2, 2, 2])
    reasoning = card.competency("reasoning")  # type: ignore[attr-defined]
    assert reasoning.status == "borderline" and reasoning.interval is not None
    teamwork = card.competency("teamwork")  # type: ignore[attr-defined]
    assert teamwork.status == "below"
    words = interval_words(reasoning.interval)
    md = markdown_report(data)
    assert f"close to the level ({words})" in md
    assert "below the level |" in md
    plan = md[md.index("## Your coaching plan") : md.index("## Your screenings so far")]
    required, recommended = plan.split("### Recommended")
    assert "Working in a crew" in required and "Reasoning basics" not in required
    assert "Reasoning basics" in recommended and "recommended, not required" in recommended
    assert "close to the level needed" in recommended
    assert "2. **Reasoning basics**" in recommended  # numbering goes on after the required
    html = html_report(data)
    assert f"close to the level ({words})" in html
    assert "<h3>Recommended</h3>" in html and '<ol class="plan" start="2">' in html
    assert 'class="status borderline"' in html and 'class="fill borderline"' in html


def test_a_pass_with_a_recommendation_needs_no_coaching(tmp_path: Path) -> None:
    data, card = _data(tmp_path, right=4, ratings=[5, 5, 5, 5])
    assert card.outcome == "pass"  # type: ignore[attr-defined]
    md = markdown_report(data)
    assert "No coaching is needed." in md
    assert "### Recommended" in md and "1. **Reasoning basics**" in md


def test_the_content_views_give_the_same_report_and_screen_as_the_models(
    tmp_path: Path,
) -> None:
    """``report`` and ``show`` render the content's views (``screener.views``), read back
    without pydantic: the same bytes as rendering the models themselves."""
    import io
    from dataclasses import replace

    from rich.console import Console

    from screener.render import attempt_screen, show_result
    from screener.views import content_views

    data, card = _data(tmp_path, right=4, ratings=[2, 2, 2, 2])
    started = Progress(
        data.candidate.id, "teamwork-101", None, "2026-01-01", "2026-01-01", None, None, ("l1",)
    )
    data = replace(data, progress=[started])  # a started module: its lessons are counted
    views = content_views(data.assessments, data.modules)
    viewed = replace(data, assessments=views.assessments, modules=views.modules)
    assert viewed.assessments != data.assessments  # views, not the models
    assert markdown_report(viewed) == markdown_report(data)
    assert html_report(viewed) == html_report(data)
    assert "1 of 1 lesson viewed" in markdown_report(viewed)

    def screen(content: object, assessment: object) -> str:
        out = io.StringIO()
        con = Console(file=out, width=100, no_color=True)
        record = data.attempts[-1]
        attempt_screen(con, content, record, None)  # type: ignore[arg-type]
        show_result(con, assessment, card, record.plan, content.modules)  # type: ignore[arg-type,attr-defined]
        return out.getvalue()

    model = next(iter(data.assessments.values()))
    shown = screen(views, views.assessments[model.id])
    assert "Reasoning basics" in shown
    assert shown == screen(data, model)
