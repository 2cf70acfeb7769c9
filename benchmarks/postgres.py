"""Issue 16's figures: the PostgreSQL backend, whole commands as a user runs them.

    .venv/bin/python benchmarks/postgres.py                     # 1,008,000 attempts, 5 runs
    .venv/bin/python benchmarks/postgres.py --attempts 201600 --runs 3
    .venv/bin/python benchmarks/postgres.py --skip-build        # the batch side by side only

Starts a throw-away cluster of its own (``initdb`` + ``pg_ctl`` in a temp folder,
as tests/pgserver.py does: run as an unprivileged user through ``runuser`` when
this runs as root, 127.0.0.1 on a free port; removed at the end). The server's
settings are PostgreSQL's defaults (fsync, synchronous_commit and full-page
writes on) except ``shared_buffers`` (--shared-buffers, 256MB) and
``max_wal_size`` (2GB), the least a server for a team would be given;
``--unsafe`` runs it as the tests do (fsync off), for comparison.

1. ``screener batch`` of R psych's bfi file repeated 36 times (100,800 rows, the
   file ``Rscript bench_psych.R make`` writes to /tmp/bfi_100k.csv, written here
   the same way when missing) into an empty, migrated database (a new one per
   run), alternating with ``Rscript bench_psych.R`` on the same file (target:
   screener <= 1.5x R). Skipped with a message without ``Rscript``.
2. Builds the big database the way a recruiter's history grows: the bfi
   responses replicated with new candidate ids into files of 100,800 rows, each
   stored by a real ``screener batch`` process (10 of them for 1,008,000).
3. Times, each a fresh process (start-up and imports included), medians of
   --runs with min and max, and the median peak RSS (``RUSAGE_CHILDREN`` of a
   fresh wrapper process per run): ``--version`` (start-up alone, for scale),
   ``show`` and ``report`` of a candidate of the 5th batch (also with their
   assessment in the content in use, ``--content-dir``), ``take --answers
   FILE --name NEW`` (a new candidate per run), ``db info``, a 100,800-row batch
   into a copy of the big database, and ``export --format csv`` of it all.

Screener's ``.pyc`` files are written first (``compileall``), as installing the
wheel does. Prints the figures and the machine's load; asserts nothing. Not part
of ``make test``.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from wholecmd import (  # noqa: E402
    ASSESSMENT,
    BATCH_ROWS,
    SCREENER,
    SHARED,
    compile_code,
    load,
    measure,
    r_input,
    responses,
    spread,
    write_batch,
)

from tests.pgserver import PgServer, remove_server, server_bin, start_server  # noqa: E402

# -- the cluster ---------------------------------------------------------------------------


@contextmanager
def cluster(settings: list[str]) -> Iterator[PgServer]:
    """tests/pgserver.py's throw-away cluster, with a server's settings rather than the tests'."""
    bin_dir = server_bin()
    if bin_dir is None:
        raise SystemExit("PostgreSQL server binaries (initdb, pg_ctl) are not installed")
    server = start_server(bin_dir, tuple(settings), prefix="screener-pgbench-")
    try:
        yield server
    finally:
        remove_server(server)


def new_database(server: PgServer, name: str, template: str = "template0") -> str:
    server.admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    server.admin(f"CREATE DATABASE {name} TEMPLATE {template}")
    return server.url(name)


# -- the data ------------------------------------------------------------------------------


def batch_cmd(url: str, csv: Path) -> list[str]:
    return [*SCREENER, "--db", url, "batch", str(csv), "--assessment", str(ASSESSMENT)]


def migrate(url: str) -> None:
    from screener.store.postgres import migrate_database

    migrate_database(url)


def attempts_of(url: str) -> int:
    info = subprocess.run(
        [*SCREENER, "--db", url, "db", "info", "--json"],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return int(json.loads(info.stdout)["attempts"])


def build(server: PgServer, attempts: int, work: Path) -> str:
    url = new_database(server, "big")
    migrate(url)
    print(f"building {attempts:,} attempts in batches of {BATCH_ROWS:,} (load {load()})")
    started = time.perf_counter()
    stored = batch = 0
    while stored < attempts:
        size = min(BATCH_ROWS, attempts - stored)
        csv = work / f"batch-{batch}.csv"
        write_batch(csv, f"b{batch}", size)
        t0 = time.perf_counter()
        subprocess.run(batch_cmd(url, csv), check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
        csv.unlink()
        stored += size
        batch += 1
        print(f"  batch {batch}: {size:,} rows in {time.perf_counter() - t0:.2f} s")
    server.admin("VACUUM ANALYZE", "big")  # what autovacuum does soon after a load
    print(f"built in {time.perf_counter() - started:.1f} s (VACUUM ANALYZE included)")
    return url


# -- main ----------------------------------------------------------------------------------


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n")[0])
    parser.add_argument("--attempts", type=int, default=1_008_000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--shared-buffers", default="256MB")
    parser.add_argument("--unsafe", action="store_true", help="fsync off, as the tests run")
    parser.add_argument("--skip-build", action="store_true", help="the batch vs R only")
    parser.add_argument("--skip-export", action="store_true")
    args = parser.parse_args()
    runs = args.runs
    settings = [f"shared_buffers={args.shared_buffers}", "max_wal_size=2GB"]
    if args.unsafe:
        settings += ["fsync=off", "synchronous_commit=off", "full_page_writes=off"]
    compile_code()
    rows: list[tuple[str, str, str, str]] = []

    def row(what: str, secs: list[float], peaks: list[float] | None, target: str) -> None:
        peak = f"{statistics.median(peaks):.0f} MiB" if peaks else ""
        rows.append((what, spread(secs), peak, target))
        print(f"{what:52} {spread(secs):46} {peak:>8}  target {target}  (load {load()})")

    def whole(cmd: Callable[[int], list[str]]) -> tuple[list[float], list[float]]:
        secs, peaks = [], []
        for n in range(runs):
            got = measure(cmd(n))
            secs.append(got["seconds"])
            peaks.append(got["peak_mib"])
        return secs, peaks

    with tempfile.TemporaryDirectory() as tmp, cluster(settings) as server:
        work = Path(tmp)
        print(f"PostgreSQL cluster {server.root} ({', '.join(settings)}); load {load()}")
        server.admin("CREATE DATABASE template_screener")
        migrate(server.url("template_screener"))
        # 1. batch of the 100,800-row bfi file into an empty database, beside R psych
        r_folder: Path | None = None
        if shutil.which("Rscript") and SHARED.is_dir():
            r_folder = work / "bfi-r"
            shutil.copytree(SHARED, r_folder)
        else:
            print("Rscript not found (or ../shared/reference/bfi missing): R psych is skipped")
        big_csv = r_input(r_folder)
        measure([*SCREENER, "--help"])  # warm the page cache
        ours: list[dict[str, float]] = []
        theirs: list[dict[str, float]] = []
        for n in range(runs):  # alternating, so drift on a shared machine hits both alike
            url = new_database(server, f"empty{n}", "template_screener")
            ours.append(measure(batch_cmd(url, big_csv)))
            server.admin(f"DROP DATABASE empty{n}")
            if r_folder is not None:
                theirs.append(measure(["Rscript", "bench_psych.R"], r_folder))
        row(
            "batch 100,800 bfi rows into an empty database",
            [r["seconds"] for r in ours],
            [r["peak_mib"] for r in ours],
            "<= 1.5x R psych",
        )
        if theirs:
            row(
                "Rscript bench_psych.R (same file)",
                [r["seconds"] for r in theirs],
                [r["peak_mib"] for r in theirs],
                "",
            )
            ratio = statistics.median(r["seconds"] for r in ours) / statistics.median(
                r["seconds"] for r in theirs
            )
            pairs = [a["seconds"] / b["seconds"] for a, b in zip(ours, theirs, strict=True)]
            print(
                f"screener batch (PostgreSQL) / R psych: {ratio:.2f} (medians); run by run "
                f"median {statistics.median(pairs):.2f}, min {min(pairs):.2f}, "
                f"max {max(pairs):.2f}"
            )
        if args.skip_build:
            return
        # 2. the big database
        url = build(server, args.attempts, work)
        total = attempts_of(url)
        size = server.query("SELECT pg_database_size('big')", "big")[0][0]
        assert isinstance(size, int)
        print(f"\ndatabase: {total:,} attempts, {size / 1e6:.0f} MB; load {load()}")
        base = [*SCREENER, "--db", url]
        row(
            "screener --version (start-up alone, for scale)",
            *whole(lambda n: [*SCREENER, "--version"]),
            "",
        )
        header, first = responses()
        batches = -(-total // BATCH_ROWS)
        someone = f"{first[0][0]}-b{min(4, batches - 1)}-1"  # a candidate of the 5th batch
        row(f"show {someone}", *whole(lambda n: [*base, "show", someone]), "<= 0.300 s")
        row(f"report {someone}", *whole(lambda n: [*base, "report", someone]), "<= 0.300 s")
        # a real recruiter's case: the attempts' assessment is in the content in use
        in_use = [*SCREENER, "--db", url, "--content-dir", str(ASSESSMENT.parent)]
        for command in ("show", "report"):
            measure([*in_use, command, someone])  # warms the content cache
            row(
                f"{command} {someone} (its assessment in the content in use)",
                *whole(lambda n, c=command: [*in_use, c, someone]),
                "<= 0.300 s",
            )
        answers = work / "answers.yaml"
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
                    *("take", str(ASSESSMENT), "--answers", str(answers)),
                    *("--name", f"Bench Taker {stamp} {n}"),
                ]
            ),
            "<= 0.400 s",
        )
        row("db info", *whole(lambda n: [*base, "db", "info"]), "<= 0.300 s")
        # a batch into a copy of the big database (CREATE DATABASE ... TEMPLATE big)
        extra = work / "extra.csv"
        write_batch(extra, "extra", BATCH_ROWS)
        secs, peaks = [], []
        for n in range(min(runs, 3)):
            copy = new_database(server, f"bigcopy{n}", "big")
            got = measure(batch_cmd(copy, extra))
            secs.append(got["seconds"])
            peaks.append(got["peak_mib"])
            server.admin(f"DROP DATABASE bigcopy{n}")
        row("batch 100,800 bfi rows into a copy of the big database", secs, peaks, "")
        if not args.skip_export:
            out = work / "export.csv"
            secs, peaks = whole(
                lambda n: [*base, "export", "--format", "csv", "--output", str(out)]
            )
            row("export --format csv --output FILE (whole database)", secs, peaks, "<= 20 s")
            print(f"CSV: {out.stat().st_size / 1e6:.0f} MB")
            out.unlink()
    print("\n| what | wall | peak RSS | target |\n| --- | --- | --- | --- |")
    for what, wall, peak, target in rows:
        print(f"| {what} | {wall} | {peak} | {target} |")


if __name__ == "__main__":
    main()
