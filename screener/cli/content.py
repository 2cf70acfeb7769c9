"""Commands about content, for whoever writes or checks it: ``assessments``, ``modules``,
``validate`` and ``schema``."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from screener.cli.base import JsonOpt, catalog_for, emit_json, settings


def validate(
    ctx: typer.Context,
    paths: Annotated[
        list[Path] | None, typer.Argument(help="Files or folders (default: the content in use).")
    ] = None,
) -> None:
    """Check assessments and modules; print every problem as file:line:col: message."""
    from screener.catalog import Catalog, check_paths, content_files, load_catalog
    from screener.errors import ContentError
    from screener.render import console, printable

    err = console(stderr=True)
    known: Catalog | None = None
    if paths:
        try:
            known = load_catalog(settings(ctx).content_dirs)
        except ContentError:
            known = None  # the given files are checked on their own
        targets = list(paths)
    else:
        targets = content_files(settings(ctx).content_dirs)
    checked, problems = check_paths(targets, known)
    # warnings (``file:line:col: warning: ...``) follow the problems and never fail
    warnings = [warning for c in checked for warning in c.warnings]
    for problem in [*problems, *warnings]:
        sys.stdout.write(f"{printable(str(problem))}\n")
    files = len(checked)
    also = f", {len(warnings)} warning(s)" if warnings else ""
    if problems:
        err.print(f"{len(problems)} problem(s){also} in {files} file(s)", style="red")
        raise typer.Exit(1)
    err.print(f"ok: {files} file(s), no problems{also}", style="green")


def schema(
    kind: Annotated[str, typer.Argument(help="assessment, module or all")] = "all",
) -> None:
    """Print the JSON Schema of the content formats (for editors and CI)."""
    from screener.content import Assessment, Module

    schemas = {"assessment": Assessment.model_json_schema(), "module": Module.model_json_schema()}
    if kind == "all":
        emit_json(schemas)
    elif kind in schemas:
        emit_json(schemas[kind])
    else:
        raise typer.BadParameter("choose assessment, module or all", param_hint="KIND")


def list_assessments(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the assessments available (bundled and added)."""
    from screener.render import catalog_table, console

    catalog = catalog_for(ctx)
    rows = [
        {
            "id": a.id,
            "title": a.title,
            "version": a.version,
            "forms": a.form_names(),
            "competencies": len(a.competencies),
            "items": len(a.items),
            "source": str(catalog.sources[a.id]),
        }
        for a in catalog.assessments.values()
    ]
    if as_json:
        emit_json(rows)
        return
    console().print(catalog_table(rows))


def list_modules(ctx: typer.Context, as_json: JsonOpt = False) -> None:
    """List the coaching modules available."""
    from screener.render import console, modules_table

    catalog = catalog_for(ctx)
    rows = [
        {"id": m.id, "title": m.title, "minutes": m.minutes, "competencies": list(m.competencies)}
        for m in catalog.modules.values()
    ]
    if as_json:
        emit_json(rows)
        return
    console().print(modules_table(rows))
