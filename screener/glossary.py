"""Which glossary words a screen uses, so the candidate can look them up (pure).

A file's ``glossary:`` maps a shop word to its plain meaning. ``terms_in`` finds
the entries a screen's text uses, in the order they first appear: a word of
``screener.lint.SHOP_WORDS`` in any of its forms ("locked out" for "lockout",
"parting lines" for "parting line"), any other entry as itself or its plural.
All-capital abbreviations ("PM", "SDS") match in capitals only, as ``validate``
matches them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from functools import lru_cache

from screener.lint import SHOP_WORDS

__all__ = ["meanings", "terms_in"]


@lru_cache(maxsize=1024)
def _pattern(term: str) -> re.Pattern[str]:
    cleaned = " ".join(term.split())
    flags = 0 if cleaned.isupper() else re.IGNORECASE
    for word, forms in SHOP_WORDS.items():
        if re.fullmatch(forms, cleaned, 0 if word.isupper() else re.IGNORECASE):
            body = forms
            break
    else:
        body = r"\s+".join(map(re.escape, cleaned.split())) + "(?:s|es)?"
    return re.compile(rf"(?<![\w-])(?:{body})(?![\w-])", flags)


def terms_in(glossary: Mapping[str, str], texts: Iterable[str]) -> list[str]:
    """The glossary entries the texts use, in the order they first appear."""
    joined = "\n".join(texts)
    found: list[tuple[int, str]] = []
    for term in glossary:
        match = _pattern(term).search(joined)
        if match is not None:
            found.append((match.start(), term))
    return [term for _, term in sorted(found)]


def meanings(glossary: Mapping[str, str], terms: Iterable[str]) -> list[tuple[str, str]]:
    """(word, meaning) for each term, in the order given."""
    return [(term, glossary[term]) for term in terms if term in glossary]
