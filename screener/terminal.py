"""Text from people and files made safe to print: no control character reaches a terminal.

A name, id, contact, file name or content title can hold anything: ESC and C1
controls (clear the screen, set the window title, an OSC 8 link to any URL),
NUL, bidi overrides that reorder what is shown, lone surrogates from an
undecodable argument (which make printing raise). ``printable`` replaces each
with a visible escape (``\\x1b``, ``\\x9b``, ``\\u202e``), so the text stays
recognisable and the terminal receives none of them. ``json_text`` and
``json_bytes`` do the same for JSON output with JSON's own ``\\u`` escapes, so
the value a program reads back is unchanged.

Only ``re`` is imported: the CLI's error path uses this before anything heavy.
"""

from __future__ import annotations

import re

#: C0 controls, DEL, C1 controls, line/paragraph separators, bidi embeddings,
#: overrides and isolates, and lone surrogates.
_UNSAFE = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: The same but keeping tab and newline: for whole screens, where they are layout.
_UNSAFE_IN_LAYOUT = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
#: What JSON writers leave raw but a terminal may act on (JSON escapes C0 itself).
_UNSAFE_IN_JSON = re.compile("[\x7f-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]")
#: The same characters as UTF-8 bytes (valid UTF-8 from orjson: each sequence is one char).
_UNSAFE_JSON_BYTES = re.compile(
    b"\x7f|\xc2[\x80-\x9f]|\xe2\x80[\xa8\xa9\xaa-\xae]|\xe2\x81[\xa6-\xa9]"
)


def _visible(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """``text`` on one line with every control character shown as an escape (``\\x1b``).

    For any user- or file-supplied text in a message or a table cell. Tab and
    newline are escaped too: a one-line error stays one line.
    """
    return _UNSAFE.sub(_visible, text)


def printable_layout(text: str) -> str:
    """Like ``printable`` but keeping tab and newline: for rendered screens."""
    return _UNSAFE_IN_LAYOUT.sub(_visible, text)


def _json_escape(match: re.Match[str]) -> str:
    return f"\\u{ord(match.group()):04x}"


def json_text(document: str) -> str:
    """A JSON document (``json.dumps(..., ensure_ascii=False)``) with C1, DEL, bidi
    controls and lone surrogates written as ``\\uXXXX``: the same JSON value."""
    return _UNSAFE_IN_JSON.sub(_json_escape, document)


def _json_escape_bytes(match: re.Match[bytes]) -> bytes:
    return b"\\u%04x" % ord(match.group().decode())


def json_bytes(document: bytes) -> bytes:
    """``json_text`` for orjson's UTF-8 output; returns ``document`` itself when clean."""
    if b"\x7f" not in document and b"\xc2" not in document and b"\xe2" not in document:
        return document  # the common case, found at memchr speed
    return _UNSAFE_JSON_BYTES.sub(_json_escape_bytes, document)
