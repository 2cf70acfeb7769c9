"""``screener --version``, ``screener assessments`` and ``screener modules``, run
without building the typer app.

Listing what is installed is the first thing a new user runs and what scripts
run most, and importing typer and building its app costs more than the listing
itself (typer alone is about 60 ms of the 150 ms these commands may take). So
``quick`` runs them when the arguments have exactly one of their plain shapes::

    [--db X | --content-dir DIR ...] --version
    [--db X | --content-dir DIR ...] assessments|modules [--json]

(each global option also as ``--opt=value``) and leaves everything else (help,
shell completion, any other option or word) to the app. Both ways run
``list_content`` and end through ``ending.finish``, so the output, the error
lines and the exit code are the same bytes (tests/test_cli_quick.py).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path

#: The global options that take a value (``app._root``), skipped wherever the command's
#: name is looked for (here and ``app._named``). ``--db`` is unused by the commands
#: run here (typer reads it, or $SCREENER_DB, for the others).
VALUED = ("--db", "--content-dir")
LISTINGS = ("assessments", "modules")


def list_content(kind: str, content_dirs: Sequence[Path], as_json: bool) -> None:
    """``screener assessments`` (``kind`` "assessments") or ``screener modules``:
    a table, or the rows as JSON."""
    from screener.catalog import listing

    rows = listing(kind, content_dirs)  # cached: no parsing, no models
    if as_json:
        from screener.cli.output import emit_json

        emit_json(rows)
        return
    from screener.render import catalog_table, console, modules_table

    console().print(catalog_table(rows) if kind == "assessments" else modules_table(rows))


def _shape(args: Sequence[str]) -> tuple[list[Path], list[str]] | None:
    """(the --content-dir folders, the words after the global options), or None when a
    global option is given in a way only the app reads (no value, or a value that
    looks like an option)."""
    dirs: list[Path] = []
    i = 0
    while i < len(args):
        word = args[i]
        name, eq, value = word.partition("=")
        if name not in VALUED:
            break
        if not eq:
            if i + 1 >= len(args):
                return None
            value = args[i + 1]
            i += 1
        if not value or value.startswith("-"):
            return None
        if name == "--content-dir":
            dirs.append(Path(value))
        i += 1
    return dirs, list(args[i:])


def quick(args: Sequence[str]) -> int | None:
    """The exit code of running ``args`` here, or None when the typer app must run them."""
    if "_SCREENER_COMPLETE" in os.environ:
        return None
    shape = _shape(args)
    if shape is None:
        return None
    dirs, rest = shape
    if rest == ["--version"]:
        from screener.cli.ending import finish

        return finish(_version, lambda: ("", list(args)))
    if not rest or rest[0] not in LISTINGS or rest[1:] not in ([], ["--json"]):
        return None
    import warnings

    from screener.cli.ending import finish, warning_line

    warnings.showwarning = warning_line
    return finish(
        lambda: list_content(rest[0], dirs, rest[1:] == ["--json"]), lambda: (rest[0], list(args))
    )


def _version() -> None:
    from screener import __version__

    sys.stdout.write(f"screener {__version__}\n")
