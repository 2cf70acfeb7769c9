"""The ``screener`` command line: parse options, call the library, render.

``app.py`` builds the typer app from the command modules (``content``,
``candidate``, ``recruiter``, ``data``), which share ``base``. ``main`` is the
console-script entry point; importing this package loads nothing else.
``screener --version``, ``assessments`` and ``modules`` in their plain shapes run
without the typer app (``quick``): listing the content is quicker than building it.
"""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["main"]


def main(argv: Sequence[str] | None = None) -> None:
    """Run ``screener`` with ``argv`` (default ``sys.argv[1:]``); exits with its code."""
    import sys

    from screener.cli.quick import quick

    code = quick(sys.argv[1:] if argv is None else argv)
    if code is not None:
        sys.exit(code)
    from screener.cli.app import main as run

    run(argv)
