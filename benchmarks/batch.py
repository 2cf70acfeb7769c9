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
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "reference" / "bfi"
ASSESSMENT = ROOT / "tests" / "data" / "bfi" / "assessment.yaml"
R_FILE = Path("/tmp/bfi_100k.csv")
SCREENER = [sys.executable, "-m", "screener"]

# run one command in a fresh wrapper so RUSAGE_CHILDREN holds that command only
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=sys.argv[1])
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": wall, "peak_mib": peak, "rc": done.returncode,
                  "stderr": done.stderr.decode()[-500:]}))
"""


def measure(cmd: list[str], cwd: Path) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(cwd), *cmd],
        capture_output=True,
        text=True,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout)
    if result["rc"] != 0:
        raise SystemExit(f"{' '.join(cmd)} failed ({result['rc']}): {result['stderr']}")
    return result


def ensure_input(r_folder: Path | None) -> Path:
    """/tmp/bfi_100k.csv, made by ``bench_psych.R make`` (or the same way in Python)."""
    if R_FILE.is_file():
        return R_FILE
    if r_folder is not None:
        subprocess.run(["Rscript", "bench_psych.R", "make"], cwd=r_folder, check=True)
        return R_FILE
    import csv

    with (SHARED / "responses.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    with R_FILE.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(f'"{h}"' for h in header) + "\n")
        for k in range(1, 37):
            for row in rows:
                out.write(",".join([f'"{row[0]}-{k}"', *row[1:]]) + "\n")
    return R_FILE


def compile_code() -> None:
    """Write screener's .pyc files first, as installing the wheel does: a run under
    ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module every time."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "screener")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


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
        big = ensure_input(r_folder)
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
