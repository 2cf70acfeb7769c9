"""What every command module shares: global settings, common options, the catalog, the
one way to open the store, JSON output and the output-path guard.

Command modules import this module, never ``screener.cli.app`` (which imports
them to register their commands). Heavy modules (the store, numpy, rich
tables) are imported inside functions, so ``screener --help`` stays quick.
"""

from __future__ import annotations

import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

if TYPE_CHECKING:
    from screener.catalog import Catalog
    from screener.content import Assessment
    from screener.store import Store


@dataclass
class Settings:
    """Global options, shared by every command through the click context."""

    db: Path | None = None
    content_dirs: list[Path] = field(default_factory=list)


def settings(ctx: typer.Context) -> Settings:
    obj = ctx.find_root().obj
    return obj if isinstance(obj, Settings) else Settings()


# -- options more than one command takes ---------------------------------------------------

JsonOpt = Annotated[bool, typer.Option("--json", help="Print data as JSON.")]
FormOpt = Annotated[
    str | None, typer.Option("--form", help="Form the answers belong to (default: the first).")
]


# -- content, store, output ----------------------------------------------------------------


def catalog_for(ctx: typer.Context) -> Catalog:
    """Every assessment and module in use (bundled, $SCREENER_CONTENT, --content-dir)."""
    from screener.catalog import load_catalog

    return load_catalog(settings(ctx).content_dirs)


def assessment_for(ctx: typer.Context, ref: str) -> Assessment:
    """An ASSESSMENT argument or --assessment option: an id, or the path of a YAML file."""
    from screener.catalog import load_assessment

    return load_assessment(ref, settings(ctx).content_dirs)


def form_option(assessment: Assessment, form: str | None) -> str:
    """The form a ``--form`` option names (the first when not given); a usage error
    naming the assessment's forms otherwise."""
    from screener.errors import NotFoundError, UsageError

    try:
        return assessment.form(form)
    except NotFoundError as exc:
        raise UsageError(f"--form: {exc}") from None


def open_store(ctx: typer.Context) -> Store:
    """The results store of ``--db`` / ``$SCREENER_DB`` / the user data dir; opening
    it reads nothing (each store call, or one ``transaction``, reads the file)."""
    from screener.store import Store

    return Store(settings(ctx).db)


def emit_json(data: Any) -> None:
    """Data for machines: one JSON document on stdout."""
    from screener.terminal import json_text

    sys.stdout.write(json_text(json.dumps(data, indent=2, ensure_ascii=False)) + "\n")


def guard_output(ctx: typer.Context, option: str, output: Path | None, *inputs: Path) -> None:
    """Refuse to write an output over the results database or over an input file."""
    if output is None:
        return
    from screener.errors import UsageError
    from screener.store import resolve_db_path

    db = resolve_db_path(settings(ctx).db)
    target = output.resolve()
    if target in (db.resolve(), Path(f"{db}.lock").resolve()):
        raise UsageError(f"{option}: {output} is the results database; choose another file")
    for path in inputs:
        if target == path.resolve():
            raise UsageError(f"{option}: {output} is also an input; choose another file")


def interactive(no_input: bool = False) -> bool:
    """Prompts only for a person at a terminal."""
    return not no_input and sys.stdin.isatty()
