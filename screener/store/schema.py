"""Schema versions of the database file and the migrations between them.

The version lives in the ``meta`` table (``{"schema_version": N, "secret": hex}``).
A file from an older screener is migrated in memory when opened and written
back by the next write; a file from a newer screener is refused untouched,
because this version cannot know what it would throw away.

To change the layout: bump ``SCHEMA_VERSION``, add ``MIGRATIONS[old]`` that turns
an ``old`` file into ``old + 1`` in place, and add a test that opens an ``old`` file.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from itertools import repeat
from pathlib import Path
from typing import Any

import orjson

from screener.errors import StoreError
from screener.store.files import SealedTables
from screener.store.records import utc_stamp

#: 1: the first versioned file. 2: borderline statuses (letter ``o``), score intervals
#: and near-cut flags, follow-up (reserve) answers, reserve items and the interval's
#: confidence in layouts. A version-1 screener would misread those, so it must refuse
#: a version-2 file; the documents of a version-1 file are valid version-2 documents.
#: 3: program ``employers`` and ``events`` (issue 17). A version-2 screener would keep
#: a person's events when erasing them, so it must refuse a version-3 file.
#: 4: the archive (issue 15): submitted attempts, candidates and the store's audit
#: events may live in segment files listed by ``meta.archive``. A version-3 screener
#: would not see them (nor erase them), so it must refuse a version-4 file.
SCHEMA_VERSION = 4
META = "meta"
META_ID = "1"

#: The tables screener writes, and the fields every document in each must have.
REQUIRED: dict[str, tuple[str, ...]] = {
    "candidates": ("id", "name", "created"),
    "layouts": (
        "assessment",
        "version",
        "form",
        "items",
        "item_competency",
        "competencies",
        "cuts",
    ),
    "attempts": ("id", "cand", "layout", "status", "answers"),
    "progress": ("cand", "module", "started"),
    "audit": ("event", "at"),
    "employers": ("id", "name", "region", "seats"),
    "events": ("person", "kind", "at"),
}

Tables = dict[str, dict[str, Any]]


def new_meta() -> dict[str, Any]:
    """Meta of a new database: a random per-database secret for anonymised exports."""
    return {
        "schema_version": SCHEMA_VERSION,
        "secret": secrets.token_hex(32),
        "created": utc_stamp(),
    }


def _not_tinydb(path: Path, name: str) -> StoreError:
    return StoreError(
        f"{path} is not a screener database (its {name!r} is not a table of documents); "
        "left untouched"
    )


def version_of(data: Tables, path: Path) -> int:
    """The schema version of a parsed file, refusing anything that is not a TinyDB file."""
    for name, table in data.items():
        if not isinstance(table, dict):
            raise _not_tinydb(path, name)
    meta = data.get(META)
    if not meta:
        # No meta: before adopting it as a v0 file make sure every table really
        # is TinyDB's ``{"<id>": {document}}``, so no other JSON file is taken over.
        for name, table in data.items():
            if not all(isinstance(doc, dict) and key.isdigit() for key, doc in table.items()):
                raise _not_tinydb(path, name)
        return 0
    head = meta.get(META_ID)
    version = head.get("schema_version") if isinstance(head, dict) else None
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        raise StoreError(f"{path} has an unreadable schema version ({version!r}); left untouched")
    return version


def _v0_to_v1(data: Tables, path: Path) -> None:
    """v0 is a plain TinyDB file without ``meta``: check screener's tables, add ``meta``.

    Tables screener does not know are kept as they are.
    """
    for name, fields in REQUIRED.items():
        for doc_id, doc in data.get(name, {}).items():
            missing = [f for f in fields if f not in doc]
            if missing:
                raise StoreError(
                    f"{path}: cannot migrate: {name} document {doc_id} lacks "
                    f"{', '.join(missing)}; left untouched"
                )
        data.setdefault(name, {})
    data[META] = {META_ID: new_meta()}


def _v1_to_v2(data: Tables, path: Path) -> None:
    """Version 2 only adds optional fields and a status letter: nothing to change.

    The bump is what matters: a version-1 screener refuses a version-2 file
    instead of misreading its borderline attempts and follow-up answers.
    """


def _v2_to_v3(data: Tables, path: Path) -> None:
    """Version 3 adds the program tables ``employers`` and ``events`` (empty at first).

    The bump makes a version-2 screener refuse the file rather than keep a
    person's program events when it erases them.
    """
    data.setdefault("employers", {})
    data.setdefault("events", {})


def _v3_to_v4(data: Tables, path: Path) -> None:
    """A version-3 file is a version-4 live file with no archive yet: nothing to change
    here. Its submitted attempts move into segments when it is next written and holds
    more than the live file's limit (``archive.LIVE_LIMIT``)."""


MIGRATIONS: dict[int, Callable[[Tables, Path], None]] = {
    0: _v0_to_v1,
    1: _v1_to_v2,
    2: _v2_to_v3,
    3: _v3_to_v4,
}

#: Given candidate ids the live file does not hold, those the archive does.
Archived = Callable[[set[str]], set[str]]


def check_version(data: Tables, path: Path) -> int:
    """The file's schema version; a newer one than this screener's is refused."""
    found = version_of(data, path)
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer screener (schema {found}); upgrade screener"
        )
    return found


def upgrade(data: Tables, path: Path, archived: Archived | None = None) -> int:
    """Bring ``data`` to ``SCHEMA_VERSION`` in place; returns the version it was.

    A newer version raises ``StoreError`` before anything is changed. ``archived``
    tells which candidates the archive holds (live attempts may be theirs).
    """
    found = version_of(data, path)
    if found > SCHEMA_VERSION:
        raise StoreError(
            f"{path} was written by a newer screener (schema {found}); upgrade screener"
        )
    version = found
    while version < SCHEMA_VERSION:
        MIGRATIONS[version](data, path)
        version += 1
        data[META][META_ID]["schema_version"] = version
    if found < SCHEMA_VERSION or not isinstance(data, SealedTables):
        # a sealed file is as screener wrote it: see SealedTables
        check_documents(data, path, archived)
    return found


# -- what every document must look like, checked on every load -------------------------


class _Absent:
    """Stands for a field a document lacks, in the column scans."""

    def __repr__(self) -> str:
        return "absent"


ABSENT = _Absent()
NULL = type(None)
TEXT: frozenset[type] = frozenset({str})
WHOLE: frozenset[type] = frozenset({int})  # exact types: true and false are no numbers
NUMBER: frozenset[type] = frozenset({int, float})
OPTIONAL: frozenset[type] = frozenset({_Absent})
NULLABLE: frozenset[type] = frozenset({_Absent, NULL})

#: Per table, each field and the types its value may have: required unless the
#: types include ``_Absent`` (may be left out; with ``NoneType`` also null).
#: Fields not named here are left alone (a later screener may add some).
SHAPES: dict[str, dict[str, frozenset[type]]] = {
    "candidates": {
        "id": TEXT,
        "name": TEXT,
        "created": TEXT,
        "contact": TEXT | NULLABLE,
    },
    "attempts": {
        "id": TEXT,
        "cand": TEXT,
        "layout": WHOLE,
        "status": TEXT,
        "answers": TEXT,
        "seed": WHOLE | NULLABLE,
        "order": TEXT | NULLABLE,
        "started": TEXT | NULLABLE,
        "submitted": TEXT | NULLABLE,
        "seconds": TEXT | NULLABLE,
        "extra": TEXT | NULLABLE,
        "scores": TEXT | OPTIONAL,
        "codes": TEXT | OPTIONAL,
        "intervals": TEXT | NULLABLE,
        "near": TEXT | NULLABLE,
        "outcome": TEXT | OPTIONAL,
        "overall": NUMBER | NULLABLE,
        "plan": TEXT | NULLABLE,
        "key": TEXT | NULLABLE,
    },
    "progress": {
        "cand": TEXT,
        "module": TEXT,
        "started": TEXT,
        "updated": TEXT | OPTIONAL,
        "attempt": TEXT | NULLABLE,
        "completed": TEXT | NULLABLE,
        "check": NUMBER | NULLABLE,
        "lessons": frozenset({list}) | OPTIONAL,
    },
    "audit": {
        "event": TEXT,
        "at": TEXT,
        "command": TEXT | NULLABLE,
        "cand": TEXT | NULLABLE,
        "attempt": TEXT | NULLABLE,
        "count": WHOLE | NULLABLE,
        "detail": TEXT | NULLABLE,
    },
    "employers": {
        "id": TEXT,
        "name": TEXT,
        "region": TEXT,
        "seats": WHOLE,
    },
    "events": {
        "person": TEXT,
        "kind": TEXT,
        "at": TEXT,
        "employer": TEXT | NULLABLE,
        "region": TEXT | NULLABLE,
        "note": TEXT | NULLABLE,
        "route": TEXT | NULLABLE,
        "modules": frozenset({list}) | OPTIONAL,
    },
}
STATUSES = frozenset({"in_progress", "submitted"})
OUTCOMES = frozenset({"pass", "coaching", "incomplete"})
#: Attempt fields that hold a JSON list as text (see records.py).
PACKED = ("answers", "order", "seconds", "extra", "scores", "intervals", "plan")
#: The status letters of ``codes`` (records.STATUS_CODE).
LETTERS = "mbio"
#: Documents are scanned in slices this long, each slice's columns while it
#: is in the CPU cache (see ``_scan``).
SLICE = 500

_WORDS: dict[type, str] = {
    str: "text",
    int: "a whole number",
    float: "a number",
    bool: "true/false",
    NULL: "null",
    list: "a list",
    dict: "an object",
}


class Damage(Exception):
    """What is wrong with one document, e.g. ``attempts document 7: layout is text "1"``."""


def _expected(types: frozenset[type]) -> str:
    named = [_WORDS[t] for t in (str, int, float, list, NULL) if t in types]
    if "a number" in named and "a whole number" in named:
        named.remove("a whole number")
    return " or ".join(named)


def _shown(value: object) -> str:
    """A value's kind and the start of its JSON text, for a message."""
    if value is ABSENT:
        return "missing"
    try:
        text = orjson.dumps(value).decode()
    except orjson.JSONEncodeError:  # pragma: no cover - parsed JSON always encodes
        text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    if value is None or type(value) is bool:
        return text
    return f"{_WORDS.get(type(value), type(value).__name__)} {text}"


def _find(table: str, docs: dict[str, Any], field: str, bad: Callable[[Any], bool]) -> str:
    """``<table> document <id>: <field> is <value>`` of the first document that fails.

    The slow way, run only once a column check has failed, to name the document.
    """
    for doc_id, doc in docs.items():
        value = doc.get(field, ABSENT)
        if bad(value):
            if value is ABSENT:
                return f"{table} document {doc_id} lacks {field}"
            return f"{table} document {doc_id}: {field} is {_shown(value)}"
    return f"{table}: a document's {field} fails the check"  # pragma: no cover


def _of_type(types: set[type]) -> Callable[[Any], bool]:
    return lambda value: type(value) in types


def _documents(name: str, docs: dict[str, Any]) -> list[Any]:
    """The documents of a table, once TinyDB's numeric ids and each being an object are checked."""
    if not all(map(str.isdecimal, docs)):
        bad = next(key for key in docs if not key.isdecimal())
        raise Damage(f"{name} has a document id {_shown(bad)}, not a number")
    values = list(docs.values())
    if values and set(map(type, values)) != {dict}:
        bad = next(key for key, doc in docs.items() if type(doc) is not dict)
        raise Damage(f"{name} document {bad} is {_shown(docs[bad])}, not an object")
    return values


@dataclass
class _Scan:
    """What one pass over a table's documents found.

    ``types``: every type each field's values have. ``distinct``: the distinct
    values of some fields (types are taken from those at the end, so these
    columns need no type pass). ``members``: fields whose every value must be
    in a given set (so their type follows), e.g. an attempt's candidate id.
    """

    types: dict[str, set[type]]
    distinct: dict[str, set[Any]] = field(default_factory=dict)
    members: dict[str, frozenset[Any] | set[Any]] = field(default_factory=dict)
    outside: str | None = None  # the first ``members`` field with a value outside its set
    present: int = 0

    def add(self, part: list[dict[str, Any]], names: Iterable[str]) -> None:
        """Scan some fields of a slice of documents (small enough to stay in the CPU cache)."""
        for name in names:
            column = list(map(dict.get, part, repeat(name), repeat(ABSENT)))
            if name in self.distinct:
                kinds: set[Any] = set(column)
                self.distinct[name] |= kinds
            elif name in self.members:
                if not self.members[name].issuperset(column) and self.outside is None:
                    self.outside = name
                kinds = set()
            else:
                kinds = set(map(type, column))
                self.types[name] |= kinds
            missing = ABSENT in kinds or _Absent in kinds
            self.present += len(column) - (column.count(ABSENT) if missing else 0)


def _scan(
    name: str,
    docs: dict[str, Any],
    shape: dict[str, frozenset[type]],
    distinct: Iterable[str] = (),
    members: dict[str, frozenset[Any] | set[Any]] | None = None,
) -> _Scan:
    """Check the type of every field of every document of a table against ``shape``.

    Column by column at C speed (``set(map(type, column))``), a slice of
    documents at a time: a Python loop over each field of each document took
    several times longer, and whole columns longer (cache misses).
    Optional fields the first document lacks are scanned only if the documents
    hold more fields than were scanned (their total is ``sum(map(len, docs))``).
    A ``members`` field must not be optional: its missing values are not counted.
    """
    values = _documents(name, docs)
    scan = _Scan({f: set() for f in shape}, {f: set() for f in distinct}, members or {})
    if not values:
        return scan
    first = values[0] if values else {}
    scanned = [f for f, types in shape.items() if f in first or _Absent not in types]
    for start in range(0, len(values), SLICE):
        scan.add(values[start : start + SLICE], scanned)
    if scan.present != sum(map(len, values)):
        rest = [f for f in shape if f not in scanned]
        for start in range(0, len(values), SLICE):
            scan.add(values[start : start + SLICE], rest)
    if scan.outside is not None:
        allowed = scan.members[scan.outside]
        where = _find(name, docs, scan.outside, lambda v: v not in allowed)
        raise Damage(where if " lacks " in where else f"{where}, not {_allowed(scan.outside)}")
    for key, kinds in scan.types.items():
        if key in scan.distinct:
            kinds |= set(map(type, scan.distinct[key]))
        elif key in scan.members:
            continue
        if not kinds:  # never scanned: no document has it
            kinds.add(_Absent)
        wrong = kinds - shape[key]
        if wrong:
            where = _find(name, docs, key, _of_type(wrong))
            raise Damage(f"{where}, not {_expected(shape[key])}")
    return scan


def _allowed(name: str) -> str:
    return {
        "cand": "a candidate's id",
        "status": "in_progress or submitted",
        "outcome": "pass, coaching or incomplete",
    }.get(name, "allowed")


def _check_layout(doc_id: str, doc: Any) -> tuple[int, int]:
    """A layout's fields and how their lengths fit; returns (items, competencies)."""
    if type(doc) is not dict:
        raise Damage(f"layouts document {doc_id} is {_shown(doc)}, not an object")

    def wrong(name: str, what: str) -> Damage:
        if name not in doc:
            return Damage(f"layouts document {doc_id} lacks {name}")
        return Damage(f"layouts document {doc_id}: {name} {what}")

    for name in ("assessment", "version", "form"):
        if type(doc.get(name)) is not str:
            raise wrong(name, f"is {_shown(doc.get(name))}, not text")
    lists: dict[str, list[Any]] = {}
    for name, element in (
        ("items", TEXT),
        ("item_competency", WHOLE),
        ("competencies", TEXT),
        ("cuts", NUMBER),
    ):
        value = doc.get(name, ABSENT)
        if type(value) is not list or not set(map(type, value)) <= element:
            raise wrong(name, f"is {_shown(value)}, not a list of {_expected(element)}")
        lists[name] = value
    items, width = len(lists["items"]), len(lists["competencies"])
    if len(lists["item_competency"]) != items:
        raise wrong("item_competency", f"has {len(lists['item_competency'])} entries, not {items}")
    if any(not 0 <= n < width for n in lists["item_competency"]):
        raise wrong("item_competency", f"names a competency beyond the {width} listed")
    if len(lists["cuts"]) != width:
        raise wrong("cuts", f"has {len(lists['cuts'])} entries, not {width}")
    options = doc.get("options", [])
    if (
        type(options) is not list
        or len(options) not in (0, items)
        or any(o is not None and (type(o) is not list or set(map(type, o)) - TEXT) for o in options)
    ):
        raise wrong("options", f"is not a list of {items} lists of option ids (or nulls)")
    modules = doc.get("modules", [])
    if (
        type(modules) is not list
        or len(modules) not in (0, width)
        or any(type(m) is not list or set(map(type, m)) - TEXT for m in modules)
    ):
        raise wrong("modules", f"is not a list of {width} lists of module ids")
    reserve = doc.get("reserve", [])
    if type(reserve) is not list or set(map(type, reserve)) - TEXT:
        raise wrong("reserve", "is not a list of item ids")
    placed = doc.get("reserve_competency", [])
    if (
        type(placed) is not list
        or len(placed) != len(reserve)
        or any(type(n) is not int or not 0 <= n < width for n in placed)
    ):
        raise wrong("reserve_competency", "is not a competency number for each reserve item")
    confidence = doc.get("confidence")
    if confidence is not None and (type(confidence) not in (int, float) or not 0 < confidence < 1):
        raise wrong("confidence", f"is {_shown(confidence)}, not a number between 0 and 1")
    return items, width


def _check_attempts(docs: dict[str, Any], scan: _Scan, layouts: dict[int, tuple[int, int]]) -> None:
    """References to layouts, status letters and their number, what a submitted attempt has."""
    numbers = scan.distinct["layout"] - {ABSENT}
    if not numbers <= layouts.keys():
        where = _find("attempts", docs, "layout", lambda v: v not in layouts)
        raise Damage(f"{where}, which is no layout's number")
    codes = scan.distinct["codes"] - {ABSENT}
    # what is left of a text once the letters are stripped off its ends is a wrong letter
    if any(map(str.strip, codes, repeat(LETTERS))):
        where = _find(
            "attempts", docs, "codes", lambda v: type(v) is str and bool(v.strip(LETTERS))
        )
        raise Damage(f"{where}, not status letters m, b, i or o")
    widths = {layouts[n][1] for n in numbers}
    if len(widths) > 1 or {len(c) for c in codes} - widths:
        for key, doc in docs.items():
            text, number = doc.get("codes"), doc["layout"]
            if type(text) is str and len(text) != layouts[number][1]:
                raise Damage(
                    f"attempts document {key}: codes has {len(text)} letters for the "
                    f"{layouts[number][1]} competencies of its layout"
                )
    if "near" in scan.distinct:
        near = scan.distinct["near"] - {ABSENT, None}
        if any(map(str.strip, near, repeat("01"))) or ({len(t) for t in near} - widths):
            for key, doc in docs.items():
                text = doc.get("near")
                if type(text) is str and (
                    text.strip("01") or len(text) != layouts[doc["layout"]][1]
                ):
                    raise Damage(
                        f"attempts document {key}: near is {_shown(text)}, not a 0 or 1 "
                        "for each competency of its layout"
                    )
    if any(
        _Absent in scan.types[name] or ABSENT in scan.distinct.get(name, ())
        for name in ("scores", "codes", "outcome")
    ):
        for key, doc in docs.items():
            if doc["status"] == "submitted":
                lacking = [name for name in ("scores", "codes", "outcome") if name not in doc]
                if lacking:
                    raise Damage(f"attempts document {key} is submitted but lacks {lacking[0]}")


def find_damage(data: Tables, archived: Archived | None = None) -> str | None:
    """What is wrong with the documents of a parsed (and migrated) file, or None.

    What a reader indexes, compares, sorts or looks up is checked here, once,
    so a hand-edited or damaged file is refused in one line instead of failing
    deep inside a command: the type of every field of every document, status
    and outcome words, status letters and their number, and references (an
    attempt's candidate and layout, a coaching record's candidate). The JSON
    text of packed lists (``answers``, ``scores`` ...) is not parsed here: that
    would cost more than reading the file.
    """
    try:
        people = _scan("candidates", data.get("candidates", {}), SHAPES["candidates"], ["id"])
        candidates = people.distinct["id"]
        if archived is not None:  # live attempts and progress may be of archived people
            used = {
                d.get("cand")
                for table in ("attempts", "progress")
                for d in data.get(table, {}).values()
                if type(d) is dict
            }
            missing = {c for c in used if type(c) is str} - candidates
            if missing:
                candidates = candidates | archived(missing)
        layout_docs = data.get("layouts", {})
        _documents("layouts", {key: {} for key in layout_docs})
        layouts = {int(key): _check_layout(key, doc) for key, doc in layout_docs.items()}
        attempts = data.get("attempts", {})
        scan = _scan(
            "attempts",
            attempts,
            SHAPES["attempts"],
            distinct=["layout", "codes", "outcome", "near"],
            members={"cand": candidates, "status": STATUSES},
        )
        if not scan.distinct["outcome"] <= OUTCOMES | {ABSENT}:
            where = _find(
                "attempts", attempts, "outcome", lambda v: v is not ABSENT and v not in OUTCOMES
            )
            raise Damage(f"{where}, not pass, coaching or incomplete")
        _check_attempts(attempts, scan, layouts)
        progress = data.get("progress", {})
        _scan("progress", progress, SHAPES["progress"], members={"cand": candidates})
        for key, doc in progress.items():
            lessons = doc.get("lessons", [])
            if set(map(type, lessons)) - TEXT:
                raise Damage(
                    f"progress document {key}: lessons is {_shown(lessons)}, not a list of text"
                )
        _scan("audit", data.get("audit", {}), SHAPES["audit"])
        _scan("employers", data.get("employers", {}), SHAPES["employers"])
        events = data.get("events", {})
        _scan("events", events, SHAPES["events"])
        for key, doc in events.items():
            modules = doc.get("modules", [])
            if set(map(type, modules)) - TEXT:
                raise Damage(
                    f"events document {key}: modules is {_shown(modules)}, not a list of text"
                )
    except Damage as damage:
        return str(damage)
    return None


def check_documents(data: Tables, path: Path, archived: Archived | None = None) -> None:
    """Refuse a file whose documents are not what readers rely on (see ``find_damage``)."""
    damage = find_damage(data, archived)
    if damage is not None:
        raise StoreError(f"{path} is not a screener database ({damage}); left untouched")
