"""Batch readers: a CSV/TSV, XLSX, JSON or JSON Lines file of many candidates' answers.

Every reader gives one :class:`Table`: the candidate ids, names and user-visible
row numbers, and the answer cells stored column-wise in dictionary-encoded form
(like Arrow's dictionary arrays): ``codes[j]`` is an integer array with one
entry per row pointing into ``values``, the distinct raw cells of the whole
file. 100,800 rows x 25 items hold about ten distinct cells, so turning cells
into points later is one small lookup per distinct cell plus one numpy gather
per column, and the file's millions of cell strings are dropped chunk by chunk
as they are read.

Errors in a row are values (:class:`RowError`), not exceptions, so one bad row
never stops the others; a fault in the file as a whole (unreadable, no id
column, duplicate headers) raises :class:`~screener.errors.ContentError`.

Column headers can be renamed to item ids, and answer labels turned into
option ids or numbers, by a mapping file (:func:`read_mapping`)::

    columns:
      "How many millimetres are in one inch?": m2
      "Applicant ID": candidate_id
    answers:
      s1:
        "Stop and tell the lead": b
      "*":
        "Strongly agree": 5
"""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import stat
from collections.abc import Collection, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from itertools import chain, islice, repeat
from operator import itemgetter
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

import numpy as np
import numpy.typing as npt

from screener.errors import ContentError
from screener.gcpause import paused_gc
from screener.yamlsource import parse

if TYPE_CHECKING:
    from screener.forked import Shared

CellValue = str | int | float | None
"""What a mapping can turn an answer label into: an option id or a number."""

DELIMITED = (".csv", ".tsv", ".txt")
JSON_LINES = (".jsonl", ".ndjson")
FORMATS = (*DELIMITED, ".xlsx", ".json", *JSON_LINES)
DELIMITERS = ",;\t|"

_CHUNK = 2048  # rows decoded at a time: bounds memory; small chunks stay in the CPU cache
_SAMPLE = 64 * 1024  # characters read to sniff the delimiter
_PLAIN = frozenset({str, int, float, type(None)})  # types whose == never confuses answers

CELL_LIMIT = 131_072
"""The longest cell (characters) of any format: the csv module's own field limit.

A cell past it is a row error (XLSX, JSON) or a file error (CSV, where the
csv module stops), so a small file cannot carry a 600 MB name into the store.
"""
SHOWN_PROBLEMS = 20  # file-level problems listed in one error; the rest are counted
HEADER_SEARCH = 10  # rows (not blank) searched for the header row holding the id column
COMMENT = "# "  # an id cell starting with this makes the row a comment (no id has a space)
TEMPLATE_HELP_SHEET = "Allowed answers"  # the template's second sheet, skipped when read
#: What form tools (Google Forms, Microsoft Forms) add to every response: ``batch``
#: leaves these columns out (named on stderr); they never hold answers (folded).
FORM_TOOL_HEADERS = frozenset(
    {
        "timestamp",
        "start time",
        "completion time",
        "last modified time",
        "submitted at",
        "submission date",
    }
)
#: Headers read as contact details unless ``--contact-column`` names others (folded).
CONTACT_HEADERS = frozenset(
    {
        "contact",
        "email",
        "e-mail",
        "email address",
        "e-mail address",
        "phone",
        "phone number",
        "telephone",
        "mobile",
        "cell",
    }
)
_SHOWN_TEXT = 80  # characters of a cell or header quoted in a message


def capped(problems: list[str], limit: int = SHOWN_PROBLEMS, what: str = "problem(s)") -> list[str]:
    """The first ``limit`` problems and a count of the others.

    A header of a million duplicate or unknown columns must give a screenful,
    not a million lines (or one 10 MB line).
    """
    if len(problems) <= limit:
        return problems
    return [*problems[:limit], f"… and {len(problems) - limit:,} more {what}"]


def shorten(text: str, width: int = _SHOWN_TEXT) -> str:
    """``text`` cut to ``width`` characters, marked with "…" when cut."""
    return text if len(text) <= width else text[: width - 1] + "…"


@dataclass(frozen=True)
class RowError:
    """One bad row or cell: ``row`` as the user sees it, ``column`` as headed in the file.

    ``column`` is ``""`` when the fault is in the row as a whole (a line that is
    not JSON, a CSV row with the wrong number of fields).
    """

    row: int
    column: str
    value: str
    message: str

    def __str__(self) -> str:
        """One short line: long headers and values are cut (the --errors file has them)."""
        column = shorten(self.column)
        where = f"row {self.row}" + (f", column {column!r}" if self.column else "")
        shown = f" (got {shorten(self.value)!r})" if self.value else ""
        return f"{where}: {self.message}{shown}"


def cell_text(value: object) -> str:
    """A raw cell as text for messages and error files (``""`` for an empty cell)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


@dataclass(frozen=True)
class Table:
    """The rows of one batch file, column-wise.

    ``columns`` are the answer columns' keys after any mapping (normally item
    ids) and ``headers`` the same columns as headed in the file. Row ``i`` has
    number ``rows[i]`` (CSV/XLSX: the header is row 1; JSON: index + 1; JSON
    Lines: line number), id ``ids[i]``, name ``names[i]`` and in column ``j``
    the raw cell ``values[codes[j][i]]``. Rows named in ``errors`` are kept (so
    indexes stay aligned) but must not be scored.
    """

    source: Path
    format: str
    id_column: str
    name_column: str | None
    columns: tuple[str, ...]
    headers: tuple[str, ...]
    rows: npt.NDArray[np.int64]
    ids: list[str]
    names: list[str | None]
    # shape (len(columns), len(rows)), one array per column; the narrowest unsigned
    # type that holds len(values) (uint8 for most files)
    codes: npt.NDArray[np.integer[Any]]
    values: list[object]
    errors: tuple[RowError, ...] = ()
    mapping: Mapping | None = None  # the mapping the headers were read with
    #: per row the contact details of its contact columns (joined by "; "), or None
    contacts: list[str | None] | None = None
    contact_headers: tuple[str, ...] = ()  # the contact columns as headed in the file
    ignored: tuple[str, ...] = ()  # columns left out (a mapping's ``ignore``), as headed

    def __len__(self) -> int:
        return len(self.ids)

    def without(self, keys: Iterable[str]) -> Table:
        """The same table without the answer columns ``keys`` (listed in ``ignored``)."""
        drop = set(keys)
        keep = [j for j, key in enumerate(self.columns) if key not in drop]
        if len(keep) == len(self.columns):
            return self
        gone = tuple(h for h, key in zip(self.headers, self.columns, strict=True) if key in drop)
        return replace(
            self,
            columns=tuple(self.columns[j] for j in keep),
            headers=tuple(self.headers[j] for j in keep),
            codes=self.codes[keep],
            ignored=(*self.ignored, *gone),
        )

    def column(self, key: str) -> list[object]:
        """The raw cells of one column (by item id / key), in row order."""
        j = self.columns.index(key)
        values = self.values
        return [values[c] for c in self.codes[j].tolist()]

    def cell(self, i: int, key: str) -> object:
        return self.values[int(self.codes[self.columns.index(key), i])]

    def bad_rows(self) -> npt.NDArray[np.bool_]:
        """A mask of the rows that have a row error already (id or structure)."""
        mask = np.zeros(len(self.ids), dtype=bool)
        if self.errors:
            position = {int(r): i for i, r in enumerate(self.rows.tolist())}
            for err in self.errors:
                index = position.get(err.row)
                if index is not None:
                    mask[index] = True
        return mask


# -- the mapping file -------------------------------------------------------------


@dataclass(frozen=True)
class Mapping:
    """Header texts -> item ids and answer labels -> option ids or numbers, from a YAML file.

    Labels are matched after stripping spaces and ignoring case; an entry for
    an item wins over one for ``"*"`` (every item).
    """

    source: str = ""
    columns: dict[str, str] = field(default_factory=dict)
    answers: dict[str, dict[str, CellValue]] = field(default_factory=dict)
    lines: dict[tuple[str, ...], int] = field(default_factory=dict)
    ignore: frozenset[str] = frozenset()  # headers to leave out (``fold``ed)

    def ignores(self, header: str) -> bool:
        return fold(header) in self.ignore

    def column_key(self, header: str) -> str:
        return self.columns.get(header.strip(), header.strip())

    def answer(self, item_id: str, label: str) -> tuple[bool, CellValue]:
        """``(True, value)`` when ``label`` is mapped for ``item_id`` (or for every item)."""
        folded = fold(label)
        for key in (item_id, "*"):
            table = self.answers.get(key)
            if table is not None and folded in table:
                return True, table[folded]
        return False, None

    def where(self, *path: str) -> str:
        """``file:line`` of an entry, for messages."""
        line = self.lines.get(path)
        return f"{self.source}:{line}" if line else self.source


def fold(label: str) -> str:
    return " ".join(label.split()).casefold()


def read_mapping(path: Path | str) -> Mapping:
    """Load a mapping file; every fault is reported as ``file:line:col: message``."""
    path = Path(path)
    name = str(path)
    refuse_special(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ContentError([f"{name}: cannot read: {exc.strerror}"]) from None
    except UnicodeDecodeError:
        raise ContentError([f"{name}: not UTF-8 text"]) from None
    parsed = parse(text, name)
    if parsed.problems:
        raise ContentError([str(p) for p in parsed.problems])
    problems: list[str] = []

    def at(*keys: str | int) -> str:
        mark = parsed.mark(tuple(keys))
        return f"{name}:{mark.line}:{mark.col}"

    def line(*keys: str | int) -> int:
        return parsed.mark(tuple(keys)).line

    root = parsed.value
    if not isinstance(root, dict):
        raise ContentError([f"{at()}: expected a mapping with 'columns' and/or 'answers'"])
    for key in root:
        if key not in ("columns", "answers"):
            problems.append(f"{at(key)}: unknown key {key!r} (expected 'columns' or 'answers')")
    columns: dict[str, str] = {}
    lines: dict[tuple[str, ...], int] = {}
    raw_columns = root.get("columns", {})
    if raw_columns is None:
        raw_columns = {}
    if not isinstance(raw_columns, dict):
        problems.append(
            f"{at('columns')}: 'columns' must map header texts to item ids "
            "(and may list headers under 'ignore')"
        )
        raw_columns = {}
    given: dict[str, str] = {}
    ignore: set[str] = set()
    raw_ignore = raw_columns.get("ignore")
    if isinstance(raw_ignore, list):  # `ignore:` with a list: headers to leave out
        raw_columns = {k: v for k, v in raw_columns.items() if k != "ignore"}
        for n, header in enumerate(raw_ignore):
            if not isinstance(header, str | int | float) or isinstance(header, bool):
                problems.append(f"{at('columns', 'ignore', n)}: list header texts to ignore")
                continue
            ignore.add(fold(str(header)))
    for header, target in raw_columns.items():
        where = at("columns", header)
        if isinstance(header, bool) or header is None:
            problems.append(f"{where}: quote this header text (YAML reads it as {header!r})")
            continue
        text = str(header).strip()
        if not isinstance(target, str) or not target.strip():
            problems.append(f"{at('columns', header)}: map the header to an item id (text)")
            continue
        if text in columns:
            problems.append(f"{where}: header {text!r} is mapped twice")
            continue
        target = target.strip()
        if target in given:
            problems.append(
                f"{where}: {text!r} and {given[target]!r} are both mapped to {target!r}"
            )
            continue
        given[target] = text
        columns[text] = target
        lines[("columns", text)] = line("columns", header)
    answers: dict[str, dict[str, CellValue]] = {}
    raw_answers = root.get("answers", {})
    if raw_answers is None:
        raw_answers = {}
    if not isinstance(raw_answers, dict):
        problems.append(f"{at('answers')}: 'answers' must map item ids (or '*') to labels")
        raw_answers = {}
    for item_id, labels in raw_answers.items():
        if not isinstance(item_id, str):
            problems.append(f"{at('answers', item_id)}: an item id must be text")
            continue
        lines[("answers", item_id)] = line("answers", item_id)
        if not isinstance(labels, dict) or not labels:
            problems.append(
                f"{at('answers', item_id)}: map each answer label to an option id or a number"
            )
            continue
        table: dict[str, CellValue] = {}
        first: dict[str, str] = {}
        for label, value in labels.items():
            where = at("answers", item_id, label)
            if isinstance(label, bool) or label is None:
                problems.append(f"{where}: quote this label (YAML reads it as {label!r})")
                continue
            text = str(label)
            key = fold(text)
            if key in first:
                problems.append(
                    f"{where}: label {text!r} is the same as {first[key]!r} (case and spaces are ignored)"
                )
                continue
            coerced = parsed.coerced.get(("answers", item_id, label))
            if isinstance(value, bool) or (coerced is not None and coerced[1] == "bool"):
                problems.append(
                    f"{where}: quote {coerced[0] if coerced else value!r}: an option id is text"
                )
                continue
            if not isinstance(value, str | int | float) or (
                isinstance(value, float) and not math.isfinite(value)
            ):
                problems.append(f"{where}: map the label to an option id or a number")
                continue
            first[key] = text
            table[key] = value
            lines[("answers", item_id, key)] = line("answers", item_id, label)
        answers[item_id] = table
    for text in columns:
        if fold(text) in ignore:
            problems.append(
                f"{name}:{lines[('columns', text)]}: header {text!r} is both mapped and ignored"
            )
    if problems:
        raise ContentError(capped(problems))
    return Mapping(name, columns, answers, lines, frozenset(ignore))


# -- reading ----------------------------------------------------------------------


def read_table(
    path: Path | str,
    *,
    id_column: str = "candidate_id",
    name_column: str = "name",
    mapping: Mapping | None = None,
    contact_columns: Sequence[str] | None = (),
    leave_out: Collection[str] = (),
    split: bool = True,
    ahead: Shared | None = None,
) -> Table:
    """Read a batch file; the format comes from the extension.

    ``.csv``/``.tsv``/``.txt`` (the delimiter among ``, ; tab |`` is sniffed;
    UTF-8 with or without a BOM), ``.xlsx`` (one sheet, besides the template's
    ``TEMPLATE_HELP_SHEET``), ``.json`` (a list of objects) and
    ``.jsonl``/``.ndjson`` (one object per line). The name column is optional;
    the id column is not.

    The header is the first row holding the id column (within the first
    ``HEADER_SEARCH`` rows that are not blank, so a title row above it is
    skipped); else the first row that is not blank. A row whose id cell starts
    with ``"# "`` is a comment (the template's row of allowed answers): no id can
    hold a space. ``contact_columns`` are read as each row's contact details
    (joined by ``"; "``); None recognises the usual headers (``CONTACT_HEADERS``).
    Columns headed as in ``leave_out`` (``fold``ed, as ``FORM_TOOL_HEADERS``) are
    left out and listed in ``Table.ignored``, as a mapping's ``ignore`` list is.
    ``split`` False: one process reads a big CSV file, never two (``_read_split``).
    ``ahead``: a forked child already reading pieces of this CSV file
    (``read_piece_ahead``, started by ``batch.read_ahead`` with the same options);
    its rows are used when it cut the same text at the same places.
    """
    path = Path(path)
    refuse_special(path)
    suffix = path.suffix.lower()
    builder = _new_builder(path, id_column, name_column, mapping, contact_columns, leave_out)
    builder.split = split
    builder.ahead = ahead
    readers = {".xlsx": _read_xlsx, ".json": _read_json}
    readers |= dict.fromkeys(DELIMITED, _read_delimited)
    readers |= dict.fromkeys(JSON_LINES, _read_json_lines)
    reader = readers.get(suffix)
    if reader is not None:
        with paused_gc():  # rows are lists: the collector would walk them again and again
            reader(path, builder)
    else:
        raise ContentError(
            [
                f"{path}: cannot read {suffix or 'a file without an extension'} "
                f"(use {', '.join(FORMATS)})"
            ]
        )
    return builder.finish()


def _new_builder(
    path: Path,
    id_column: str,
    name_column: str,
    mapping: Mapping | None,
    contact_columns: Sequence[str] | None,
    leave_out: Collection[str],
) -> _Builder:
    builder = _Builder(path, path.suffix.lower().lstrip("."), id_column, name_column, mapping)
    builder.contact_wanted = contact_columns
    builder.leave_out = frozenset(leave_out)
    return builder


def read_piece_ahead(
    path: Path,
    index: int,
    *,
    id_column: str = "candidate_id",
    name_column: str = "name",
    mapping: Mapping | None = None,
    contact_columns: Sequence[str] | None = (),
    leave_out: Collection[str] = (),
) -> tuple[tuple[tuple[int, ...], int, int], _Piece] | None:
    """In a forked child (``batch.read_ahead``): piece ``index`` of a CSV file, cut as
    ``_read_split`` cuts it, and the cut (where the pieces start, and the length and
    hash of the whole text: the parent takes the piece only when its own text and cut
    are the same). None when the file is not cut. The file is read and cut once."""
    options = (path, id_column, name_column, mapping, contact_columns, tuple(leave_out))
    found = _READ_AHEAD.get(options)
    if found is None:
        builder = _new_builder(path, id_column, name_column, mapping, contact_columns, leave_out)
        with path.open(encoding="utf-8-sig", newline="") as fh:
            delimiter = _sniffed(fh, path, builder)
            text = fh.read()
        cut = _cut(text, delimiter, builder, path)
        bounds = cut[2] if cut is not None else None
        key = (tuple(bounds), len(text), hash(text)) if bounds else None
        found = _READ_AHEAD[options] = (text, delimiter, builder, bounds, key)
    text, delimiter, builder, bounds, key = found
    if not bounds or key is None:
        return None
    with paused_gc():  # rows are lists, as in ``read_table``
        return key, _read_piece(text, bounds, index, delimiter, builder)


#: The text, cut and builder ``read_piece_ahead`` read (in the child; one file).
_READ_AHEAD: dict[object, Any] = {}


def refuse_special(path: Path) -> None:
    """Refuse a FIFO, device or folder as an input: it would hang or be read without end.

    A missing or unreadable path is left to the reader, which names the reason.
    """
    try:
        mode = path.stat().st_mode
    except (OSError, ValueError):
        return
    if stat.S_ISDIR(mode):
        raise ContentError([f"{path}: is a folder, not a file"])
    if not stat.S_ISREG(mode):
        raise ContentError(
            [f"{path}: not a regular file (a pipe or device); save the data to a file first"]
        )


class _Builder:
    """Collects rows chunk by chunk, dictionary-encoding the answer cells."""

    def __init__(
        self,
        path: Path,
        fmt: str,
        id_column: str,
        name_column: str,
        mapping: Mapping | None,
    ) -> None:
        self.path = path
        self.format = fmt
        self.id_column = id_column
        self.name_column = name_column
        self.mapping = mapping
        self.headers: list[str] = []
        self.keys: list[str] = []
        self.id_pos = -1
        self.name_pos: int | None = None
        self.item_pos: list[int] = []
        self.rows: list[npt.NDArray[np.int64]] = []
        self.ids: list[str] = []
        self.names: list[str | None] = []
        self.chunks: list[npt.NDArray[np.int32]] = []
        self.codes: dict[object, int] = {}
        self.values: list[object] = []
        self.errors: list[RowError] = []
        self.structural: set[int] = set()  # rows already rejected as a whole
        self.text_cells = False  # every cell is a str (CSV): skips type checks
        self.long_codes: list[tuple[int, object]] = []  # (code, key) of new cells > CELL_LIMIT
        self.contact_wanted: Sequence[str] | None = ()
        self.contact_pos: list[int] = []
        self.contacts: list[str | None] = []
        self.ignored: list[str] = []
        self.leave_out: frozenset[str] = frozenset()
        self.split = True  # a big CSV file may be read by two processes (``_read_split``)
        self.ahead: Shared | None = None  # its pieces read by a child already

    # header ---------------------------------------------------------------------

    def header(self, cells: Sequence[object], where: str) -> None:
        headers = [cell_text(c).strip() for c in cells]
        while headers and not headers[-1]:
            headers.pop()  # spreadsheets often carry empty trailing header cells
        problems: list[str] = []
        keys = [self.mapping.column_key(h) if self.mapping else h for h in headers]
        seen: dict[str, int] = {}
        for n, (header, key) in enumerate(zip(headers, keys, strict=True)):
            if not header:
                problems.append(f"{where}: column {n + 1} has no header")
                continue
            if len(header) > CELL_LIMIT:
                problems.append(
                    f"{where}: the header of column {n + 1} is longer than "
                    f"{CELL_LIMIT:,} characters ({shorten(header)!r})"
                )
                continue
            if key in seen:
                other, mine = shorten(headers[seen[key]]), shorten(header)
                detail = (
                    f"{other!r} and {mine!r} both give {shorten(key)!r}"
                    if headers[seen[key]] != header
                    else (f"the header {mine!r} appears twice")
                )
                problems.append(f"{where}: {detail}")
                continue
            seen[key] = n
        if problems:
            raise ContentError(capped(problems))
        if self.id_column not in seen:
            likely = next((h for h in headers if _looks_like_id(h)), None)
            hint = f" --id-column {likely!r}" if likely else " --id-column"
            raise ContentError(
                [f"{where}: no {self.id_column!r} column (name the id column with{hint})"]
            )
        self.headers = headers
        self.keys = keys
        self.id_pos = seen[self.id_column]
        self.name_pos = seen.get(self.name_column)
        skip = {self.id_pos, self.name_pos}
        wanted = self.contact_wanted
        if wanted is None:  # the usual contact headers
            self.contact_pos = [
                n for n, h in enumerate(headers) if n not in skip and fold(h) in CONTACT_HEADERS
            ]
        else:
            missing = [c for c in wanted if c not in seen]
            if missing:
                raise ContentError(
                    [f"{where}: no {missing[0]!r} column (given as --contact-column)"]
                )
            self.contact_pos = [seen[c] for c in wanted if seen[c] not in skip]
        skip.update(self.contact_pos)
        mapping = self.mapping
        if self.leave_out or (mapping is not None and mapping.ignore):
            dropped = [
                n
                for n, h in enumerate(headers)
                if n not in skip
                and (fold(h) in self.leave_out or (mapping is not None and mapping.ignores(h)))
            ]
            self.ignored = [headers[n] for n in dropped]
            skip.update(dropped)
        self.item_pos = [n for n in range(len(keys)) if n not in skip]

    @property
    def width(self) -> int:
        return len(self.headers)

    def holds_id(self, record: Sequence[object]) -> bool:
        """Whether ``record`` (a candidate header row) has the id column, after mapping."""
        for cell in record:
            text = cell_text(cell).strip()
            if (self.mapping.column_key(text) if self.mapping else text) == self.id_column:
                return True
        return False

    # rows -------------------------------------------------------------------------

    def error(self, row: int, column: str, value: object, message: str) -> None:
        self.errors.append(RowError(row, column, cell_text(value), message))

    def add(
        self, numbers: Sequence[int], rows: Sequence[Sequence[object]], *, keep_blank: bool = False
    ) -> None:
        """Add complete rows (each exactly ``width`` cells) numbered ``numbers``.

        Rows with every cell empty are dropped (spreadsheets leave such rows
        behind) unless ``keep_blank``.
        """
        if not rows:
            return
        ids = map(itemgetter(self.id_pos), rows)
        chunk_ids = list(map(str.strip, ids) if self.text_cells else map(_id_text, ids))
        # "# " after strip: "#" (a C-level loop: this runs for every row of a file)
        comments = any(map(str.startswith, chunk_ids, repeat("#")))
        if ("" in chunk_ids and not keep_blank) or comments:
            keep = [
                k
                for k, ident in enumerate(chunk_ids)
                if (ident or keep_blank or not _all_blank(rows[k]))
                and not _is_comment(rows[k][self.id_pos])
            ]
            if len(keep) < len(rows):
                numbers = [numbers[k] for k in keep]
                rows = [rows[k] for k in keep]
                chunk_ids = [chunk_ids[k] for k in keep]
                if not rows:
                    return
        names: list[str | None] = (
            [None] * len(rows)
            if self.name_pos is None
            else list(map(_name_text, map(itemgetter(self.name_pos), rows)))
        )
        if self.contact_pos:
            positions = self.contact_pos
            self.contacts.extend(
                "; ".join(t for t in (_name_text(row[p]) for p in positions) if t) or None
                for row in rows
            )
        if not self.text_cells and _longest(chunk_ids, names) > CELL_LIMIT:
            self._cut_long_texts(numbers, chunk_ids, names)
        self.rows.append(np.asarray(numbers, dtype=np.int64))
        self.ids.extend(chunk_ids)
        self.names.extend(names)
        positions = self.item_pos
        if not positions:
            self.chunks.append(np.zeros((len(rows), 0), dtype=np.int32))
            return
        if len(positions) == 1:
            flat: list[object] = list(map(itemgetter(positions[0]), rows))
        elif positions == list(range(positions[0], positions[-1] + 1)):
            span = itemgetter(slice(positions[0], positions[-1] + 1))
            flat = list(chain.from_iterable(map(span, rows)))
        else:
            flat = list(chain.from_iterable(map(itemgetter(*positions), rows)))
        codes = self._encode(flat).reshape(len(rows), len(positions))
        if self.long_codes:
            self._reject_long_cells(numbers, codes)
        self.chunks.append(codes)

    def _cut_long_texts(
        self, numbers: Sequence[int], ids: list[str], names: list[str | None]
    ) -> None:
        """Ids and names past ``CELL_LIMIT``: row errors, and only a short prefix is kept."""
        for k, number in enumerate(numbers):
            for pos, texts in ((self.id_pos, ids), (self.name_pos, names)):
                text = texts[k]
                if pos is None or text is None or len(text) <= CELL_LIMIT:
                    continue
                texts[k] = shorten(text)
                self.structural.add(number)
                self.error(number, self.headers[pos], shorten(text), _TOO_LONG)

    def _reject_long_cells(self, numbers: Sequence[int], codes: npt.NDArray[np.int32]) -> None:
        """Rows holding an answer cell past ``CELL_LIMIT``: one row error each.

        The cell itself is dropped from the distinct values (its code now means
        an empty cell), so a 600 MB string is not kept for the rest of the read.
        """
        long = np.fromiter((code for code, _ in self.long_codes), dtype=np.int32)
        hit = np.isin(codes, long)
        for k in np.flatnonzero(hit.any(axis=1)).tolist():
            j = int(np.argmax(hit[k]))
            value = cell_text(self.values[int(codes[k, j])])
            number = numbers[k]
            self.structural.add(number)
            self.error(number, self.headers[self.item_pos[j]], shorten(value), _TOO_LONG)
        for code, key in self.long_codes:
            self.values[code] = None
            del self.codes[key]
        self.long_codes.clear()

    def add_broken(self, row: int, ident: object, message: str, value: object = "") -> None:
        """A row rejected as a whole: kept (empty) so indexes align, with its error."""
        self.structural.add(row)
        self.error(row, "", value, message)
        empty: list[object] = [""] * max(self.width, 1)
        if self.width:
            empty[self.id_pos] = ident if isinstance(ident, str) else _id_text(ident)
        self.add([row], [empty], keep_blank=True)

    def _encode(self, cells: list[object]) -> npt.NDArray[np.int32]:
        codes = self.codes
        values = self.values
        if self.text_cells or set(map(type, cells)) <= _PLAIN:
            keys: list[object] = cells
            try:  # after the first chunk there is rarely a cell not seen before
                return np.fromiter(map(codes.__getitem__, keys), dtype=np.int32, count=len(keys))
            except KeyError:
                pass
            for value in set(cells).difference(codes):
                if isinstance(value, str) and len(value) > CELL_LIMIT:
                    self.long_codes.append((len(values), value))
                codes[value] = len(values)
                values.append(value)
        else:
            # True == 1 and lists are unhashable: key such cells by type and text
            keys = [c if type(c) in _PLAIN else _odd_key(c) for c in cells]
            for key, value in zip(keys, cells, strict=True):
                if key not in codes:
                    if len(cell_text(value)) > CELL_LIMIT:
                        self.long_codes.append((len(values), key))
                    codes[key] = len(values)
                    values.append(value)
        return np.fromiter(map(codes.__getitem__, keys), dtype=np.int32, count=len(keys))

    def merge(self, part: _Part, number: int) -> None:
        """Append the rows a forked reader read (``_read_split``) after row ``number``:
        its answer codes mapped to this builder's (a value new here gets the next code,
        in the child's order, as one reader would have given it)."""
        lut = np.empty(max(len(part.values), 1), dtype=np.int32)
        for j, value in enumerate(part.values):
            code = None if value is None else self.codes.get(value)
            if code is None:
                code = len(self.values)
                if value is not None:  # None: a cell dropped as too long, empty now
                    self.codes[value] = code
                self.values.append(value)
            lut[j] = code
        self.rows.extend(rows + number for rows in part.rows)
        self.ids.extend(part.ids)
        self.names.extend(part.names)
        self.contacts.extend(part.contacts)
        self.chunks.extend(lut[codes] for codes in part.chunks)
        self.errors.extend(replace(e, row=e.row + number) for e in part.errors)
        self.structural.update(row + number for row in part.structural)

    # the end ------------------------------------------------------------------------

    def finish(self) -> Table:
        if not self.headers:
            raise ContentError([f"{self.path}: no header row (the file is empty)"])
        n = len(self.ids)
        rows = np.concatenate(self.rows) if self.rows else np.zeros(0, dtype=np.int64)
        k = len(self.item_pos)
        narrow = next(
            t for t in (np.uint8, np.uint16, np.int32) if len(self.values) <= np.iinfo(t).max
        )
        codes: npt.NDArray[np.integer[Any]]
        if self.chunks:  # one copy, straight into the column-wise layout
            codes = np.concatenate(
                [c.T for c in self.chunks], axis=1, dtype=narrow, casting="unsafe"
            )
        else:
            codes = np.zeros((k, 0), dtype=narrow)
        self._check_ids(rows)
        errors = sorted(self.errors, key=lambda e: e.row)  # stable: columns keep file order
        name_key = self.name_column if self.name_pos is not None else None
        return Table(
            source=self.path,
            format=self.format,
            id_column=self.id_column,
            name_column=name_key,
            columns=tuple(self.keys[p] for p in self.item_pos),
            headers=tuple(self.headers[p] for p in self.item_pos),
            rows=rows,
            ids=self.ids[:n],
            names=self.names[:n],
            codes=codes,
            values=self.values,
            errors=tuple(errors),
            mapping=self.mapping,
            contacts=self.contacts[:n] if self.contact_pos else None,
            contact_headers=tuple(self.headers[p] for p in self.contact_pos),
            ignored=tuple(self.ignored),
        )

    def _check_ids(self, rows: npt.NDArray[np.int64]) -> None:
        ids = self.ids
        header = self.headers[self.id_pos]
        blank = "" in ids
        unique = len(set(ids)) == len(ids)
        if not blank and unique:
            return
        first: dict[str, int] = {}
        structural = self.structural
        for number, ident in zip(rows.tolist(), ids, strict=True):
            if number in structural:
                continue
            if not ident:
                self.error(number, header, "", "missing candidate id")
            elif ident in first:
                self.error(
                    number, header, ident, f"duplicate candidate id (first at row {first[ident]})"
                )
            else:
                first[ident] = number


_TOO_LONG = f"longer than {CELL_LIMIT:,} characters"


def _longest(ids: list[str], names: list[str | None]) -> int:
    """The length of the longest id or name of a chunk (cheap: two C-level passes)."""
    longest_name = max((len(n) for n in names if n is not None), default=0)
    return max(max(map(len, ids), default=0), longest_name)


def _odd_key(value: object) -> object:
    if isinstance(value, bool):
        return ("\0bool", value)
    try:
        hash(value)
    except TypeError:
        return ("\0unhashable", type(value).__name__, repr(value))
    return value


def _id_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, str):
        return value.strip()
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool | list | dict):
        return ""  # not an id; reported as missing
    return str(value).strip()


def _name_text(value: object) -> str | None:
    if value is None:
        return None
    text = cell_text(value).strip()
    return text or None


def _is_comment(cell: object) -> bool:
    """A comment row's id cell: ``"# "`` first (no candidate id holds a space)."""
    return isinstance(cell, str) and cell.lstrip().startswith(COMMENT)


_ID_WORDS = ("id", "applicant", "candidate", "employee", "number", "no.")


def _looks_like_id(header: str) -> bool:
    """Whether a header probably holds the candidate ids (for the hint to --id-column)."""
    words = fold(header).replace("_", " ").replace("-", " ").split()
    return bool(words) and any(w in _ID_WORDS for w in words) and "name" not in words


_NAME_WORDS = ("name", "full name", "candidate name", "applicant name", "first name")


def column_hint(header: str, table: Table) -> str:
    """The fix that applies to an unknown column ``header`` of ``table``: ``--name-column``
    when it looks like a name (and there is no name column), ``--contact-column`` when it
    looks like contact details, else leaving it out or mapping it."""
    folded = fold(header).replace("_", " ")
    if table.name_column is None and (folded in _NAME_WORDS or folded.endswith(" name")):
        return f"it looks like the names: --name-column {header!r}"
    contact = ("mail", "phone", "mobile", "contact")
    if any(word in folded for word in contact):
        return f"it looks like contact details: --contact-column {header!r}"
    if _looks_like_id(header):
        return f"if it holds the candidate ids: --id-column {header!r}"
    return ""


def _all_blank(row: Sequence[object]) -> bool:
    return all(c is None or (isinstance(c, str) and not c.strip()) for c in row)


def _take_header(rows: Iterator[Sequence[Any]], out: _Builder, path: Path) -> int | None:
    """Find the header row and hand it to ``out``; the rows above it are skipped.

    The header is the first row holding the id column among the first
    ``HEADER_SEARCH`` rows that are not blank (a title above the table is
    skipped). When none holds it, the first row that is not blank is given,
    and reports the missing id column. Returns the header's row number
    (1-based), or None for a file of blank rows.
    """
    first: tuple[int, Sequence[Any]] | None = None
    searched = 0
    for number, record in enumerate(rows, 1):
        if not record or _all_blank(record):
            continue
        if first is None:
            first = (number, record)
        if out.holds_id(record):
            out.header(record, f"{path}:{number}")
            return number
        searched += 1
        if searched >= HEADER_SEARCH:
            break
    if first is None:
        return None
    out.header(first[1], f"{path}:{first[0]}")  # raises: no id column
    return first[0]


# -- CSV -------------------------------------------------------------------------------


def sniff_delimiter(sample: str, suffix: str = ".csv") -> str:
    """The delimiter of a delimited text, among ``, ; tab |``; by the extension if unclear."""
    lines = sample.splitlines()[:50]
    default = "\t" if suffix == ".tsv" else ","
    if not lines:
        return default
    try:
        found = csv.Sniffer().sniff("\n".join(lines), delimiters=DELIMITERS).delimiter
    except csv.Error:
        found = ""
    if found in DELIMITERS and found:
        return found
    # the Sniffer gives up on a single line: count outside quotes in the header
    header = lines[0]
    counts = {d: _count_outside_quotes(header, d) for d in DELIMITERS}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else default


def _delimiter_giving_id(sample: str, sniffed: str, out: _Builder) -> str:
    """The sniffed delimiter, unless only another one splits out the id column's header."""
    candidates: list[str] = [sniffed, *DELIMITERS]
    for delimiter in candidates:
        searched = 0
        try:
            for record in csv.reader(io.StringIO(sample), delimiter=delimiter):
                if record and not _all_blank(record):
                    if out.holds_id(record):
                        return delimiter
                    searched += 1
                    if searched >= HEADER_SEARCH:  # a title row may come first
                        break
        except csv.Error:
            continue
    return sniffed


def _count_outside_quotes(line: str, delimiter: str) -> int:
    count, quoted = 0, False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif ch == delimiter and not quoted:
            count += 1
    return count


#: A CSV file of at least this many characters (and at most ``_SPLIT_MAX``) is read as
#: one text in pieces (``_read_split``), shared with a forked child when a core is idle.
_SPLIT_MIN = 2 << 20
_SPLIT_MAX = 256 << 20


class _Position:
    """The reader the rows come from and the lines before its first (for errors)."""

    def __init__(self) -> None:
        self.reader: Any = None
        self.lines_before = 0

    def line(self) -> int:
        return self.lines_before + self.reader.line_num if self.reader is not None else 1


def _read_delimited(path: Path, out: _Builder) -> None:
    try:
        fh = path.open(encoding="utf-8-sig", newline="")
    except OSError as exc:
        raise ContentError([f"{path}: cannot read: {exc.strerror}"]) from None
    at = _Position()
    try:
        with fh:
            delimiter = _sniffed(fh, path, out)
            if out.ahead is not None or (out.split and _worth_cutting(path)):
                try:
                    text = fh.read()
                except UnicodeDecodeError:  # one reader says where, after what comes first
                    fh.seek(0)
                else:
                    _read_split(text, delimiter, out, path, at)
                    return
            at.reader = csv.reader(fh, delimiter=delimiter)
            found = _take_header(at.reader, out, path)
            if found is None:
                return
            out.text_cells = True
            _add_records(at.reader, out, found)
    except UnicodeDecodeError as exc:
        raise ContentError(
            [f"{path}: not UTF-8 text ({exc.reason}); save it as 'CSV UTF-8'"]
        ) from None
    except csv.Error as exc:
        problem = (
            f"a cell is longer than {CELL_LIMIT:,} characters"
            if "field larger than field limit" in str(exc)
            else str(exc)
        )
        raise ContentError([f"{path}:{at.line()}: {problem}"]) from None  # the physical line


def _sniffed(fh: TextIO, path: Path, out: _Builder) -> str:
    """The delimiter of the open CSV file ``fh`` (left at its start)."""
    sample = fh.read(_SAMPLE)
    if len(sample) == _SAMPLE and "\n" in sample:
        sample = sample[: sample.rindex("\n") + 1]  # whole lines only
    delimiter = sniff_delimiter(sample, path.suffix.lower())
    delimiter = _delimiter_giving_id(sample, delimiter, out)
    fh.seek(0)
    return delimiter


def _add_records(reader: Any, out: _Builder, number: int) -> int:
    """Add the records ``reader`` gives, numbered after ``number``; returns the last number."""
    while chunk := list(islice(reader, _CHUNK)):
        number = _add_chunk(out, number, chunk)
    return number


def _add_chunk(out: _Builder, number: int, chunk: list[list[str]]) -> int:
    start = number + 1
    width = out.width
    if set(map(len, chunk)) == {width}:
        out.add(range(start, start + len(chunk)), chunk)
    else:
        _add_ragged(out, start, chunk, width)
    return number + len(chunk)


def _worth_cutting(path: Path) -> bool:
    """Whether a CSV file is read as a text in pieces (``_read_split``): big enough for a
    forked child to pay, or the plain pieces' reading (``_read_plain``), and small
    enough to hold as one text."""
    try:
        size = path.stat().st_size
    except OSError:
        return False
    return _SPLIT_MIN <= size <= _SPLIT_MAX


def _read_split(text: str, delimiter: str, out: _Builder, path: Path, at: _Position) -> None:
    """Read a big CSV text in memory in ``PIECES`` pieces, shared with a forked child
    when a core is spare (else all read here: a plain piece is still read without the
    csv reader, ``_read_plain``).

    The text after the header is cut at newlines into pieces of about the same
    size. The child reads pieces from the first on and this process from the last
    one down (``forked.Shared``), each into a copy of ``out`` (the header and no rows
    yet), numbered from 0; they are then appended in order, with the row numbers
    shifted and the answer codes mapped to this process's. A cut is a record
    boundary unless it falls inside a quoted cell; then the last record of the piece
    before it has a newline in a cell, and the text from that piece on is read by one
    reader instead. When a piece raises an error, the whole text is read by one
    reader (which reports the first one). A text with a lone carriage return (a line end of its own) is not cut, so
    line numbers are counted by newlines.
    """
    from functools import partial

    from screener.forked import Shared, spare_core

    ahead, out.ahead = out.ahead, None
    cut = _cut(text, delimiter, out, path, at)
    bounds = cut[2] if cut is not None else None
    if cut is None or bounds is None:  # no header, or one reader (lone carriage returns)
        if ahead is not None:
            ahead.stop()
        if cut is not None:
            _add_records(at.reader, out, cut[0])
        return
    found, head_lines = cut[0], cut[1]
    key = (tuple(bounds), len(text), hash(text))
    parts = [partial(_read_piece, text, bounds, i, delimiter, out) for i in range(PIECES)]
    work = ahead or Shared(parts, fork=hasattr(os, "fork") and spare_core())

    def same_cut(index: int, value: Any) -> _Piece | None:
        if ahead is None:
            return value if type(value) is _Piece else None
        # read ahead: its piece, when it cut the same text in the same place
        return value[1] if type(value) is tuple and value[0] == key else None

    pieces: list[_Piece] | None
    try:
        pieces = work.results(parts, same_cut)
    except (csv.Error, ContentError):
        pieces = None  # one reader says where (the first error in the file)
    finally:
        work.stop()
    # the pieces up to the first whose end may be inside a quoted cell are whole
    open_end = [i for i, piece in enumerate(pieces or ()) if piece.open_end and i < PIECES - 1]
    whole = [] if pieces is None else pieces[: open_end[0]] if open_end else pieces
    number = found
    for piece in whole:
        out.merge(piece.part, number)
        number += piece.records
    if len(whole) < PIECES:  # one reader from there on
        start = bounds[len(whole)]
        at.reader = csv.reader(io.StringIO(text[start:], newline=""), delimiter=delimiter)
        at.lines_before = head_lines + text.count("\n", bounds[0], start)
        _add_records(at.reader, out, number)


#: The pieces ``_read_split`` cuts a big CSV text in (shared by two processes: fewer
#: leave one waiting for the other's last piece when their cores' speeds differ).
PIECES = 8


#: Characters at the start of a big text in which ``_cut`` looks for the header first: a
#: reader of the whole text copies all of it before its first row (~15 ms for 6 MB).
_HEAD_PREFIX = 1 << 16


def _cut(
    text: str, delimiter: str, out: _Builder, path: Path, at: _Position | None = None
) -> tuple[int, int, list[int] | None] | None:
    """Where ``_read_split`` cuts a CSV text in pieces: (the header's row number, the
    lines up to and with the header, where each piece starts and the last ends; None
    when the text is read by one reader: lone carriage returns), with the header taken
    into ``out``; None when it has no header. ``at`` is left reading the text after the
    header when it is not cut (a cut text is read by ``_read_split``'s own readers)."""
    at = at or _Position()
    at.reader = None
    found: int | None = None
    head_lines = 0
    if len(text) > 2 * _HEAD_PREFIX:
        start = csv.reader(io.StringIO(text[:_HEAD_PREFIX], newline=""), delimiter=delimiter)
        try:
            found = _take_header(start, out, path)
        except (ContentError, csv.Error):
            found = None  # read from the whole text, which says what is wrong
        head_lines = start.line_num
        # the rows up to the header are the whole text's when they ended well inside the
        # start (a row cut off by its end could differ)
        if found is not None and not 0 <= _after_lines(text, head_lines) < _HEAD_PREFIX - 2:
            found = None
    if found is None:
        at.reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        found = _take_header(at.reader, out, path)
        if found is None:
            return None
        head_lines = at.reader.line_num
    out.text_cells = True
    head_end = _after_lines(text, head_lines)
    bounds: list[int] | None = None
    if head_end >= 0 and not ("\r" in text and text.count("\r") != text.count("\r\n")):
        bounds = [head_end]
        for k in range(1, PIECES):
            line_end = text.find("\n", head_end + (len(text) - head_end) * k // PIECES)
            bounds.append(len(text) if line_end < 0 else max(line_end + 1, bounds[-1]))
        bounds.append(len(text))
    if bounds is None and at.reader is None:  # read by one reader, from after the header
        at.reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
        _take_header(at.reader, out, path)
    return found, head_lines, bounds


def _after_lines(text: str, lines: int) -> int:
    """The position just after the first ``lines`` lines of ``text`` (newline ends a
    line; -1 when the text has fewer or uses lone carriage returns)."""
    at = 0
    for _ in range(lines):
        found = text.find("\n", at)
        if found < 0:
            return -1
        at = found + 1
    return at


@dataclass
class _Part:
    """The rows a forked reader added to its copy of a ``_Builder`` (numbered from 0)."""

    rows: list[npt.NDArray[np.int64]]
    ids: list[str]
    names: list[str | None]
    contacts: list[str | None]
    chunks: list[npt.NDArray[np.int32]]
    values: list[object]
    errors: list[RowError]
    structural: set[int]


@dataclass
class _Piece:
    """A piece of a CSV text read on its own (``_read_piece``): its rows, how many
    records it held, and whether its last record has a newline in a cell (the cut
    after it may be inside a quoted cell)."""

    part: _Part
    records: int
    open_end: bool


def _read_piece(
    text: str, bounds: Sequence[int], index: int, delimiter: str, out: _Builder
) -> _Piece:
    """Piece ``index`` of ``text`` (between ``bounds[index]`` and the next bound) read
    into a copy of ``out`` (the header, no rows yet), its rows numbered from 0."""
    import copy

    mine = copy.copy(out)
    mine.rows, mine.ids, mine.names, mine.contacts, mine.chunks = [], [], [], [], []
    mine.errors, mine.structural = [], set()
    mine.codes, mine.values, mine.long_codes = (
        dict(out.codes),
        list(out.values),
        list(out.long_codes),
    )
    piece = text[bounds[index] : bounds[index + 1]]
    plain = _read_plain(piece, delimiter, mine)
    if plain is not None:
        number, open_end = plain, False
    else:  # (``mine`` left as it was)
        reader = csv.reader(io.StringIO(piece, newline=""), delimiter=delimiter)
        number = 0
        last: list[str] = []
        while chunk := list(islice(reader, _CHUNK)):
            number = _add_chunk(mine, number, chunk)
            last = chunk[-1]
        open_end = any("\n" in cell for cell in last)
    part = _Part(
        mine.rows,
        mine.ids,
        mine.names,
        mine.contacts,
        mine.chunks,
        mine.values,
        mine.errors,
        mine.structural,
    )
    return _Piece(part, number, open_end)


#: The longest record ``_read_plain`` takes (bytes): no cell of it can pass
#: ``CELL_LIMIT``, the csv module's field limit.
_PLAIN_RECORD_MAX = 1 << 16


def _plain_cells(
    piece: str, delimiter: str, width: int
) -> tuple[bytes, npt.NDArray[np.int64], npt.NDArray[np.int64]] | None:
    """Where each cell of a CSV piece starts and ends (its UTF-8 bytes; a quoted
    cell's quotes left out), as two (records, ``width``) arrays, when the piece is
    *plain*: every record has ``width`` cells and ends with a newline (or the piece's
    end), a carriage return only before a newline, no NUL, no record longer than
    ``_PLAIN_RECORD_MAX``, and each quote either starts a cell or ends the cell it
    started (``"..."`` with no quote, delimiter or line end inside). Such a piece is
    what ``csv.reader`` reads as those cells; None for any other."""
    if (
        not piece
        or width < 2
        or len(delimiter) != 1
        or not delimiter.isascii()
        or delimiter in '"\r\n'
        or "\x00" in piece
    ):
        return None
    try:
        raw = piece.encode("utf-8") if piece.endswith("\n") else (piece + "\n").encode("utf-8")
    except UnicodeEncodeError:  # a lone surrogate
        return None
    data = np.frombuffer(raw, dtype=np.uint8)
    newline = data == 10
    seps = np.flatnonzero(newline | (data == ord(delimiter)))
    if len(seps) % width:
        return None
    grid = seps.reshape(-1, width)
    # each record's last separator is a newline, and there are no others
    if not newline[grid[:, -1]].all() or int(np.count_nonzero(newline)) != len(grid):
        return None
    if int(np.diff(grid[:, -1], prepend=-1).max()) > _PLAIN_RECORD_MAX:
        return None
    stops = grid.copy()
    if b"\r" in raw:
        returns = np.flatnonzero(data == 13)
        if not newline[returns + 1].all():  # (the last byte is a newline)
            return None
        stops[:, -1] -= data[grid[:, -1] - 1] == 13
    flat = grid.reshape(-1)
    starts = np.empty_like(flat)
    starts[0] = 0
    starts[1:] = flat[:-1] + 1
    starts = starts.reshape(grid.shape)
    quoted = data[starts] == 34  # (a cell's start is never past the last newline)
    quotes = raw.count(b'"')
    if quotes:
        # every quote is a quoted cell's first or last byte: twice as many quotes as
        # such cells, each at least two bytes long and ending with a quote
        first, last = starts[quoted], stops[quoted]
        if (
            quotes != 2 * len(first)
            or bool((last - first < 2).any())
            or bool((data[last - 1] != 34).any())
        ):
            return None
    return raw, starts + quoted, stops - quoted


def _read_plain(piece: str, delimiter: str, out: _Builder) -> int | None:
    """Read a plain CSV piece (``_plain_cells``) into ``out`` as ``_add_chunk`` would,
    without a Python list per record nor a string per answer cell: answer cells of up
    to two bytes (nearly all) are coded through a table indexed by their bytes. Returns
    how many records it held; None, with ``out`` unchanged, when the piece is not plain,
    not text cells, or holds a blank or comment id (those rows take ``add``'s way)."""
    cells = _plain_cells(piece, delimiter, out.width) if out.text_cells else None
    if cells is None:
        return None
    raw, starts, stops = cells
    n = len(starts)
    if raw.isascii():  # byte positions are the text's
        text = piece

        def column(pos: int) -> list[str]:
            spans = map(slice, starts[:, pos].tolist(), stops[:, pos].tolist())
            return list(map(text.__getitem__, spans))
    else:

        def column(pos: int) -> list[str]:
            return [
                raw[a:b].decode("utf-8")
                for a, b in zip(starts[:, pos].tolist(), stops[:, pos].tolist(), strict=True)
            ]

    ids = list(map(str.strip, column(out.id_pos)))
    if "" in ids or any(map(str.startswith, ids, repeat("#"))):
        return None
    names: list[str | None] = (
        [None] * n if out.name_pos is None else list(map(_name_text, column(out.name_pos)))
    )
    contacts: list[str | None] = []
    if out.contact_pos:
        given = [list(map(_name_text, column(p))) for p in out.contact_pos]
        contacts = ["; ".join(t for t in row if t) or None for row in zip(*given, strict=True)]
    positions = out.item_pos
    codes = np.zeros((n, len(positions)), dtype=np.int32)
    if positions:
        codes = _plain_codes(raw, starts[:, positions], stops[:, positions], out)
    out.rows.append(np.arange(1, n + 1, dtype=np.int64))
    out.ids.extend(ids)
    out.names.extend(names)
    out.contacts.extend(contacts)
    out.chunks.append(codes)
    return n


def _plain_codes(
    raw: bytes, starts: npt.NDArray[np.int64], stops: npt.NDArray[np.int64], out: _Builder
) -> npt.NDArray[np.int32]:
    """The answer codes of the cells between ``starts`` and ``stops`` of ``raw``, new
    texts given the next codes of ``out`` (as ``_Builder._encode`` gives them).

    A cell of up to two bytes is keyed by its length and the two bytes from its start
    (a shorter cell's key holds the byte after it too: several keys may mean one
    text, and each is given the text's code)."""
    data = np.frombuffer(raw + b"\0", dtype=np.uint8)  # (a byte after the last start)
    pairs = (data[:-1].astype(np.int32) << 8) | data[1:]
    length = stops - starts
    keys = (np.minimum(length, 3).astype(np.int32) << 16) | pairs[starts]
    table = np.zeros(4 << 16, dtype=np.int32)
    for key in np.flatnonzero(np.bincount(keys.reshape(-1), minlength=4 << 16)).tolist():
        size = key >> 16
        if size <= 2:
            text = bytes(((key >> 8) & 255, key & 255))[:size].decode("utf-8") if size else ""
            table[key] = _code_of(out, text)
    codes: npt.NDArray[np.int32] = table[keys]
    rows, cols = np.nonzero(length > 2)
    if len(rows):  # the rest a string each
        spans = zip(starts[rows, cols].tolist(), stops[rows, cols].tolist(), strict=True)
        codes[rows, cols] = [_code_of(out, raw[a:b].decode("utf-8")) for a, b in spans]
    return codes


def _code_of(out: _Builder, value: str) -> int:
    code = out.codes.get(value)
    if code is None:
        code = out.codes[value] = len(out.values)
        out.values.append(value)
    return code


def _add_ragged(out: _Builder, start: int, chunk: list[list[str]], width: int) -> None:
    numbers: list[int] = []
    good: list[Sequence[object]] = []
    for number, record in enumerate(chunk, start):
        if len(record) == width:
            numbers.append(number)
            good.append(record)
            continue
        if _all_blank(record):
            continue  # a blank line is not a candidate
        if len(record) > width and _all_blank(record[width:]):
            numbers.append(number)  # empty cells past the last header: Excel writes these
            good.append(record[:width])
            continue
        out.add(numbers, good)
        numbers, good = [], []
        ident = record[out.id_pos] if out.id_pos < len(record) else ""
        out.add_broken(number, ident, f"{len(record)} cells where the header has {width}")
    out.add(numbers, good)


# -- XLSX --------------------------------------------------------------------------------

_XML_HEAD = 64 * 1024  # bytes of each XML part searched for a DTD
_BOMB_SIZE = 64 * 1024 * 1024  # a part may unpack to this much whatever its ratio ...
_BOMB_RATIO = 200  # ... and past it to at most this many times its packed size
# a sheet's <row> and <f> (formula) tags, with or without a namespace prefix
_SHEET_TAG = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?(row|f)(?=[\s/>])([^>]*)>")
_ROW_ATTR = re.compile(rb"""\sr\s*=\s*["']\s*([0-9]+)""")
_NO_SAVED_VALUE = "open and save the file in a spreadsheet program"


def _xlsx_faults() -> tuple[type[BaseException], ...]:
    """What openpyxl raises on a damaged or hostile workbook (every one is the file's fault)."""
    import zipfile
    import zlib
    from xml.etree.ElementTree import ParseError

    return (
        zipfile.BadZipFile,
        zlib.error,
        ParseError,
        EOFError,
        KeyError,
        ValueError,
        TypeError,
        IndexError,
        AttributeError,
        NotImplementedError,
        RuntimeError,  # zipfile: an encrypted member
    )


def _not_xlsx(path: Path, exc: BaseException) -> ContentError:
    detail = shorten(str(exc).strip() or type(exc).__name__, 200)
    return ContentError([f"{path}: not a readable Excel .xlsx workbook ({detail})"])


def _check_archive(path: Path) -> None:
    """Refuse a workbook that would blow up while openpyxl reads it.

    A part that unpacks far beyond what a sheet of answers needs (a 590 KB file
    holding a 600 MB string) or an XML part with a DTD (entity bombs; Excel
    never writes one) is refused before any of it is parsed.
    """
    import zipfile

    try:
        archive = zipfile.ZipFile(path)
    except OSError as exc:
        raise ContentError([f"{path}: cannot read: {exc.strerror}"]) from None
    except _xlsx_faults() as exc:
        raise ContentError([f"{path}: not an Excel .xlsx workbook ({exc})"]) from None
    with archive:
        for info in archive.infolist():
            packed = max(info.compress_size, 1)
            if info.file_size > _BOMB_SIZE and info.file_size > _BOMB_RATIO * packed:
                raise ContentError(
                    [
                        f"{path}: {info.filename} unpacks to {info.file_size:,} bytes from "
                        f"{info.compress_size:,}; refused (no sheet of answers packs that tightly)"
                    ]
                )
            if not info.filename.lower().endswith((".xml", ".rels", ".vml")):
                continue
            try:
                with archive.open(info) as part:
                    head = part.read(_XML_HEAD)
            except _xlsx_faults() as exc:
                raise _not_xlsx(path, exc) from None
            if head.startswith((b"\xff\xfe", b"\xfe\xff")):
                head = head.decode("utf-16", "ignore").encode("utf-8", "ignore")
            if b"<!DOCTYPE" in head or b"<!ENTITY" in head:
                raise ContentError(
                    [
                        f"{path}: {info.filename} declares a DTD (<!DOCTYPE>), which Excel "
                        "never writes; refused (entity expansion can exhaust memory)"
                    ]
                )


def _scan_sheet(path: Path, member: str) -> bool:
    """Check the sheet's row numbers rise; True when it has formula cells.

    openpyxl silently skips a row whose number is not above the one before
    (rows out of order or twice), so such a sheet is refused. Most files have
    no formula at all: one pass over the raw XML (a regular expression, no
    parsing) spares them the formula check.
    """
    import zipfile

    formulas = False
    previous = 0
    tail = b""
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as part:
            while True:
                block = part.read(1 << 20)
                data = tail + block
                if block:  # keep a tag cut by the block boundary for the next round
                    cut = data.rfind(b"<")
                    data, tail = data[:cut], data[cut:]
                for match in _SHEET_TAG.finditer(data):
                    if match.group(1) == b"f":
                        formulas = True
                        continue
                    attr = _ROW_ATTR.search(match.group(2))
                    number = int(attr.group(1)) if attr else previous + 1
                    if number <= previous:
                        raise ContentError(
                            [
                                f"{path}: sheet row {number} follows row {previous} (rows "
                                f"out of order or repeated would be lost): {_NO_SAVED_VALUE}"
                            ]
                        )
                    previous = number
                if not block:
                    return formulas
    except _xlsx_faults() as exc:
        raise _not_xlsx(path, exc) from None


def _formulas_without_value(path: Path, member: str) -> dict[int, list[int]]:
    """Sheet row -> columns (1-based) of formula cells with no saved value.

    openpyxl's ``data_only`` mode gives such a cell as empty, so the answer
    would count as unanswered without a word; a spreadsheet program saves the
    computed value beside the formula, openpyxl and some scripts do not.
    """
    import zipfile
    from xml.etree.ElementTree import iterparse

    from openpyxl.utils.cell import coordinate_to_tuple

    found: dict[int, list[int]] = {}
    row_number = 0
    try:
        with zipfile.ZipFile(path) as archive, archive.open(member) as part:
            for _, element in iterparse(part):
                if element.tag.rpartition("}")[2] != "row":
                    continue
                r = element.get("r")
                row_number = int(r) if r else row_number + 1
                column = 0
                for cell in element:
                    if cell.tag.rpartition("}")[2] != "c":
                        continue
                    ref = cell.get("r")
                    column = coordinate_to_tuple(ref)[1] if ref else column + 1
                    parts = {child.tag.rpartition("}")[2]: child for child in cell}
                    if "f" in parts and not _saved(cell.get("t", "n"), parts.get("v")):
                        found.setdefault(row_number, []).append(column)
                element.clear()
    except _xlsx_faults() as exc:
        raise _not_xlsx(path, exc) from None
    return found


def _saved(kind: str, value: Any) -> bool:
    """Whether a formula cell carries the value computed when it was saved.

    openpyxl writes ``<v/>`` (or no ``<v>``) beside a formula; only a text
    result (``t="str"``) may legitimately be empty.
    """
    if value is None:
        return False
    return bool(value.text) or kind in ("str", "s", "inlineStr")


def _cell_name(row: int, column: int) -> str:
    from openpyxl.utils.cell import get_column_letter

    return f"{get_column_letter(column)}{row}"


def _sheet_rows(path: Path, sheet: Any) -> Iterator[tuple[object, ...]]:
    """The sheet's rows, every one and every cell actually there.

    Read-only mode trusts the sheet's ``<dimension>``; a stale one (``A1``,
    ``A1:BX2``) would silently cut rows and columns, so it is dropped first.
    """
    sheet.reset_dimensions()
    rows = sheet.iter_rows(values_only=True)
    while True:
        try:
            record = next(rows)
        except StopIteration:
            return
        except _xlsx_faults() as exc:
            raise _not_xlsx(path, exc) from None
        yield record


def _read_xlsx(path: Path, out: _Builder) -> None:
    from openpyxl import load_workbook

    _check_archive(path)
    try:
        book = load_workbook(path, read_only=True, data_only=True)
    except OSError as exc:
        raise ContentError([f"{path}: cannot read: {exc.strerror}"]) from None
    except _xlsx_faults() as exc:
        raise _not_xlsx(path, exc) from None
    try:
        if not book.worksheets:
            raise ContentError([f"{path}: the workbook has no worksheet"])
        # the template's sheet of allowed answers is not candidates
        sheets = [ws for ws in book.worksheets if ws.title != TEMPLATE_HELP_SHEET]
        if len(sheets) != 1:
            names = ", ".join(repr(shorten(ws.title)) for ws in book.worksheets)
            raise ContentError(
                [
                    f"{path}: the workbook has {len(book.worksheets)} sheets ({names}); "
                    "keep the answers on one sheet, or save that sheet as CSV"
                ]
            )
        sheet = sheets[0]
        member = sheet._worksheet_path  # openpyxl 3.1: the sheet's part in the archive
        formulas = _formulas_without_value(path, member) if _scan_sheet(path, member) else {}
        rows = _sheet_rows(path, sheet)
        found = _take_header(rows, out, path)
        if found is None:
            return
        above = [(r, c) for r, cols in formulas.items() if r <= found for c in cols]
        if above:
            raise ContentError(
                [
                    f"{path}: cell {_cell_name(*min(above))} (header row or above) is a formula "
                    f"without a saved value: {_NO_SAVED_VALUE}"
                ]
            )
        number = found
        width = out.width
        numbers: list[int] = []
        good: list[Sequence[object]] = []
        for record in rows:
            number += 1
            unsaved = [c for c in formulas.get(number, ()) if c <= width]
            if unsaved:
                out.add(numbers, good)
                numbers, good = [], []
                ident = record[out.id_pos] if out.id_pos < len(record) else None
                more = (
                    f" (and {len(unsaved) - 1} more cell(s) of this row)"
                    if len(unsaved) > 1
                    else ""
                )
                out.add_broken(
                    number,
                    ident,
                    f"cell {_cell_name(number, unsaved[0])} is a formula without a saved "
                    f"value{more}: {_NO_SAVED_VALUE}",
                )
                continue
            if len(record) != width:
                if len(record) > width and not _all_blank(record[width:]):
                    out.add(numbers, good)
                    numbers, good = [], []
                    ident = record[out.id_pos]
                    out.add_broken(number, ident, "cells to the right of the last header")
                    continue
                record = (record + (None,) * width)[:width]
            if _all_blank(record):
                continue
            numbers.append(number)
            good.append(record)
            if len(good) >= _CHUNK:
                out.add(numbers, good)
                numbers, good = [], []
        out.add(numbers, good)
    finally:
        book.close()


# -- JSON -------------------------------------------------------------------------------


class _DuplicateKeys(dict[str, object]):
    """An object that named a key twice; the parser keeps it to report its row."""

    duplicate = ""


class _BadJSON(ValueError):
    """A value orjson would refuse (NaN, infinity): the message comes from orjson."""


def _json_object(pairs: list[tuple[str, object]]) -> dict[str, object]:
    obj = dict(pairs)
    if len(obj) == len(pairs):
        return obj
    flagged = _DuplicateKeys(obj)
    seen: set[str] = set()
    for key, _ in pairs:
        if key in seen:
            flagged.duplicate = key
            break
        seen.add(key)
    return flagged


def _json_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise _BadJSON(text)
    return value


def _json_constant(text: str) -> object:
    raise _BadJSON(text)


_DECODER = json.JSONDecoder(
    object_pairs_hook=_json_object,
    parse_float=_json_float,
    parse_int=lambda text: int(text) if len(text) < 20 else _json_float(text),
    parse_constant=_json_constant,
)
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _loads(data: bytes, text: str) -> object:
    """Parse JSON like orjson (the store's parser) but keep duplicate keys visible.

    The standard library's parser takes a hook that sees every key, at the
    speed of orjson on these files; whatever it accepts and orjson would
    refuse (NaN, infinities, unpaired surrogates, deep nesting) goes to orjson
    for the same located message. Raises ``orjson.JSONDecodeError``.
    """
    import orjson

    try:
        parsed = _DECODER.decode(text)
    except json.JSONDecodeError as exc:
        raise orjson.JSONDecodeError(exc.msg, exc.doc, exc.pos) from None
    except (_BadJSON, RecursionError):
        orjson.loads(data)  # raises with the place
        raise orjson.JSONDecodeError("a number out of range", text, 0) from None
    if _SURROGATE_ESCAPE.search(data):
        orjson.loads(data)  # an unpaired surrogate cannot be stored: refuse it here
    return parsed


def _read_json(path: Path, out: _Builder) -> None:
    import orjson

    data = _read_bytes(path)
    text = _utf8(path, data)
    try:
        parsed = _loads(data, text)
    except orjson.JSONDecodeError as exc:
        raise ContentError(
            [f"{path}:{exc.lineno}:{exc.colno}: not valid JSON: {exc.msg}"]
        ) from None
    if not isinstance(parsed, list):
        raise ContentError([f"{path}:1:1: expected a list of objects, one per candidate"])
    _add_objects(out, path, ((n, obj, None) for n, obj in enumerate(parsed, 1)))


def _read_json_lines(path: Path, out: _Builder) -> None:
    import orjson

    data = _read_bytes(path)
    entries: list[tuple[int, object, str | None]] = []
    for n, line in enumerate(data.splitlines(), 1):
        if not line.strip():
            continue
        try:
            entries.append((n, _loads(line, line.decode("utf-8")), None))
        except UnicodeDecodeError:
            entries.append((n, None, "not UTF-8 text"))
        except orjson.JSONDecodeError as exc:
            text = line.decode("utf-8", "replace").strip()
            entries.append((n, None, f"not valid JSON: {exc.msg} {shorten(text)}"))
    _add_objects(out, path, entries)


def _read_bytes(path: Path) -> bytes:
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ContentError([f"{path}: cannot read: {exc.strerror}"]) from None
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    return data


def _utf8(path: Path, data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ContentError([f"{path}:{line}: not UTF-8 text ({exc.reason})"]) from None


def _add_objects(
    out: _Builder, path: Path, entries: Iterable[tuple[int, object, str | None]]
) -> None:
    entries = list(entries)
    headers: dict[str, None] = {}
    for _, obj, _problem in entries:
        if isinstance(obj, dict):
            headers.update(dict.fromkeys(obj))
    blank = [k for k in headers if not k.strip()]  # a column without a name: never dropped
    for key in blank:
        del headers[key]
    names = list(headers)
    out.header(names or [out.id_column], str(path))
    numbers: list[int] = []
    good: list[Sequence[object]] = []
    for number, obj, problem in entries:
        if isinstance(obj, dict):
            problem = _object_problem(obj, blank)
        if problem is not None or not isinstance(obj, dict):
            out.add(numbers, good, keep_blank=True)
            numbers, good = [], []
            if problem is not None:
                ident = obj.get(out.id_column, "") if isinstance(obj, dict) else ""
                out.add_broken(number, ident, problem)
            else:
                out.add_broken(
                    number, "", "expected an object of column: answer", shorten(cell_text(obj))
                )
            continue
        numbers.append(number)
        good.append([obj.get(k) for k in names])
        if len(good) >= _CHUNK:
            out.add(numbers, good, keep_blank=True)
            numbers, good = [], []
    out.add(numbers, good, keep_blank=True)


def _object_problem(obj: dict[str, object], blank: list[str]) -> str | None:
    """Why one object cannot be read as a row: a key twice, or a key that is blank."""
    if isinstance(obj, _DuplicateKeys):
        return f"the key {shorten(obj.duplicate)!r} appears twice in this object"
    for key in blank:
        if key in obj:
            return f"a key is blank ({key!r}); name the column or remove it"
    return None
