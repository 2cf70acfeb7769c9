"""Drive a real terminal (tmux, 80 x 32) through docs/walkthrough.md's session and
print each captured screen: ``python docs/capture_walkthrough.py > /tmp/screens.txt``.

The candidate ("Sam Rivera", seed 7) takes form A of the bundled screening: four of
six shop-math questions right (close to the cut, so reserve questions follow), two
of six drawings right (a gap), everything else answered well; quits at question
41 with Ctrl-C, resumes, finishes, then works through the spatial module in coach.
Needs tmux and the ``screener`` console script beside this interpreter.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from screener.catalog import load_catalog
from screener.content import AnyItem, ChoiceItem, JudgementItem, LikertItem, NumericItem
from screener.session import module_option_order, option_order
from screener.taking import question_order

SESSION = "walkthrough"
SCREENER = str(Path(sys.executable).parent / "screener")
DOWN, ENTER = "Down", "Enter"
A = load_catalog().assessments["wblc-screening"]
SEED = 7
WRONG_MATH = {"bm-a2", "bm-a6"}  # 4 of 6 right: close to the cut of 65
RIGHT_SPATIAL = {"sv-a1", "sv-a5"}  # 2 of 6 right: a gap


def tmux(*args: str) -> str:
    return subprocess.run(["tmux", *args], capture_output=True, text=True, check=True).stdout


def screen(history: int = 0) -> str:
    """The pane as shown, with ``history`` lines scrolled off above it."""
    return tmux("capture-pane", "-p", "-t", SESSION, "-S", str(-history))


def wait_for(pattern: str, timeout: float = 30, history: int = 0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = screen(history)
        if re.search(pattern, text, re.M):
            time.sleep(0.3)  # let the prompt finish drawing
            return screen()
        time.sleep(0.1)
    raise SystemExit(f"never saw {pattern!r}:\n{screen()}")


def keys(*names: str) -> None:
    tmux("send-keys", "-t", SESSION, *names)


def typed(text: str) -> None:
    tmux("send-keys", "-t", SESSION, "-l", text)


def show(title: str, history: int = 0) -> None:
    print(f"=== {title}")
    print(screen(history).rstrip("\n"))
    print()


def run(command: str) -> None:
    keys("clear", ENTER)
    time.sleep(0.3)
    typed(command)
    keys(ENTER)


def pick(order: list[str], wanted: str) -> None:
    keys(*([DOWN] * order.index(wanted)), ENTER)


def answer(item: AnyItem, right: bool) -> None:
    if isinstance(item, NumericItem):
        typed(f"{item.answer:g}" if right else "1")
        keys(ENTER)
    elif isinstance(item, LikertItem):
        typed("2" if item.reverse else "4")
    elif isinstance(item, ChoiceItem):
        wanted = item.key if right else next(o.id for o in item.options if o.id != item.key)
        pick(option_order(item, SEED), wanted)
    elif isinstance(item, JudgementItem):
        best = max(item.options, key=lambda o: o.points).id
        pick(option_order(item, SEED), best)


def right_for(item: AnyItem) -> bool:
    if item.id in WRONG_MATH:
        return False
    if item.competency == "spatial_visualization":
        return item.id in RIGHT_SPATIAL
    return True


def main() -> None:
    db = Path(tempfile.mkdtemp()) / "walkthrough.json"
    subprocess.run(["tmux", "kill-session", "-t", SESSION], capture_output=True)
    env = f"SCREENER_DB={db} PATH={Path(SCREENER).parent}:{os.environ['PATH']} PS1='$ '"
    tmux("new-session", "-d", "-s", SESSION, "-x", "80", "-y", "32", f"env {env} bash --norc")
    time.sleep(0.5)
    items = A.form_items("A")
    order = [items[i] for i in question_order(A, "A")]
    run(f"screener take --name 'Sam Rivera' --seed {SEED}")
    wait_for(r"Ready to start")
    show("welcome")
    keys(ENTER)
    for number, item in enumerate(order, 1):
        wait_for(rf"question {number} of {len(order)}")
        if number in (1, 7, 8, 16, 31, 74):
            show(f"question {number}: {item.id}")
        if number == 41:
            keys("C-c")
            wait_for("Save your answers and quit")
            show("Ctrl-C")
            keys(ENTER)
            wait_for(r"^\$\s*$")
            show("saved")
            break
        answer(item, right_for(item))
    run("screener take --candidate 'Sam Rivera'")
    wait_for("unfinished screening")
    show("unfinished")
    keys(ENTER)
    wait_for("Ready to go on")
    show("welcome back")
    keys(ENTER)
    for number, item in enumerate(order[40:], 41):
        wait_for(rf"question {number} of {len(order)}")
        if number in (74,):
            show(f"question {number}: {item.id}")
        answer(item, right_for(item))
    by_prompt = {i.prompt.strip().splitlines()[0][:40]: i for i in A.reserve_items()}
    extra = 0
    while True:
        text = wait_for(r"extra question \d+|Next: screener|^\$\s*$")
        if "Next: screener" in text or re.search(r"^\$\s*$", text, re.M):
            break
        extra += 1
        text = wait_for(rf"extra question {extra}\b")
        tail = text[text.rindex(f"extra question {extra}") :]
        item = next(i for p, i in by_prompt.items() if p in " ".join(tail.split()))
        if extra == 1:
            show(f"extra question 1: {item.id}")
        answer(item, True)
        time.sleep(0.5)
    wait_for(r"^\$\s*$")
    show("results", history=12)
    run("screener coach 'Sam Rivera'")
    wait_for("Which module")
    show("coach")
    modules = load_catalog().modules
    plan = wait_for("Which module")
    names = [m.title for m in modules.values()]
    listed = [n for n in re.findall(r"^\s+>?\s*(.+?)\s*$", plan, re.M) if n in names]
    pick(listed, "3D Spatial Visualization")
    spatial = modules["spatial-visualization"]
    wait_for("Press any key")
    show("objectives")
    keys("Space")
    wait_for("Lesson 1 of", history=40)
    show("lesson 1", history=12)
    while "practice 1 of" not in screen():  # the other lessons and worked examples
        keys("Space")
        time.sleep(0.4)
    for n in range(1, len(spatial.practice) + 1):
        wait_for(rf"practice {n} of")
        if n == 3:
            show(f"practice {n}")
        keys(ENTER)  # the first option shown (a new order each try): feedback follows
        time.sleep(0.5)
        if n == 3:
            show("feedback")
    for n, q in enumerate(spatial.check.items, 1):
        wait_for(rf"check {n} of")
        pick(module_option_order(q, SEED), q.key)
    wait_for("Module complete")
    show("check passed")
    tmux("kill-session", "-t", SESSION)


if __name__ == "__main__":
    main()
