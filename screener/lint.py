"""Turn YAML text into content models and report every fault as ``file:line:col: message``.

Pure: callers read the files. Shape faults come from pydantic and are mapped back
to lines with the marks ``yamlsource`` recorded; the rules that look across items,
forms and files are written out here, one function per model.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from screener.content import (
    Assessment,
    ChoiceItem,
    JudgementItem,
    LikertItem,
    Module,
    ModuleQuestion,
    Scale,
)
from screener.yamlsource import Parsed, Path_, Problem, parse

if TYPE_CHECKING:  # pydantic is imported only to check a file (contentschema)
    from pydantic import ValidationError

Kind = Literal["assessment", "module"]
MODELS: dict[Kind, type[Assessment | Module]] = {"assessment": Assessment, "module": Module}


@dataclass
class Checked:
    """One file's model (None when its shape is wrong) and its faults."""

    kind: Kind
    filename: str
    model: Assessment | Module | None
    parsed: Parsed
    problems: list[Problem]
    #: advice that does not fail ``validate`` (messages start with ``warning:``)
    warnings: list[Problem] = field(default_factory=list)


def guess_kind(filename: str, value: Any) -> Kind:
    """Modules live in a ``modules`` folder or have lessons; anything else is an assessment."""
    parts = filename.replace("\\", "/").split("/")
    if "modules" in parts[:-1]:
        return "module"
    if "assessments" in parts[:-1]:
        return "assessment"
    if isinstance(value, dict) and ("lessons" in value or "check" in value):
        return "module"
    return "assessment"


def show_path(path: Iterable[str | int]) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out or "(top level)"


def check_text(text: str, filename: str, kind: Kind | None = None) -> Checked:
    """Parse and validate one file on its own (no cross-file references)."""
    parsed = parse(text, filename)
    kind = kind or guess_kind(filename, parsed.value)
    result = Checked(kind, filename, None, parsed, list(parsed.problems))
    if parsed.value is None:
        return result
    if not isinstance(parsed.value, dict):
        result.problems.append(
            _at(parsed, filename, (), f"expected a mapping of fields for an {kind}")
        )
        return result
    if parsed.problems:
        # duplicate keys: the data is not what the author wrote, so stop at the YAML level
        return result
    from pydantic import ValidationError

    try:
        model = MODELS[kind].model_validate(parsed.value)  # contentschema's model, then plain
    except ValidationError as exc:
        result.problems.extend(_from_pydantic(exc, parsed, filename))
        return result
    assert isinstance(model, Assessment | Module)
    result.model = model
    if isinstance(model, Assessment):
        result.problems.extend(lint_assessment(model, parsed, filename))
    else:
        result.problems.extend(lint_module(model, parsed, filename))
    result.problems.extend(lint_figures(model, parsed, text, filename))
    result.warnings.extend(lint_shop_words(model, parsed, text, filename))
    if isinstance(model, Assessment):
        result.warnings.extend(lint_shuffle(model, parsed, filename))
    return result


def _at(parsed: Parsed, filename: str, path: Path_, message: str) -> Problem:
    mark = parsed.mark(path)
    return Problem(filename, mark.line, mark.col, message)


def _resolve(loc: tuple[str | int, ...], parsed: Parsed) -> tuple[Path_, list[str | int]]:
    """Split a pydantic location into the part present in the file and the rest.

    Pydantic puts union tags (``choice``) and type names into locations; those are
    skipped because the file has no such key.
    """
    path: Path_ = ()
    rest: list[str | int] = []
    for part in loc:
        if (*path, part) in parsed.marks:
            path = (*path, part)
        else:
            rest.append(part)
    return path, rest


_TAG_WORDS = {"bool": "a yes/no value", "int": "a number", "float": "a number", "date": "a date"}


def _from_pydantic(exc: ValidationError, parsed: Parsed, filename: str) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[tuple[Path_, str]] = set()
    for err in exc.errors(include_url=False):
        loc = tuple(err["loc"])
        path, rest = _resolve(loc, parsed)
        kind = err["type"]
        if kind == "missing":
            field = str(rest[-1]) if rest else "?"
            message = f"{show_path(path)}: missing required field '{field}'"
        elif kind == "extra_forbidden":
            message = f"{show_path(path)}: unknown field '{path[-1] if path else '?'}'"
        elif path in parsed.coerced and kind in ("string_type", "string_pattern_mismatch"):
            raw, type_name = parsed.coerced[path]
            word = _TAG_WORDS.get(type_name, type_name)
            message = (
                f"{show_path(path)}: YAML reads {raw} as {word}, not text; "
                f'quote it ("{raw}") to keep it as text'
            )
        else:
            message = f"{show_path(path)}: {err['msg']}"
        if (path, message) in seen:
            continue
        seen.add((path, message))
        problems.append(_at(parsed, filename, path, message))
    return problems


def _duplicates(
    ids: Iterable[tuple[Path_, str]], what: str, parsed: Parsed, filename: str
) -> list[Problem]:
    problems: list[Problem] = []
    first: dict[str, Path_] = {}
    for path, ident in ids:
        if ident in first:
            line = parsed.mark(first[ident]).line
            problems.append(
                _at(parsed, filename, path, f"duplicate {what} id '{ident}' (first at line {line})")
            )
        else:
            first[ident] = path
    return problems


def lint_assessment(a: Assessment, parsed: Parsed, filename: str) -> list[Problem]:
    """Rules across an assessment's competencies, items and forms."""
    out: list[Problem] = []
    comp_ids = {c.id for c in a.competencies}
    item_ids = {i.id for i in a.items}
    out += _duplicates(
        ((("competencies", n, "id"), c.id) for n, c in enumerate(a.competencies)),
        "competency",
        parsed,
        filename,
    )
    out += _duplicates(
        ((("items", n, "id"), i.id) for n, i in enumerate(a.items)), "item", parsed, filename
    )
    if a.decision.rule == "compensatory" and a.decision.overall_cut is None:
        out.append(
            _at(
                parsed,
                filename,
                ("decision",),
                "decision: the compensatory rule needs an overall_cut",
            )
        )
    if a.decision.rule == "non_compensatory" and a.decision.overall_cut is not None:
        out.append(
            _at(
                parsed,
                filename,
                ("decision", "overall_cut"),
                "decision: overall_cut applies only to the compensatory rule",
            )
        )
    for name, scale in a.scales.items():
        out += _lint_scale(scale, ("scales", name), parsed, filename)
    for n, item in enumerate(a.items):
        here: Path_ = ("items", n)
        if item.competency not in comp_ids:
            out.append(
                _at(
                    parsed,
                    filename,
                    (*here, "competency"),
                    f"item '{item.id}': unknown competency '{item.competency}'",
                )
            )
        if isinstance(item, ChoiceItem | JudgementItem):
            out += _duplicates(
                (((*here, "options", k, "id"), o.id) for k, o in enumerate(item.options)),
                f"option (item '{item.id}')",
                parsed,
                filename,
            )
        if isinstance(item, ChoiceItem) and item.key not in {o.id for o in item.options}:
            out.append(
                _at(
                    parsed,
                    filename,
                    (*here, "key"),
                    f"item '{item.id}': key '{item.key}' is not one of its options",
                )
            )
        if isinstance(item, JudgementItem) and len({o.points for o in item.options}) < 2:
            out.append(
                _at(
                    parsed,
                    filename,
                    (*here, "options"),
                    f"item '{item.id}': every option has the same points, so it measures nothing",
                )
            )
        if isinstance(item, LikertItem):
            if isinstance(item.scale, Scale):
                out += _lint_scale(item.scale, (*here, "scale"), parsed, filename)
            elif item.scale not in a.scales:
                out.append(
                    _at(
                        parsed,
                        filename,
                        (*here, "scale"),
                        f"item '{item.id}': unknown scale '{item.scale}' (define it under scales)",
                    )
                )
    out += _lint_reserve(a, parsed, filename)
    reserved = set(a.reserve)
    forms = (
        a.forms
        if a.forms is not None
        else {"A": tuple(i.id for i in a.items if i.id not in reserved)}
    )
    if a.forms is not None and not a.forms:
        out.append(
            _at(parsed, filename, ("forms",), "forms: name at least one form, or leave forms out")
        )
    comp_of = {i.id: i.competency for i in a.items}
    for name, ids in forms.items():
        where: Path_ = ("forms", name) if a.forms is not None else ("items",)
        seen: set[str] = set()
        for k, item_id in enumerate(ids):
            if item_id not in item_ids:
                out.append(
                    _at(parsed, filename, (*where, k), f"form {name}: unknown item '{item_id}'")
                )
            elif item_id in seen:
                out.append(
                    _at(
                        parsed,
                        filename,
                        (*where, k),
                        f"form {name}: item '{item_id}' is listed twice",
                    )
                )
            seen.add(item_id)
        covered = {comp_of[i] for i in ids if i in comp_of}
        for n, comp in enumerate(a.competencies):
            if comp.id not in covered:
                out.append(
                    _at(
                        parsed,
                        filename,
                        ("competencies", n, "id"),
                        f"competency '{comp.id}' has no items in form {name}",
                    )
                )
    return out


def _lint_reserve(a: Assessment, parsed: Parsed, filename: str) -> list[Problem]:
    """Reserve items exist, are listed once, sit in no form, and have a reason to be asked."""
    out: list[Problem] = []
    item_ids = {i.id for i in a.items}
    in_forms = {i for ids in (a.forms or {}).values() for i in ids}
    seen: set[str] = set()
    for k, item_id in enumerate(a.reserve):
        where: Path_ = ("reserve", k)
        if item_id not in item_ids:
            out.append(_at(parsed, filename, where, f"reserve: unknown item '{item_id}'"))
        elif item_id in seen:
            out.append(_at(parsed, filename, where, f"reserve: item '{item_id}' is listed twice"))
        elif item_id in in_forms:
            out.append(
                _at(
                    parsed,
                    filename,
                    where,
                    f"reserve: item '{item_id}' is in a form; reserve items are in no form",
                )
            )
        seen.add(item_id)
    rule = a.decision.borderline
    if a.reserve and (rule is None or rule.action != "follow_up"):
        out.append(
            _at(
                parsed,
                filename,
                ("reserve",),
                "reserve: items are only asked with decision: {borderline: {action: follow_up}}",
            )
        )
    if rule is not None and a.decision.rule == "compensatory":
        out.append(
            _at(
                parsed,
                filename,
                ("decision", "borderline"),
                "decision: borderline applies only to the non_compensatory rule",
            )
        )
    return out


def _lint_scale(scale: Scale, path: Path_, parsed: Parsed, filename: str) -> list[Problem]:
    if scale.min >= scale.max:
        return [
            _at(
                parsed,
                filename,
                path,
                f"{show_path(path)}: scale {scale.min}..{scale.max} is empty or inverted (min must be below max)",
            )
        ]
    return [
        _at(
            parsed,
            filename,
            (*path, "labels", value),
            f"{show_path(path)}: label for {value} is outside {scale.min}..{scale.max}",
        )
        for value in scale.labels
        if not scale.min <= value <= scale.max
    ]


def lint_module(m: Module, parsed: Parsed, filename: str) -> list[Problem]:
    """Rules inside one coaching module."""
    out: list[Problem] = []
    if not m.competencies:
        out.append(
            _at(parsed, filename, ("competencies",), f"module '{m.id}' covers no competency")
        )
    lesson_ids = {lesson.id for lesson in m.lessons}
    out += _duplicates(
        ((("lessons", n, "id"), x.id) for n, x in enumerate(m.lessons)), "lesson", parsed, filename
    )
    questions: list[tuple[Path_, ModuleQuestion]] = [
        (("practice", n), q) for n, q in enumerate(m.practice)
    ]
    questions += [(("check", "items", n), q) for n, q in enumerate(m.check.items)]
    out += _duplicates((((*p, "id"), q.id) for p, q in questions), "question", parsed, filename)
    for path, q in questions:
        out += _lint_question(
            q, path, lesson_ids, practice=path[0] == "practice", parsed=parsed, filename=filename
        )
    return out


def _lint_question(
    q: ModuleQuestion,
    path: Path_,
    lessons: set[str],
    *,
    practice: bool,
    parsed: Parsed,
    filename: str,
) -> list[Problem]:
    out = _duplicates(
        (((*path, "options", k, "id"), o.id) for k, o in enumerate(q.options)),
        f"option (question '{q.id}')",
        parsed,
        filename,
    )
    if q.key not in {o.id for o in q.options}:
        out.append(
            _at(
                parsed,
                filename,
                (*path, "key"),
                f"question '{q.id}': key '{q.key}' is not one of its options",
            )
        )
    if q.lesson is not None and q.lesson not in lessons:
        out.append(
            _at(
                parsed,
                filename,
                (*path, "lesson"),
                f"question '{q.id}': unknown lesson '{q.lesson}'",
            )
        )
    if practice:
        for k, option in enumerate(q.options):
            if option.id != q.key and not option.feedback:
                out.append(
                    _at(
                        parsed,
                        filename,
                        (*path, "options", k),
                        f"practice question '{q.id}': wrong option '{option.id}' needs feedback",
                    )
                )
    return out


def check_references(
    checked: list[Checked],
    known_modules: Mapping[str, object],
    known_competencies: set[str] | None = None,
) -> list[Problem]:
    """Cross-file rules: module ids an assessment names must exist; module ids must be unique."""
    out: list[Problem] = []
    module_files: dict[str, str] = {}
    assessment_files: dict[str, str] = {}
    for c in checked:
        if isinstance(c.model, Module):
            if c.model.id in module_files:
                out.append(
                    _at(
                        c.parsed,
                        c.filename,
                        ("id",),
                        f"module id '{c.model.id}' is also used by {module_files[c.model.id]}",
                    )
                )
            module_files.setdefault(c.model.id, c.filename)
        elif isinstance(c.model, Assessment):
            if c.model.id in assessment_files:
                out.append(
                    _at(
                        c.parsed,
                        c.filename,
                        ("id",),
                        f"assessment id '{c.model.id}' is also used by {assessment_files[c.model.id]}",
                    )
                )
            assessment_files.setdefault(c.model.id, c.filename)
    for c in checked:
        if not isinstance(c.model, Assessment):
            continue
        for n, comp in enumerate(c.model.competencies):
            for k, module in enumerate(comp.modules):
                if module not in known_modules and module not in module_files:
                    out.append(
                        _at(
                            c.parsed,
                            c.filename,
                            ("competencies", n, "modules", k),
                            f"competency '{comp.id}': no module with id '{module}'",
                        )
                    )
    return out


# -- figures ----------------------------------------------------------------------

FIGURE_COLUMNS = 60


def display_width(line: str) -> int:
    """Columns a line takes in a monospaced terminal: wide (East Asian) characters 2,
    combining marks 0, everything else 1."""
    width = 0
    for char in line:
        if unicodedata.combining(char):
            continue
        width += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return width


def _figures(model: Assessment | Module) -> list[tuple[Path_, str, str | None, str | None]]:
    """(path, what, figure, alt) of every part of a file that may carry a figure."""
    if isinstance(model, Assessment):
        return [
            (("items", n), f"item '{i.id}'", i.figure, i.alt) for n, i in enumerate(model.items)
        ]
    parts: list[tuple[Path_, str, str | None, str | None]] = [
        (("lessons", n), f"lesson '{x.id}'", x.figure, x.alt) for n, x in enumerate(model.lessons)
    ]
    parts += [
        (("practice", n), f"question '{q.id}'", q.figure, q.alt)
        for n, q in enumerate(model.practice)
    ]
    parts += [
        (("check", "items", n), f"question '{q.id}'", q.figure, q.alt)
        for n, q in enumerate(model.check.items)
    ]
    return parts


def lint_figures(
    model: Assessment | Module, parsed: Parsed, text: str, filename: str
) -> list[Problem]:
    """A figure needs alt text, and every line of it fits in 60 columns with no tab.

    A line that is too wide is reported on its own line in the file when the figure
    is a literal block (``figure: |``), else at the figure.
    """
    out: list[Problem] = []
    source = text.splitlines()
    for path, what, figure, alt in _figures(model):
        if figure is None:
            continue
        where: Path_ = (*path, "figure")
        if alt is None or not alt.strip():
            out.append(
                _at(
                    parsed,
                    filename,
                    where,
                    f"{what}: a figure needs alt text (alt:): what it shows, in words, "
                    "for candidates who cannot see it",
                )
            )
        mark = parsed.mark(where)
        header = source[mark.line - 1] if mark.line - 1 < len(source) else ""
        # the mark is the key's; a literal block is `figure: |` (maybe `|2`, `|-`, a comment)
        literal = re.match(r"[^:]*:\s*\|[-+0-9]*\s*(#.*)?$", header[mark.col - 1 :]) is not None
        for k, line in enumerate(figure.split("\n")):
            width = display_width(line)
            fault = ""
            if "\t" in line:
                fault = f"{what}: figure line {k + 1} has a tab; draw with spaces"
            elif width > FIGURE_COLUMNS:
                fault = (
                    f"{what}: figure line {k + 1} is {width} columns wide; "
                    f"keep figures to {FIGURE_COLUMNS} columns"
                )
            if not fault:
                continue
            at_line, at_col = mark.line, mark.col
            number = mark.line + 1 + k
            if literal and number <= len(source) and source[number - 1].endswith(line):
                at_line = number
                at_col = len(source[number - 1]) - len(line) + 1
                at_col += line.index("\t") if "\t" in line else FIGURE_COLUMNS
            out.append(Problem(filename, at_line, at_col, fault))
    return out


# -- option order -----------------------------------------------------------------

_LEADING_NUMBER = re.compile(r"^\s*[-+]?(\d+([.,]\d+)?(/\d+)?|\.\d+)(\s|$|[^\w])")


def looks_ordered(labels: Sequence[str]) -> bool:
    """Whether an option set reads as a scale that has an order: every label starts
    with a number ("0", "12.44 mm", "7/16 inch"). With ``shuffle`` unset such a set
    keeps the file's order; other sets are shuffled."""
    return bool(labels) and all(_LEADING_NUMBER.match(label) for label in labels)


def lint_shuffle(a: Assessment, parsed: Parsed, filename: str) -> list[Problem]:
    """``shuffle: true`` on numbers is allowed (a deliberate choice) but worth a warning."""
    out: list[Problem] = []
    for n, item in enumerate(a.items):
        if item.shuffle is not True or not isinstance(item, ChoiceItem | JudgementItem):
            continue
        if looks_ordered([o.label for o in item.options]):
            out.append(
                _at(
                    parsed,
                    filename,
                    ("items", n, "shuffle"),
                    f"warning: item '{item.id}': shuffle: true mixes up options that are "
                    "numbers; candidates find numbers faster in order",
                )
            )
    return out


# -- shop words and the glossary --------------------------------------------------

#: words of the shop floor a newcomer may not know -> the forms they take in text;
#: a file that uses one in candidate-facing text should explain it in ``glossary:``.
#: All-capital abbreviations match in capitals only.
SHOP_WORDS: dict[str, str] = {
    "purge": r"purg(e|es|ed|ing)",
    "regrind": r"regrind",
    "dew point": r"dew\s+point",
    "parting line": r"parting\s+lines?",
    "leader pins": r"leader\s+pins?",
    "ejector pin": r"ejector\s+pins?",
    "light curtain": r"light\s+curtains?",
    "setter": r"setters?",
    "lead hand": r"lead\s+hands?",
    "crib": r"crib",
    "PM": r"PMs?",
    "lockout": r"lock(s|ed|ing)?[\s-]*out|lockouts?",
    "tagout": r"tag(s|ged|ging)?[\s-]*out|tagouts?",
    "SDS": r"SDSs?",
    "WHMIS": r"WHMIS",
    "PPE": r"PPE",
    "JHSC": r"JHSC",
    "hot runner": r"hot\s+runners?",
    "short shot": r"short\s+shots?",
    "flash": r"flash",
    "cushion": r"cushion",
    "hopper": r"hoppers?",
    "cavity": r"cavity|cavities",
    "mold release": r"mold\s+release",
    "rust preventive": r"rust\s+(preventive|guard)",
    "purging compound": r"purging\s+compounds?",
    "dry cycle": r"dry[\s-]+cycl(e|ed|ing)",
    "eyebolt": r"eyebolts?",
    "heater band": r"heater\s+bands?",
}


def _shop_pattern(word: str) -> re.Pattern[str]:
    flags = 0 if word.isupper() else re.IGNORECASE
    return re.compile(rf"(?<![\w-])({SHOP_WORDS[word]})(?![\w-])", flags)


_SHOP_PATTERNS: dict[str, re.Pattern[str]] = {}


def _shop_patterns() -> dict[str, re.Pattern[str]]:
    """Every shop word's pattern, compiled when a file is first linted (not at import:
    a command that reads checked content from the cache never needs them)."""
    if not _SHOP_PATTERNS:
        _SHOP_PATTERNS.update({word: _shop_pattern(word) for word in SHOP_WORDS})
    return _SHOP_PATTERNS


def glossary_covers(glossary: Iterable[str], word: str) -> bool:
    """Whether a glossary has an entry for a shop word in any of its forms
    ("lockout", "Lock out", "locked out")."""
    flags = 0 if word.isupper() else re.IGNORECASE
    pattern = re.compile(rf"({SHOP_WORDS[word]})", flags)
    return any(pattern.fullmatch(term.strip()) for term in glossary)


def candidate_text(model: Assessment | Module) -> list[tuple[Path_, str]]:
    """Every text a candidate reads, with where it stands (file order)."""
    parts: list[tuple[Path_, str]] = []
    if isinstance(model, Assessment):
        parts += [(("title",), model.title), (("description",), model.description)]
        for n, comp in enumerate(model.competencies):
            parts.append((("competencies", n, "name"), comp.name))
            if comp.description:
                parts.append((("competencies", n, "description"), comp.description))
        for name, scale in model.scales.items():
            parts += [(("scales", name, "labels", v), label) for v, label in scale.labels.items()]
        for n, item in enumerate(model.items):
            parts.append((("items", n, "prompt"), item.prompt))
            for key in ("figure", "alt"):
                value = getattr(item, key)
                if value:
                    parts.append((("items", n, key), value))
            if isinstance(item, ChoiceItem | JudgementItem):
                parts += [
                    (("items", n, "options", k, "label"), o.label)
                    for k, o in enumerate(item.options)
                ]
        return parts
    parts += [(("title",), model.title), (("summary",), model.summary)]
    parts += [(("objectives", k), x) for k, x in enumerate(model.objectives)]
    for n, lesson in enumerate(model.lessons):
        parts += [(("lessons", n, "title"), lesson.title), (("lessons", n, "body"), lesson.body)]
        parts += [
            (("lessons", n, key), v) for key in ("figure", "alt") if (v := getattr(lesson, key))
        ]
    for n, example in enumerate(model.examples):
        parts += [
            (("examples", n, "title"), example.title),
            (("examples", n, "body"), example.body),
        ]
    questions: list[tuple[Path_, ModuleQuestion]] = [
        (("practice", n), q) for n, q in enumerate(model.practice)
    ]
    questions += [(("check", "items", n), q) for n, q in enumerate(model.check.items)]
    for path, q in questions:
        parts.append(((*path, "prompt"), q.prompt))
        parts += [((*path, key), v) for key in ("figure", "alt") if (v := getattr(q, key))]
        for k, o in enumerate(q.options):
            parts.append(((*path, "options", k, "label"), o.label))
            if o.feedback:
                parts.append(((*path, "options", k, "feedback"), o.feedback))
    return parts


def _offsets(text: str) -> list[int]:
    starts = [0]
    for match in re.finditer("\n", text):
        starts.append(match.end())
    return starts


def lint_shop_words(
    model: Assessment | Module, parsed: Parsed, text: str, filename: str
) -> list[Problem]:
    """A warning at the first use of each shop word (``SHOP_WORDS``) that the file's
    ``glossary:`` does not explain. Warnings never fail ``validate``."""
    out: list[Problem] = []
    starts = _offsets(text)
    parts = sorted(
        candidate_text(model),
        key=lambda part: (parsed.mark(part[0]).line, parsed.mark(part[0]).col),
    )
    for word, pattern in _shop_patterns().items():
        if glossary_covers(model.glossary, word):
            continue
        for path, value in parts:
            if not pattern.search(value):
                continue
            mark = parsed.mark(path)
            line, col = mark.line, mark.col
            begin = starts[min(mark.line, len(starts)) - 1] + mark.col - 1
            found = pattern.search(text, begin, begin + 2 * len(value) + 200)
            if found:
                line = text.count("\n", 0, found.start()) + 1
                col = found.start() - starts[line - 1] + 1
            out.append(
                Problem(
                    filename,
                    line,
                    col,
                    f"warning: shop word '{' '.join(found.group(0).split()) if found else word}' "
                    f"has no glossary entry in this file; add `{word}: <its plain meaning>` "
                    "under glossary:",
                )
            )
            break
    return sorted(out, key=lambda p: (p.line, p.col))
