"""Benchmark of ``screener export`` at 100k stored attempts.

    .venv/bin/python benchmarks/export.py [--rows 100000] [--shape realistic|bfi] [--repeat 3]

1. fills a temp database with ``--rows`` scored attempts through the store's bulk
   save (the same rows as benchmarks/store.py: the bundled wblc-screening, or bfi),
2. times ``screener export --format csv --output X`` as a whole subprocess
   (interpreter start-up and imports included) and reads its peak RSS,
3. for comparison, the peak RSS of a process that only opens the store and lists
   the attempts (``Store.attempts()``) and of one that only opens it (``Store.info()``).

Each subprocess runs under a small wrapper that reports ``RUSAGE_CHILDREN``, so
every figure is that one command's own peak. Target (issue 7): ≤ 2 s, memory
not growing with the number of attempts beyond the store's own load.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from store import bfi_assessment, build_rows, realistic_assessment  # noqa: E402

from screener.store import Store  # noqa: E402

# Runs argv, then prints the child's wall time and peak RSS (KiB on Linux) as JSON.
WRAPPER = """
import json, resource, subprocess, sys, time
t = time.perf_counter()
done = subprocess.run(sys.argv[1:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
wall = time.perf_counter() - t
if done.returncode:
    sys.exit(done.stderr)
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
print(json.dumps({"wall": wall, "peak_kb": peak, "stderr": done.stderr.strip()}))
"""

OPEN_ONLY = "import sys; from screener.store import Store; Store(sys.argv[1]).info()"
LIST_ALL = "import sys; from screener.store import Store; print(len(Store(sys.argv[1]).attempts()))"


def measured(*argv: str) -> dict[str, float | str]:
    out = subprocess.run(
        [sys.executable, "-c", WRAPPER, *argv],
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
        env={**os.environ, "NO_COLOR": "1"},
    )
    found: dict[str, float | str] = json.loads(out.stdout)
    return found


def spread(values: list[float]) -> str:
    return f"{min(values):5.2f} s min, {statistics.median(values):5.2f} s median"


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[1])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--shape", choices=["realistic", "bfi"], default="realistic")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--items", action="store_true", help="export with --items as well")
    args = parser.parse_args()

    assessment = realistic_assessment() if args.shape == "realistic" else bfi_assessment()
    extra = [] if args.shape == "realistic" else ["--content-dir", str(ROOT / "tests/data/bfi")]
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "screener.json"
        t = time.perf_counter()
        Store(db).save_attempts(build_rows(assessment, args.rows))
        print(
            f"shape {args.shape} ({assessment.id}), {args.rows:,} attempts, "
            f"file {db.stat().st_size / 1e6:.1f} MB (filled in {time.perf_counter() - t:.1f} s)"
        )
        screener = [sys.executable, "-m", "screener", "--db", str(db), *extra]
        variants = [("csv", [])] + ([("csv --items", ["--items"])] if args.items else [])
        for label, flags in variants:
            out = Path(tmp) / "out.csv"
            walls: list[float] = []
            peaks: list[float] = []
            for _ in range(args.repeat):
                got = measured(*screener, "export", "--format", "csv", "--output", str(out), *flags)
                walls.append(float(got["wall"]))
                peaks.append(float(got["peak_kb"]) / 1024)
            with out.open(newline="", encoding="utf-8-sig") as fh:
                rows = sum(1 for _ in csv.reader(fh)) - 1
            assert rows == args.rows, rows
            print(
                f"export --format {label} --output X, whole command: {spread(walls)}   "
                f"target <= 2 s   (peak RSS {max(peaks):.0f} MB; {out.stat().st_size / 1e6:.1f} MB "
                f"of CSV; stderr: {got['stderr']})"
            )
        opened = [float(measured(sys.executable, "-c", OPEN_ONLY, str(db))["peak_kb"]) / 1024]
        listed = measured(sys.executable, "-c", LIST_ALL, str(db))
        print(f"open the store only (Store.info()):        peak RSS {opened[0]:.0f} MB")
        print(
            f"open + list all attempts (Store.attempts()): peak RSS "
            f"{float(listed['peak_kb']) / 1024:.0f} MB, {float(listed['wall']):.2f} s"
        )


if __name__ == "__main__":
    main()
