"""Issue 15's figures: interactive commands on a database of 1,000,000 submitted attempts.

    .venv/bin/python benchmarks/scale.py                      # build /tmp/screener-scale, measure
    .venv/bin/python benchmarks/scale.py --attempts 200000    # a smaller database
    .venv/bin/python benchmarks/scale.py --runs 3 --skip-export

Builds the database itself, the way a recruiter's history grows: R psych's bfi
responses (../shared/reference/bfi/responses.csv, 2,800 people x 25 items)
replicated with new candidate ids into files of 100,800 rows, each stored by a
real ``screener batch`` process (so ~10 batches for a million attempts, each
written as new archive segments). Kept in --work (reused when it already holds
the asked number of attempts; --rebuild to start again).

Then times whole commands, each a fresh process (interpreter start-up and
imports included) run as a user runs it, medians of --runs (5) with min and
max, and their peak RSS (``RUSAGE_CHILDREN`` of a fresh wrapper process per
run):

- ``screener assessments`` and ``screener modules`` (bundled content; the
  content cache warmed by a first, untimed run);
- saving one answer: ``Store.record_answer`` in this process, timed around the
  call, on an attempt in progress of a new candidate (the live file's size is
  what it costs; the archive is not read);
- ``take --answers FILE --name NEW`` for a new candidate (a different name per run);
- ``show CANDIDATE`` and ``report CANDIDATE`` of a candidate of the 5th batch, also
  with their assessment in the content in use (``--content-dir tests/data/bfi``);
- ``db info``; ``screener --version`` (start-up alone, for scale) and what ``show``
  asks the store, in this process;
- what a shell's Tab runs to complete a candidate id (typer's bash completion of
  ``screener show 61617-b4-1``: the ids with that prefix, found in the candidates
  table at the head of each segment's bytes);
- ``batch`` of 10 rows of stored people, each with an answer changed, into a copy
  of the big database: refused as changed rows (exit 3) after the store is asked
  for those people's earlier attempts;
- ``batch`` of another 100,800 rows into a copy of the big database (the live
  file copied, the archive hard-linked: segments never change in place) and
  into an empty database;
- ``export --format csv`` of the whole database (streamed segment by segment).

Screener's ``.pyc`` files are written first (``compileall``), as installing the
wheel does. Prints the figures and the machine's load; asserts nothing. Not part
of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from wholecmd import (
    ASSESSMENT,
    BATCH_ROWS,
    ROOT,
    SCREENER,
    compile_code,
    load,
    measure,
    responses,
    spread,
    write_batch,
)


def build(work: Path, attempts: int, rebuild: bool) -> Path:
    db = work / "scale.json"
    if rebuild and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    if db.exists():
        info = json.loads(
            subprocess.run(
                [*SCREENER, "--db", str(db), "db", "info", "--json"],
                capture_output=True,
                text=True,
                check=True,
                cwd=ROOT,
            ).stdout
        )
        if info["attempts"] >= attempts:
            print(f"reusing {db}: {info['attempts']:,} attempts, {info['segments']} segments")
            return db
        shutil.rmtree(work)
        work.mkdir(parents=True)
    print(f"building {db}: {attempts:,} attempts in batches of {BATCH_ROWS:,} (load {load()})")
    started = time.perf_counter()
    batch = 0
    stored = 0
    while stored < attempts:
        size = min(BATCH_ROWS, attempts - stored)
        csv = work / f"batch-{batch}.csv"
        write_batch(csv, f"b{batch}", size)
        t0 = time.perf_counter()
        subprocess.run(
            [*SCREENER, "--db", str(db), "batch", str(csv), "-a", str(ASSESSMENT)],
            check=True,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
        )
        csv.unlink()
        stored += size
        batch += 1
        print(f"  batch {batch}: {size:,} rows in {time.perf_counter() - t0:.2f} s")
    print(f"built in {time.perf_counter() - started:.1f} s")
    return db


def in_process_answer(db: Path, runs: int) -> list[float]:
    """Seconds per ``record_answer`` call on a new candidate's attempt in progress."""
    sys.path.insert(0, str(ROOT))
    from screener.catalog import check_file
    from screener.store import Layout, Store

    model = check_file(ASSESSMENT).model
    layout = Layout.of(model)  # type: ignore[arg-type]
    store = Store(db)
    person = store.add_candidate(f"Answer Timer {time.time_ns()}")
    started = store.start_attempt(person.id, layout)
    times = []
    for n, item in enumerate(layout.items[: max(runs, 1)]):
        t0 = time.perf_counter()
        store.record_answer(started.attempt_id, item, 1 + n % 6, seconds=2.0)
        times.append(time.perf_counter() - t0)
    return times


def show_reads(db: Path, who: str, runs: int) -> list[float]:
    """Seconds of what ``show`` asks the store, in one reading view, in this process."""
    from screener.store import Store

    times = []
    for _ in range(runs):
        t0 = time.perf_counter()
        store = Store(db)
        with store.reading():
            person = store.resolve_candidate(who)
            store.attempts(candidate=person.id, status=None)
            store.progress(person.id)
            store.audit_events(candidate_id=person.id, event="take.extra_time")
        times.append(time.perf_counter() - t0)
    return times


def copy_database(db: Path, folder: Path) -> Path:
    """A copy of the database in ``folder``: the live file copied, the archive
    hard-linked (segments never change in place). Returns the copy's path."""
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir()
    shutil.copy2(db, folder / db.name)
    archive = db.with_name(db.name + ".archive")
    if archive.is_dir():
        (folder / archive.name).mkdir()
        for f in archive.iterdir():
            os.link(f, folder / archive.name / f.name)
    return folder / db.name


def _rows_of_batch(batch: int, count: int) -> list[list[str]]:
    """``count`` rows as ``write_batch`` wrote them for batch ``batch`` (first copy),
    each with its first answer changed."""
    _, rows = responses()
    out = []
    for row in rows[:count]:
        answers = list(row[1:])
        answers[0] = "1" if answers[0] == "6" else "6"
        out.append([f'"{row[0]}-b{batch}-1"', *answers])
    return out


def whole(cmd: Callable[[int], list[str]], runs: int) -> tuple[list[float], list[float]]:
    secs, peaks = [], []
    for n in range(runs):
        got = measure(cmd(n))
        secs.append(got["seconds"])
        peaks.append(got["peak_mib"])
    return secs, peaks


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--attempts", type=int, default=1_008_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "screener-scale")
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-batch", action="store_true")
    args = parser.parse_args()
    runs = args.runs
    compile_code()
    db = build(args.work, args.attempts, args.rebuild)
    base = [*SCREENER, "--db", str(db)]
    info = json.loads(
        subprocess.run(
            [*base, "db", "info", "--json"], capture_output=True, text=True, check=True, cwd=ROOT
        ).stdout
    )
    print(
        f"\ndatabase: {info['attempts']:,} attempts, {info['candidates']:,} candidates, "
        f"{info['segments']} segments, {info['size'] / 1e6:.0f} MB; live file "
        f"{db.stat().st_size / 1e3:.0f} kB; load {load()}"
    )
    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, secs: list[float], peaks: list[float] | None, target: str) -> None:
        peak = f"{statistics.median(peaks):.0f} MiB" if peaks else ""
        rows.append((what, spread(secs), peak, target))
        print(f"{what:58} {spread(secs):48} {peak:>9}  target {target}  (load {load()})")

    row(
        "screener --version (start-up alone, for scale)",
        *whole(lambda n: [*SCREENER, "--version"], runs),
        "",
    )
    for command in ("assessments", "modules"):
        measure([*SCREENER, command])  # warms the content cache
        row(f"screener {command}", *whole(lambda n, c=command: [*SCREENER, c], runs), "<= 0.150 s")
    row(
        "saving one answer (in-process record_answer)",
        in_process_answer(db, max(runs, 15)),
        None,
        "<= 0.020 s",
    )
    answers = args.work / "answers.yaml"
    header, first = responses()
    answers.write_text(
        "".join(
            f"{item}: {value}\n"
            for item, value in zip(header[1:], first[0][1:], strict=True)
            if value
        ),
        encoding="utf-8",
    )
    stamp = time.time_ns()
    row(
        "take --answers FILE --name NEW (new candidate)",
        *whole(
            lambda n: [
                *base,
                "take",
                str(ASSESSMENT),
                "--answers",
                str(answers),
                "--name",
                f"Scale Taker {stamp} {n}",
            ],
            runs,
        ),
        "<= 0.400 s",
    )
    batches = -(-info["attempts"] // BATCH_ROWS)
    someone = f"{first[0][0]}-b{min(4, batches - 1)}-1"  # a candidate of the 5th batch
    row(
        f"show {someone}",
        *whole(lambda n: [*base, "show", someone], runs),
        "<= 0.300 s, <= 150 MiB",
    )
    row(
        "... show's store reads alone (in-process, fresh Store)",
        show_reads(db, someone, runs),
        None,
        "",
    )
    row(
        f"report {someone}",
        *whole(lambda n: [*base, "report", someone], runs),
        "<= 0.300 s, <= 150 MiB",
    )
    # a real recruiter's case: the attempts' assessment is in the content in use
    in_use = [*SCREENER, "--db", str(db), "--content-dir", str(ASSESSMENT.parent)]
    for command in ("show", "report"):
        measure([*in_use, command, someone])  # warms the content cache
        row(
            f"{command} {someone} (its assessment in the content in use)",
            *whole(lambda n, c=command: [*in_use, c, someone], runs),
            "<= 0.300 s, <= 150 MiB",
        )
    row("db info", *whole(lambda n: [*base, "db", "info"], runs), "<= 0.300 s")
    # what a shell's Tab runs to complete `screener show 61617-b4-1` (bash; typer's script)
    completing = {
        **os.environ,
        "_SCREENER_COMPLETE": "complete_bash",
        "COMP_WORDS": f"screener --db {db} show {someone}",
        "COMP_CWORD": "4",
    }
    secs, peaks = [], []
    for _ in range(max(1, min(runs, 3))):
        got = measure(SCREENER, env=completing)
        secs.append(got["seconds"])
        peaks.append(got["peak_mib"])
    row("completing a candidate id (bash, `show 61617-b4-1<Tab>`)", secs, peaks, "")
    if not args.skip_batch:
        # 10 rows of stored people with one answer changed: refused as changed rows,
        # which asks the store for those people's earlier attempts
        changed = args.work / "changed.csv"
        with changed.open("w", encoding="utf-8", newline="") as out:
            out.write(",".join(f'"{h}"' for h in header) + "\n")
            for row_ in _rows_of_batch(4, 10):
                out.write(",".join(row_) + "\n")
        secs, peaks = [], []
        for n in range(runs):
            copy = copy_database(db, args.work / f"changed{n}")
            got = measure(
                [*SCREENER, "--db", str(copy), "batch", str(changed), "-a", str(ASSESSMENT)],
                ok=(3,),
            )
            secs.append(got["seconds"])
            peaks.append(got["peak_mib"])
            shutil.rmtree(copy.parent)
        row("batch of 10 changed rows of stored people (refused, exit 3)", secs, peaks, "")
        changed.unlink()
    if not args.skip_batch:
        csv = args.work / "extra.csv"
        write_batch(csv, "extra", BATCH_ROWS)
        big, empty = [], []
        big_peak, empty_peak = [], []
        for n in range(runs):
            copy = copy_database(db, args.work / f"copy{n}")
            got = measure([*SCREENER, "--db", str(copy), "batch", str(csv), "-a", str(ASSESSMENT)])
            big.append(got["seconds"])
            big_peak.append(got["peak_mib"])
            shutil.rmtree(copy.parent)
            fresh = args.work / f"empty{n}"
            shutil.rmtree(fresh, ignore_errors=True)
            fresh.mkdir()
            got = measure(
                [*SCREENER, "--db", str(fresh / "e.json"), "batch", str(csv), "-a", str(ASSESSMENT)]
            )
            empty.append(got["seconds"])
            empty_peak.append(got["peak_mib"])
            shutil.rmtree(fresh)
        row(
            "batch 100,800 bfi rows into the big database",
            big,
            big_peak,
            "<= 1.2x empty, <= 500 MiB",
        )
        row("batch 100,800 bfi rows into an empty database", empty, empty_peak, "<= 0.7x R psych")
        print(f"ratio big/empty (medians): {statistics.median(big) / statistics.median(empty):.2f}")
        csv.unlink()
    if not args.skip_export:
        out = args.work / "export.csv"
        secs, peaks = whole(
            lambda n: [*base, "export", "--format", "csv", "--output", str(out)], runs
        )
        row(
            "export --format csv --output FILE (whole database)", secs, peaks, "<= 20 s, <= 300 MiB"
        )
        print(f"CSV: {out.stat().st_size / 1e6:.0f} MB")
        out.unlink()
    print("\n| what | wall | peak RSS | target |\n| --- | --- | --- | --- |")
    for what, wall, peak, target in rows:
        print(f"| {what} | {wall} | {peak} | {target} |")


if __name__ == "__main__":
    main()
