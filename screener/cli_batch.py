"""``screener batch`` and ``screener simulate``: screening whole files of candidates.

Registered on the main app by an import at the end of ``screener.cli``. Heavy
modules (numpy, the readers, vector scoring, the store) are imported inside the
commands, so ``screener --help`` stays fast.
"""

from __future__ import annotations

import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from screener.cli import app, catalog_for, emit_json, guard_output, settings

if TYPE_CHECKING:
    from screener.content import Assessment
    from screener.importing import RowError, Table

EXIT_REJECTED = 3
SHOWN_ERRORS = 20
ID_RULE = "a candidate id must be 1-64 printable characters without spaces"


def load_assessment(ctx: typer.Context, ref: str) -> Assessment:
    """An assessment by id, or by the path of a YAML file.

    For a file, the coaching modules it names are looked up in a ``modules/``
    folder beside it first; only when some are not there is the content in use
    (bundled, ``$SCREENER_CONTENT``, ``--content-dir``) loaded, which costs a
    few tenths of a second.
    """
    from screener.catalog import YAML_SUFFIXES, check_file, yaml_files
    from screener.content import Assessment, Module
    from screener.errors import ContentError
    from screener.lint import check_references

    path = Path(ref)
    if not (path.suffix in YAML_SUFFIXES and path.is_file()):
        found: Assessment = catalog_for(ctx).assessment(ref)
        return found
    checked = check_file(path)
    if checked.problems or not isinstance(checked.model, Assessment):
        raise ContentError([str(p) for p in checked.problems] or [f"{path}: not an assessment"])
    model = checked.model
    wanted = {m for c in model.competencies for m in c.modules}
    modules: dict[str, object] = {}
    beside = path.parent / "modules"
    if wanted and beside.is_dir():
        for file in yaml_files(beside):
            module = check_file(file)
            if isinstance(module.model, Module) and not module.problems:
                modules[module.model.id] = module.model
    if not wanted <= modules.keys():
        modules = {**catalog_for(ctx).modules, **modules}
    problems = check_references([checked], modules)
    if problems:
        raise ContentError([str(p) for p in problems])
    return model


@dataclass
class Summary:
    """What ``batch`` did: the same data for people (``render``) and for ``--json``."""

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
    errors: list[dict[str, Any]] = field(default_factory=list)
    errors_file: str | None = None

    def to_json(self) -> dict[str, Any]:
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
            "errors": self.errors,
            "errors_file": self.errors_file,
        }

    def render(self) -> None:
        """Plain aligned text: readable in a terminal, a log or an e-mail alike."""
        scored = self.scored or 1
        stored = (
            "dry run: nothing stored"
            if self.dry_run
            else f"stored {self.stored:,}, already stored {self.skipped:,}"
        )
        lines = [
            f"{self.file}: {self.rows:,} row(s), {self.scored:,} scored, "
            f"{self.rejected:,} rejected; {stored}",
            f"assessment {self.assessment} {self.version}, form {self.form}",
            "",
            "Candidates by outcome",
            *_aligned(
                [
                    (name, f"{count:,}", f"{100 * count / scored:.1f}%")
                    for name, count in self.outcomes.items()
                ]
            ),
            "",
            "Competencies most often below their cut",
            *_aligned(
                [
                    (row["competency"], f"{row['candidates']:,}", f"{100 * row['share']:.1f}%")
                    for row in self.below_cut
                ]
            ),
            "",
            "Coaching seats (candidates needing each module)",
            *_aligned(
                [(row["module"], f"{row['candidates']:,}") for row in self.seats]
                or [("(none)", "0")]
            ),
        ]
        sys.stdout.write("\n".join(lines) + "\n")


def _aligned(rows: list[tuple[str, ...]]) -> list[str]:
    """Rows of cells: the first left-aligned, the others right-aligned, two spaces apart."""
    if not rows:
        return ["  (none)"]
    widths = [max(len(r[c]) for r in rows) for c in range(len(rows[0]))]
    return [
        "  "
        + "  ".join(
            cell.ljust(w) if c == 0 else cell.rjust(w)
            for c, (cell, w) in enumerate(zip(row, widths, strict=True))
        )
        for row in rows
    ]


class _Steps:
    """A progress bar on stderr, shown only when stderr is a terminal."""

    def __init__(self, total: int) -> None:
        self.progress: Any = None
        self.task: Any = None
        self.storing = False  # the store step has begun: for Ctrl-C's message
        if sys.stderr.isatty():
            from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

            from screener.render import console

            self.progress = Progress(
                TextColumn("{task.description:<10}"),
                BarColumn(),
                TimeElapsedColumn(),
                console=console(stderr=True),
                transient=True,
            )
            self.progress.start()
            self.task = self.progress.add_task("reading", total=total)

    def step(self, description: str) -> None:
        self.storing = self.storing or description == "storing"
        if self.progress is not None:
            self.progress.update(self.task, advance=1, description=description)

    def close(self) -> None:
        if self.progress is not None:
            self.progress.stop()
            self.progress = None


def _id_errors(table: Table, index: Any) -> list[RowError]:
    """Row errors for candidate ids the store cannot take (spaces, control characters, > 64)."""
    from screener.importing import RowError

    header = table.id_column
    ids = table.ids
    out: list[RowError] = []
    joined = "".join(ids)
    if joined.isprintable() and " " not in joined and max(map(len, ids), default=0) <= 64:
        return out  # every id is fine (blank ones are reported by the reader)
    bad = {
        ident
        for ident in set(ids)
        if ident and (len(ident) > 64 or any(ch.isspace() or not ch.isprintable() for ch in ident))
    }
    if not bad:
        return out
    rows = table.rows
    for i in index.tolist():
        if ids[i] in bad:
            out.append(RowError(int(rows[i]), header, ids[i], ID_RULE))
    return out


ERRORS_FIELD = 1000  # characters of an id, header or value kept in the --errors file


def _write_errors(path: Path, table: Table, errors: list[RowError]) -> None:
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


@app.command(
    epilog=(
        "Exit codes: 0 every row scored and stored (or stored before); 3 some rows were "
        "rejected (the good rows are still stored, all in one write); 1 a problem with "
        "the file, the assessment or the database (nothing stored); 2 a usage error."
    )
)
def batch(
    ctx: typer.Context,
    file: Annotated[
        Path, typer.Argument(help="Answers file: .csv/.tsv/.txt, .xlsx, .json or .jsonl.")
    ],
    assessment: Annotated[
        str,
        typer.Option(
            "--assessment",
            "-a",
            help="Assessment id, or YAML path (modules are looked up in modules/ beside it).",
        ),
    ],
    form: Annotated[
        str | None, typer.Option("--form", help="Form the answers belong to (default: the first).")
    ] = None,
    id_column: Annotated[
        str, typer.Option("--id-column", help="Column holding the candidate id.")
    ] = "candidate_id",
    name_column: Annotated[
        str, typer.Option("--name-column", help="Column holding the name (optional column).")
    ] = "name",
    map_file: Annotated[
        Path | None,
        typer.Option("--map", help="YAML file mapping header texts to item ids and labels."),
    ] = None,
    errors_file: Annotated[
        Path | None,
        typer.Option(
            "--errors",
            help=(
                "Write every rejected row as CSV: row,candidate_id,column,value,message "
                "(created 0600; fields cut to 1,000 characters)."
            ),
        ),
    ] = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="Read, check and score; store nothing.")
    ] = False,
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Score and store a whole file of candidates' answers, then summarise the cohort.

    Bad rows (unknown option, value out of range, missing or duplicate
    candidate id) are listed on stderr with row, column and value, and in
    --errors; every good row is scored and stored in one atomic write (all of
    them or none). Each row has a submission key, so importing the same file
    again stores nothing twice. The summary (stdout) gives candidates by
    outcome, the competencies most often below their cut and the coaching
    seats needed per module.
    """
    guard_output(ctx, "--errors", errors_file, file, *([map_file] if map_file else []))
    steps = _Steps(total=4)
    try:
        summary, errors = _run_batch(
            ctx,
            file,
            assessment,
            form,
            id_column,
            name_column,
            map_file,
            errors_file,
            dry_run,
            steps,
        )
    except KeyboardInterrupt:
        # typer would exit 130 without a word; the store's write is one atomic rename
        steps.close()
        sys.stderr.write(
            "interrupted while storing: the rows were stored all together or not at all; "
            "running the batch again stores nothing twice\n"
            if steps.storing and not dry_run
            else "interrupted: nothing was stored\n"
        )
        raise typer.Exit(130) from None
    finally:
        steps.close()
    if errors:
        err = sys.stderr
        for e in errors[:SHOWN_ERRORS]:
            err.write(f"{file}: {e}\n")
        if len(errors) > SHOWN_ERRORS:
            more = f" (all in {errors_file})" if errors_file else " (--errors FILE lists them all)"
            err.write(f"... and {len(errors) - SHOWN_ERRORS:,} more row error(s){more}\n")
        err.write(
            f"{summary.rejected:,} row(s) rejected; the other {summary.scored:,} "
            f"{'were checked (dry run)' if dry_run else 'were stored or already there'}\n"
        )
    if as_json:
        emit_json(summary.to_json())
    else:
        summary.render()
    if summary.rejected:
        raise typer.Exit(EXIT_REJECTED)


def _run_batch(
    ctx: typer.Context,
    file: Path,
    assessment_ref: str,
    form: str | None,
    id_column: str,
    name_column: str,
    map_file: Path | None,
    errors_file: Path | None,
    dry_run: bool,
    steps: _Steps,
) -> tuple[Summary, list[RowError]]:
    import numpy as np

    from screener.importing import read_mapping, read_table, shorten
    from screener.store import Layout, ScoredBatch, Store
    from screener.vectorscore import (
        BELOW,
        OUTCOMES,
        STATUSES,
        encode,
        form_name,
        plans,
        score_points,
    )

    chosen = load_assessment(ctx, assessment_ref)
    name = form_name(chosen, form)
    mapping = read_mapping(map_file) if map_file is not None else None
    table = read_table(file, id_column=id_column, name_column=name_column, mapping=mapping)
    steps.step("scoring")
    encoded = encode(chosen, name, table)
    if encoded.missing_items:
        shown = ", ".join(encoded.missing_items[:8]) + (
            " ..." if len(encoded.missing_items) > 8 else ""
        )
        sys.stderr.write(
            f"warning: {file}: no column for {len(encoded.missing_items)} item(s) of form {name} "
            f"({shown}); they count as unanswered\n"
        )
    errors = list(encoded.errors)
    index = encoded.index
    points = encoded.points
    id_errors = _id_errors(table, index)
    if id_errors:
        bad_rows = {e.row for e in id_errors}
        keep = np.array([int(r) not in bad_rows for r in table.rows[index].tolist()], dtype=bool)
        index, points = index[keep], points[keep]
        errors = sorted([*errors, *id_errors], key=lambda e: e.row)
    scores = score_points(chosen, name, points)
    planned = plans(chosen, scores)
    n = len(index)
    rejected = len({e.row for e in errors})
    if errors_file is not None:
        _write_errors(errors_file, table, errors)
    summary = Summary(
        file=str(file),
        assessment=chosen.id,
        version=chosen.version,
        form=name,
        rows=len(table),
        scored=n,
        rejected=rejected,
        dry_run=dry_run,
        errors_file=str(errors_file) if errors_file is not None else None,
    )
    counts = np.bincount(scores.outcome.astype(np.intp), minlength=len(OUTCOMES))
    summary.outcomes = {o: int(c) for o, c in zip(OUTCOMES, counts.tolist(), strict=True)}
    below = (scores.status == BELOW).sum(axis=0).tolist() if n else [0] * len(chosen.competencies)
    ranked = sorted(zip(scores.competencies, below, strict=True), key=lambda cb: -cb[1])
    summary.below_cut = [
        {"competency": c, "candidates": int(b), "share": b / n if n else 0.0} for c, b in ranked
    ]
    seats: Counter[str] = Counter()
    by_id = {id(p): p for p in planned}  # rows with the same plan share one tuple
    for key, times in Counter(map(id, planned)).items():
        for entry in by_id[key]:
            seats[entry.module] += times
    summary.seats = [{"module": m, "candidates": c} for m, c in seats.most_common()]
    summary.errors = [
        {"row": e.row, "column": shorten(e.column), "value": shorten(e.value), "message": e.message}
        for e in errors[:SHOWN_ERRORS]
    ]
    steps.step("storing")
    if not dry_run:
        layout = Layout.of(chosen, name)
        if layout.items != encoded.item_ids:  # both are the form's items in order
            raise RuntimeError("layout and encoded items differ")
        n_values = len(table.values)
        columns: list[tuple[Any, list[Any]]] = []
        for column, lookup in zip(encoded.columns, encoded.lookups, strict=True):
            if column < 0:
                columns.append((np.zeros(n, dtype=np.uint8), [None]))
                continue
            codes = table.codes[column][index]
            if n_values <= 1 << 16:
                columns.append((codes, [lookup.get(c) for c in range(n_values)]))
            else:
                present, inverse = np.unique(codes, return_inverse=True)
                columns.append((inverse, [lookup.get(c) for c in present.tolist()]))
        ids = table.ids
        names = table.names
        rows = index.tolist()
        scored = ScoredBatch(
            layout=layout,
            candidates=[ids[i] for i in rows],
            names=[names[i] for i in rows],
            answers=columns,
            scores=scores.score,
            status=scores.status,
            outcome=scores.outcome,
            overall=scores.overall,
            key_scope="batch",
            statuses=STATUSES,
            outcomes=OUTCOMES,
        )
        # the file's cells, the points matrix and the plans are not needed any
        # more: dropping them keeps the peak (during the write) ~40 MiB lower
        del encoded, table, points, scores, planned, by_id, columns, ids, names, rows
        result = Store(settings(ctx).db).save_scored_batch(scored, command="batch")
        summary.stored, summary.skipped = result.stored, result.skipped
    steps.step("done")
    return summary, errors


@app.command("simulate")
def simulate_command(
    ctx: typer.Context,
    assessment: Annotated[str, typer.Argument(help="Assessment id or YAML path.")],
    n: Annotated[int, typer.Option("--n", help="How many candidates.", min=0)] = 1000,
    seed: Annotated[
        int, typer.Option("--seed", help="Random seed (same seed, same file).", min=0)
    ] = 1,
    form: Annotated[
        str | None, typer.Option("--form", help="Form to answer (default: the first).")
    ] = None,
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write the CSV here instead of stdout.")
    ] = None,
) -> None:
    """Write deterministic synthetic candidates' answers as CSV (for demos, tests, benchmarks).

    Each candidate has a latent trait per competency and answers plausibly
    from it; about 2% of answers are missing. The columns are candidate_id,
    name and the form's item ids, so the file goes straight into `batch`.
    """
    from screener.errors import ScreenerError
    from screener.simulate import simulate, write_csv
    from screener.vectorscore import form_name

    guard_output(ctx, "--output", output)
    chosen = load_assessment(ctx, assessment)
    name = form_name(chosen, form)
    items = [item.id for item in chosen.form_items(name)]
    rows = simulate(chosen, name, n, seed)
    if output is None:
        write_csv(rows, sys.stdout, items)
        return
    try:
        with output.open("w", newline="", encoding="utf-8") as fh:
            count = write_csv(rows, fh, items)
    except OSError as exc:
        raise ScreenerError(f"--output: cannot write {output}: {exc.strerror or exc}") from None
    sys.stderr.write(f"wrote {count:,} simulated candidate(s) to {output}\n")
