"""Candidate-facing text, in one place: a message catalogue keyed by id (pure).

Every sentence a candidate reads (``take``, ``coach``, ``show``, the candidate
report) is an entry of ``MESSAGES``: ``id -> {language: text}``, English (``"en"``)
always filled, placeholders in ``str.format`` style (``{count}``; a literal brace doubled). Code calls
``text("id", name=...)``; the language is ``lang`` or ``SCREENER_LANG`` (default
``"en"``), falling back to English for an entry not yet translated.

A missing id or placeholder raises ``KeyError``; ``tests/test_messages.py`` checks
every id the code uses exists and takes the placeholders its callers pass, so that
never happens at run time. Plurals are entries of their own (``"unit.point"`` and
``"unit.points"``), chosen by ``plural``.

Adding a language: docs/extending.md, "A new language".
"""

from __future__ import annotations

import os

__all__ = ["MESSAGES", "language", "plural", "text"]

DEFAULT_LANGUAGE = "en"

MESSAGES: dict[str, dict[str, str]] = {
    # prompts.py: questionary-style prompts
    "prompt.select_hint": {"en": "(arrow keys, Enter)"},
    "prompt.press_any_key": {"en": "Press any key to go on..."},
}


def language() -> str:
    """The language asked for: ``SCREENER_LANG`` when set, else English."""
    return os.environ.get("SCREENER_LANG") or DEFAULT_LANGUAGE


def text(msg_id: str, /, lang: str | None = None, **values: object) -> str:
    """The message ``msg_id`` in ``lang`` (or ``language()``), placeholders filled
    from ``values``. English when the entry has no text in that language."""
    entry = MESSAGES[msg_id]
    template = entry.get(lang or language()) or entry[DEFAULT_LANGUAGE]
    return template.format(**values)


def plural(msg_id: str, count: int, /, lang: str | None = None, **values: object) -> str:
    """``msg_id + ".one"`` for a count of 1, else ``msg_id + ".many"``; ``count`` is
    passed as a placeholder too."""
    suffix = ".one" if count == 1 else ".many"
    return text(msg_id + suffix, lang, count=count, **values)
