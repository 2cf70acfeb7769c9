"""Time the batch core on 100,800 bfi candidates: read, encode, score, plan (no store, no CLI).

    .venv/bin/python benchmarks/batch_core.py            # 5 fresh processes, median per phase
    .venv/bin/python benchmarks/batch_core.py --runs 1

The input is R psych's bfi responses repeated 36 times with ids ``<id>-<k>``,
the same file ``Rscript bench_psych.R make`` writes to /tmp/bfi_100k.csv; that
file is used when it exists, otherwise this script writes it to a temp folder.
Each run is a fresh Python process, as ``screener batch`` will be, so first-call
costs (page faults, lazy imports) are counted. Prints figures; asserts nothing.
"""

from __future__ import annotations

import argparse
import csv
import json
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "reference" / "bfi" / "responses.csv"
ASSESSMENT = ROOT / "tests" / "data" / "bfi" / "assessment.yaml"
R_FILE = Path("/tmp/bfi_100k.csv")
REPEAT = 36
CORE = ["read_table", "encode", "score_points", "plans"]
# what the store step also needs (not part of the core figure): the column-wise batch
EXTRA = ["scored_batch"]
PHASES = ["import", "load assessment", *CORE, *EXTRA]


def build_input(folder: Path) -> Path:
    """The bfi responses repeated 36 times, written as R's write.csv does (quoted text, NA empty)."""
    if R_FILE.is_file():
        return R_FILE
    with SHARED.open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        rows = list(reader)
    path = folder / "bfi_100k.csv"
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(f'"{h}"' for h in header) + "\n")
        for k in range(1, REPEAT + 1):
            for row in rows:
                out.write(",".join([f'"{row[0]}-{k}"', *row[1:]]) + "\n")
    return path


def peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def one_run(path: Path) -> dict[str, object]:
    """All phases once in this process: seconds and peak RSS after each."""
    figures: dict[str, object] = {}
    clock = time.perf_counter()

    def mark(phase: str) -> None:
        nonlocal clock
        now = time.perf_counter()
        figures[phase] = {"seconds": now - clock, "peak_mib": peak_mib()}
        clock = now

    sys.path.insert(0, str(ROOT))
    from screener.catalog import check_file
    from screener.content import Assessment
    from screener.importing import read_table
    from screener.vectorscore import encode, plans, score_points, scored_batch

    mark("import")
    checked = check_file(ASSESSMENT)
    assert isinstance(checked.model, Assessment), checked.problems
    assessment = checked.model
    mark("load assessment")
    table = read_table(path)
    mark("read_table")
    encoded = encode(assessment, None, table)
    mark("encode")
    scores = score_points(assessment, None, encoded.points)
    mark("score_points")
    planned = plans(assessment, scores)
    mark("plans")
    batch = scored_batch(assessment, encoded, scores)
    mark("scored_batch")
    assert len(batch.candidates) == len(planned)
    figures["rows"] = len(encoded)
    figures["errors"] = len(encoded.errors)
    figures["coaching plans"] = sum(1 for p in planned if p)
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="fresh processes to time")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(one_run(args.child)))
        return
    with tempfile.TemporaryDirectory() as folder:
        path = build_input(Path(folder))
        runs = []
        for _ in range(args.runs):
            done = subprocess.run(
                [sys.executable, __file__, "--child", str(path)],
                capture_output=True,
                text=True,
                check=True,
            )
            runs.append(json.loads(done.stdout))
    first = runs[0]
    print(f"input: {path} ({first['rows']:,} rows, {first['errors']} row errors)")
    print(f"python {sys.version.split()[0]}, {args.runs} fresh process(es); median (min) seconds")
    print(f"{'phase':<16} {'seconds':>16} {'peak MiB':>9}")
    core = [0.0] * len(runs)
    for phase in PHASES:
        seconds = [r[phase]["seconds"] for r in runs]
        peaks = [r[phase]["peak_mib"] for r in runs]
        if phase in CORE:
            core = [c + s for c, s in zip(core, seconds, strict=True)]
        print(
            f"{phase:<16} {statistics.median(seconds):>8.3f} ({min(seconds):.3f})"
            f" {statistics.median(peaks):>9.1f}"
        )
        if phase == CORE[-1]:
            print(f"{'= read..plans':<16} {statistics.median(core):>8.3f} ({min(core):.3f})")
    print(f"coaching plans: {first['coaching plans']:,}")


if __name__ == "__main__":
    main()
