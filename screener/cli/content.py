"""Commands about content, for whoever writes or checks it: ``assessments``, ``modules``,
``validate`` (assessments, modules and programs) and ``schema``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from screener.cli.base import JsonOpt, emit_json, settings


def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the content in use).")
    ] = None,
) -> None:
    """Check assessments, modules and programs; print every problem as file:line:col: message."""
    from screener.catalog import Catalog, check_paths, content_files, load_catalog, yaml_files
    from screener.errors import ContentError
    from screener.program import check_programs, program_dirs
    from screener.render import console, printable

    err = console(stderr=True)
    known: Catalog | None = None
    if paths:
        try:
            known = load_catalog(settings(ctx).content_dirs)
        except ContentError:
            known = None  # the given files are checked on their own
        files = [f for p in paths for f in yaml_files(p)]
        files += [f for p in paths if p.is_dir() for f in _program_folder_files(p)]
        targets = [f for f in files if not _is_program(f)]
        program_sets = _program_sets([f for f in files if _is_program(f)])
    else:
        targets = content_files(settings(ctx).content_dirs)
        program_sets = [
            sorted(f for f in d.rglob("*") if f.suffix in (".yaml", ".yml") and f.is_file())
            for d in program_dirs(settings(ctx).content_dirs)
            if d.is_dir()
        ]
    checked, problems = check_paths(targets, known)
    # programs name an assessment and modules: those in use and those being checked
    assessments: dict[str, object] = dict(known.assessments) if known else {}
    modules: dict[str, object] = dict(known.modules) if known else {}
    for c in checked:
        if c.model is not None:
            (assessments if c.kind == "assessment" else modules)[c.model.id] = c.model
    programs = 0
    for program_files in program_sets:  # one folder at a time: a later one may replace an id
        found, program_problems = check_programs(program_files, assessments, modules)
        programs += len(found)
        problems += program_problems
    # warnings (``file:line:col: warning: ...``) follow the problems and never fail
    warnings = [warning for c in checked for warning in c.warnings]
    for problem in [*problems, *warnings]:
        sys.stdout.write(f"{printable(str(problem))}\n")
    files_checked = len(checked) + programs
    also = f", {len(warnings)} warning(s)" if warnings else ""
    if problems:
        err.print(f"{len(problems)} problem(s){also} in {files_checked} file(s)", style="red")
        raise typer.Exit(1)
    err.print(f"ok: {files_checked} file(s), no problems{also}", style="green")


def _program_folder_files(folder: Path) -> list[Path]:
    """The YAML files under every ``programs/`` folder inside ``folder`` (content files
    leave those out)."""
    from screener.catalog import PROGRAMS_DIR

    return sorted(
        f
        for f in folder.rglob("*")
        if f.suffix in (".yaml", ".yml")
        and f.is_file()
        and PROGRAMS_DIR in f.relative_to(folder).parts[:-1]
    )


def _programs_root(path: Path) -> Path | None:
    """The ``programs/`` folder a file is in, at any depth."""
    from screener.catalog import PROGRAMS_DIR

    for parent in path.parents:
        if parent.name == PROGRAMS_DIR:
            return parent
    return None


def _is_program(path: Path) -> bool:
    """A program file: inside a ``programs/`` folder, or a mapping with ``stages``."""
    if _programs_root(path) is not None:
        return True
    from screener.yamlsource import parse

    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeError):
        return False  # checked as content, which reports why it cannot be read
    value = parse(text, str(path)).value
    return isinstance(value, dict) and "stages" in value and "items" not in value


def _program_sets(files: list[Path]) -> list[list[Path]]:
    """Program files grouped by the ``programs/`` folder (else the folder) they are in:
    ids must be unique within a group, and a later group may define one again."""
    groups: dict[Path, list[Path]] = {}
    for f in files:
        groups.setdefault(_programs_root(f) or f.parent, []).append(f)
    return [sorted(set(group)) for group in groups.values()]


def schema(
    kind: Annotated[str, typer.Argument(help="assessment, module, program or all")] = "all",
) -> None:
    """Print the JSON Schema of the content formats (for editors and CI)."""
    from screener.content import Assessment, Module
    from screener.program import Program

    schemas = {
        "assessment": Assessment.model_json_schema(),
        "module": Module.model_json_schema(),
        "program": Program.model_json_schema(),
    }
    if kind == "all":
        emit_json(schemas)
    elif kind in schemas:
        emit_json(schemas[kind])
    else:
        raise typer.BadParameter("choose assessment, module, program or all", param_hint="KIND")


def list_assessments(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the assessments available (bundled and added)."""
    from screener.cli.quick import list_content

    list_content("assessments", settings(ctx).content_dirs, as_json)


def list_modules(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the coaching modules available."""
    from screener.cli.quick import list_content

    list_content("modules", settings(ctx).content_dirs, as_json)
