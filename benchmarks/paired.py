"""Whole commands taking turns: the before/after figures of docs/performance.md.

    .venv/bin/python benchmarks/paired.py 15 'CMD_A' 'CMD_B' ...

Runs each command once per round, in turn, for the given number of rounds, and
prints each one's median wall time (min, max) and median CPU time (user + system
of the process and its children). Commands taking turns see the same machine: on
a shared host whose speed drifts by 1.5x within an hour, two commands timed
minutes apart cannot be compared, two taking turns can. ``{n}`` in a command
becomes a value unique to each run (a new candidate's name for ``take``). Set
``PYTHONPATH`` in a command to run another checkout's code (a ``git worktree add
--detach /tmp/before COMMIT`` of the commit to compare with), and run that
command from a folder outside both checkouts: ``python -m`` puts the current
folder first on the path, so from inside this checkout its own code runs
whatever PYTHONPATH says:

    'sh -c "cd /tmp && PYTHONPATH=/tmp/before /work/main/.venv/bin/python -m screener ..."'

A command that sets PYTHONPATH without a ``cd`` is refused when run from a
checkout. A command that fails stops the run with its stderr. Not part of
``make test``.
"""

from __future__ import annotations

import os
import resource
import shlex
import statistics
import subprocess
import sys
import time


def main() -> None:
    if len(sys.argv) < 3 or not sys.argv[1].isdigit():
        sys.exit(__doc__)
    rounds, commands = int(sys.argv[1]), sys.argv[2:]
    for command in commands:
        _check_code_path(command)
    walls: dict[str, list[float]] = {c: [] for c in commands}
    cpus: dict[str, list[float]] = {c: [] for c in commands}
    stamp = time.time_ns()
    for n in range(rounds):
        for command in commands:
            argv = shlex.split(command.replace("{n}", f"{stamp}x{n}"))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            done = subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
            wall = time.perf_counter() - start
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            if done.returncode:
                sys.exit(f"failed: {command}\n{done.stderr.decode(errors='replace')[-500:]}")
            walls[command].append(wall)
            cpus[command].append(
                after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime
            )
    for command in commands:
        w = walls[command]
        print(
            f"{statistics.median(w):.3f} s median wall (min {min(w):.3f}, max {max(w):.3f}), "
            f"cpu {statistics.median(cpus[command]):.3f} s, n={len(w)}: {command}"
        )
    print("load", " ".join(f"{x:.2f}" for x in os.getloadavg()))


def _check_code_path(command: str) -> None:
    """Refuse a PYTHONPATH that ``python -m`` would ignore (see the module's text)."""
    import re
    from pathlib import Path

    found = re.search(r"PYTHONPATH=(\S+)", command)
    if (
        found is not None
        and "cd " not in command
        and Path("screener", "__init__.py").is_file()
        and Path(found.group(1)).resolve() != Path.cwd().resolve()
    ):
        sys.exit(
            f"{command}\nruns this checkout's code whatever its PYTHONPATH says "
            "(python -m puts the current folder first): cd to a folder outside it first"
        )


if __name__ == "__main__":
    main()
