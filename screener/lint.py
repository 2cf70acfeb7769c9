"""Turn YAML text into content models and report every fault as ``file:line:col: message``.

Pure: callers read the files. Shape faults come from pydantic and are mapped back
to lines with the marks ``yamlsource`` recorded; the rules that look across items,
forms and files are written out here, one function per model.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import BaseModel, ValidationError

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

Kind = Literal["assessment", "module"]
MODELS: dict[Kind, type[BaseModel]] = {"assessment": Assessment, "module": Module}


@dataclass
class Checked:
    """One file's model (None when its shape is wrong) and its faults."""

    kind: Kind
    filename: str
    model: Assessment | Module | None
    parsed: Parsed
    problems: list[Problem]


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
    try:
        model = MODELS[kind].model_validate(parsed.value)
    except ValidationError as exc:
        result.problems.extend(_from_pydantic(exc, parsed, filename))
        return result
    assert isinstance(model, Assessment | Module)
    result.model = model
    if isinstance(model, Assessment):
        result.problems.extend(lint_assessment(model, parsed, filename))
    else:
        result.problems.extend(lint_module(model, parsed, filename))
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
