"""The text bar of a score from 0 to 100 with its cut marked: one rule for every screen.

``render`` (the terminal, in rich colours) and ``report`` (Markdown) both draw
it with ``text_bar``; only the characters differ (a terminal that cannot show
block characters gets ``#`` and ``.``).
"""

from __future__ import annotations

__all__ = ["text_bar"]


def text_bar(
    score: float | None,
    cut: float | None,
    width: int = 20,
    *,
    full: str = "█",
    empty: str = "░",
    unscored: str = "·",
) -> str:
    """``width`` cells: ``full`` up to the score (clipped to 0..100), ``empty`` after it,
    ``|`` at the cut (when given); ``unscored`` in every cell when there is no score."""
    if width < 1:
        raise ValueError(f"a bar needs at least one cell, not {width}")
    if score is None:
        return unscored * width
    filled = round(max(0.0, min(100.0, score)) / 100 * width)
    cells = [full] * filled + [empty] * (width - filled)
    if cut is not None:
        cells[min(width - 1, max(0, round(cut / 100 * width)))] = "|"
    return "".join(cells)
