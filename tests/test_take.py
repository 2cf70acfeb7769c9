"""`take`, `show` and `coach` through the real entry point, and a real terminal session."""

from __future__ import annotations

import json
import os
import re
import shutil
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import DATA, ROOT, run_cli

TINY = str(DATA / "tiny")
A_GOOD = "m1: b\nm2: 25.4\nt1: 5\nt2: 1\ns1: b\n"
A_WEAK = "m1: a\nm2: 3\nt1: 5\nt2: 1\ns1: b\n"
B_GOOD = "m3: a\nm4: 12\nt3: 5\nt4: 1\ns2: a\n"


def take(tmp_path: Path, text: str, *args: str) -> dict[str, object]:
    answers = tmp_path / f"answers-{abs(hash(text))}.yaml"
    answers.write_text(text)
    result = run_cli(
        "--content-dir", TINY, "take", "tiny", "--answers", str(answers), "--json", *args
    )
    assert result.returncode == 0, result.stderr
    data: dict[str, object] = json.loads(result.stdout)
    return data


def test_take_answers_scores_stores_and_retake_uses_the_other_form(tmp_path: Path) -> None:
    first = take(tmp_path, A_WEAK, "--name", "Ana Lee", "--candidate", "ana")
    assert (
        first["candidate_id"] == "ana" and first["form"] == "A" and first["outcome"] == "coaching"
    )
    assert first["plan"] == [{"module": "tiny-math", "competencies": ["math"], "gap": 60.0}]
    second = take(tmp_path, B_GOOD, "--candidate", "ana")
    assert second["form"] == "B" and second["outcome"] == "pass" and second["plan"] == []
    third = take(
        tmp_path, A_GOOD, "--candidate", "Ana Lee"
    )  # by exact name; A was taken longest ago
    assert third["form"] == "A"
    shown = run_cli("--content-dir", TINY, "show", "ana", "--json")
    data = json.loads(shown.stdout)
    assert [a["form"] for a in data["attempts"]] == ["A", "B", "A"]
    assert data["latest"] == third


def test_results_screen_shows_change_since_last_attempt(tmp_path: Path) -> None:
    take(tmp_path, A_WEAK, "--name", "Bo", "--candidate", "bo")
    answers = tmp_path / "b.yaml"
    answers.write_text(B_GOOD)
    result = run_cli(
        "--content-dir", TINY, "take", "tiny", "--answers", str(answers), "--candidate", "bo"
    )
    assert result.returncode == 0, result.stderr
    assert "Change" in result.stdout and "+100" in result.stdout
    assert "Pass" in result.stdout and "employer interview" in result.stdout


def test_take_from_file_gives_the_previous_attempt_as_read_again(
    tmp_path: Path, isolated_db: Path
) -> None:
    """``take --answers`` shows the change since the previous attempt as read in its own
    transaction (``take_from_file``): the same attempt ``previous_attempt`` reads."""
    from screener.catalog import load_assessment
    from screener.store import Store
    from screener.taking import previous_attempt, take_from_file

    tiny = load_assessment("tiny", [Path(TINY)])
    store = Store(isolated_db)
    seen = []
    for n, text in enumerate((A_WEAK, B_GOOD, A_GOOD, B_GOOD)):
        answers = tmp_path / f"{n}.yaml"
        answers.write_text(text)
        form = "A" if text != B_GOOD else "B"
        record, previous = take_from_file(store, tiny, answers, "cy", "Cy", form)
        again = previous_attempt(store, record)
        assert (previous is None) == (again is None)
        assert previous is None or again is None or previous.to_json() == again.to_json()
        seen.append(None if previous is None else previous.attempt_id)
        other, none = take_from_file(store, tiny, answers, None, f"New {n}", form)
        assert none is None and previous_attempt(store, other) is None
    assert seen[0] is None and seen[1:] == [r.attempt_id for r in store.attempts("cy")][:3]


def test_take_without_terminal_or_with_no_input_names_answers() -> None:
    for args in ((), ("--no-input",)):
        result = run_cli("--content-dir", TINY, "take", "tiny", *args, input="")
        assert result.returncode == 2
        assert "--answers" in result.stderr and result.stderr.count("\n") == 1
        assert "Traceback" not in result.stderr


def test_take_answers_needs_a_candidate(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(A_GOOD)
    result = run_cli("--content-dir", TINY, "take", "tiny", "--answers", str(answers))
    assert result.returncode == 2 and "--candidate" in result.stderr


def test_take_bad_answer_file_stores_nothing(tmp_path: Path, isolated_db: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text("m1: z\n")
    result = run_cli(
        "--content-dir", TINY, "take", "tiny", "--answers", str(answers), "--name", "X"
    )
    assert result.returncode == 1 and "a.yaml:1:1: item m1: not an option" in result.stderr
    assert not isolated_db.exists()  # not even the candidate was written


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--name", "   "), "--name: a name cannot be blank"),
        (("--candidate", "nobody"), "add --name NAME"),
        (("--name", "Y", "--seed", "99999999999999999999999"), "--seed"),
        (("--name", "Y", "--resume"), "--resume"),
    ],
)
def test_take_answers_option_errors_write_nothing(
    tmp_path: Path, isolated_db: Path, args: tuple[str, ...], message: str
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(A_GOOD)
    result = run_cli("--content-dir", TINY, "take", "tiny", "--answers", str(answers), *args)
    assert result.returncode in (1, 2) and message in result.stderr, result.stderr
    assert "Traceback" not in result.stderr
    assert not isolated_db.exists()


def test_outputs_never_overwrite_the_database_or_an_input(
    tmp_path: Path, isolated_db: Path
) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(A_GOOD)
    made = run_cli(
        "--content-dir",
        TINY,
        "take",
        "tiny",
        "--answers",
        str(answers),
        "--name",
        "Z",
        "--candidate",
        "z",
    )
    assert made.returncode == 0, made.stderr
    before = isolated_db.read_bytes()
    for args in (
        ("export", "--format", "json", "--output", str(isolated_db)),
        ("report", "z", "--format", "md", "--output", str(isolated_db)),
        ("simulate", "tiny", "--n", "3", "--output", str(isolated_db)),
        ("export", "--format", "csv", "--output", f"{isolated_db}.lock"),
    ):
        result = run_cli("--content-dir", TINY, *args)
        assert result.returncode == 2 and "is the results database" in result.stderr, (
            args,
            result.stderr,
        )
    csv_in = tmp_path / "in.csv"
    csv_in.write_text("candidate_id,name,m1\nq,Q,b\n")
    result = run_cli(
        "--content-dir", TINY, "batch", str(csv_in), "-a", "tiny", "--errors", str(csv_in)
    )
    assert result.returncode == 2 and "is also an input" in result.stderr
    assert csv_in.read_text() == "candidate_id,name,m1\nq,Q,b\n"
    assert isolated_db.read_bytes() == before


def test_show_unknown_candidate_is_one_line() -> None:
    result = run_cli("show", "nobody")
    assert result.returncode == 1 and result.stderr.count("\n") == 1


def test_coach_without_terminal_shows_plan_and_progress(tmp_path: Path) -> None:
    take(tmp_path, A_WEAK, "--name", "Cy", "--candidate", "cy")
    result = run_cli("--content-dir", TINY, "coach", "cy", input="")
    assert result.returncode == 0, result.stderr
    assert "Tiny math" in result.stdout and "not started" in result.stdout
    assert "terminal" in result.stderr


# --- a real terminal ------------------------------------------------------------------

pexpect = pytest.importorskip("pexpect")
DOWN = "\x1b[B"
ENTER = "\r"


def console_script() -> str:
    """The installed ``screener`` console script beside this interpreter."""
    path = Path(sys.executable).parent / "screener"
    assert path.exists(), "the screener console script is not installed"
    return str(path)


CPR_REQUEST = "\x1b[6n"  # "where is the cursor?": prompt_toolkit asks before each prompt


class Terminal(pexpect.spawn):  # type: ignore[misc]
    """A pseudo-terminal that answers cursor position requests as a real terminal does
    (unanswered, prompt_toolkit waits a second for the answer before every question)."""

    def expect(self, pattern: Any, *args: Any, **kwargs: Any) -> int:
        patterns = pattern if isinstance(pattern, list) else [pattern]
        while True:
            found: int = super().expect([re.escape(CPR_REQUEST), *patterns], *args, **kwargs)
            if found:
                return found - 1
            self.send("\x1b[1;1R")  # row 1, column 1


def spawn(args: list[str], db: Path) -> pexpect.spawn:
    env = {**os.environ, "SCREENER_DB": str(db), "COLUMNS": "80", "LINES": "40", "TERM": "xterm"}
    env.pop("NO_COLOR", None)
    child = Terminal(
        console_script(),
        args,
        env=env,
        dimensions=(40, 80),
        encoding="utf-8",
        timeout=20,
        cwd=str(ROOT),
    )
    return child


def strip_ansi(text: str) -> str:
    return re.sub(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[=>]|\r", "", text)


def choose(child: pexpect.spawn, prompt: str, label: str, seed_order: list[str]) -> None:
    child.expect(re.escape(prompt))
    child.send(DOWN * seed_order.index(label) + ENTER)


@pytest.mark.slow
def test_a_whole_screening_in_a_real_terminal(tmp_path: Path) -> None:
    from content_fixtures import tiny

    from screener.session import option_order

    a = tiny()
    items = {i.id: i for i in a.items}
    db = tmp_path / "pty.json"
    child = spawn(["--content-dir", TINY, "take", "tiny", "--name", "Dee Ray", "--seed", "4"], db)
    child.expect("Ready to start")
    child.send(ENTER)
    labels = {o.id: o.label for o in items["m1"].options}  # type: ignore[union-attr]
    order = [labels[o] for o in option_order(items["m1"], 4)]
    choose(child, "What is 2 + 2?", "4", order)
    child.expect("millimetres")
    child.send("1 inch" + ENTER)  # not a number: asked again with a reason
    child.expect("Please type a number")
    child.send("\x7f" * 6 + "25,4 mm" + ENTER)
    child.expect("help my co-workers")
    child.send(DOWN * 4 + ENTER)  # 5
    child.expect("rather work alone")
    child.send(ENTER)  # 1, reversed: 5
    labels = {o.id: o.label for o in items["s1"].options}  # type: ignore[union-attr]
    order = [labels[o] for o in option_order(items["s1"], 4)]
    choose(child, "guard is missing", "Run it carefully", order)
    child.expect(pexpect.EOF)
    screen = strip_ansi(child.before or "")
    child.close()
    assert child.exitstatus == 0, screen
    assert "Your results, Dee Ray" in screen
    assert re.search(r"Basic math\s+.\s+100\s+.\s+60", screen), screen
    assert re.search(r"Safety focus\s+.\s+0\s+.\s+75", screen), screen
    assert "Coaching plan: 1 module, about" in screen and "Tiny teamwork" in screen
    assert "Safety focus 75 points below cut" in screen


@pytest.mark.slow
def test_quit_and_resume_in_a_real_terminal(tmp_path: Path) -> None:
    db = tmp_path / "pty.json"
    child = spawn(["--content-dir", TINY, "take", "tiny", "--name", "Eve", "--seed", "1"], db)
    child.expect("Ready to start")
    child.send(ENTER)
    child.expect(r"What is 2 \+ 2\?")
    child.send(ENTER)
    child.expect("millimetres")
    child.send("25.4" + ENTER)
    child.expect("help my co-workers")
    child.sendcontrol("c")
    child.expect("Save your answers and quit")
    child.send("y")
    child.expect("take --resume")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    child = spawn(["--content-dir", TINY, "take", "tiny", "--candidate", "Eve"], db)
    child.expect(r"unfinished screening \(form A, 2 of 5")
    child.send(ENTER)
    child.expect(r"Questions: 5 \(3 left\)")
    child.expect("Ready to go on")
    child.send(ENTER)
    child.expect("question 3 of 5")
    child.send(ENTER)
    child.expect("question 4 of 5")
    child.send(ENTER)
    child.expect("question 5 of 5")
    child.send(ENTER)
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = run_cli("show", "Eve", "--json", env={"SCREENER_DB": str(db)})
    data = json.loads(shown.stdout)
    assert len(data["attempts"]) == 1 and data["in_progress"] == []
    assert data["latest"]["competencies"]["math"]["answered"] == 2


@pytest.mark.slow
def test_coaching_module_in_a_real_terminal(tmp_path: Path) -> None:
    db = tmp_path / "pty.json"
    env = {"SCREENER_DB": str(db)}
    answers = tmp_path / "a.yaml"
    answers.write_text(A_WEAK)
    made = run_cli(
        "--content-dir",
        TINY,
        "take",
        "tiny",
        "--answers",
        str(answers),
        "--name",
        "Flo",
        "--candidate",
        "flo",
        env=env,
    )
    assert made.returncode == 0, made.stderr
    child = spawn(["--content-dir", TINY, "coach", "flo"], db)
    child.expect("Which module")
    child.send(ENTER)  # Tiny math
    for _ in range(2):  # two lessons, a pause before each
        child.expect("Press any key")
        child.send(" ")
    child.expect("practice 1 of 1")
    child.expect(r"What is 1 \+ 1\?")
    child.send(ENTER)
    child.expect(r"Correct\.|Not quite\.")
    from test_session import module

    tiny_math = module("tiny-math")

    def right(q_index: int) -> str:
        from screener.session import module_option_order

        q = tiny_math.check.items[q_index]
        ids = module_option_order(q, 0)  # the attempt has no seed: 0
        return DOWN * ids.index(q.key) + ENTER

    child.expect("check 1 of 2")
    child.expect(r"What is 2 \+ 3\?")
    child.send(right(0))
    child.expect("check 2 of 2")
    child.send(right(1))
    child.expect("Module complete: 2 of 2 right")
    child.expect("complete \\(check 100%\\)")
    child.expect("finished your coaching plan")
    child.expect("screener take --candidate flo")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    shown = json.loads(run_cli("show", "flo", "--json", env=env).stdout)
    progress = {p["module"]: p for p in shown["progress"]}
    assert progress["tiny-math"]["lessons"] == ["adding", "halves"]
    assert progress["tiny-math"]["check_score"] == 100.0
    assert progress["tiny-math"]["completed"]


def test_tmux_is_not_required() -> None:
    # the real-terminal tests use pexpect; tmux is only used for docs/walkthrough.md
    assert shutil.which(sys.executable)


def test_results_in_a_plain_ascii_terminal_at_80_columns(tmp_path: Path) -> None:
    answers = tmp_path / "a.yaml"
    answers.write_text(A_WEAK)
    result = run_cli(
        "--content-dir",
        TINY,
        "take",
        "tiny",
        "--answers",
        str(answers),
        "--name",
        "Gus",
        env={"PYTHONIOENCODING": "ascii", "COLUMNS": "80", "NO_COLOR": "1"},
    )
    assert result.returncode == 0, result.stderr
    result.stdout.encode("ascii")  # nothing outside ASCII
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    assert "\x1b[" not in result.stdout
    assert "Basic math" in result.stdout and "#" in result.stdout


def test_interactive_take_asks_follow_up_items_and_stores_them(
    tmp_path: Path, isolated_db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The whole interactive take, in-process with keys from a pipe: a borderline form
    (4 of 6 right) is followed by reserve items, and the stored attempt holds them."""
    from content_fixtures import load_assessment
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    import screener.cli.candidate
    from screener.session import option_order, question_order
    from screener.store import Store

    monkeypatch.setattr(screener.cli.candidate, "interactive", lambda no_input=False: True)
    a = load_assessment("measure/sixitem.yaml")
    seed = 3

    def pick(item_id: str, right: bool) -> str:
        item = a.item(item_id)
        wanted = item.key if right else "b"  # type: ignore[union-attr]
        return DOWN * option_order(item, seed).index(wanted) + ENTER

    items = a.form_items("A")
    typed = ENTER  # ready to start
    for n, i in enumerate(question_order(a, "A")):
        typed += pick(items[i].id, n < 4) if i < 6 else DOWN * 4 + ENTER
    typed += "".join(pick(f"re-r{k}", True) for k in (1, 2, 3))
    sixitem = str(DATA / "measure" / "sixitem.yaml")
    with create_pipe_input() as keys, create_app_session(input=keys, output=DummyOutput()):
        keys.send_text(typed)
        keys.close()  # a question too many ends the run instead of waiting
        done = run_cli("take", sixitem, "--name", "Pat Border", "--seed", str(seed))
    assert done.returncode == 0, done.stderr
    assert "A few more questions" in done.stdout
    assert [n for n in range(1, 6) if f"extra question {n}\n" in done.stdout] == [1, 2, 3]
    assert "Your results, Pat Border" in done.stdout
    assert re.search(r"Reasoning .* 78 .* 65 .* close \(\d+-\d+\)", done.stdout), done.stdout
    [record] = Store(isolated_db).attempts()
    assert [(i, v) for i, v, _ in record.follow_ups] == [(f"re-r{k}", "a") for k in (1, 2, 3)]
    assert record.outcome == "pass"


# --- issue #11 and #14: what a candidate sees ------------------------------------------


def longest_option() -> tuple[Any, Any]:
    """The bundled assessment and its item with the longest option label."""
    from screener.catalog import load_catalog
    from screener.content import ChoiceItem, JudgementItem

    a = load_catalog().assessments["wblc-screening"]
    items = [i for i in a.items if isinstance(i, ChoiceItem | JudgementItem)]
    item = max(items, key=lambda i: max(len(o.label) for o in i.options))
    return a, item


def one_item_assessment(tmp_path: Path, a: Any, item: Any) -> Path:
    """An assessment file holding just ``item`` of ``a`` (with its competency)."""
    import yaml

    comp = a.competency(item.competency)
    data = a.model_dump(exclude_none=True)
    data.update(
        id="one",
        competencies=[comp.model_dump(exclude_none=True) | {"modules": []}],
        items=[item.model_dump(exclude_none=True)],
        reserve=[],
        decision={"rule": "non_compensatory"},
    )
    data.pop("forms", None)
    path = tmp_path / "one.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False))
    return path


class Screen:
    """A real terminal: a pseudo-terminal whose output a terminal emulator (pyte) draws,
    answering prompt_toolkit's cursor position requests with the real position."""

    def __init__(self, args: list[str], db: Path, columns: int, rows: int = 50) -> None:
        import pyte

        env = {**os.environ, "SCREENER_DB": str(db), "COLUMNS": str(columns)}
        env.update(LINES=str(rows), TERM="xterm")
        env.pop("NO_COLOR", None)
        self.child = pexpect.spawn(
            console_script(),
            args,
            env=env,
            dimensions=(rows, columns),
            encoding="utf-8",
            timeout=20,
            cwd=str(ROOT),
        )
        self.screen = pyte.Screen(columns, rows)
        self.stream = pyte.Stream(self.screen)
        self.ended = False

    def lines(self) -> list[str]:
        return [line.rstrip() for line in self.screen.display]

    def text(self) -> str:
        return "\n".join(self.lines())

    def _read(self, timeout: float) -> None:
        try:
            data = self.child.read_nonblocking(65536, timeout=timeout)
        except pexpect.TIMEOUT:
            return
        except pexpect.EOF:
            self.ended = True
            return
        parts = data.split(CPR_REQUEST)
        for k, part in enumerate(parts):
            self.stream.feed(part)
            if k < len(parts) - 1:
                cursor = self.screen.cursor
                self.child.send(f"\x1b[{cursor.y + 1};{cursor.x + 1}R")

    def wait_for(self, text: str, timeout: float = 20) -> None:
        import time

        deadline = time.monotonic() + timeout
        while text not in self.text():
            if self.ended or time.monotonic() > deadline:
                raise AssertionError(f"{text!r} never shown:\n{self.text()}")
            self._read(0.2)

    def send(self, keys: str) -> None:
        self.child.send(keys)

    def finish(self) -> int:
        while not self.ended:
            self._read(1)
        self.child.close()
        return int(self.child.exitstatus)


def check_wrapped(lines: list[str], text: str, columns: int, indent: int) -> None:
    """``text`` is on the screen broken only between words, within ``columns``, its
    continuation lines indented ``indent`` cells (under its first word)."""
    words = text.split()
    start = next(n for n, line in enumerate(lines) if line[indent:].startswith(" ".join(words[:2])))
    got: list[str] = []
    n = start
    while len(got) < len(words):
        line = lines[n]
        assert len(line) <= columns, line
        if n > start:
            assert line[:indent].strip() == "" and line[indent] != " ", (line, indent)
        got += line[indent:].split()
        n += 1
    assert got[: len(words)] == words, (got, words)  # a hint may follow on the last line
    assert n - start > 1 or columns >= len(text) + indent


@pytest.mark.slow
@pytest.mark.parametrize("columns", [40, 80, 120])
def test_long_questions_and_options_wrap_between_words_in_a_real_terminal(
    tmp_path: Path, columns: int
) -> None:
    """Issue #11.1: the longest option of the bundled screening (and its question) wrap
    at word boundaries, continuation lines under the option's text, at 40, 80 and 120
    columns; so does the answer echoed after it is chosen."""
    a, item = longest_option()
    label = max((o.label for o in item.options), key=len)
    path = one_item_assessment(tmp_path, a, item)
    term = Screen(
        ["take", str(path), "--name", "Wrap Test", "--seed", "3"], tmp_path / "db.json", columns
    )
    term.wait_for("Ready to start")
    term.send(ENTER)
    term.wait_for("Skip this question")
    lines = term.lines()
    check_wrapped(lines, " ".join(item.prompt.split()), columns - 1, 2)
    check_wrapped(lines, label, columns - 1, 3)
    from screener.session import option_order

    labels = {o.id: o.label for o in item.options}
    order = [labels[i] for i in option_order(item, 3)]
    term.send(DOWN * order.index(label) + ENTER)
    term.wait_for("Your results, Wrap Test")
    assert term.finish() == 0
    lines = term.lines()
    answered = next(n for n, line in enumerate(lines) if "What do you do?" in line)
    check_wrapped(lines[answered:], label, columns - 1, 2)  # the answer echoed


def typed(monkeypatch: pytest.MonkeyPatch, keys: str, *args: str, **kw: Any) -> Any:
    """A whole command run in-process as at a terminal, with ``keys`` typed (when they
    run out, the next prompt ends the run as Ctrl-D would)."""
    from prompt_toolkit.application import create_app_session
    from prompt_toolkit.input import create_pipe_input
    from prompt_toolkit.output import DummyOutput

    import screener.cli.candidate

    monkeypatch.setattr(screener.cli.candidate, "interactive", lambda no_input=False: True)
    with create_pipe_input() as inp, create_app_session(input=inp, output=DummyOutput()):
        inp.send_text(keys)
        inp.close()
        return run_cli(*args, **kw)


#: tiny form A at a terminal: m1 (in order: 3 4 5) "4", m2, t1 5, t2 1; s1 is left
FIRST_FOUR = DOWN + ENTER + "25.4" + ENTER + "5" + "1"
CTRL_C = "\x03"


def stored(db: Path) -> Any:
    from screener.store import Store

    return Store(db)


@pytest.mark.parametrize("name", ["Jo [/] Smith", "Ann Lee [agency]", "[bold]Kim[/bold]"])
def test_take_shows_the_name_exactly_as_typed(
    monkeypatch: pytest.MonkeyPatch, isolated_db: Path, name: str
) -> None:
    """Issue #11.2: names are text, never rich markup."""
    s1 = next(i for i in __import__("content_fixtures").tiny().items if i.id == "s1")
    from screener.session import option_order

    keys = ENTER + FIRST_FOUR + DOWN * option_order(s1, 1).index("b") + ENTER
    done = typed(
        monkeypatch, keys, "--content-dir", TINY, "take", "tiny", "--name", name, "--seed", "1"
    )
    assert done.returncode == 0, done.stderr
    assert f"Welcome, {name}." in done.stderr
    assert f"Your results, {name}" in done.stdout
    [person] = stored(isolated_db).candidates()
    assert person.name == name


def test_stopping_before_any_answer_saves_nothing_and_says_so(
    monkeypatch: pytest.MonkeyPatch, isolated_db: Path
) -> None:
    """Issue #11.5: Ctrl-C at "Your full name:", "No" at "Ready to start?" and quitting
    at the first question leave no empty attempt and never claim answers were saved."""
    args = ("--content-dir", TINY, "take", "tiny")
    at_name = typed(monkeypatch, CTRL_C, *args)
    assert at_name.returncode == 130
    assert "nothing was" in at_name.stderr and "answers are saved" not in at_name.stderr
    no = typed(monkeypatch, "n", *args, "--name", "Nora No")
    assert no.returncode == 0, no.stderr
    assert "nothing was saved" in no.stderr and "answers are saved" not in no.stderr
    assert not isolated_db.exists() or stored(isolated_db).candidates() == []
    quit_first = typed(monkeypatch, ENTER + CTRL_C + "y", *args, "--name", "Quinn Quit")
    assert quit_first.returncode == 130
    assert "Nothing was answered, so nothing was saved" in quit_first.stderr
    store = stored(isolated_db)
    [quinn] = store.candidates()
    assert store.attempts(candidate=quinn.id, status=None) == []
    again = typed(monkeypatch, "n", *args, "--candidate", quinn.id)
    assert again.returncode == 0 and "nothing was saved" in again.stderr
    assert store.attempts(candidate=quinn.id, status=None) == []


def test_declining_an_unfinished_attempt_keeps_it_reachable(
    monkeypatch: pytest.MonkeyPatch, isolated_db: Path
) -> None:
    """Issue #11.6: starting anew never strands the old attempt: it is listed by show and
    offered again, and take --attempt ID goes on with it."""
    args = ("--content-dir", TINY, "take", "tiny")
    first = typed(
        monkeypatch,
        ENTER + DOWN + ENTER + "25.4" + ENTER + CTRL_C + "y",
        *args,
        "--name",
        "Una",
        "--candidate",
        "una",
    )
    assert first.returncode == 130 and "answers are saved" in first.stderr
    store = stored(isolated_db)
    [old] = store.attempts(candidate="una", status=None)
    second = typed(
        monkeypatch,
        DOWN + ENTER + ENTER + ENTER + CTRL_C + "y",  # start anew, ready, m1, quit
        *args,
        "--candidate",
        "una",
        "--form",
        "A",
    )
    assert second.returncode == 130, second.stderr
    unfinished = store.attempts(candidate="una", status="in_progress")
    assert unfinished[0].attempt_id == old.attempt_id and len(unfinished) == 2
    assert store.attempt(old.attempt_id).answers == {**old.answers}
    shown = run_cli("--content-dir", TINY, "show", "una")
    assert f"--attempt {old.attempt_id}" in shown.stdout
    listed = typed(monkeypatch, "", *args, "--candidate", "una")
    assert listed.returncode == 130  # the list of two, then no more keys
    resumed = typed(
        monkeypatch,
        ENTER + "5" + "1" + ENTER,
        *args,
        "--candidate",
        "una",
        "--attempt",
        old.attempt_id,
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "Questions: 5 (3 left)" in resumed.stdout
    assert store.attempt(old.attempt_id).status == "submitted"


def test_one_name_two_people(monkeypatch: pytest.MonkeyPatch, isolated_db: Path) -> None:
    """Issue #11.7: --name alone matching a stored person is refused without a terminal
    (naming their id) and asked at one; "no" makes a new person."""
    made = run_cli(
        "--content-dir",
        TINY,
        "take",
        "tiny",
        "--answers",
        str(write_answers(isolated_db.parent.parent, A_GOOD)),
        "--name",
        "Amélie Tremblay",
        "--candidate",
        "at1",
    )
    assert made.returncode == 0, made.stderr
    again = run_cli(
        "--content-dir",
        TINY,
        "take",
        "tiny",
        "--answers",
        str(write_answers(isolated_db.parent.parent, B_GOOD)),
        "--name",
        "Amélie Tremblay",
    )
    assert again.returncode == 2 and "at1" in again.stderr and again.stderr.count("\n") == 1
    assert len(stored(isolated_db).candidates()) == 1
    args = ("--content-dir", TINY, "take", "tiny", "--name", "amélie  tremblay")
    other = typed(monkeypatch, DOWN + ENTER + "n", *args)
    assert other.returncode == 0, other.stderr
    people = stored(isolated_db).candidates()
    assert len(people) == 1  # "No, a different person", then not ready: nobody stored
    same = typed(monkeypatch, ENTER + "n", *args)
    assert same.returncode == 0 and "--candidate at1" in same.stderr
    new = typed(monkeypatch, DOWN + ENTER + ENTER + CTRL_C + "y", *args)
    assert new.returncode == 130
    assert len(stored(isolated_db).candidates()) == 2


def write_answers(folder: Path, text: str) -> Path:
    path = folder / f"answers-{abs(hash(text))}.yaml"
    path.write_text(text)
    return path


def test_a_retake_with_coaching_left_asks_first(
    monkeypatch: pytest.MonkeyPatch, isolated_db: Path, tmp_path: Path
) -> None:
    """Issue #11.8: "0 of 1 coaching module done - retake anyway?"; no points to coach."""
    take(tmp_path, A_WEAK, "--name", "Rita", "--candidate", "rita")
    args = ("--content-dir", TINY, "take", "tiny", "--candidate", "rita")
    no = typed(monkeypatch, ENTER, *args)  # the default is no
    assert no.returncode == 0, no.stderr
    assert "Next: screener coach rita" in no.stderr
    assert len(stored(isolated_db).attempts(candidate="rita", status=None)) == 1
    yes = typed(monkeypatch, "y" + ENTER + CTRL_C + "y", *args)
    assert "Form B" in yes.stdout or "form B" in yes.stdout


def test_extra_time_is_stored_and_shown_to_recruiters(
    monkeypatch: pytest.MonkeyPatch, isolated_db: Path
) -> None:
    """Issue #14: take --extra-time 1.5 is kept with the attempt, applies on resume and
    is shown by show (and in show --json)."""
    args = ("--content-dir", TINY, "take", "tiny", "--candidate", "xt", "--name", "Xia")
    bad = run_cli(*args, "--extra-time", "3", input="")
    assert bad.returncode == 2 and "1.25, 1.5 or 2" in bad.stderr
    first = typed(monkeypatch, ENTER + DOWN + ENTER + CTRL_C + "y", *args, "--extra-time", "1.5")
    assert first.returncode == 130, first.stderr
    assert "every time limit is 1.5 times as long" in first.stdout
    resumed = typed(
        monkeypatch,
        ENTER + "25.4" + ENTER + "5" + "1" + ENTER,
        "--content-dir",
        TINY,
        "take",
        "tiny",
        "--candidate",
        "xt",
        "--resume",
    )
    assert resumed.returncode == 0, resumed.stderr
    assert "1.5 times as long" in resumed.stdout
    shown = run_cli("--content-dir", TINY, "show", "xt")
    assert "extra time: every time limit x1.5" in shown.stdout
    data = json.loads(run_cli("show", "xt", "--json").stdout)
    assert data["accommodations"] == [
        {"attempt_id": data["latest"]["attempt_id"], "extra_time": 1.5}
    ]


@pytest.mark.parametrize("how", [("--plain",), ()])
def test_plain_mode_draws_no_boxes_and_no_colour(
    monkeypatch: pytest.MonkeyPatch, how: tuple[str, ...]
) -> None:
    """Issue #14: --plain (or SCREENER_PLAIN=1) for screen readers."""
    from content_fixtures import tiny

    from screener.session import option_order

    s1 = next(i for i in tiny().items if i.id == "s1")
    keys = ENTER + FIRST_FOUR + DOWN * option_order(s1, 1).index("a") + ENTER
    env = {} if how else {"SCREENER_PLAIN": "1"}
    env["NO_COLOR"] = None  # type: ignore[assignment]
    done = typed(
        monkeypatch,
        keys,
        "--content-dir",
        TINY,
        "take",
        "tiny",
        "--name",
        "Pia",
        "--seed",
        "1",
        *how,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert "Your results, Pia" in done.stdout and "Coaching plan" in done.stdout
    drawing = set("╭╮╰╯│─━┃┏┓┗┛┡┩└┘┌┐├┤┼█░")
    assert not drawing & set(done.stdout + done.stderr)
    assert "\x1b" not in done.stdout + done.stderr


def test_coach_retry_may_go_straight_to_the_check(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Issue #11.8: after a failed check the next try may skip lessons and practice."""
    from test_session import module

    from screener.session import module_option_order

    take(tmp_path, A_WEAK, "--name", "Cal", "--candidate", "cal")
    m = module("tiny-math")

    def pick(q: Any, right: bool) -> str:
        wanted = q.key if right else next(o.id for o in q.options if o.id != q.key)
        return DOWN * module_option_order(q, 0).index(wanted) + ENTER

    fail = ENTER + " " + " " + ENTER + pick(m.check.items[0], False) + pick(m.check.items[1], False)
    first = typed(monkeypatch, fail, "--content-dir", TINY, "coach", "cal")
    assert "Lesson 1 of 2" in first.stdout and "0 of 2 right" in first.stdout
    retry = ENTER + ENTER + pick(m.check.items[0], True) + pick(m.check.items[1], True)
    second = typed(monkeypatch, retry, "--content-dir", TINY, "coach", "cal")
    assert "Lesson 1 of 2" not in second.stdout and "practice 1 of 1" not in second.stdout
    assert "Module complete: 2 of 2 right" in second.stdout


def test_plan_wording_plural_and_one_gap_per_competency(tmp_path: Path, isolated_db: Path) -> None:
    """Issue #11.9: "below the level by 1 points"; a module for two competencies showed
    the larger gap next to each; "Progress: in progress: 0 of 5 lessons viewed"."""
    import io

    from content_fixtures import tiny
    from rich.console import Console

    from screener.coaching import PlanEntry
    from screener.render import plan_table

    def shown(table: Any) -> str:
        out = io.StringIO()
        Console(file=out, width=120, no_color=True).print(table)
        return " ".join(out.getvalue().split())

    a = tiny()
    one = (PlanEntry("tiny-team", ("safety",), 1.0),)
    assert "Safety focus 1 point below cut" in shown(plan_table(one, a, {}))
    two = (PlanEntry("tiny-math", ("math", "team"), 48.0),)
    assert "Basic math, Teamwork: up to 48 points below cut" in shown(plan_table(two, a, {}))
    both_low = "m1: a\nm2: 3\nt1: 1\nt2: 5\ns1: b\n"  # math 0 (cut 60), teamwork 0 (cut 50)
    take(tmp_path, both_low, "--name", "Two Gaps", "--candidate", "two")
    screen = run_cli("--content-dir", TINY, "show", "two").stdout
    assert "Basic math 60 points below cut; Teamwork 50 points below cut" in " ".join(
        screen.split()
    )
    from screener.store import Store

    Store(isolated_db).start_module("two", "tiny-math")
    report = run_cli("--content-dir", TINY, "report", "two", "--format", "md").stdout
    text = " ".join(report.split())
    assert (
        "Basic math (below the level by 60 points), Teamwork (below the level by 50 points)" in text
    )
    assert "Progress: 0 of 2 lessons viewed." in text and "in progress:" not in text


def test_a_comma_and_three_digits_in_a_file_is_an_error_naming_both_readings(
    tmp_path: Path,
) -> None:
    """Issue #14: "9,525" in mm is 9.525 in French and 9525 in English: a file saying it
    is refused (a batch row error); "25,4" and "1,250.5" are read as before."""
    answers = write_answers(tmp_path, "m1: b\nm2: '9,525 mm'\nt1: 5\nt2: 1\ns1: b\n")
    done = run_cli("--content-dir", TINY, "score", str(answers), "-a", "tiny")
    assert done.returncode == 1 and "could be 9.525 or 9525" in done.stderr
    fine = write_answers(tmp_path, "m1: b\nm2: '25,4 mm'\nt1: 5\nt2: 1\ns1: b\n")
    assert run_cli("--content-dir", TINY, "score", str(fine), "-a", "tiny").returncode == 0
    rows = tmp_path / "rows.csv"
    rows.write_text('candidate_id,name,m1,m2\nc1,Cy,b,"9,525"\nc2,Di,b,"1,250.5"\n')
    batch = run_cli("--content-dir", TINY, "batch", str(rows), "-a", "tiny", "--json")
    assert batch.returncode == 3, batch.stderr
    assert "could be 9.525 or 9525" in batch.stderr and "c2" not in batch.stderr


def test_show_names_the_extra_time_event_as_taking_does() -> None:
    from screener.cli.candidate import EXTRA_TIME_EVENT
    from screener.taking import EXTRA_TIME_EVENT as TAKING

    assert EXTRA_TIME_EVENT == TAKING
