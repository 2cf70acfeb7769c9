"""The bundled coaching modules teach what the screening tests, in plain Canadian English.

Mechanical rules from issue #14, one test each:

* every module teaches every item ``type`` of the competencies it coaches;
* every check (and practice) option is a plausible answer, not a joke;
* Canadian spelling, no idioms from the issue's list, "multiply by";
* the glossary explains each listed shop word the module uses;
* drawings fit 60 columns and carry a text alternative.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from screener.catalog import Catalog, load_catalog
from screener.content import Assessment, Module, ModuleQuestion
from screener.lint import SHOP_WORDS, candidate_text, glossary_covers

SCREENING = "wblc-screening"


@pytest.fixture(scope="module")
def catalog() -> Catalog:
    return load_catalog()


@pytest.fixture(scope="module")
def screening(catalog: Catalog) -> Assessment:
    return catalog.assessment(SCREENING)


def modules() -> list[Module]:
    return sorted(load_catalog().modules.values(), key=lambda m: m.id)


def questions(m: Module) -> Iterator[tuple[str, ModuleQuestion]]:
    for q in m.practice:
        yield "practice", q
    for q in m.check.items:
        yield "check", q


def module_texts(m: Module) -> list[str]:
    """Every text a candidate reads in the module, glossary meanings included."""
    return [text for _, text in candidate_text(m)] + list(m.glossary.values())


# -- item types ----------------------------------------------------------------------


def screened_types(a: Assessment, competency: str) -> set[str]:
    """Item types of a competency's items: both forms and the reserve."""
    return {i.type for i in a.items if i.competency == competency and i.type}


def taught_types(m: Module) -> set[str]:
    return {t for lesson in m.lessons for t in lesson.types} | {
        t for q in m.practice for t in q.types
    }


@pytest.mark.parametrize("module", modules(), ids=lambda m: m.id)
def test_module_teaches_every_item_type_of_its_competencies(
    module: Module, screening: Assessment
) -> None:
    """The types of the screening items (forms and reserve) of every competency the
    module coaches are a subset of the union of its lessons' and practice questions'
    ``types``: a candidate sent here for a gap meets every kind of item again."""
    need: dict[str, set[str]] = {c: screened_types(screening, c) for c in module.competencies}
    taught = taught_types(module)
    missing = {c: sorted(types - taught) for c, types in need.items() if types - taught}
    assert not missing, f"{module.id} does not teach {missing}"


def test_keyed_and_judgement_competencies_have_item_types(screening: Assessment) -> None:
    """Guards the test above against passing on untagged items: every cognitive and
    business item (form or reserve) names its type."""
    untyped = [
        i.id
        for i in screening.items
        if screening.competency(i.competency).domain in ("cognitive", "business") and not i.type
    ]
    assert not untyped


@pytest.mark.parametrize("module", modules(), ids=lambda m: m.id)
def test_module_types_are_types_the_screening_uses(module: Module, screening: Assessment) -> None:
    """A misspelt type would otherwise count as taught and hide a gap."""
    known = {i.type for i in screening.items if i.type}
    tagged = taught_types(module) | {t for q in module.check.items for t in q.types}
    assert tagged <= known, f"{module.id}: unknown types {sorted(tagged - known)}"


# -- plausible options ------------------------------------------------------------------

#: Distractors issue #14 named, and the like: answers no one would pick.
JOKES = (
    "jokes",
    "dirtiest",
    "hold your breath",
    "break room door",
    "only when your supervisor is watching",
    "running shoes and shorts",
    "takes too long to sign",
    "take the old parts home",
    "long week",
    "does not like the mold",
    "how many pages",
    "the usual mold",
    "as fast as you can",
    "watching tv",
    "break times",
    "yell at",
    "junk",
)

#: Words that carry no topic: articles, pronouns, helpers, linking words.
_FUNCTION_WORDS_TEXT = """
    a am an as at be by do go if in is it me my no of on or so to us we
    about after again all also always and any are back because been before being
    both but can cannot could did does doing done each even every first for
    from get gets give goes going had has have her here him his how into its just
    keep last like lots made make many may more most much must near never next not
    now off once one only onto other our out over own put same say says see should
    since some such than that the their them then there these they this those too
    two under until upon very want was way well were what when where which while who
    why will with would yes yet you your yours
"""
FUNCTION_WORDS = frozenset(_FUNCTION_WORDS_TEXT.split())


def stem(word: str) -> str:
    for suffix in ("ing", "ed", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def content_stems(text: str) -> set[str]:
    words = re.findall(r"[a-z]+", text.lower())
    return {stem(w) for w in words if w not in FUNCTION_WORDS}


def is_value(label: str) -> bool:
    """A number, or codes of up to three capitals ("R", "P4", "C, A, B, D")."""
    codes = r"[A-Z]{1,3}(,? [A-Z]{1,3})*"
    return bool(re.search(r"\d", label) or re.fullmatch(codes, label.strip()))


@pytest.mark.parametrize("module", modules(), ids=lambda m: m.id)
def test_every_option_is_plausible(module: Module) -> None:
    """Rule for every check and practice option: it is not a known joke, and it either
    holds a number or is a short code (a computed or read value, a letter in a
    series), or shares at least one content word (not a function word, compared
    after stripping -s/-es/-ed/-ing) with the lesson its question names or with the
    question's own prompt (a reading question quotes the instruction it asks about).

    Why: a wrong option is worth having only if someone with the gap could believe
    it, and such mistakes come from the topic itself: the same parts, steps, tools
    and numbers. An option that shares no word with the lesson is off-topic and can
    be ruled out without having learnt anything, so the question proves nothing.
    Every question therefore names its lesson, and has at least three options."""
    lessons = {lesson.id: lesson for lesson in module.lessons}
    bad: list[str] = []
    for section, q in questions(module):
        assert q.lesson in lessons, f"{module.id} {section} {q.id} names no lesson"
        assert len(q.options) >= 3, f"{module.id} {section} {q.id}"
        lesson = lessons[q.lesson]
        vocabulary = content_stems(f"{lesson.title} {lesson.body} {q.prompt}")
        labels = [o.label.strip().lower() for o in q.options]
        assert len(set(labels)) == len(labels), f"{module.id} {q.id}: repeated option"
        for o in q.options:
            label = o.label.lower()
            joke = next((j for j in JOKES if j in label), None)
            if joke:
                bad.append(f"{section} {q.id} {o.id}: joke ({joke!r})")
            elif not is_value(o.label) and not content_stems(label) & vocabulary:
                bad.append(f"{section} {q.id} {o.id}: shares no word with lesson {q.lesson}")
    assert not bad, f"{module.id}: {bad}"


# -- plain Canadian English --------------------------------------------------------------

#: US spelling -> the Canadian spelling the modules use ("mold" is the trade's own word
#: in Ontario shops and stays; "meter" the instrument stays).
US_TO_CANADIAN = {
    r"cent(er|ers|ered|ering)": "centre",
    r"colors?|colored|coloring": "colour",
    r"labors?|labored": "labour",
    r"behaviors?": "behaviour",
    r"favorites?": "favourite",
    r"honors?|honored": "honour",
    r"neighbors?": "neighbour",
    r"flavors?": "flavour",
    r"humors?": "humour",
    r"odors?": "odour",
    r"vapors?": "vapour",
    r"rumors?": "rumour",
    r"(milli|centi|kilo)?meters?(?= (long|wide|thick|deep|high|away|apart))"
    r"|(milli|centi|kilo)meters?": "metre",
    r"liters?": "litre",
    r"fibers?": "fibre",
    r"theaters?": "theatre",
    r"defense": "defence",
    r"offense": "offence",
    r"gray": "grey",
    r"catalogs?": "catalogue",
    r"jewelry": "jewellery",
    r"label(ed|ing)": "labelled, labelling",
    r"travel(ed|ing)": "travelled, travelling",
    r"cancel(ed|ing)": "cancelled, cancelling",
    r"model(ed|ing)": "modelled, modelling",
    r"fuel(ed|ing)": "fuelled, fuelling",
}

#: Idioms and slang a newcomer to Canada may not know (issue #14 and the content guide).
IDIOMS = (
    r"times by",
    r"knack",
    r"laugh(ed|ing)? it off",
    r"ratting",
    r"acting up",
    r"a pain\b",
    r"junk",
    r"fall(s|en)? through",
    r"fell through",
    r"figure (it|things) out",
    r"sort (it|things) out",
    r"get short with",
    r"snap at",
    r"fussy",
    r"on track",
    r"cut(ting)? corners",
    r"push through",
    r"keep you whole",
    r"small price",
    r"ramble",
    r"run down a",
    r"gets lost",
    r"\bgut\b",
    r"head home",
    r"what'?s up",
    r"what is up",
    r"pick up where",
    r"no shame",
    r"hang in",
    r"on the fly",
    r"ballpark",
    r"rule of thumb",
    r"around the clock",
    r"walks? (him|her|you|them) through",
    r"by heart",
    r"\bfit in\b",
    r"jump in",
    r"getting to you",
    r"take it personally",
)


@pytest.mark.parametrize("module", modules(), ids=lambda m: m.id)
def test_module_text_uses_canadian_spelling(module: Module) -> None:
    found = [
        (m.group(0), canadian)
        for text in module_texts(module)
        for us, canadian in US_TO_CANADIAN.items()
        for m in re.finditer(rf"\b({us})\b", text, re.IGNORECASE)
    ]
    assert not found, f"{module.id}: {found}"


@pytest.mark.parametrize("module", modules(), ids=lambda m: m.id)
def test_module_text_has_no_listed_idioms(module: Module) -> None:
    found = [
        m.group(0)
        for text in module_texts(module)
        for idiom in IDIOMS
        for m in re.finditer(idiom, text, re.IGNORECASE)
    ]
    assert not found, f"{module.id}: {found}"


# -- glossary ------------------------------------------------------------------------

#: The shop words issue #14 found used without explanation.
ISSUE_SHOP_WORDS = (
    "purge",
    "regrind",
    "dew point",
    "parting line",
    "leader pins",
    "light curtain",
    "setter",
    "lead hand",
    "crib",
    "PM",
)


def test_the_issues_shop_words_are_listed() -> None:
    assert set(ISSUE_SHOP_WORDS) <= set(SHOP_WORDS)


def uses(m: Module, word: str) -> bool:
    flags = 0 if word.isupper() else re.IGNORECASE
    pattern = re.compile(rf"(?<![\w-])({SHOP_WORDS[word]})(?![\w-])", flags)
    return any(pattern.search(text) for _, text in candidate_text(m))


@pytest.mark.parametrize("module", modules(), ids=lambda m: m.id)
def test_glossary_explains_every_listed_shop_word_the_module_uses(module: Module) -> None:
    missing = [w for w in SHOP_WORDS if uses(module, w) and not glossary_covers(module.glossary, w)]
    assert not missing, f"{module.id}: add to glossary: {missing}"


@pytest.mark.parametrize("module", modules(), ids=lambda m: m.id)
def test_glossary_meanings_do_not_lean_on_the_word(module: Module) -> None:
    """A meaning whose first sentence repeats the word explains nothing."""
    circular = []
    for word, meaning in module.glossary.items():
        first = re.split(r"(?<=[.!?])\s", meaning.strip(), maxsplit=1)[0]
        if re.search(rf"\b{re.escape(word)}\b", first, re.IGNORECASE):
            circular.append(word)
    assert not circular, f"{module.id}: {circular}"


# -- figures ---------------------------------------------------------------------------

FIGURE_WIDTH = 60


@pytest.mark.parametrize("module", modules(), ids=lambda m: m.id)
def test_figures_fit_and_have_a_text_alternative(module: Module) -> None:
    holders = [("lesson", x.id, x.figure, x.alt) for x in module.lessons]
    holders += [(s, q.id, q.figure, q.alt) for s, q in questions(module)]
    for kind, ident, figure, alt in holders:
        if figure is None:
            continue
        where = f"{module.id} {kind} {ident}"
        assert alt and len(alt.split()) >= 8, f"{where}: alt text too short"
        assert "\t" not in figure, where
        width = max(len(line) for line in figure.splitlines())
        assert width <= FIGURE_WIDTH, f"{where}: {width} columns"


def test_spatial_module_draws_what_the_spatial_items_show(catalog: Catalog) -> None:
    """Cube nets, front and top views and the views of a solid need pictures."""
    m = catalog.modules["spatial-visualization"]
    drawn = {t for lesson in m.lessons if lesson.figure for t in lesson.types}
    drawn |= {t for q in m.practice if q.figure for t in q.types}
    assert {"cube-net", "front-to-top-view", "two-views-to-solid"} <= drawn


# -- regressions from issue #14 -----------------------------------------------------------

RESTART_HEADING = "### Before you start the press again"


@pytest.mark.parametrize(
    ("module_id", "lesson_id"), [("safety", "lockout"), ("problem-solving", "follow-up")]
)
def test_restart_after_lockout_is_in_the_safe_order(
    catalog: Catalog, module_id: str, lesson_id: str
) -> None:
    """Tools out, guards on, everyone clear, then your own lock off, then start: the
    section on restarting names them in that order (the two modules agree)."""
    lesson = next(x for x in catalog.modules[module_id].lessons if x.id == lesson_id)
    assert RESTART_HEADING in lesson.body, (module_id, lesson_id)
    section = lesson.body.split(RESTART_HEADING, 1)[1].split("\n###", 1)[0].lower()
    found = [section.find(p) for p in ("tools", "guard", "everyone", "your own lock", "start")]
    assert -1 not in found and found == sorted(found), (module_id, found)
