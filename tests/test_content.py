"""The bundled screening and coaching modules: coverage, parallel forms, readability, plans."""

from __future__ import annotations

import re
from collections import Counter
from pathlib import Path

import pytest
import textstat
from helpers import ROOT

from screener.catalog import Catalog, load_catalog
from screener.coaching import build_plan
from screener.content import AnyItem, Assessment, ChoiceItem, JudgementItem, LikertItem, Module
from screener.scoring import Answer, score_form

GRADE_LIMIT = 8.0
SCREENING = "wblc-screening"
MODULE_IDS = {
    "interviewing",
    "analytical-thinking",
    "problem-solving",
    "safety",
    "spatial-visualization",
    "basic-math",
    "verbal-communication",
    "detail-orientation",
    "reliability",
    "stress-management",
}


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def screening(catalog: Catalog) -> Assessment:
    return catalog.assessment(SCREENING)


def test_bundled_content_is_what_the_pilot_names(catalog: Catalog, screening: Assessment) -> None:
    assert set(catalog.modules) == MODULE_IDS
    assert screening.form_names() == ["A", "B"]
    domains = Counter(c.domain for c in screening.competencies)
    assert domains["cognitive"] >= 4
    ids = {c.id for c in screening.competencies}
    assert {"energy", "focus"} <= ids and {"friendliness", "teamwork"} <= ids
    assert {"planning", "problem_solving", "safety_focus", "oral_communication"} <= ids


def counts(a: Assessment, form: str) -> Counter[str]:
    return Counter(i.competency for i in a.form_items(form))


@pytest.mark.parametrize("form", ["A", "B"])
def test_each_form_covers_every_competency_with_enough_items(
    screening: Assessment, form: str
) -> None:
    per = counts(screening, form)
    for comp in screening.competencies:
        items = [i for i in screening.form_items(form) if i.competency == comp.id]
        if comp.domain == "cognitive":
            assert per[comp.id] >= 6 and all(i.kind in ("choice", "numeric") for i in items), (
                comp.id
            )
        elif comp.domain in ("personal", "relational"):
            assert per[comp.id] >= 6 and all(isinstance(i, LikertItem) for i in items), comp.id
            scale = {
                (screening.scale_of(i).min, screening.scale_of(i).max)
                for i in items
                if isinstance(i, LikertItem)
            }
            assert scale == {(1, 5)}
            reversed_ = sum(1 for i in items if isinstance(i, LikertItem) and i.reverse)
            assert reversed_ * 3 >= len(items), comp.id
        else:
            assert per[comp.id] >= 5 and all(isinstance(i, JudgementItem) for i in items), comp.id


def test_forms_are_parallel(screening: Assessment) -> None:
    a, b = screening.form_items("A"), screening.form_items("B")
    assert counts(screening, "A") == counts(screening, "B")
    assert not {i.id for i in a} & {i.id for i in b}
    prompts = [i.prompt.strip().lower() for i in screening.items]
    assert len(prompts) == len(set(prompts)), "a prompt is repeated"
    kinds_a = Counter((i.competency, i.kind) for i in a)
    assert kinds_a == Counter((i.competency, i.kind) for i in b)
    rev = Counter(i.competency for i in a if isinstance(i, LikertItem) and i.reverse)
    assert rev == Counter(i.competency for i in b if isinstance(i, LikertItem) and i.reverse)


def test_every_module_is_reachable_and_covers_what_maps_to_it(
    catalog: Catalog, screening: Assessment
) -> None:
    mapped: dict[str, set[str]] = {}
    for comp in screening.competencies:
        assert comp.modules, f"{comp.id} maps to no module"
        for m in comp.modules:
            mapped.setdefault(m, set()).add(comp.id)
    assert set(mapped) == MODULE_IDS
    for module in catalog.modules.values():
        assert set(module.competencies) == mapped[module.id], module.id


def test_modules_meet_the_brief(catalog: Catalog) -> None:
    for m in catalog.modules.values():
        assert 20 <= m.minutes <= 60, m.id
        assert len(m.lessons) >= 3, m.id
        assert m.examples, m.id
        assert len(m.practice) >= 5, m.id
        for q in m.practice:
            assert all(o.feedback for o in q.options if o.id != q.key), (m.id, q.id)
        assert m.check.items and 0 < m.check.pass_mark <= 100, m.id


def test_judgement_items_have_best_acceptable_poor(screening: Assessment) -> None:
    for item in screening.items:
        if isinstance(item, JudgementItem):
            points = sorted({o.points for o in item.options})
            assert len(points) >= 3 or (len(points) == 2 and len(item.options) >= 3), item.id


def plain(markdown: str) -> str:
    """Markdown to sentences for a readability formula.

    Wrapped lines of a paragraph are joined back; a list item, heading or option
    label without a full stop still counts as one sentence, as a reader takes it.
    """
    units: list[str] = []
    for block in re.split(r"\n\s*\n", markdown):
        current: list[str] = []
        for line in block.splitlines():
            stripped = line.strip()
            marker = re.match(r"^([-*+]|\d+[.)]|#+)\s+", stripped)
            if marker:
                units.append(" ".join(current))
                current = [stripped[marker.end() :]]
            elif stripped:
                current.append(stripped)
        units.append(" ".join(current))
    cleaned = (re.sub(r"[`*_#>|]", " ", u).strip() for u in units)
    return " ".join(u if u.endswith((".", "?", "!", ":")) else u + "." for u in cleaned if u)


def assessment_text(a: Assessment) -> str:
    parts: list[str] = []
    for item in a.items:
        parts.append(item.prompt)
        if isinstance(item, ChoiceItem | JudgementItem):
            parts += [o.label for o in item.options]
    return " ".join(plain(p) for p in parts)


def module_text(m: Module) -> str:
    parts = [m.summary, *m.objectives]
    parts += [x for lesson in m.lessons for x in (lesson.title, lesson.body)]
    parts += [x for ex in m.examples for x in (ex.title, ex.body)]
    for q in [*m.practice, *m.check.items]:
        parts.append(q.prompt)
        parts += [o.label for o in q.options] + [o.feedback for o in q.options if o.feedback]
    return " ".join(plain(p) for p in parts)


def content_files() -> list[Path]:
    return sorted((ROOT / "assessments").glob("*.yaml")) + sorted((ROOT / "modules").glob("*.yaml"))


@pytest.mark.parametrize("path", content_files(), ids=lambda p: p.stem)
def test_candidate_facing_text_reads_at_grade_8_or_below(path: Path, catalog: Catalog) -> None:
    model: Assessment | Module
    if path.parent.name == "assessments":
        model = next(a for a in catalog.assessments.values() if catalog.sources[a.id] == path)
        text = assessment_text(model)
    else:
        model = catalog.modules[path.stem]
        text = module_text(model)
    grade = textstat.flesch_kincaid_grade(text)
    assert grade <= GRADE_LIMIT, f"{path.name}: Flesch-Kincaid grade {grade}"


def answer(a: Assessment, item: AnyItem, strong: bool) -> Answer:
    if isinstance(item, ChoiceItem):
        return item.key if strong else next(o.id for o in item.options if o.id != item.key)
    if isinstance(item, JudgementItem):
        pick = max if strong else min
        return pick(item.options, key=lambda o: o.points).id
    if isinstance(item, LikertItem):
        scale = a.scale_of(item)
        high = strong != item.reverse
        return scale.max if high else scale.min
    return item.answer if strong else item.answer + item.tolerance + 1000


def profile(a: Assessment, form: str, weak: set[str]) -> dict[str, Answer]:
    return {i.id: answer(a, i, i.competency not in weak) for i in a.form_items(form)}


@pytest.mark.parametrize("form", ["A", "B"])
def test_profiles_give_the_expected_plans(screening: Assessment, form: str) -> None:
    mapping = {c.id: list(c.modules) for c in screening.competencies}

    card = score_form(screening, profile(screening, form, set()), form)
    assert card.outcome == "pass" and build_plan(screening, card) == ()

    card = score_form(screening, profile(screening, form, {"basic_math"}), form)
    assert [e.module for e in build_plan(screening, card)] == ["basic-math"]

    card = score_form(screening, profile(screening, form, {"safety_focus", "teamwork"}), form)
    plan = build_plan(screening, card)
    assert {e.module for e in plan} == set(mapping["safety_focus"]) | set(mapping["teamwork"])
    assert len(plan) == len({e.module for e in plan})

    everyone = {c.id for c in screening.competencies}
    card = score_form(screening, profile(screening, form, everyone), form)
    plan = build_plan(screening, card)
    assert sorted(e.module for e in plan) == sorted(MODULE_IDS)
    assert [e.gap for e in plan] == sorted((e.gap for e in plan), reverse=True)
    # every gap is the whole cut: weakest answers everywhere score 0
    assert all(e.gap == max(screening.competency(c).cut for c in e.competencies) for e in plan)
