"""The CLI through the real entry point (``screener.cli.main``, in-process)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import DATA, run_cli

from screener import __version__

TINY = str(DATA / "tiny")


def test_version() -> None:
    result = run_cli("--version")
    assert result.returncode == 0
    assert result.stdout.strip() == f"screener {__version__}"


def test_help_lists_commands() -> None:
    result = run_cli("--help")
    assert result.returncode == 0
    for command in ("validate", "schema", "assessments", "modules", "score"):
        assert command in result.stdout


def _sections(text: str) -> dict[str, list[str]]:
    """Help text's headed sections -> the first word of each of their lines."""
    found: dict[str, list[str]] = {}
    current: list[str] | None = None
    for line in text.splitlines():
        if line and not line[0].isspace() and line.endswith(":"):
            current = found.setdefault(line[:-1], [])
        elif current is not None and line.startswith("  ") and line[2:3] != " ":
            current.append(line.split()[0])
    return found


def test_help_groups_commands_for_the_three_users() -> None:
    """Issue 11 point 18: one flat list of 20 commands; now a heading per kind of user."""
    result = run_cli("--help")
    assert result.returncode == 0
    sections = _sections(result.stdout)
    headings = [h for h in sections if h not in ("Usage", "Options")]
    assert headings == ["Candidates", "Recruiters", "Program", "Content", "Data"]
    assert sections["Candidates"] == ["take", "show", "coach", "report"]
    assert sections["Recruiters"][:6] == [
        "batch",
        "template",
        "results",
        "export",
        "stats",
        "evaluate",
    ]
    assert sections["Program"] == ["pathway", "record", "waiting", "funnel", "employer"]
    assert sections["Content"][:4] == ["assessments", "modules", "validate", "schema"]
    assert sections["Data"] == ["delete", "db"]
    listed = [c for h in headings for c in sections[h]]
    assert sorted(listed) == sorted(_commands())
    # descriptions line up across the headings
    starts = {
        len(line) - len(line[2:].split(maxsplit=1)[1])
        for h in headings
        for line in result.stdout.splitlines()
        if line.startswith("  ") and line.split()[0] in sections[h]
    }
    assert len(starts) == 1, starts


def _commands() -> list[str]:
    """The names of every top-level command and group."""
    import typer.main

    from screener.cli.app import app

    return list(typer.main.get_command(app).commands)  # type: ignore[attr-defined]


def test_every_placeholder_in_help_reads_like_a_word() -> None:
    """Issue 11 point 18: `--content-dir <list[Path]>`, `{file}`, `assessment <str>`."""
    import re

    import typer.main

    from screener.cli.app import app

    group = typer.main.get_command(app)
    paths: list[tuple[str, ...]] = [()]
    for name, command in group.commands.items():  # type: ignore[attr-defined]
        paths.append((name,))
        paths += [(name, sub) for sub in getattr(command, "commands", {})]
    odd = re.compile(r"<[a-z][^>]*>|\{[a-z_]+\}|\blist\[|\bint range\b")
    for path in paths:
        done = run_cli(*path, "--help")
        assert done.returncode == 0, (path, done.stderr)
        assert not odd.search(done.stdout), (path, odd.findall(done.stdout))
    assert "[OPTIONS] FILE" in run_cli("batch", "--help").stdout
    assert "--content-dir DIR" in run_cli("--help").stdout
    assert "[PATH...]" in run_cli("validate", "--help").stdout


def test_completion_callbacks_complete_assessment_module_and_candidate_ids(
    isolated_db: Path,
) -> None:
    """Issue 11 point 17: the ids people type complete from the content and the database."""
    import typer.main

    from screener.cli.app import app
    from screener.cli.base import complete_assessments, complete_candidates, complete_modules
    from screener.store import Store

    group = typer.main.get_command(app)
    ctx = group.make_context("screener", ["--content-dir", TINY, "results"], resilient_parsing=True)
    assert complete_assessments(ctx, "ti") == ["tiny"]
    assert "wblc-screening" in complete_assessments(ctx, "")
    assert complete_modules(ctx, "tiny-") == ["tiny-math", "tiny-team"]
    assert complete_candidates(ctx, "") == [] and not isolated_db.exists()  # reads only
    store = Store(isolated_db)
    for cid in ("c-101", "c-102", "d-1"):
        store.add_candidate(f"Person {cid}", candidate_id=cid)
    assert complete_candidates(ctx, "c-") == ["c-101", "c-102"]
    broken = group.make_context(
        "screener", ["--content-dir", str(DATA / "invalid"), "results"], resilient_parsing=True
    )
    assert complete_assessments(broken, "") == []  # broken content: nothing, never a traceback


def test_shell_completion_through_a_real_process(isolated_db: Path) -> None:
    """`screener --install-completion` installs typer's script, which runs the program
    with _SCREENER_COMPLETE set: these are the words it gets back."""
    from screener.store import Store

    Store(isolated_db).add_candidate("Ann Lee", candidate_id="ann-1")

    def complete(*words: str) -> list[str]:
        line = " ".join(("screener", *words))
        done = run_cli(
            subprocess=True,
            env={
                "_SCREENER_COMPLETE": "complete_bash",
                "COMP_WORDS": line,
                "COMP_CWORD": str(len(words)),
            },
        )
        assert done.returncode == 0, done.stderr
        return done.stdout.split()

    assert complete("show", "an") == ["ann-1"]
    assert complete("--content-dir", TINY, "stats", "ti") == ["tiny"]
    assert complete("--content-dir", TINY, "results", "--module", "tiny-t") == ["tiny-team"]
    assert complete("take", "wb") == ["wblc-screening"]
    assert "batch" in complete("ba")
    script = run_cli("--show-completion", "bash", subprocess=True)
    assert script.returncode == 0 and "_SCREENER_COMPLETE=complete_bash" in script.stdout


def test_content_dir_adds_assessments_and_modules() -> None:
    result = run_cli("--content-dir", TINY, "assessments", "--json")
    assert result.returncode == 0, result.stderr
    ids = [row["id"] for row in json.loads(result.stdout)]
    assert "tiny" in ids
    result = run_cli("--content-dir", TINY, "modules", "--json")
    assert {"tiny-math", "tiny-team"} <= {row["id"] for row in json.loads(result.stdout)}


def test_screener_content_env_adds_content() -> None:
    result = run_cli("assessments", "--json", env={"SCREENER_CONTENT": TINY})
    assert "tiny" in [row["id"] for row in json.loads(result.stdout)]


def write(path: Path, text: str) -> Path:
    path.write_text(text)
    return path


def test_score_json_shape_and_plan(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.yaml", "m1: a\nm2: '1000 mm'\nt1: 5\nt2: 1\ns1: b\n")
    result = run_cli("--content-dir", TINY, "score", str(answers), "-a", "tiny", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    assert data["outcome"] == "coaching"
    assert data["competencies"]["math"] == {
        "score": 0.0,
        "cut": 60.0,
        "status": "below",
        "answered": 2,
        "items": 2,
    }
    assert data["plan"] == [{"module": "tiny-math", "competencies": ["math"], "gap": 60.0}]


def test_score_renders_table_and_plan(tmp_path: Path) -> None:
    answers = write(
        tmp_path / "a.json", json.dumps({"m1": "a", "m2": 1, "t1": 5, "t2": 1, "s1": "b"})
    )
    result = run_cli("--content-dir", TINY, "score", str(answers), "-a", "tiny")
    assert result.returncode == 0, result.stderr
    for text in ("Basic math", "Teamwork", "Safety focus", "gap", "meets", "Tiny math", "Coaching"):
        assert text in result.stdout


def test_score_bad_answer_names_file_line_and_item(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.yaml", "m1: b\nt1: 9\n")
    result = run_cli("--content-dir", TINY, "score", str(answers), "-a", "tiny")
    assert result.returncode == 1
    assert f"{answers}:2:1: item t1: out of range 1..5 (got 9)" in result.stderr
    assert "Traceback" not in result.stderr


def test_score_yes_no_answer_is_refused(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.yaml", "m1: yes\n")
    result = run_cli("--content-dir", TINY, "score", str(answers), "-a", "tiny")
    assert result.returncode == 1 and "a.yaml:1:1: item m1" in result.stderr


def test_score_unknown_item_and_form(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.yaml", "zz: 1\n")
    result = run_cli("--content-dir", TINY, "score", str(answers), "-a", "tiny")
    assert result.returncode == 1 and "no item 'zz' in form A of tiny" in result.stderr
    result = run_cli("--content-dir", TINY, "score", str(answers), "-a", "tiny", "--form", "C")
    assert result.returncode == 2 and "--form" in result.stderr


def test_unknown_assessment_is_one_line(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.yaml", "m1: b\n")
    result = run_cli("score", str(answers), "-a", "nope")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no assessment 'nope'" in result.stderr


def test_broken_content_dir_refuses_to_load(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text((DATA / "invalid" / "key-not-an-option.yaml").read_text())
    result = run_cli("--content-dir", str(tmp_path), "assessments")
    assert result.returncode == 1
    assert "bad.yaml:27:5: item 'm1': key 'e' is not one of its options" in result.stderr


def test_assessment_by_path(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.yaml", "m1: b\n")
    path = DATA / "tiny" / "assessments" / "tiny.yaml"
    result = run_cli("--content-dir", TINY, "score", str(answers), "-a", str(path), "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["outcome"] == "incomplete"


def test_numbers_typed_by_people() -> None:
    from screener.answers import parse_number

    assert parse_number("1,250 mm", "mm") == 1250
    assert parse_number(" 2,5 ") == 2.5
    assert parse_number("25.4mm", "mm") == 25.4
    assert parse_number("25.4 MM", "mm") == 25.4
    assert parse_number("-0.02") == -0.02
    for bad in ("", "abc", "1.2.3", "1,2,3", "25.4 mm", '3.5"'):
        try:
            parse_number(bad)
        except ValueError:
            continue
        raise AssertionError(bad)


def test_answers_with_spaces_are_trimmed(tmp_path: Path) -> None:
    answers = write(tmp_path / "a.json", json.dumps({"m1": " b ", "t1": " 4 "}))
    result = run_cli("--content-dir", TINY, "score", str(answers), "-a", "tiny", "--json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["competencies"]["math"]["answered"] == 1


# -- evaluate (issue #13) ---------------------------------------------------------------

SIXITEM = str(DATA / "measure" / "sixitem.yaml")


def test_evaluate_json_is_the_library_evaluation() -> None:
    from content_fixtures import load_assessment

    from screener.evaluate import DEFAULT_LEVELS, evaluate, evaluation_json

    result = run_cli("evaluate", SIXITEM, "--n", "300", "--seed", "3", "--json")
    assert result.returncode == 0, result.stderr
    expected = evaluate(
        load_assessment("measure/sixitem.yaml"), n=300, seed=3, levels=DEFAULT_LEVELS
    )
    data = json.loads(result.stdout)
    assert data == json.loads(json.dumps(evaluation_json(expected)))
    assert [r["rule"] for r in data["rules"]] == ["today", "configured"]
    assert data["levels"]["source"] == "default"  # nothing stored: the default spread
    # progress and messages go to stderr, never into the JSON
    assert "simulating 300 candidates on sixitem form A" in result.stderr


def test_evaluate_table_shows_each_rule_side_by_side_per_competency() -> None:
    result = run_cli("evaluate", SIXITEM, "--n", "200", "--form", "B", "--zone", "2")
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "form B (agreement with form A): 200 simulated candidates, seed 1, zone 2" in out
    assert "configured: borderline follow_up, confidence 0.8, max_extra 4" in out
    table = out[out.index("Gap decisions") : out.index("Per candidate")]
    words = table.split()
    for figure in ("accuracy", "false", "missed", "agree", "kappa", "items"):
        assert figure in words
    rows = {line.split()[0]: line.split() for line in table.splitlines() if line.strip()}
    assert rows["today"] == ["today", "config"] * 6  # each figure: the two rules side by side
    assert len(rows["Reasoning"]) == 2 + 12 and rows["Reasoning"][1] == "65"
    assert len(rows["Teamwork"]) == 2 + 12 and len(rows["overall"]) == 1 + 12
    figures = json.loads(
        run_cli("evaluate", SIXITEM, "--n", "200", "--form", "B", "--zone", "2", "--json").stdout
    )
    reasoning = [r["competencies"][0] for r in figures["rules"]]
    assert rows["Reasoning"][2:4] == [f"{100 * r['accuracy']:.1f}" for r in reasoning]
    assert rows["Reasoning"][-2:] == [f"{r['mean_items']:.2f}" for r in reasoning]
    people = out[out.index("Per candidate") :].split()
    for head in ("needless", "missed", "coaching", "required", "modules", "outcome"):
        assert head in people
    assert people[people.index("today") :][:8] == [
        "today",
        *(
            f"{100 * figures['rules'][0]['candidates'][k]:.1f}"
            for k in ("needless_coaching", "missed_coaching")
        ),
        f"{figures['rules'][0]['candidates']['required_modules']:.2f}",
        f"{100 * figures['rules'][0]['candidates']['pass_rate']:.1f}",
        f"{100 * figures['rules'][0]['candidates']['outcome_agreement']:.1f}",
        f"{figures['rules'][0]['candidates']['outcome_kappa']:.2f}",
        f"{figures['rules'][0]['candidates']['mean_items']:.2f}",
    ]


def test_evaluate_table_on_a_narrow_terminal_puts_the_rules_one_under_the_other() -> None:
    result = run_cli("evaluate", SIXITEM, "--n", "100", env={"COLUMNS": "80"})
    assert result.returncode == 0, result.stderr
    assert max(len(line) for line in result.stdout.splitlines()) <= 80
    table = result.stdout[result.stdout.index("Gap decisions") : result.stdout.index("Per cand")]
    lines = [line.split() for line in table.splitlines() if line.strip()]
    at = next(n for n, words in enumerate(lines) if words[0] == "Reasoning")
    assert lines[at][:3] == ["Reasoning", "65", "today"] and len(lines[at]) == 3 + 6
    assert lines[at + 1][0] == "config" and len(lines[at + 1]) == 1 + 6


def test_evaluate_same_seed_same_figures_and_given_levels() -> None:
    args = ("evaluate", SIXITEM, "--n", "150", "--levels", "beta:2:1", "--json")
    one, two = run_cli(*args), run_cli(*args)
    assert one.returncode == 0, one.stderr
    assert one.stdout == two.stdout
    data = json.loads(one.stdout)
    assert data["levels"] == {
        "source": "given",
        "attempts": 0,
        "competencies": {"reasoning": "beta:2:1", "teamwork": "beta:2:1"},
    }
    other = run_cli(*args[:-1], "--seed", "2", "--json")
    assert json.loads(other.stdout)["rules"] != data["rules"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--levels", "normal:1:2"), "levels 'normal:1:2': expected uniform:LOW:HIGH"),
        (("--levels", "uniform:0.9:0.2"), "expected uniform:LOW:HIGH"),
        (("--form", "Z"), "--form: no form 'Z' in sixitem"),
        (("--n", "0"), "--n"),
        (("--zone", "-1"), "--zone"),
    ],
)
def test_evaluate_bad_options_are_usage_errors(args: tuple[str, ...], message: str) -> None:
    result = run_cli("evaluate", SIXITEM, "--n", "10", *args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr and "Traceback" not in result.stderr
    assert result.stdout == ""


def test_evaluate_unknown_assessment_is_one_line() -> None:
    result = run_cli("evaluate", "nope", "--n", "10")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "no assessment 'nope'" in result.stderr


def test_stats_shows_the_error_at_the_cut_of_each_competency(tmp_path: Path) -> None:
    cohort = tmp_path / "six.csv"
    assert (
        run_cli("simulate", SIXITEM, "--n", "120", "--seed", "2", "-o", str(cohort)).returncode == 0
    )
    assert run_cli("batch", str(cohort), "-a", SIXITEM).returncode == 0
    table = run_cli("stats", SIXITEM)
    assert table.returncode == 0, table.stderr
    figures = json.loads(run_cli("stats", SIXITEM, "--json").stdout)["forms"][0]["competencies"]
    out = table.stdout
    part = out[out.index("Form A: error at the cut") : out.index("Form A: items")]
    assert "CSEM" in part and "Subkoviak" in part and "beta-bin" in part
    for c in figures:
        row = next(line for line in part.splitlines() if f" {c['name']} " in line)
        cells = [cell.strip() for cell in row.split("│")[1:-1]]
        assert cells[:3] == [c["name"], f"{c['cut']:g}", f"{c['csem_at_cut']:.1f}"]
        assert cells[3] == f"{100 * c['consistency']:.1f}%"
        assert cells[5] == f"{100 * c['consistency_ll']:.1f}%"
        assert cells[-1] == c["consistency_method"]


def test_stats_after_an_all_blank_row_prints_no_warning(tmp_path: Path) -> None:
    """Issue 11 point 19: a row with no answers at all made numpy warn "Mean of empty slice"."""
    cohort = tmp_path / "six.csv"
    assert (
        run_cli("simulate", SIXITEM, "--n", "40", "--seed", "3", "-o", str(cohort)).returncode == 0
    )
    lines = cohort.read_text().splitlines()
    width = lines[0].count(",")
    cohort.write_text("\n".join([*lines, "blank-1,Blank Person" + "," * (width - 1)]) + "\n")
    assert run_cli("batch", str(cohort), "-a", SIXITEM).returncode == 0
    for args in ((), ("--json",)):
        done = run_cli("stats", SIXITEM, *args)
        assert done.returncode == 0, done.stderr
        assert "warning" not in done.stderr.lower() and "empty slice" not in done.stderr
    done = run_cli("stats", SIXITEM, subprocess=True, env={"PYTHONWARNINGS": "default"})
    assert done.returncode == 0 and done.stderr == "", done.stderr


# -- the in-process runner (tests/helpers.run_cli) ---------------------------------------


@pytest.mark.parametrize(
    "args",
    [
        ("--version",),
        ("--content-dir", TINY, "modules"),  # a rich table
        ("score", "tests/data/tiny/nothing.yaml", "-a", "nope"),  # exit 1, one line
        ("nope",),  # click's usage error, exit 2
    ],
)
def test_in_process_runs_match_a_real_process(args: tuple[str, ...]) -> None:
    """What the fast runner reports is what ``python -m screener`` does."""
    here, there = run_cli(*args), run_cli(*args, subprocess=True)
    assert (here.returncode, here.stdout, here.stderr) == (
        there.returncode,
        there.stdout,
        there.stderr,
    )
    assert here.stdout_bytes == there.stdout_bytes


def test_in_process_runs_leave_the_test_process_as_they_found_it(tmp_path: Path) -> None:
    import os
    import signal
    import sys
    import warnings

    before = (
        dict(os.environ),
        os.getcwd(),
        (sys.stdin, sys.stdout, sys.stderr),
        sys.excepthook,
        list(sys.argv),
        {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)},
        list(warnings.filters),
        warnings.showwarning,
    )
    done = run_cli(
        "--content-dir", TINY, "score", "missing.yaml", "-a", "tiny", env={"NO_COLOR": None}
    )
    assert done.returncode == 1 and "missing.yaml" in done.stderr
    run_cli("--version", env={"SCREENER_DB": str(tmp_path / "x.json")}, cwd=tmp_path)
    after = (
        dict(os.environ),
        os.getcwd(),
        (sys.stdin, sys.stdout, sys.stderr),
        sys.excepthook,
        list(sys.argv),
        {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)},
        list(warnings.filters),
        warnings.showwarning,
    )
    assert after == before


def test_in_process_runs_see_content_changes(tmp_path: Path) -> None:
    """The runner reuses a loaded catalog only while its files are unchanged."""
    import shutil

    content = tmp_path / "content"
    shutil.copytree(DATA / "tiny", content)
    first = run_cli("--content-dir", str(content), "assessments", "--json")
    assert "tiny" in [row["id"] for row in json.loads(first.stdout)]
    source = content / "assessments" / "tiny.yaml"
    source.write_text(source.read_text().replace("title: Tiny screening", "title: Changed"))
    second = run_cli("--content-dir", str(content), "assessments", "--json")
    assert {r["id"]: r["title"] for r in json.loads(second.stdout)}["tiny"] == "Changed"
    (content / "assessments" / "broken.yaml").write_text("id: [\n")
    third = run_cli("--content-dir", str(content), "assessments", "--json")
    assert third.returncode == 1 and "broken.yaml" in third.stderr


def test_results_screen_shows_close_scores_and_recommended_modules() -> None:
    """A borderline competency reads "close (low-high)"; its module is listed as
    recommended, apart from the required ones."""
    import io

    from content_fixtures import tiny
    from rich.console import Console

    from screener.content import Borderline
    from screener.render import show_result
    from screener.screening import score_answers

    base = tiny()
    rule = base.decision.model_copy(update={"borderline": Borderline(action="recommend")})
    model = base.model_copy(update={"decision": rule})
    # teamwork 4 and 3 (reversed: 3) is 62.5, its interval 46-79 straddles the cut 50;
    # math wrong: a gap, so the outcome is coaching
    card, plan = score_answers(model, "A", {"m1": "a", "m2": 3, "t1": 4, "t2": 3, "s1": "b"})
    assert card.competency("team").status == "borderline" and card.outcome == "coaching"
    assert [(e.module, e.required) for e in plan] == [("tiny-math", True), ("tiny-team", False)]
    out = io.StringIO()
    show_result(Console(file=out, width=100, no_color=True), model, card, plan, {})
    screen = out.getvalue()
    assert "close (46-79)" in screen
    assert "Coaching plan: 1 module, about" in screen and "; 1 more recommended" in screen
    assert "Teamwork close to the cut (recommended)" in screen
    assert "Basic math 60 points below cut" in screen
    # only recommended modules: a pass, and the plan says they are not required
    card, plan = score_answers(model, "A", {"m1": "b", "m2": 25.4, "t1": 4, "t2": 3, "s1": "b"})
    assert card.outcome == "pass" and [e.required for e in plan] == [False, False]
    out = io.StringIO()
    show_result(Console(file=out, width=100, no_color=True), model, card, plan, {})
    assert "Recommended coaching: 2 modules" in out.getvalue()
    assert "(not required)" in out.getvalue()
