"""``screener batch``'s plain-text output: the summary and the step bar.

Kept apart from ``screener.render`` (which imports rich) so a batch run does not
import rich: the summary is plain text, and the bar is drawn only on a terminal,
importing rich then.
"""

from __future__ import annotations

import sys
from typing import TYPE_CHECKING, Any

from screener.terminal import printable

if TYPE_CHECKING:
    from screener.batch import BatchResult

__all__ = ["Steps", "batch_summary"]


# -- a cohort ----------------------------------------------------------------------------


def batch_summary(result: BatchResult) -> str:
    """``screener batch``'s summary as plain aligned text: readable in a terminal, a log
    or an e-mail alike."""
    scored = result.scored or 1
    any_close = any(row.get("close") for row in result.below_cut)
    stored = (
        "dry run: nothing stored"
        if result.dry_run
        else f"stored {result.stored:,}, already stored {result.skipped:,}"
    )
    lines = [
        f"{printable(result.file)}: {result.rows:,} row(s), {result.scored:,} scored, "
        f"{result.rejected:,} rejected; {stored}",
        printable(f"assessment {result.assessment} {result.version}, form {result.form}"),
        "",
        "Candidates by outcome",
        *_aligned(
            [
                (name, f"{count:,}", f"{100 * count / scored:.1f}%")
                for name, count in result.outcomes.items()
            ]
        ),
        "",
        "Competencies most often below their cut",
        *_aligned(
            [
                (
                    printable(row["competency"]),
                    f"{row['candidates']:,}",
                    f"{100 * row['share']:.1f}%",
                    *([f"{row['close']:,} close to it"] if any_close else []),
                )
                for row in result.below_cut
            ]
        ),
        "",
        "Coaching seats (candidates needing each module)",
        *_aligned(
            [(printable(row["module"]), f"{row['candidates']:,}") for row in result.seats]
            or [("(none)", "0")]
        ),
    ]
    if result.recommended:
        lines += [
            "",
            "Recommended modules (candidates close to a cut)",
            *_aligned(
                [(printable(row["module"]), f"{row['candidates']:,}") for row in result.recommended]
            ),
        ]
    return "\n".join(lines) + "\n"


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of cells: the first left-aligned, the others right-aligned, two spaces apart."""
    if not rows:
        return ["  (none)"]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            cell.ljust(w) if c == 0 else cell.rjust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


class Steps:
    """A progress bar of named steps on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int, first: str = "reading") -> None:
        self.progress: Any = None
        self.task: Any = None
        self.done: list[str] = []
        if sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            from screener.render import console

            self.progress = Progress(
                TextColumn("{task.description:<10}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task(first, total=total)

    def step(self, description: str) -> None:
        self.done.append(description)
        if self.progress is not None:
            self.progress.update(self.task, advance=1, description=description)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None
