"""JSON Lines (one object per attempt and line) and JSON (one array of those objects).

Values keep their JSON types (numbers, null, the plan as a list of module ids).
No formula neutralising: JSON is read by programs, not spreadsheets, and must
carry names exactly as stored. DEL, C1 and bidi controls are written as
``\\uXXXX`` escapes (``terminal.json_bytes``; orjson escapes C0 itself): the
same value for a reader, nothing a terminal acts on when shown raw.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import BinaryIO

import orjson

from screener.exporting.interface import Cell, Column
from screener.terminal import json_bytes


class JsonLinesWriter:
    def write(self, out: BinaryIO, columns: Sequence[Column], rows: Iterable[list[Cell]]) -> int:
        keys = [c.name for c in columns]
        count = 0
        for row in rows:
            out.write(json_bytes(orjson.dumps(dict(zip(keys, row, strict=True)))) + b"\n")
            count += 1
        return count


class JsonWriter:
    """One JSON array, written element by element (never built whole in memory)."""

    def write(self, out: BinaryIO, columns: Sequence[Column], rows: Iterable[list[Cell]]) -> int:
        keys = [c.name for c in columns]
        count = 0
        out.write(b"[")
        for row in rows:
            out.write(b",\n" if count else b"\n")
            out.write(json_bytes(orjson.dumps(dict(zip(keys, row, strict=True)))))
            count += 1
        out.write(b"\n]\n" if count else b"]\n")
        return count
