"""Screening a whole file of candidates: read, check, score, plan, store, summarise.

``screen_file`` is what ``screener batch`` does below its options: it reads
the file (``importing``), scores and plans every good row at once
(``vectorscore``), writes the rejected rows to an ``--errors`` file when
asked, stores the scored rows in one atomic write (``Store.save_scored_batch``)
and summarises the cohort. It never prints: progress goes to ``on_step`` and
everything else comes back in the ``BatchResult``.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from screener.content import Assessment
    from screener.importing import RowError, Table
    from screener.store import Store

SHOWN_ERRORS = 20  # row errors kept in the summary (the --errors file has them all)
ERRORS_FIELD = 1000  # characters of an id, header or value kept in the --errors file

__all__ = ["ERRORS_FIELD", "SHOWN_ERRORS", "BatchResult", "screen_file", "write_errors"]


@dataclass
class BatchResult:
    """What a batch did: the same data for people (``render.batch_summary``) and ``--json``.

    ``below_cut``: per competency the candidates below the cut (a gap) and, with a
    borderline rule, ``close`` to it; ``seats``: per module the candidates whose
    plan requires it; ``recommended``: those for whom it is only recommended.
    ``errors`` holds every row error (``to_json`` the first ``SHOWN_ERRORS``);
    ``missing_items`` the form's items that had no column (counted unanswered).
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
        }


def screen_file(
    assessment: Assessment,
    file: Path,
    *,
    store: Store | None,
    form: str | None = None,
    id_column: str = "candidate_id",
    name_column: str = "name",
    map_file: Path | None = None,
    errors_file: Path | None = None,
    on_step: Callable[[str], None] = lambda step: None,
    command: str | None = "batch",
) -> BatchResult:
    """Score every good row of ``file`` and store them in ``store`` (None: a dry run).

    Rows with a bad cell, a missing or duplicate id, or an id the store cannot
    take are rejected (``BatchResult.errors``, and the ``errors_file`` CSV when
    given); the others are stored all together or not at all, each with a
    submission key so a second import stores nothing twice. ``on_step`` hears
    ``"scoring"``, ``"storing"`` and ``"done"`` as the work gets there.
    """
    import numpy as np

    from screener.importing import read_mapping, read_table
    from screener.vectorscore import (
        BELOW,
        BORDERLINE,
        OUTCOMES,
        encode,
        plans,
        score_points,
        scored_batch,
    )

    name = assessment.form(form)
    mapping = read_mapping(map_file) if map_file is not None else None
    table = read_table(file, id_column=id_column, name_column=name_column, mapping=mapping)
    on_step("scoring")
    encoded = encode(assessment, name, table)
    errors = list(encoded.errors)
    index = encoded.index
    points = encoded.points
    id_errors = _id_errors(table, index)
    if id_errors:
        bad_rows = {e.row for e in id_errors}
        keep = np.array([int(r) not in bad_rows for r in table.rows[index].tolist()], dtype=bool)
        index, points = index[keep], points[keep]
        errors = sorted([*errors, *id_errors], key=lambda e: e.row)
    scores = score_points(assessment, name, points)
    planned = plans(assessment, scores)
    n = len(index)
    if errors_file is not None:
        write_errors(errors_file, table, errors)
    result = BatchResult(
        file=str(file),
        assessment=assessment.id,
        version=assessment.version,
        form=name,
        rows=len(table),
        scored=n,
        rejected=len({e.row for e in errors}),
        dry_run=store is None,
        errors=errors,
        errors_file=str(errors_file) if errors_file is not None else None,
        missing_items=list(encoded.missing_items),
    )
    counts = np.bincount(scores.outcome.astype(np.intp), minlength=len(OUTCOMES))
    result.outcomes = {o: int(c) for o, c in zip(OUTCOMES, counts.tolist(), strict=True)}
    if n:
        below = (scores.status == BELOW).sum(axis=0).tolist()
        close = (scores.status == BORDERLINE).sum(axis=0).tolist()
    else:
        below = close = [0] * len(assessment.competencies)
    ranked = sorted(
        zip(scores.competencies, below, close, strict=True), key=lambda row: -row[1]
    )
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
    on_step("storing")
    if store is not None:
        scored = scored_batch(assessment, encoded, scores, index)
        # the file's cells, the points matrix and the plans are not needed any
        # more: dropping them keeps the peak (during the write) ~40 MiB lower
        del encoded, table, points, scores, planned, by_id
        saved = store.save_scored_batch(scored, command=command)
        result.stored, result.skipped = saved.stored, saved.skipped
        result.candidates = list(scored.candidates)
    on_step("done")
    return result


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
        RowError(int(rows[i]), header, ids[i], bad[ids[i]])
        for i in index.tolist()
        if ids[i] in bad
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
