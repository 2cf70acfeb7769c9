"""Errors whose message is written for the user: the CLI prints them as one line."""

from __future__ import annotations


class ScreenerError(Exception):
    """Base of every error the CLI turns into a one-line message and an exit code."""

    exit_code = 1


class ContentError(ScreenerError):
    """Content (YAML) that cannot be loaded; carries every problem found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems
        super().__init__(
            problems[0]
            if len(problems) == 1
            else f"{len(problems)} problems:\n" + "\n".join(problems)
        )


class NotFoundError(ScreenerError):
    """A named assessment, module, candidate or attempt does not exist."""


class AnswerError(ScreenerError):
    """An answer that cannot be scored: never scored silently."""

    def __init__(self, item_id: str, value: object, reason: str) -> None:
        self.item_id = item_id
        self.value = value
        self.reason = reason
        super().__init__(f"item {item_id}: {reason} (got {value!r})")


class StoreError(ScreenerError):
    """The results database cannot be opened or written safely."""


class RecordError(ScreenerError, ValueError):
    """A candidate id or name the store refuses to keep; a ValueError too, for older callers."""


class UsageError(ScreenerError):
    """Options that do not make sense together; exit 2 like click's usage errors."""

    exit_code = 2


class PathwayError(ScreenerError):
    """A program move that is not allowed, or events that cannot be replayed."""
