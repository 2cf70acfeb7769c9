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
    import gc
    import sys

    # A command's start-up makes tens of thousands of long-lived containers (modules,
    # classes, functions); at the default threshold (700) the cycle collector walks
    # them 60-100 times, about 6% of a short command (take, show). The commands' own
    # garbage holds few cycles, so collect far less often (bulk work pauses the
    # collector altogether: ``gcpause``).
    gc.set_threshold(50_000, 20, 20)
    if sys.stdout is None:  # started with stdout closed
        from screener.cli.ending import ClosedStdout

        sys.stdout = ClosedStdout()
    from screener.cli.quick import quick

    code = quick(sys.argv[1:] if argv is None else argv)
    if code is not None:
        sys.exit(code)
    from screener.cli.app import main as run

    run(argv)
