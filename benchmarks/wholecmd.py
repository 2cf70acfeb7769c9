"""What the benchmark scripts share: timing a whole command as its own process, and
the bfi input files they build (batch.py, scale.py, postgres.py)."""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED = ROOT.parent / "shared" / "reference" / "bfi"
ASSESSMENT = ROOT / "tests" / "data" / "bfi" / "assessment.yaml"
R_FILE = Path("/tmp/bfi_100k.csv")  # where ``Rscript bench_psych.R make`` writes its input
BATCH_ROWS = 100_800
SCREENER = [sys.executable, "-m", "screener"]

# run one command in a fresh wrapper so RUSAGE_CHILDREN holds that command only
_MEASURE = """
import json, resource, subprocess, sys, time
start = time.perf_counter()
done = subprocess.run(sys.argv[2:], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=sys.argv[1])
wall = time.perf_counter() - start
peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
print(json.dumps({"seconds": wall, "peak_mib": peak, "rc": done.returncode,
                  "stderr": done.stderr.decode()[-800:]}))
"""


def measure(
    cmd: list[str],
    cwd: Path = ROOT,
    env: dict[str, str] | None = None,
    ok: tuple[int, ...] = (),
) -> dict[str, float]:
    """Wall seconds and peak RSS (MiB) of ``cmd`` run as a process of its own; a
    failure (an exit code other than 0 and ``ok``) stops the benchmark."""
    out = subprocess.run(
        [sys.executable, "-c", _MEASURE, str(cwd), *cmd],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    )
    result: dict[str, float] = json.loads(out.stdout)
    if result["rc"] != 0 and result["rc"] not in ok:
        raise SystemExit(f"{' '.join(cmd)} failed ({result['rc']}): {result['stderr']}")
    return result


def compile_code() -> None:
    """Write screener's .pyc files first, as installing the wheel does: a run under
    ``PYTHONDONTWRITEBYTECODE`` would otherwise compile every module every time."""
    subprocess.run(
        [sys.executable, "-m", "compileall", "-q", str(ROOT / "screener")],
        check=True,
        stdout=subprocess.DEVNULL,
    )


def load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def spread(values: list[float], unit: str = "s", scale: float = 1.0) -> str:
    vals = [v * scale for v in values]
    return (
        f"{statistics.median(vals):.3f} {unit} median (min {min(vals):.3f}, "
        f"max {max(vals):.3f}, n={len(vals)})"
    )


def responses() -> tuple[list[str], list[list[str]]]:
    """R psych's bfi responses: the header and the 2,800 rows."""
    import csv

    with (SHARED / "responses.csv").open(newline="", encoding="utf-8") as fh:
        reader = csv.reader(fh)
        header = next(reader)
        return header, list(reader)


def write_batch(path: Path, tag: str, rows_wanted: int) -> None:
    """``rows_wanted`` bfi rows with new ids ``<id>-<tag>-<copy>``."""
    header, rows = responses()
    with path.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(f'"{h}"' for h in header) + "\n")
        written = copy = 0
        while written < rows_wanted:
            copy += 1
            for row in rows:
                if written == rows_wanted:
                    break
                out.write(",".join([f'"{row[0]}-{tag}-{copy}"', *row[1:]]) + "\n")
                written += 1


def r_input(r_folder: Path | None) -> Path:
    """/tmp/bfi_100k.csv, made by ``bench_psych.R make`` (or the same way in Python)."""
    if R_FILE.is_file():
        return R_FILE
    if r_folder is not None:
        subprocess.run(["Rscript", "bench_psych.R", "make"], cwd=r_folder, check=True)
        return R_FILE
    header, rows = responses()
    with R_FILE.open("w", encoding="utf-8", newline="") as out:
        out.write(",".join(f'"{h}"' for h in header) + "\n")
        for k in range(1, 37):
            for row in rows:
                out.write(",".join([f'"{row[0]}-{k}"', *row[1:]]) + "\n")
    return R_FILE
