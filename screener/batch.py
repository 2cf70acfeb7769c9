"""Screening a whole file of candidates: read, check, score, plan, store, summarise.

``screen_file`` is what ``screener batch`` does below its options: it reads
the file (``importing``), scores and plans every good row at once
(``vectorscore``), writes the rejected rows to an ``--errors`` file when
asked, stores the scored rows in one atomic write (``Store.save_scored_batch``)
and summarises the cohort. It never prints: progress goes to ``on_step`` and
everything else comes back in the ``BatchResult``.

Rows the database refuses (rules built here on the store's public calls):

* **An existing id with another name** (``A1000,Totally Different Person`` for
  Amélie Côté): a row error naming both names, unless ``update_names``, which
  renames them (audited ``candidate.renamed``).
* **A changed row** (a fixed answer, then the file imported again, under any
  file name): a row for a candidate who already has a stored attempt on the
  same assessment and form, with other answers. It is a row error naming the
  earlier attempt, never a silent second attempt; ``keep_both`` stores it as a
  further attempt and audits ``batch.kept-both`` with the earlier one's id. An
  unchanged row is the stored attempt itself (its submission key) and is skipped.

Both are checked inside the write's lock: rows refused there roll the write back
and the file is screened again without them, so what is stored never includes them.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screener.content import Assessment
    from screener.forked import Shared
    from screener.importing import RowError, Table
    from screener.store import SaveResult
    from screener.store.interface import ResultsStore

SHOWN_ERRORS = 20  # row errors kept in the summary (the --errors file has them all)
ERRORS_FIELD = 1000  # characters of an id, header or value kept in the --errors file
KEPT_BOTH = "batch.kept-both"  # audit event: a changed row stored beside the earlier attempt

__all__ = [
    "ERRORS_FIELD",
    "KEPT_BOTH",
    "SHOWN_ERRORS",
    "BatchResult",
    "ReadAhead",
    "read_ahead",
    "screen_file",
    "write_errors",
]


@dataclass
class BatchResult:
    """What a batch did: the same data for people (``render.batch_summary``) and ``--json``.

    ``below_cut``: per competency the candidates below the cut (a gap) and, with a
    borderline rule, ``close`` to it; ``seats``: per module the candidates whose
    plan requires it; ``recommended``: those for whom it is only recommended.
    ``errors`` holds every row error (``to_json`` the first ``SHOWN_ERRORS``);
    ``missing_items`` the form's items that had no column (counted unanswered);
    ``ignored_columns`` the columns left out (``--ignore-extra``, a mapping's
    ``ignore``) and ``contact_columns`` those read as contact details.
    """

    file: str
    assessment: str
    version: str
    form: str
    rows: int = 0
    scored: int = 0
    rejected: int = 0
    stored: int = 0
    skipped: int = 0
    dry_run: bool = False
    outcomes: dict[str, int] = field(default_factory=dict)
    below_cut: list[dict[str, Any]] = field(default_factory=list)
    seats: list[dict[str, Any]] = field(default_factory=list)
    recommended: list[dict[str, Any]] = field(default_factory=list)
    errors: list[RowError] = field(default_factory=list)
    errors_file: str | None = None
    missing_items: list[str] = field(default_factory=list)
    #: ids of the rows stored (or stored before), in file order: the program's automatic
    #: events are made for them (``screener.cli.program.after_screening``); not in to_json
    candidates: list[str] = field(default_factory=list, repr=False)
    ignored_columns: list[str] = field(default_factory=list)
    contact_columns: list[str] = field(default_factory=list)
    contacts_added: int = 0  # new candidates stored with contact details
    renamed: int = 0  # stored candidates renamed (update_names)
    kept_both: int = 0  # changed rows stored beside the earlier attempt (keep_both)

    def to_json(self) -> dict[str, Any]:
        from screener.importing import shorten

        return {
            "file": self.file,
            "assessment": self.assessment,
            "version": self.version,
            "form": self.form,
            "rows": self.rows,
            "scored": self.scored,
            "rejected": self.rejected,
            "stored": self.stored,
            "skipped": self.skipped,
            "dry_run": self.dry_run,
            "outcomes": self.outcomes,
            "below_cut": self.below_cut,
            "seats": self.seats,
            "recommended": self.recommended,
            "errors": [
                {
                    "row": e.row,
                    "column": shorten(e.column),
                    "value": shorten(e.value),
                    "message": e.message,
                }
                for e in self.errors[:SHOWN_ERRORS]
            ],
            "errors_file": self.errors_file,
            "ignored_columns": self.ignored_columns,
            "contact_columns": self.contact_columns,
            "contacts_added": self.contacts_added,
            "renamed": self.renamed,
            "kept_both": self.kept_both,
        }


class _Refused(Exception):
    """Rows the store's checks refused inside the write (rolled back): screen without them."""

    def __init__(self, errors: list[RowError]) -> None:
        super().__init__(f"{len(errors)} row(s) refused")
        self.errors = errors


class _DryRun(Exception):
    """Ends a dry run's write transaction, so nothing it did is kept."""

    def __init__(self, saved: SaveResult) -> None:
        super().__init__("dry run")
        self.saved = saved


@dataclass(frozen=True)
class _ReadOptions:
    """What ``screen_file`` reads: the file and the options its table depends on."""

    file: Path
    id_column: str
    name_column: str
    map_file: Path | None
    contact_columns: tuple[str, ...] | None


def _read_file(options: _ReadOptions, *, ahead: Shared | None = None) -> Table:
    """The batch file's table (``ahead``: a child reading its pieces already)."""
    from screener.importing import read_table

    return read_table(options.file, **_reading(options), ahead=ahead)


def _ahead_piece(options: _ReadOptions, index: int) -> object:
    """In ``read_ahead``'s child: piece ``index`` of the file's rows (``importing``)."""
    from screener.importing import read_piece_ahead

    return read_piece_ahead(options.file, index, **_reading(options))


def _reading(options: _ReadOptions) -> dict[str, Any]:
    """How ``options`` say the file is read: ``importing.read_table``'s keywords."""
    from screener.importing import FORM_TOOL_HEADERS, read_mapping

    map_file = options.map_file
    return {
        "id_column": options.id_column,
        "name_column": options.name_column,
        "mapping": read_mapping(map_file) if map_file is not None else None,
        "contact_columns": options.contact_columns,
        "leave_out": FORM_TOOL_HEADERS,
    }


#: CSV files from this size up to ``_AHEAD_MAX`` are read ahead (``read_ahead``).
#: Bigger ones are read by two processes once the assessment is loaded
#: (``importing._read_split``), which is quicker past ~15 MB (~250k rows).
_AHEAD_MIN = 2 << 20
_AHEAD_MAX = 12 << 20


class ReadAhead:
    """A batch file's pieces being read by a forked child (``read_ahead``) while this
    process loads the assessment and the store, then reads the pieces the child has
    not taken (``take``): the file read on both cores, most of it while this process
    would otherwise wait. A child that failed, or read a file that changed since,
    leaves its pieces to this process (``importing._read_split``), which reports what
    is wrong with the file as it always does."""

    def __init__(self, options: _ReadOptions, child: Shared) -> None:
        self.options = options
        self._child: Shared | None = child

    def take(self, options: _ReadOptions) -> Table | None:
        """The file's table, read with the child's pieces, when it reads with ``options``
        (None: other options: ``screen_file`` reads it); only the first call may."""
        child, self._child = self._child, None
        if child is None:
            return None
        if options != self.options:
            child.stop()
            return None
        try:
            return _read_file(options, ahead=child)
        finally:
            child.stop()

    def stop(self) -> None:
        """Stop the child when its table was never taken (the command failed first)."""
        child, self._child = self._child, None
        if child is not None:
            child.stop()


def read_ahead(
    file: Path,
    *,
    id_column: str = "candidate_id",
    name_column: str = "name",
    map_file: Path | None = None,
    contact_columns: Sequence[str] | None = None,
) -> ReadAhead | None:
    """Start reading a big CSV ``file`` in a forked child, for ``screen_file`` with the
    same options (its ``ahead``); None when it is not worth a process (small, not a
    regular CSV file, no idle core). Call ``stop`` when the command ends."""
    import os
    import stat
    from functools import partial

    from screener.forked import Shared, spare_core

    if not hasattr(os, "fork") or file.suffix.lower() not in (".csv", ".tsv", ".txt"):
        return None
    try:
        info = file.stat()
    except (OSError, ValueError):
        return None
    if not stat.S_ISREG(info.st_mode) or not _AHEAD_MIN <= info.st_size <= _AHEAD_MAX:
        return None
    if not spare_core():
        return None
    options = _ReadOptions(
        file,
        id_column,
        name_column,
        map_file,
        None if contact_columns is None else tuple(contact_columns),
    )
    # the reader (and numpy) first: this process needs them too, and the child then
    # starts reading at once while this process loads the assessment and the store
    from screener.importing import PIECES

    return ReadAhead(options, Shared([partial(_ahead_piece, options, i) for i in range(PIECES)]))


def screen_file(
    assessment: Assessment,
    file: Path,
    *,
    store: ResultsStore | None,
    form: str | None = None,
    id_column: str = "candidate_id",
    name_column: str = "name",
    map_file: Path | None = None,
    errors_file: Path | None = None,
    on_step: Callable[[str], None] = lambda step: None,
    command: str | None = "batch",
    contact_columns: Sequence[str] | None = None,
    ignore_extra: bool = False,
    update_names: bool = False,
    keep_both: bool = False,
    dry_run: bool = False,
    ahead: ReadAhead | None = None,
) -> BatchResult:
    """Score every good row of ``file`` and store them in ``store``.

    Rows with a bad cell, a missing or duplicate id, an id the store cannot
    take, an id stored with another name or a changed row (see the module) are
    rejected (``BatchResult.errors``, and the ``errors_file`` CSV when given);
    the others are stored all together or not at all, each with a submission
    key so a second import stores nothing twice. ``contact_columns`` (None: the
    usual headers, ``importing.CONTACT_HEADERS``) give new candidates their
    contact details; ``ignore_extra`` leaves out columns that are not items of
    the assessment; a form tool's own columns (``importing.FORM_TOOL_HEADERS``:
    Timestamp, Start time, ...) are always left out. ``dry_run`` (or no ``store``) stores nothing; with a store
    whose file exists, a dry run still finds the rows the store would refuse.
    ``on_step`` hears ``"scoring"``, ``"storing"`` and ``"done"`` as the work
    gets there. ``ahead``: the file as ``read_ahead`` started reading it (used when
    its options are these).
    """
    from screener.gcpause import paused_gc

    options = _ReadOptions(
        file,
        id_column,
        name_column,
        map_file,
        None if contact_columns is None else tuple(contact_columns),
    )
    refused: list[RowError] = []
    for _ in range(8):  # each round refuses more rows; a second is rare, a third rarer
        try:
            # the cycle collector paused for the whole file: the rows, scores, plans and
            # documents hold no cycles, and each collection walks them all (~20% of a batch)
            with paused_gc():
                # the table read ahead is for the first round only (each reads the file)
                table = ahead.take(options) if ahead is not None else None
                return _screen_once(
                    assessment,
                    options,
                    table,
                    store=store,
                    form=form,
                    errors_file=errors_file,
                    on_step=on_step,
                    command=command,
                    ignore_extra=ignore_extra,
                    update_names=update_names,
                    keep_both=keep_both,
                    dry_run=dry_run,
                    refused=refused,
                )
        except _Refused as exc:
            refused = [*refused, *exc.errors]
    raise RuntimeError("the database kept changing while the batch was stored")  # pragma: no cover


def extra_columns(assessment: Assessment, table: Table) -> list[str]:
    """The answer columns of ``table`` that are no item of ``assessment`` (any form)."""
    known = {item.id for item in assessment.items}
    return [key for key in table.columns if key not in known]


def _screen_once(
    assessment: Assessment,
    options: _ReadOptions,
    table: Table | None,
    *,
    store: ResultsStore | None,
    form: str | None,
    errors_file: Path | None,
    on_step: Callable[[str], None],
    command: str | None,
    ignore_extra: bool,
    update_names: bool,
    keep_both: bool,
    dry_run: bool,
    refused: list[RowError],
) -> BatchResult:
    import numpy as np

    from screener.vectorscore import batch_rows, encode, plans, score_points, scored_batch

    file = options.file
    name = assessment.form(form)
    if table is None:
        table = _read_file(options)
    if ignore_extra:
        table = table.without(extra_columns(assessment, table))
    on_step("scoring")
    encoded = encode(assessment, name, table)
    errors = list(encoded.errors)
    index = encoded.index
    checking = store is not None and (not dry_run or store.exists())
    late = [*_id_errors(table, index), *_contact_errors(table, index), *refused]
    if late:
        bad_rows = {e.row for e in late}
        keep = np.array([int(r) not in bad_rows for r in table.rows[index].tolist()], dtype=bool)
        index = index[keep]
        errors = sorted([*errors, *late], key=lambda e: e.row)
    # the points of the rows kept (both indexes rise, so each kept row is found by search)
    points = encoded.points[np.searchsorted(encoded.index, index)]
    # the rows to store, their answers and keys packed on the other core while scoring
    parts = (
        batch_rows(assessment, encoded, index, pack_ahead=True)
        if checking and store is not None
        else None
    )
    try:
        scores = score_points(assessment, name, points)
        planned = plans(assessment, scores)
        if errors_file is not None:
            write_errors(errors_file, table, errors)
        result = BatchResult(
            file=str(file),
            assessment=assessment.id,
            version=assessment.version,
            form=name,
            rows=len(table),
            scored=len(index),
            rejected=len({e.row for e in errors}),
            dry_run=store is None or dry_run,
            errors=errors,
            errors_file=str(errors_file) if errors_file is not None else None,
            missing_items=list(encoded.missing_items),
            ignored_columns=list(table.ignored),
            contact_columns=list(table.contact_headers),
        )
        _summarise(result, assessment, scores, planned)
        on_step("storing")
        if parts is not None and store is not None:
            contacts = table.contacts
            # the rows' ids and names were picked for the batch already (``batch_rows``)
            people = list(
                zip(
                    parts.candidates,
                    parts.names,
                    [contacts[i] for i in index.tolist()] if contacts else [None] * len(index),
                    strict=True,
                )
            )
            numbers: list[int] = table.rows[index].tolist()
            header = (table.id_column, table.name_column or "")
            scored = scored_batch(assessment, encoded, scores, index, parts=parts)
            if contacts:  # new people are stored with theirs by the bulk save
                from dataclasses import replace

                scored = replace(scored, contacts=[contact for _, _, contact in people])
            # the file's cells, the points matrix and the plans are not needed any
            # more: dropping them keeps the peak (during the write) ~40 MiB lower
            del encoded, table, points, scores, planned
            try:
                saved = _store_rows(
                    store,
                    scored,
                    people,
                    numbers,
                    header,
                    assessment=assessment,
                    form=name,
                    result=result,
                    command=command,
                    update_names=update_names,
                    keep_both=keep_both,
                    dry_run=dry_run,
                )
            except _DryRun as done:
                saved = done.saved
            result.stored, result.skipped = saved.stored, saved.skipped
            result.candidates = list(scored.candidates)
    finally:
        if parts is not None and parts.ahead is not None:
            parts.ahead.stop()  # taken by the save (a no-op then), or nothing was stored
    on_step("done")
    return result


def _summarise(result: BatchResult, assessment: Assessment, scores: Any, planned: Any) -> None:
    """The cohort's outcomes, competencies below their cut and coaching seats."""
    import numpy as np

    from screener.vectorscore import BELOW, BORDERLINE, OUTCOMES

    n = len(scores)
    counts = np.bincount(scores.outcome.astype(np.intp), minlength=len(OUTCOMES))
    result.outcomes = {o: int(c) for o, c in zip(OUTCOMES, counts.tolist(), strict=True)}
    if n:
        below = (scores.status == BELOW).sum(axis=0).tolist()
        close = (scores.status == BORDERLINE).sum(axis=0).tolist()
    else:
        below = close = [0] * len(assessment.competencies)
    ranked = sorted(zip(scores.competencies, below, close, strict=True), key=lambda row: -row[1])
    result.below_cut = [
        {"competency": c, "candidates": int(b), "share": b / n if n else 0.0, "close": int(k)}
        for c, b, k in ranked
    ]
    needed: Counter[str] = Counter()
    suggested: Counter[str] = Counter()
    by_id = {id(p): p for p in planned}  # rows with the same plan share one tuple
    for key, times in Counter(map(id, planned)).items():
        for entry in by_id[key]:
            (needed if entry.required else suggested)[entry.module] += times
    result.seats = [{"module": m, "candidates": c} for m, c in needed.most_common()]
    result.recommended = [{"module": m, "candidates": c} for m, c in suggested.most_common()]


def _contact_errors(table: Table, index: Any) -> list[RowError]:
    """Rows whose contact details the store would refuse (control characters, too long)."""
    from screener.errors import RecordError
    from screener.importing import RowError
    from screener.store.records import clean_contact

    if table.contacts is None:
        return []
    header = ", ".join(table.contact_headers)
    found: list[RowError] = []
    for i in index.tolist():
        try:
            clean_contact(table.contacts[i])
        except RecordError as exc:
            found.append(RowError(int(table.rows[i]), header, table.contacts[i] or "", str(exc)))
    return found


def _name_errors(
    stored: dict[str, str],
    people: list[tuple[str, str | None, str | None]],
    numbers: list[int],
    header: str,
) -> list[RowError]:
    """Rows whose id is stored with another name (any case and spacing counts as the
    same): a row error naming both."""
    from screener.errors import RecordError
    from screener.importing import RowError
    from screener.store.records import clean_name

    found: list[RowError] = []
    if not stored:  # a new cohort: nobody to compare with
        return found
    for number, (cid, given, _) in zip(numbers, people, strict=True):
        known = stored.get(cid)
        if known is None or not given:
            continue
        try:
            cleaned = clean_name(given)
        except RecordError:
            continue  # the store refuses the name itself, and says so
        if cleaned.casefold() != known.casefold():
            found.append(
                RowError(
                    number,
                    header,
                    given,
                    f"candidate {cid} is stored as {known!r}, not {cleaned!r}: fix the id or "
                    "the name, or rename them with --update-names",
                )
            )
    return found


class _CheckFirst(Exception):
    """New rows for candidates already stored: write again, looking for changed rows."""


def _store_rows(
    store: ResultsStore,
    scored: Any,
    people: list[tuple[str, str | None, str | None]],
    numbers: list[int],
    header: tuple[str, str],
    *,
    assessment: Assessment,
    form: str,
    result: BatchResult,
    command: str | None,
    update_names: bool,
    keep_both: bool,
    dry_run: bool,
) -> SaveResult:
    """One write: renames, new people with contact details, the attempts.

    Rows the store's rules refuse (another name, a changed row) roll everything
    back (``_Refused``); a dry run always rolls back (``_DryRun``). Looking for
    changed rows reads every stored attempt of the assessment, so it is done only
    when needed: when no row's candidate is stored yet (a new cohort), or when
    nothing new is stored (the same file again), there can be none; otherwise the
    write is rolled back once and made again with the look.
    """
    for check_first in (False, True):
        try:
            return _store_once(
                store,
                scored,
                people,
                numbers,
                header,
                assessment=assessment,
                form=form,
                result=result,
                command=command,
                update_names=update_names,
                keep_both=keep_both,
                dry_run=dry_run,
                check_first=check_first,
            )
        except _CheckFirst:
            continue
    raise AssertionError("unreachable: the second round never asks for a third")


def _store_once(
    store: ResultsStore,
    scored: Any,
    people: list[tuple[str, str | None, str | None]],
    numbers: list[int],
    header: tuple[str, str],
    *,
    assessment: Assessment,
    form: str,
    result: BatchResult,
    command: str | None,
    update_names: bool,
    keep_both: bool,
    dry_run: bool,
    check_first: bool,
) -> SaveResult:
    from screener.importing import RowError
    from screener.store.records import clean_name

    with store.transaction():
        # only the file's people: listing everyone reads a large database's whole archive
        stored = {c.id: c.name for c in store.candidates(scored.candidates)}  # people's ids
        if not update_names:
            wrong = _name_errors(stored, people, numbers, header[1])
            if wrong:
                raise _Refused(wrong)
        # new people are stored by the bulk save, with the contact details of their
        # first row that has some, and stored people renamed by one call (one write
        # for all: one at a time took minutes for thousands)
        added = len({cid for cid, _, contact in people if contact and cid not in stored})
        returning: set[str] = set()
        names: dict[str, str] = {}
        for cid, given, _ in people if stored else ():  # a new cohort: nobody to rename
            known = stored.get(cid)
            if known is None:
                continue
            returning.add(cid)
            if update_names and given and clean_name(given) != known:
                names[cid] = given
        renamed = store.rename_candidates(names, command=command) if names else 0
        earlier = (
            _earlier_attempts(store, assessment.id, form, returning)
            if returning and check_first
            else {}
        )
        saved = store.save_scored_batch(scored, command=command)
        if returning and saved.stored and not check_first:
            raise _CheckFirst
        changed: list[tuple[int, str, str, tuple[str, str]]] = []  # row, id, new, earlier
        rows = zip(numbers, people, saved.attempt_ids, strict=True) if earlier else ()
        for number, (cid, _, _), aid in rows:
            before = earlier.get(cid)
            if before and aid not in {a for a, _ in before}:
                changed.append((number, cid, aid, before[-1]))
        if changed and not keep_both:
            raise _Refused(
                [
                    RowError(
                        number,
                        header[0],
                        cid,
                        f"changed row? {cid} already has another attempt on {assessment.id} "
                        f"form {form} (attempt {old}, {when[:10] or 'no date'}); nothing of "
                        "this row is stored: keep the file as first imported, or store the "
                        "row as a further attempt with --keep-both",
                    )
                    for number, cid, _, (old, when) in changed
                ]
            )
        for _, cid, aid, (old, _) in changed:
            store.audit(
                KEPT_BOTH,
                command=command,
                candidate_id=cid,
                attempt_id=aid,
                detail=f"earlier {old}",
            )
        result.renamed, result.contacts_added, result.kept_both = renamed, added, len(changed)
        if dry_run:
            raise _DryRun(saved)
    return saved


#: Up to this many returning candidates, ``_earlier_attempts`` looks each one up.
_LOOKUP_MAX = 500


def _earlier_attempts(
    store: ResultsStore, assessment: str, form: str, candidates: set[str]
) -> dict[str, list[tuple[str, str]]]:
    """Per candidate of ``candidates``: their stored attempts on ``assessment`` form
    ``form`` as ``(attempt id, submitted)``, oldest first.

    A few people are looked up one by one (the archive's index finds the segments
    holding each); many, by one pass over the assessment's attempts, which reads the
    whole archive (about 20 s at a million attempts)."""
    found: dict[str, list[tuple[str, str]]] = {}
    if len(candidates) <= _LOOKUP_MAX:
        for cid in sorted(candidates):
            for rec in store.attempts(candidate=cid, assessment=assessment):
                if rec.form == form:
                    found.setdefault(cid, []).append((rec.attempt_id, rec.submitted or ""))
        return found
    for rec in store.iter_attempts(assessment=assessment):
        if rec.form == form and rec.candidate_id in candidates:
            found.setdefault(rec.candidate_id, []).append((rec.attempt_id, rec.submitted or ""))
    return found


def _id_errors(table: Table, index: Any) -> list[RowError]:
    """Row errors for candidate ids the store cannot take (``check_candidate_id``'s rule).

    The whole column is checked at once first (printable, no space, at most
    64 characters: what the rule says for the common case); only when that
    fails is each distinct id put to the rule itself, whose message is used.
    Blank ids are the reader's to report.
    """
    from screener.errors import RecordError
    from screener.importing import RowError
    from screener.store.records import ID_MAX, check_candidate_id

    ids = table.ids
    joined = "".join(ids)
    if joined.isprintable() and " " not in joined and max(map(len, ids), default=0) <= ID_MAX:
        return []
    bad: dict[str, str] = {}
    for ident in set(ids):
        if not ident:
            continue
        try:
            check_candidate_id(ident)
        except RecordError as exc:
            bad[ident] = str(exc)
    if not bad:
        return []
    rows = table.rows
    header = table.id_column
    return [
        RowError(int(rows[i]), header, ids[i], bad[ids[i]]) for i in index.tolist() if ids[i] in bad
    ]


def write_errors(path: Path, table: Table, errors: list[RowError]) -> None:
    """Every row error as CSV, in a file only its owner may read (it holds names and ids).

    A regular file is written beside itself and renamed (created 0600; a Ctrl-C
    leaves the old file, not half a new one); a pipe or character device (a
    terminal, /dev/null, /dev/stdout) is written to directly, never replaced.
    Each field is cut to ``ERRORS_FIELD`` characters, so the file stays in
    proportion to the input: one line per bad cell, never a 131,072-character
    id repeated on each.
    """
    import csv
    import os
    import stat
    import tempfile

    from screener.errors import ScreenerError
    from screener.importing import shorten

    id_of = dict(zip(table.rows.tolist(), table.ids, strict=True)) if errors else {}

    def write(fh: Any) -> None:
        writer = csv.writer(fh, lineterminator="\n")
        writer.writerow(["row", "candidate_id", "column", "value", "message"])
        for err in errors:
            fields = (id_of.get(err.row, ""), err.column, err.value, err.message)
            writer.writerow([err.row, *(shorten(f, ERRORS_FIELD) for f in fields)])

    target = path.resolve() if path.is_symlink() else path
    try:
        try:
            mode = target.stat().st_mode
        except FileNotFoundError:
            mode = stat.S_IFREG
        if stat.S_ISCHR(mode) or stat.S_ISFIFO(mode):
            with target.open("w", newline="", encoding="utf-8") as fh:
                write(fh)
            return
        if not stat.S_ISREG(mode):
            raise ScreenerError(f"--errors: {path} is not a regular file; choose another name")
        folder = target.parent
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=folder)
    except OSError as exc:
        raise ScreenerError(f"--errors: cannot write {path}: {exc.strerror or exc}") from None
    try:
        with os.fdopen(fd, "w", newline="", encoding="utf-8") as fh:
            write(fh)
        os.replace(tmp, target)  # mkstemp made it 0600 whatever the umask
    except BaseException as exc:
        Path(tmp).unlink(missing_ok=True)
        if isinstance(exc, OSError):
            raise ScreenerError(f"--errors: cannot write {path}: {exc.strerror or exc}") from None
        raise
