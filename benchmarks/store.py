"""Benchmark of the results store at batch-import scale.

    .venv/bin/python benchmarks/store.py [--rows 100000] [--shape realistic|bfi] [--repeat 3]

1. builds ``--rows`` scored attempts (a pool of distinct answer sets scored by
   ``score_form``/``build_plan``, spread over candidates, each with a submission key),
2. times ``prepare_attempts`` (check + pack, no lock) and ``save_attempts`` (lock,
   read, insert, serialise, one atomic write + fsync) separately, into a new file
   each run,
3. in a fresh process, times "open the file and fetch one candidate's attempts as
   JSON" as a whole command, interpreter start-up included,
4. in a fresh process, lists the attempts by outcome.

Prints seconds and peak memory (max RSS) of each step. Targets (issue 4): the
bulk write under 0.5 s, the one-candidate command under 0.5 s.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from screener.catalog import check_file, load_catalog  # noqa: E402
from screener.content import Assessment  # noqa: E402
from screener.scoring import Answer  # noqa: E402
from screener.screening import score_answers  # noqa: E402
from screener.store import Layout, NewAttempt, NewCandidate, Store  # noqa: E402
from screener.store.files import AtomicJSONStorage  # noqa: E402

POOL = 2_000  # distinct scored answer sets; rows reuse them with other people and times
PER_CANDIDATE = 2.5  # attempts per candidate on average
START = datetime(2024, 1, 1, 9, 0, tzinfo=UTC)


def realistic_assessment() -> Assessment:
    """The bundled screening: 13 competencies, 74 items per form, all four item kinds."""
    return load_catalog().assessment("wblc-screening")


def bfi_assessment() -> Assessment:
    model = check_file(ROOT / "tests" / "data" / "bfi" / "assessment.yaml").model
    assert isinstance(model, Assessment)
    return model


def sigmoid(x: float) -> float:
    return 1 / (1 + math.exp(-x))


def answer_for(assessment: Assessment, item: Any, theta: float, rng: random.Random) -> Answer:
    """A plausible answer from a person of ability ``theta`` (2% left blank)."""
    if rng.random() < 0.02:
        return None
    if item.kind == "likert":
        scale = assessment.scale_of(item)
        middle = (scale.min + scale.max) / 2
        value = min(scale.max, max(scale.min, round(middle + 1.1 * theta + rng.gauss(0, 1))))
        return scale.min + scale.max - value if item.reverse else value
    if item.kind == "choice":
        wrong = [o.id for o in item.options if o.id != item.key]
        return str(item.key) if rng.random() < sigmoid(1.2 + 1.5 * theta) else rng.choice(wrong)
    if item.kind == "judgement":
        ranked = sorted(item.options, key=lambda o: o.points)
        top = len(ranked) - 1
        pick = min(top, max(0, round(top * 0.7 + theta + rng.gauss(0, 0.8))))
        return str(ranked[pick].id)
    return float(item.answer) if rng.random() < sigmoid(0.8 + 1.5 * theta) else 17.0


def build_rows(assessment: Assessment, rows: int, seed: int = 7) -> list[NewAttempt]:
    rng = random.Random(seed)
    layout = Layout.of(assessment)
    items = assessment.form_items(layout.form)
    pool = []
    for _ in range(POOL):
        theta = rng.gauss(0.3, 1.0)
        answers = {item.id: answer_for(assessment, item, theta, rng) for item in items}
        card, plan = score_answers(assessment, layout.form, answers)
        pool.append((answers, card, plan))
    people = max(1, int(rows / PER_CANDIDATE))
    out = []
    for n in range(rows):
        answers, card, plan = pool[n % POOL]
        person = rng.randrange(people)
        out.append(
            NewAttempt(
                candidate=NewCandidate(f"Candidate {person:06d}", f"c{person:06d}@example.com"),
                layout=layout,
                scorecard=card,
                plan=plan,
                answers=answers,
                submitted=START + timedelta(minutes=5 * n),
                key=f"bench-{n}",
            )
        )
    return out


def peak_mb(who: int = resource.RUSAGE_SELF) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports KiB


LOOKUP = """
import json, sys, time
t0 = time.perf_counter()
from screener.store import Store
store = Store(sys.argv[1])
records = store.attempts(candidate=sys.argv[2])
out = json.dumps([r.to_json() for r in records])
print(json.dumps({"attempts": len(records), "in_process": time.perf_counter() - t0}))
"""

BY_OUTCOME = """
import json, sys, time
t0 = time.perf_counter()
from screener.store import Store
store = Store(sys.argv[1])
counts = {}
for outcome in ("pass", "coaching", "incomplete"):
    counts[outcome] = len(store.attempts(outcome=outcome))
t1 = time.perf_counter()
as_json = [r.to_json() for r in store.attempts(outcome="coaching")]
t2 = time.perf_counter()
print(json.dumps({"counts": counts, "list_all_three": t1 - t0, "coaching_to_json": t2 - t1}))
"""


def run_child(code: str, *args: str) -> tuple[float, dict[str, Any], float]:
    """Run a snippet in a fresh interpreter; wall seconds, its JSON line, its peak RSS (MB)."""
    before = peak_mb(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", code, *args], capture_output=True, text=True, check=True, cwd=ROOT
    )
    wall = time.perf_counter() - start
    after = peak_mb(resource.RUSAGE_CHILDREN)
    return wall, json.loads(done.stdout), max(after, before)


def time_file_writes() -> list[float]:
    """Record how long each file write takes (serialise, write, fsync, replace): the live
    file's and, on the archive layout, every segment's (``archive.write_segment``)."""
    from screener.store import txn as store_txn

    spent: list[float] = []
    real = AtomicJSONStorage.write
    real_segment = store_txn.write_segment

    def timed(self: AtomicJSONStorage, data: Any) -> None:
        start = time.perf_counter()
        real(self, data)
        spent.append(time.perf_counter() - start)

    def timed_segment(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        made = real_segment(*args, **kwargs)
        spent.append(time.perf_counter() - start)
        return made

    AtomicJSONStorage.write = timed  # type: ignore[method-assign]
    store_txn.write_segment = timed_segment  # type: ignore[assignment]
    return spent


def spread(values: list[float]) -> str:
    """min / median of repeated runs: this 2-core machine is shared, so single runs wobble."""
    return f"{min(values):5.2f} s min, {statistics.median(values):5.2f} s median"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--shape",
        choices=["realistic", "bfi"],
        default="realistic",
        help="realistic: the bundled wblc-screening (13 x 74); bfi: tests/data/bfi (5 x 25)",
    )
    parser.add_argument("--repeat", type=int, default=3, help="runs of each timed step")
    args = parser.parse_args()

    assessment = realistic_assessment() if args.shape == "realistic" else bfi_assessment()
    layout = Layout.of(assessment)
    print(
        f"shape: {args.shape} ({assessment.id}: {len(layout.competencies)} competencies, "
        f"{len(layout.items)} answers per attempt); rows: {args.rows:,}; repeat: {args.repeat}"
    )
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter()
        rows = build_rows(assessment, args.rows)
        print(f"build + score rows (not store time):  {time.perf_counter() - t:6.2f} s")

        prepares: list[float] = []
        writes: list[float] = []
        spent = time_file_writes()
        file_writes: list[float] = []
        for run in range(args.repeat):
            db = Path(tmp) / f"run{run}" / "screener.json"
            store = Store(db)
            t = time.perf_counter()
            prepared = store.prepare_attempts(rows)
            prepares.append(time.perf_counter() - t)
            spent.clear()
            t = time.perf_counter()
            result = store.save_attempts(prepared)
            writes.append(time.perf_counter() - t)
            file_writes.append(sum(spent))
            assert result.stored == args.rows
        info = Store(db).info()
        print(f"prepare_attempts (check + pack):      {spread(prepares)}")
        print(
            f"save_attempts (lock..write+fsync):    {spread(writes)}   target < 0.5 s   "
            f"(database {info.size / 1e6:.1f} MB in {info.segments} segment(s) and the live "
            f"file, peak RSS {peak_mb():.0f} MB)"
        )
        print(
            f"  of which serialise + write + fsync (+ index) of every file: {spread(file_writes)}"
        )

        again = store.save_attempts(prepared)
        print(f"re-save same keys: stored {again.stored}, skipped {again.skipped:,}")

        target = store.attempts(status=None)[len(rows) // 2].candidate_id
        walls: list[float] = []
        inside: list[float] = []
        for _ in range(args.repeat):
            wall, report, rss = run_child(LOOKUP, str(db), target)
            walls.append(wall)
            inside.append(report["in_process"])
        print(
            f"one candidate as JSON, whole command: {spread(walls)}   target < 0.5 s   "
            f"({report['attempts']} attempts; {min(inside):.2f} s min after start-up; "
            f"peak RSS {rss:.0f} MB)"
        )

        wall, report, rss = run_child(BY_OUTCOME, str(db))
        counts = ", ".join(f"{k} {v:,}" for k, v in report["counts"].items())
        print(
            f"attempts by outcome, whole command:   {wall:5.2f} s   ({counts}; three listings "
            f"{report['list_all_three']:.2f} s, coaching ones to JSON "
            f"{report['coaching_to_json']:.2f} s; peak RSS {rss:.0f} MB)"
        )


if __name__ == "__main__":
    main()
