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
from screener.lint import check_text
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


# -- the review checklist of docs/content.md, one test per mechanical rule ----------------

GRADED = ("personal", "relational")


def likert_of(a: Assessment, form: str, competency: str) -> list[LikertItem]:
    return [
        i for i in a.form_items(form) if i.competency == competency and isinstance(i, LikertItem)
    ]


@pytest.mark.parametrize("form", ["A", "B"])
def test_every_likert_scale_has_three_agree_and_three_reverse_keyed_items(
    screening: Assessment, form: str
) -> None:
    for comp in screening.competencies:
        if comp.domain not in GRADED:
            continue
        items = likert_of(screening, form, comp.id)
        assert [i.reverse for i in items].count(True) == 3, comp.id
        assert [i.reverse for i in items].count(False) == 3, comp.id
        # the same positions are reverse-keyed on both forms
        other = likert_of(screening, "B" if form == "A" else "A", comp.id)
        assert [i.reverse for i in items] == [i.reverse for i in other], comp.id


@pytest.mark.parametrize("form", ["A", "B"])
@pytest.mark.parametrize("rating", [1, 2, 3, 4, 5])
def test_one_rating_for_everything_passes_no_likert_scale(
    screening: Assessment, form: str, rating: int
) -> None:
    """Acquiescence: "Agree" (or any one rating) to every statement scores the neutral
    middle, 50, below every Likert cut; before the balance, all-Agree scored 58 and passed."""
    answers: dict[str, Answer] = {
        i.id: rating for i in screening.form_items(form) if isinstance(i, LikertItem)
    }
    card = score_form(screening, answers, form)
    graded = [c for c in card.competencies if screening.competency(c.id).domain in GRADED]
    assert len(graded) == 4
    for result in graded:
        assert result.score == 50.0, result
        assert result.status == "below", result
    assert card.outcome != "pass"


def test_keys_are_spread_evenly_over_a_to_d(screening: Assessment) -> None:
    groups = {f: screening.form_items(f) for f in screening.form_names()}
    groups["reserve"] = screening.reserve_items()
    for name, items in groups.items():
        keys = Counter(i.key for i in items if isinstance(i, ChoiceItem))
        assert set(keys) == set("abcd"), name
        assert max(keys.values()) - min(keys.values()) <= 1, (name, keys)


KEYED_DOMAINS = ("cognitive", "business")


def test_every_cognitive_and_business_item_names_the_type_it_tests(screening: Assessment) -> None:
    for item in screening.items:
        if screening.competency(item.competency).domain in KEYED_DOMAINS:
            assert item.type, item.id
        else:
            assert item.type is None, item.id


def shuffled(item: AnyItem) -> bool:
    """Whether the options are shown in a shuffled order (``shuffle`` unset: automatic)."""
    from screener.lint import looks_ordered

    if not isinstance(item, ChoiceItem | JudgementItem):
        return False
    if item.shuffle is not None:
        return item.shuffle
    return not looks_ordered([o.label for o in item.options])


def test_parallel_items_test_the_same_type_with_the_same_time_limit(
    screening: Assessment,
) -> None:
    for comp in screening.competencies:
        a = [i for i in screening.form_items("A") if i.competency == comp.id]
        b = [i for i in screening.form_items("B") if i.competency == comp.id]
        assert [(i.kind, i.type, i.time_limit) for i in a] == [
            (i.kind, i.type, i.time_limit) for i in b
        ], comp.id
        assert [shuffled(i) for i in a] == [shuffled(i) for i in b], comp.id
        if comp.domain == "cognitive":
            assert len({i.type for i in a}) == len(a), f"{comp.id}: a type is tested twice"


def test_the_reserve_holds_items_like_the_forms_for_every_keyed_competency(
    screening: Assessment,
) -> None:
    rule = screening.decision.borderline
    assert rule is not None and rule.action == "follow_up"
    in_forms = {i.id for f in screening.form_names() for i in screening.form_items(f)}
    assert not in_forms & set(screening.reserve)
    for comp in screening.competencies:
        reserve = screening.reserve_items(comp.id)
        form = [i for i in screening.form_items("A") if i.competency == comp.id]
        if comp.domain == "cognitive":
            assert len(reserve) >= 6, comp.id
            # one reserve item of each type the form tests, of the same kind and timing
            assert sorted((i.type or "", i.kind, i.time_limit or 0) for i in reserve) == sorted(
                (i.type or "", i.kind, i.time_limit or 0) for i in form
            ), comp.id
        elif comp.domain == "business":
            assert len(reserve) >= 4, comp.id
            assert all(isinstance(i, JudgementItem) for i in reserve), comp.id
        else:
            assert reserve == [], comp.id


SAFETY_TYPES = {
    "lockout",
    "guard-bypass",
    "hot-surface",
    "whmis-label",
    "incident-report",
    "rotating-tools",
    "right-to-refuse",
    "jhsc",
}


def test_both_forms_ask_about_every_safety_topic_of_the_issue(screening: Assessment) -> None:
    for form in ("A", "B"):
        types = {i.type for i in screening.form_items(form) if i.competency == "safety_focus"}
        assert types >= SAFETY_TYPES, form
    reserve = {i.type for i in screening.reserve_items("safety_focus")}
    assert {"awareness-training", "ppe"} <= reserve


def test_spatial_items_have_drawings_with_alt_text(screening: Assessment) -> None:
    from screener.lint import FIGURE_COLUMNS, display_width

    spatial = [i for i in screening.items if i.competency == "spatial_visualization"]
    assert len(spatial) >= 18
    for item in spatial:
        assert item.figure and item.alt and item.alt.strip(), item.id
        assert all(display_width(line) <= FIGURE_COLUMNS for line in item.figure.splitlines())
        assert "+--" not in item.prompt, f"{item.id}: the drawing belongs in figure"
    third_angle = [i for i in spatial if "third-angle" in i.prompt]
    assert third_angle, "no item states the projection convention of its views"


HEALTH_OR_BODY = re.compile(
    r"\b(tired|worn out|fatigue|exhaust\w*|sleep\w*|sick|ill|health\w*|pain\w*|ache\w*|"
    r"injur\w*|disab\w*|medic\w*|energy|feet|stand\w*|walk\w*|lift\w*|carry\w*|heavy|"
    r"strength|strong|physical\w*|fit)\b",
    re.IGNORECASE,
)


def test_no_self_rating_asks_about_health_or_physical_ability(screening: Assessment) -> None:
    """Pre-offer questions about health or physical ability risk the Ontario Human
    Rights Code: self-ratings describe work habits only."""
    for item in screening.items:
        if isinstance(item, LikertItem):
            assert not HEALTH_OR_BODY.search(item.prompt), (item.id, item.prompt)
    for comp in screening.competencies:
        if comp.domain in GRADED:
            assert not HEALTH_OR_BODY.search(comp.description or ""), comp.id


IDIOMS = (
    "get short with",
    "snap at",
    "sort it out",
    "sort out",
    "fussy",
    "knack",
    "laugh it off",
    "figure it out",
    "work it out",
    "jump in",
    "head home",
    "on hand",
    "go out of my way",
    "put off",
    "stick to",
    "deal with",
    "times by",
    "ready to go at",
    "short of hands",
)
AMERICAN = re.compile(
    r"\b(center\w*|colors?|colored|favou?rite|labor|liters?|millimeters?|centimeters?|meters? long)\b"
)


def test_plain_words_canadian_spelling_and_si_units(screening: Assessment) -> None:
    from screener.lint import candidate_text

    text = "\n".join(t for _, t in candidate_text(screening))
    lowered = text.lower()
    assert not [idiom for idiom in IDIOMS if idiom in lowered]
    assert not AMERICAN.findall(text)
    assert not re.findall(r"\d\s?C\b", text), "degrees need the sign: 40 °C"
    assert not re.findall(r"\bNm\b", text), "newton metres are N·m"


def test_the_screening_explains_every_shop_word_it_uses(screening: Assessment) -> None:
    from screener.lint import SHOP_WORDS, candidate_text, glossary_covers

    path = load_catalog().sources[SCREENING]
    checked = check_text(path.read_text(), str(path))
    assert checked.problems == [] and checked.warnings == []
    text = "\n".join(t for _, t in candidate_text(screening))
    for term in screening.glossary:
        words = [w for w in SHOP_WORDS if glossary_covers([term], w)]
        used = any(re.search(SHOP_WORDS[w], text, re.IGNORECASE) for w in words)
        assert used or term.lower() in text.lower(), f"glossary entry {term!r} is never used"


EXTREME = re.compile(r"\b(always|never|every|all|even|much|very|completely|totally)\b", re.I)


def test_form_b_self_ratings_are_worded_no_more_strongly_than_form_a(
    screening: Assessment,
) -> None:
    for comp in screening.competencies:
        if comp.domain not in GRADED:
            continue
        strong = {
            form: sum(len(EXTREME.findall(i.prompt)) for i in likert_of(screening, form, comp.id))
            for form in ("A", "B")
        }
        assert strong["B"] <= strong["A"], (comp.id, strong)
