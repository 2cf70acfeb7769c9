"""The ``screener`` command line: parse options, call the library, render.

``app.py`` builds the typer app from the command modules (``content``,
``candidate``, ``recruiter``, ``data``), which share ``base``. ``main`` is the
console-script entry point; importing this package loads nothing else, so
``screener --version`` stays quick.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``screener`` with ``argv`` (default ``sys.argv[1:]``); exits with its code."""
    from screener.cli.app import main as run

    run(argv)
