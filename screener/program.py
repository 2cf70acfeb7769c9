"""Program definitions: the stages around the screening, the moves between them, the core program.

A program file (``programs/*.yaml``) says what happens to a person after the
gate screening: which stages there are, which events move a person from one to
the next, which entry route skips which stages (nominated employees skip the
interview and the hiring), what the core program is made of, and when someone
waiting for an employer is offered the e-learning track. ``docs/program.md``
describes the format.

Loading follows the assessments (``screener.lint``): the YAML is read by
``screener.yamlsource`` with line numbers, the shape is checked by the strict
pydantic models of ``screener.programschema`` and turned into the plain classes
below (what the content cache keeps and the commands use), and the rules that
look across stages, moves and routes are written out in ``lint_program``; every
fault is a ``file:line:col: message`` problem. Nothing here touches the store.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import ClassVar, Literal

from screener.catalog import program_dirs, program_files, program_yaml_under
from screener.content import _Content
from screener.errors import ContentError, NotFoundError
from screener.lint import _at, _duplicates, _from_pydantic
from screener.yamlsource import Parsed, Path_, Problem, parse

PROGRAMS_DIR = "programs"
YAML_SUFFIXES = (".yaml", ".yml")

StageKind = Literal[
    "screening", "coaching", "waiting", "interview", "core", "track", "completed", "left"
]
#: Stages where the program ends for a person: no moves out.
TERMINAL_KINDS: frozenset[str] = frozenset({"completed", "left"})


class _Model(_Content):
    _SCHEMA: ClassVar[str] = "screener.programschema"


class Range(_Model):
    """A span such as 40-50 hours or 3-4 months."""

    min: float
    max: float


class ElearningModule(_Model):
    id: str
    title: str
    hours: float


class Elearning(_Model):
    """Self-paced online modules of basic technical knowledge."""

    kind: Literal["elearning"] = "elearning"
    id: str
    name: str
    description: str | None = None
    weeks: float
    hours: Range
    modules: list[ElearningModule]


class ShopSession(_Model):
    """An in-person practical session in a training shop."""

    kind: Literal["shop_session"] = "shop_session"
    id: str
    name: str
    description: str | None = None
    days: int


class ShopFloor(_Model):
    """Learning on the employer's shop floor with a trainer."""

    kind: Literal["shop_floor"] = "shop_floor"
    id: str
    name: str
    description: str | None = None
    months: Range
    trainer: str


class Certification(_Model):
    """The industry certification that ends the core program."""

    kind: Literal["certification"] = "certification"
    id: str
    name: str
    description: str | None = None
    certificate: str


Component = Elearning | ShopSession | ShopFloor | Certification


class Move(_Model):
    """An event that moves a person from the stage it is listed under to ``to``."""

    event: str
    to: str
    routes: list[str] | None = None
    needs_employer: bool = False
    takes_seat: bool = False
    description: str | None = None


class Stage(_Model):
    """Where a person can be."""

    id: str
    name: str
    kind: StageKind
    component: str | None = None
    description: str | None = None
    moves: list[Move] = field(default_factory=list)


class Route(_Model):
    """A way into the program, e.g. new candidates or employees nominated by their employer."""

    id: str
    name: str
    description: str | None = None
    skips: list[str] = field(default_factory=list)
    leaves_out_modules: list[str] = field(default_factory=list)


class Automatic(_Model):
    """The event kinds screener records by itself."""

    screening_pass: str
    screening_coaching: str
    plan_done: str
    waiting_offer: str


class Program(_Model):
    """A work-based learning program around a gate screening."""

    id: str
    title: str
    version: str
    description: str
    gate: str
    start: str
    waiting_days: int
    automatic: Automatic
    routes: list[Route]
    components: list[Component] = field(default_factory=list)
    stages: list[Stage]
    funnel: list[str]

    # -- lookups ----------------------------------------------------------------

    def stage(self, stage_id: str) -> Stage:
        for stage in self.stages:
            if stage.id == stage_id:
                return stage
        raise NotFoundError(f"no stage '{stage_id}' in program {self.id}")

    def route(self, route_id: str) -> Route:
        for route in self.routes:
            if route.id == route_id:
                return route
        known = ", ".join(r.id for r in self.routes)
        raise NotFoundError(f"no route '{route_id}' in program {self.id} (routes: {known})")

    def component(self, component_id: str) -> Elearning | ShopSession | ShopFloor | Certification:
        for component in self.components:
            if component.id == component_id:
                return component
        raise NotFoundError(f"no component '{component_id}' in program {self.id}")

    @property
    def default_route(self) -> str:
        return self.routes[0].id

    def skipped(self, route_id: str) -> frozenset[str]:
        """The stages people on ``route_id`` never pass through."""
        return frozenset(self.route(route_id).skips)

    def moves_from(self, stage_id: str, route_id: str) -> list[Move]:
        """The moves open to a person on ``route_id`` at ``stage_id``, in file order."""
        return [m for m in self.stage(stage_id).moves if m.routes is None or route_id in m.routes]

    def event_kinds(self) -> list[str]:
        """Every event kind some move reacts to, in file order."""
        seen: dict[str, None] = {}
        for stage in self.stages:
            for move in stage.moves:
                seen.setdefault(move.event, None)
        return list(seen)

    def by_screening(self) -> frozenset[str]:
        """Event kinds that come from the screening and coaching data, never typed in by hand."""
        a = self.automatic
        return frozenset({a.screening_pass, a.screening_coaching, a.plan_done})

    def route_stages(self, route_id: str) -> list[Stage]:
        """The stages of a route (its skipped ones left out), in file order."""
        skipped = self.skipped(route_id)
        return [s for s in self.stages if s.id not in skipped]

    def plan_modules(self, route_id: str, modules: Iterable[str]) -> list[str]:
        """A coaching plan's modules without those the route leaves out (in the given order)."""
        left_out = set(self.route(route_id).leaves_out_modules)
        return [m for m in modules if m not in left_out]


# -- checking one file ----------------------------------------------------------------


@dataclass
class CheckedProgram:
    """One program file's model (None when its shape is wrong) and its faults."""

    filename: str
    model: Program | None
    parsed: Parsed
    problems: list[Problem]


def check_program_text(text: str, filename: str) -> CheckedProgram:
    """Parse and validate one program file on its own (no references to other files)."""
    parsed = parse(text, filename)
    result = CheckedProgram(filename, None, parsed, list(parsed.problems))
    if parsed.value is None:
        return result
    if not isinstance(parsed.value, dict):
        result.problems.append(
            _at(parsed, filename, (), "expected a mapping of fields for a program")
        )
        return result
    if parsed.problems:
        return result  # duplicate keys: the data is not what the author wrote
    from pydantic import ValidationError

    try:
        model = Program.model_validate(parsed.value)  # programschema's model, then plain
    except ValidationError as exc:
        result.problems.extend(_from_pydantic(exc, parsed, filename))
        return result
    result.model = model
    result.problems.extend(lint_program(model, parsed, filename))
    return result


def check_program_file(path: Path) -> CheckedProgram:
    """``check_program_text`` of a file, through the content cache (``catalog.cached``):
    a program file checked before is read back, not parsed and validated again."""
    from screener.catalog import ProgramGate, cache_peek, cache_put, cached

    try:
        raw = path.read_bytes()
        # as read_text: UTF-8, every line ending made "\n"
        text = raw.decode("utf-8").replace("\r\n", "\n").replace("\r", "\n")
    except UnicodeDecodeError as exc:
        checked = check_program_text("", str(path))
        checked.problems = [Problem(str(path), 1, 1, f"not UTF-8 text ({exc.reason})")]
        return checked
    except OSError as exc:
        checked = check_program_text("", str(path))
        checked.problems = [Problem(str(path), 1, 1, f"cannot read: {exc.strerror}")]
        return checked
    checked = cached(raw, str(path), CheckedProgram, lambda: check_program_text(text, str(path)))
    if not checked.problems and checked.model is not None:
        gate = ProgramGate(str(path), checked.model.id, checked.model.gate)
        if cache_peek(raw, str(path), ProgramGate) != gate:
            cache_put(raw, str(path), gate)
    return checked


def _open_to(move: Move, routes: Sequence[str]) -> list[str]:
    return list(routes) if move.routes is None else [r for r in move.routes if r in routes]


def reachable(program: Program, route_id: str) -> set[str]:
    """The stages a person on ``route_id`` can reach from the start (known stages only)."""
    ids = {s.id for s in program.stages}
    if program.start not in ids:
        return set()
    seen = {program.start}
    todo = deque([program.start])
    while todo:
        here = todo.popleft()
        for move in program.stage(here).moves:
            open_here = move.routes is None or route_id in move.routes
            if open_here and move.to in ids and move.to not in seen:
                seen.add(move.to)
                todo.append(move.to)
    return seen


def lint_program(p: Program, parsed: Parsed, filename: str) -> list[Problem]:
    """Rules across a program's stages, moves, routes and components."""
    out: list[Problem] = []

    def at(path: Path_, message: str) -> None:
        out.append(_at(parsed, filename, path, message))

    out += _duplicates(
        ((("stages", n, "id"), s.id) for n, s in enumerate(p.stages)), "stage", parsed, filename
    )
    out += _duplicates(
        ((("routes", n, "id"), r.id) for n, r in enumerate(p.routes)), "route", parsed, filename
    )
    out += _duplicates(
        ((("components", n, "id"), c.id) for n, c in enumerate(p.components)),
        "component",
        parsed,
        filename,
    )
    out += _duplicates(
        (
            (("components", n, "modules", k, "id"), m.id)
            for n, c in enumerate(p.components)
            if isinstance(c, Elearning)
            for k, m in enumerate(c.modules)
        ),
        "e-learning module",
        parsed,
        filename,
    )
    if out:
        return out  # the rules below look stages and routes up by id
    stage_ids = {s.id for s in p.stages}
    route_ids = [r.id for r in p.routes]
    component_ids = {c.id for c in p.components}
    kinds = {s.id: s.kind for s in p.stages}

    if p.start not in stage_ids:
        at(("start",), f"start: unknown stage '{p.start}'")
    elif kinds[p.start] in TERMINAL_KINDS:
        at(("start",), f"start: stage '{p.start}' ends the program; start where moves begin")

    for n, route in enumerate(p.routes):
        for k, skipped in enumerate(route.skips):
            if skipped not in stage_ids:
                at(
                    ("routes", n, "skips", k),
                    f"route '{route.id}': skips unknown stage '{skipped}'",
                )
            elif skipped == p.start:
                at(
                    ("routes", n, "skips", k),
                    f"route '{route.id}': cannot skip the start stage '{skipped}'",
                )

    used_components: set[str] = set()
    for n, stage in enumerate(p.stages):
        here: Path_ = ("stages", n)
        if stage.component is not None:
            used_components.add(stage.component)
            if stage.kind not in ("core", "track"):
                at(
                    (*here, "component"),
                    f"stage '{stage.id}': only core and track stages name a component",
                )
            elif stage.component not in component_ids:
                at(
                    (*here, "component"),
                    f"stage '{stage.id}': unknown component '{stage.component}'",
                )
        elif stage.kind == "core":
            at((*here, "kind"), f"stage '{stage.id}': a core stage names its component")
        if stage.kind in TERMINAL_KINDS and stage.moves:
            at(
                (*here, "moves"),
                f"stage '{stage.id}' is {stage.kind}, which ends the program: it has no moves",
            )
        if stage.kind not in TERMINAL_KINDS and not stage.moves:
            at(
                (*here, "id"),
                f"stage '{stage.id}' has no moves: give it some, or make it completed or left",
            )
        taken: dict[tuple[str, str], int] = {}
        for k, move in enumerate(stage.moves):
            where: Path_ = (*here, "moves", k)
            if move.to not in stage_ids:
                at(
                    (*where, "to"),
                    f"stage '{stage.id}': move '{move.event}' to unknown stage '{move.to}'",
                )
            for j, route_id in enumerate(move.routes or ()):
                if route_id not in route_ids:
                    at(
                        (*where, "routes", j),
                        f"stage '{stage.id}': move '{move.event}' names unknown route '{route_id}'",
                    )
            if move.takes_seat and not move.needs_employer:
                at(
                    (*where, "takes_seat"),
                    f"stage '{stage.id}': move '{move.event}' takes a seat, so it needs_employer",
                )
            for route in p.routes:
                if move.routes is not None and route.id not in move.routes:
                    continue
                if stage.id in route.skips:
                    continue  # never used on this route
                if move.to in route.skips:
                    at(
                        (*where, "to"),
                        f"stage '{stage.id}': move '{move.event}' goes to '{move.to}', which "
                        f"route '{route.id}' skips; limit the move with routes:",
                    )
                first = taken.get((route.id, move.event))
                if first is not None:
                    line = parsed.mark((*here, "moves", first)).line
                    at(
                        where,
                        f"stage '{stage.id}': a second move on '{move.event}' for route "
                        f"'{route.id}' (first at line {line})",
                    )
                else:
                    taken[(route.id, move.event)] = k
    for n, component in enumerate(p.components):
        if component.id not in used_components:
            at(("components", n, "id"), f"component '{component.id}' is in no stage")
        ranges: list[tuple[str, Range]] = []
        if isinstance(component, Elearning):
            ranges.append(("hours", component.hours))
        if isinstance(component, ShopFloor):
            ranges.append(("months", component.months))
        for name, span in ranges:
            if span.min > span.max:
                at(
                    ("components", n, name),
                    f"component '{component.id}': {name} {span.min:g}-{span.max:g} is inverted",
                )
        if isinstance(component, Elearning):
            total = sum(m.hours for m in component.modules)
            if not component.hours.min <= total <= component.hours.max:
                at(
                    ("components", n, "modules"),
                    f"component '{component.id}': the modules add up to {total:g} hours, "
                    f"outside {component.hours.min:g}-{component.hours.max:g}",
                )
    for k, stage_id in enumerate(p.funnel):
        if stage_id not in stage_ids:
            at(("funnel", k), f"funnel: unknown stage '{stage_id}'")
    out += _duplicates(
        ((("funnel", k), s) for k, s in enumerate(p.funnel)), "funnel stage", parsed, filename
    )
    if out:
        return out  # reachability means little while moves point nowhere
    out += _lint_reach(p, parsed, filename)
    return out


def _lint_reach(p: Program, parsed: Parsed, filename: str) -> list[Problem]:
    """Every stage reachable; each route reaches exactly the stages it does not skip and can
    finish; the automatic events can happen where the program needs them."""
    out: list[Problem] = []

    def at(path: Path_, message: str) -> None:
        out.append(_at(parsed, filename, path, message))

    event_kinds = set(p.event_kinds())
    reached = {r.id: reachable(p, r.id) for r in p.routes}
    for n, stage in enumerate(p.stages):
        routes_here = [r for r in p.routes if stage.id in reached[r.id]]
        if not routes_here:
            at(
                ("stages", n, "id"),
                f"stage '{stage.id}' cannot be reached from '{p.start}' on any route",
            )
            continue
        for route in p.routes:
            if stage.id not in reached[route.id] and stage.id not in route.skips:
                at(
                    ("stages", n, "id"),
                    f"stage '{stage.id}' cannot be reached on route '{route.id}': "
                    f"add it to the route's skips or give the route a way there",
                )
    for n, route in enumerate(p.routes):
        if not any(p.stage(s).kind == "completed" for s in reached[route.id]):
            at(("routes", n, "id"), f"route '{route.id}' can never reach a completed stage")
    for field_name, kind in p.automatic.model_dump().items():
        if kind not in event_kinds:
            at(
                ("automatic", field_name),
                f"automatic.{field_name}: no stage has a move on '{kind}'",
            )
    start = p.stage(p.start)
    for route in p.routes:
        if not any(m.event == p.automatic.screening_pass for m in p.moves_from(start.id, route.id)):
            at(
                ("automatic", "screening_pass"),
                f"the start stage '{start.id}' has no move on '{p.automatic.screening_pass}' "
                f"for route '{route.id}'",
            )
    for n, stage in enumerate(p.stages):
        if stage.kind != "waiting":
            continue
        for route in p.routes:
            if stage.id in route.skips:
                continue
            if not any(
                m.event == p.automatic.waiting_offer for m in p.moves_from(stage.id, route.id)
            ):
                at(
                    ("stages", n, "moves"),
                    f"waiting stage '{stage.id}' has no move on '{p.automatic.waiting_offer}' "
                    f"for route '{route.id}' (made after waiting_days)",
                )
    return out


def check_program_references(
    checked: CheckedProgram,
    assessments: Mapping[str, object],
    modules: Mapping[str, object],
) -> list[Problem]:
    """Rules across files: the gate assessment and the modules a route leaves out must exist."""
    p = checked.model
    if p is None:
        return []
    out: list[Problem] = []
    if p.gate not in assessments:
        out.append(
            _at(checked.parsed, checked.filename, ("gate",), f"gate: no assessment '{p.gate}'")
        )
    for n, route in enumerate(p.routes):
        for k, module in enumerate(route.leaves_out_modules):
            if module not in modules:
                out.append(
                    _at(
                        checked.parsed,
                        checked.filename,
                        ("routes", n, "leaves_out_modules", k),
                        f"route '{route.id}': no module with id '{module}'",
                    )
                )
    return out


# -- where programs come from -----------------------------------------------------------


def is_program_file(path: Path) -> bool:
    """Whether a PROGRAM argument names a YAML file rather than an id."""
    return path.suffix in YAML_SUFFIXES and path.is_file()


def check_programs(
    paths: Iterable[Path],
    assessments: Mapping[str, object],
    modules: Mapping[str, object],
) -> tuple[list[CheckedProgram], list[Problem]]:
    """Check program files as one set against the assessments and modules in use; an id
    used by two of the files is a fault."""
    checked = [check_program_file(path) for path in paths]
    problems = [problem for c in checked for problem in c.problems]
    first: dict[str, str] = {}
    for c in checked:
        if c.problems or c.model is None:
            continue
        problems += check_program_references(c, assessments, modules)
        if c.model.id in first:
            problems.append(
                _at(
                    c.parsed,
                    c.filename,
                    ("id",),
                    f"program id '{c.model.id}' is also used by {first[c.model.id]}",
                )
            )
        first.setdefault(c.model.id, c.filename)
    return checked, problems


def load_programs(
    extra: Sequence[Path] = (),
    *,
    assessments: Mapping[str, object] | None = None,
    modules: Mapping[str, object] | None = None,
) -> dict[str, Program]:
    """Every program in use by id; any fault raises ``ContentError`` listing them all.

    ``assessments`` and ``modules`` default to the content catalog in use."""
    if assessments is None or modules is None:
        from screener.catalog import load_catalog

        catalog = load_catalog(extra)
        assessments = catalog.assessments if assessments is None else assessments
        modules = catalog.modules if modules is None else modules
    programs: dict[str, Program] = {}
    problems: list[Problem] = []
    for folder in program_dirs(extra):
        # a later content root may define a program id again: it replaces the earlier one
        checked, found = check_programs(program_yaml_under(folder), assessments, modules)
        problems += found
        programs.update({c.model.id: c.model for c in checked if c.model is not None})
    if problems:
        raise ContentError([str(p) for p in problems])
    return programs


def load_program(
    ref: str | None,
    extra: Sequence[Path] = (),
    *,
    assessments: Mapping[str, object] | None = None,
    modules: Mapping[str, object] | None = None,
) -> Program:
    """A program by id, by the path of a YAML file, or the only one in use (``ref`` None)."""
    if ref is not None and is_program_file(Path(ref)):
        if assessments is None or modules is None:
            from screener.catalog import load_catalog

            catalog = load_catalog(extra)
            assessments = catalog.assessments if assessments is None else assessments
            modules = catalog.modules if modules is None else modules
        checked, problems = check_programs([Path(ref)], assessments, modules)
        if problems or checked[0].model is None:
            raise ContentError([str(p) for p in problems] or [f"{ref}: not a program"])
        return checked[0].model
    programs = load_programs(extra, assessments=assessments, modules=modules)
    known = ", ".join(sorted(programs)) or "none"
    if ref is None:
        if len(programs) == 1:
            return next(iter(programs.values()))
        raise NotFoundError(f"name a program (known: {known})")
    if ref not in programs:
        raise NotFoundError(f"no program '{ref}' (known: {known})")
    return programs[ref]


__all__ = [
    "TERMINAL_KINDS",
    "Automatic",
    "Certification",
    "CheckedProgram",
    "Component",
    "Elearning",
    "ElearningModule",
    "Move",
    "Program",
    "Range",
    "Route",
    "ShopFloor",
    "ShopSession",
    "Stage",
    "check_program_file",
    "check_program_references",
    "check_program_text",
    "check_programs",
    "lint_program",
    "load_program",
    "load_programs",
    "program_dirs",
    "program_files",
    "reachable",
]
