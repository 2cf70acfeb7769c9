"""Time the whole ``screener batch`` process on the bfi data, side by side with R psych.

    .venv/bin/python benchmarks/batch.py              # 5 runs each, median (min)
    .venv/bin/python benchmarks/batch.py --runs 3

Input: R psych's bfi responses repeated 36 times (100,800 candidates x 25
items), the file ``Rscript bench_psych.R make`` writes to /tmp/bfi_100k.csv
(written here the same way when it is missing), and its first 10,080 rows for
the growth ratio. Each run is a fresh ``screener batch FILE --assessment
tests/data/bfi/assessment.yaml --db <new temp file>`` process: read, check,
score, plan, store in a new TinyDB file, print the summary. Wall time and the
child's peak RSS (``RUSAGE_CHILDREN`` of a fresh wrapper process per run) are
measured. When ``Rscript`` exists, ``Rscript bench_psych.R`` (read the same
file, score five scales, write the scores) is timed the same way in the same
run, from a copy of ../shared/reference/bfi (that folder is read-only).
Prints a table; asserts nothing.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from wholecmd import ASSESSMENT, ROOT, SCREENER, SHARED, compile_code, measure, r_input


def head(path: Path, rows: int, folder: Path) -> Path:
    small = folder / f"bfi_{rows}.csv"
    with path.open(encoding="utf-8") as src, small.open("w", encoding="utf-8") as out:
        for n, line in enumerate(src):
            if n > rows:
                break
            out.write(line)
    return small


def batch_runs(path: Path, runs: int, folder: Path) -> list[dict[str, float]]:
    results = []
    for n in range(runs):
        db = folder / f"run-{path.stem}-{n}" / "screener.json"
        db.parent.mkdir()  # the store creates the file, never its folder
        cmd = [*SCREENER, "--db", str(db), "batch", str(path), "--assessment", str(ASSESSMENT)]
        results.append(measure(cmd, ROOT))
    return results


def line(label: str, results: list[dict[str, float]]) -> str:
    seconds = [r["seconds"] for r in results]
    peaks = [r["peak_mib"] for r in results]
    return (
        f"| {label} | {statistics.median(seconds):.2f} s ({min(seconds):.2f}) "
        f"| {statistics.median(peaks):.0f} MiB |"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each command")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        r_folder: Path | None = None
        if shutil.which("Rscript") and SHARED.is_dir():
            r_folder = folder / "bfi-r"
            shutil.copytree(SHARED, r_folder)
        big = r_input(r_folder)
        small = head(big, 10_080, folder)
        compile_code()
        measure([*SCREENER, "--help"], ROOT)  # warm the page cache
        ten_k = batch_runs(small, args.runs, folder)
        # the 100k runs alternate with R's, so drift on a shared machine hits both alike
        hundred_k: list[dict[str, float]] = []
        r_runs: list[dict[str, float]] = []
        for n in range(args.runs):
            db = folder / f"run-100k-{n}" / "screener.json"
            db.parent.mkdir()
            cmd = [*SCREENER, "--db", str(db), "batch", str(big), "--assessment", str(ASSESSMENT)]
            hundred_k.append(measure(cmd, ROOT))
            if r_folder is not None:
                r_runs.append(measure(["Rscript", "bench_psych.R"], r_folder))
    print(
        f"python {sys.version.split()[0]}; {args.runs} runs each; median (min) wall, median peak RSS"
    )
    print("| command | wall | peak RSS |")
    print("| --- | --- | --- |")
    print(line("`screener batch`, 10,080 rows, new db", ten_k))
    print(line("`screener batch`, 100,800 rows, new db", hundred_k))
    if r_runs:
        print(line("`Rscript bench_psych.R`, 100,800 rows", r_runs))
    else:
        print("| `Rscript bench_psych.R` | (Rscript not found) | |")
    ratio = statistics.median(r["seconds"] for r in hundred_k) / statistics.median(
        r["seconds"] for r in ten_k
    )
    print(f"growth 10k -> 100k: {ratio:.1f}x")
    if r_runs:
        vs = statistics.median(r["seconds"] for r in hundred_k) / statistics.median(
            r["seconds"] for r in r_runs
        )
        pairs = [a["seconds"] / b["seconds"] for a, b in zip(hundred_k, r_runs, strict=True)]
        print(
            f"screener / R psych wall time: {vs:.2f} (medians); run by run (each screener "
            f"run over the R run after it): median {statistics.median(pairs):.2f}, "
            f"min {min(pairs):.2f}, max {max(pairs):.2f}"
        )


if __name__ == "__main__":
    main()
