"""`screener validate`: every fault in tests/data/invalid is reported with its file and line."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from helpers import DATA, ROOT, run_cli

from screener.lint import check_text

INVALID = sorted((DATA / "invalid").glob("*.yaml"))


def fault_of(path: Path) -> tuple[int, str]:
    """The line marked ``# FAULT: text`` and the text that must be reported for it."""
    for number, line in enumerate(path.read_text().splitlines(), 1):
        match = re.search(r"# FAULT: (.+)$", line)
        if match:
            return number, match.group(1).strip()
    raise AssertionError(f"{path} has no FAULT marker")


def test_there_are_at_least_fifteen_invalid_files() -> None:
    assert len(INVALID) >= 15


def test_validate_invalid_folder_reports_every_fault_with_file_and_line() -> None:
    result = run_cli("validate", "tests/data/invalid")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == len(INVALID), result.stdout  # one fault each, nothing more
    for path in INVALID:
        line, text = fault_of(path)
        rel = path.relative_to(ROOT)
        hits = [x for x in lines if x.startswith(f"{rel}:{line}:")]
        assert hits, f"{rel}:{line} not reported; got:\n{result.stdout}"
        assert text in hits[0], hits[0]
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_each_invalid_file_alone_exits_1(path: Path) -> None:
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    line, text = fault_of(path)
    assert f":{line}:" in result.stdout and text in result.stdout


def test_validate_bundled_content_is_clean() -> None:
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    # warnings (a shop word a module does not explain yet) never fail validate
    assert all(": warning: " in line for line in result.stdout.splitlines()), result.stdout
    assert "no problems" in result.stderr


def test_validate_test_content_is_clean() -> None:
    for folder in ("tiny", "bfi"):
        result = run_cli("validate", f"tests/data/{folder}")
        assert result.returncode == 0, result.stdout


def test_missing_path_is_one_line_error() -> None:
    result = run_cli("validate", "no/such/place")
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0
    assert "no/such/place" in result.stderr


def test_labels_quoted_stay_text_and_plain_words_are_refused() -> None:
    text = (DATA / "invalid" / "bool-label.yaml").read_text().replace("label: No", 'label: "No"')
    checked = check_text(text, "x.yaml")
    assert checked.problems == []
    assert checked.model is not None


def test_empty_and_non_mapping_files() -> None:
    assert "empty" in str(check_text("", "e.yaml").problems[0])
    assert "expected a mapping" in str(check_text("- 1\n- 2\n", "l.yaml").problems[0])


def test_every_problem_is_found_not_only_the_first() -> None:
    text = (DATA / "invalid" / "key-not-an-option.yaml").read_text()
    text = text.replace("    cut: 60", "    cut: 160").replace("colour", "x")
    checked = check_text(text, "x.yaml")
    # shape errors stop the cross-item rules, but all shape errors come together
    text2 = text.replace("    cut: 50", "    cut: -5")
    assert len(check_text(text2, "y.yaml").problems) == 2
    assert len(checked.problems) == 1


def test_schema_command_prints_both_formats() -> None:
    import json

    result = run_cli("schema")
    assert result.returncode == 0
    data = json.loads(result.stdout)
    assert set(data) == {"assessment", "module", "program"}
    assert data["assessment"]["additionalProperties"] is False
    result = run_cli("schema", "module")
    assert json.loads(result.stdout)["title"] == "Module"
    assert run_cli("schema", "nonsense").returncode == 2


def test_docs_schema_files_match_the_models() -> None:
    import json

    from screener.content import Assessment, Module

    for name, model in (("assessment", Assessment), ("module", Module)):
        on_disk = json.loads((ROOT / "docs" / "schema" / f"{name}.schema.json").read_text())
        assert on_disk == model.model_json_schema(), (
            f"run: screener schema {name} > docs/schema/{name}.schema.json"
        )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("id: !!int abc\n", "1:5: cannot read 'abc' as int"),
        ("id: !foo x\n", "1:5: unsupported YAML tag '!foo'"),
        ("a: &x {b: 1}\nc:\n  <<: *x\n", "3:3: merge keys (<<) are not supported"),
        ("a: " + "[" * 3000 + "]" * 3000 + "\n", "1:1: the file is nested too deeply"),
        ("cut: 011\n", "1:6: YAML reads 011 as a number (9)"),
        ("cut: 0x10\n", "1:6: YAML reads 0x10 as a number (16)"),
        ("cut: 1_000\n", "1:6: YAML reads 1_000 as a number (1000)"),
    ],
)
def test_yaml_that_would_crash_or_mislead_is_a_located_problem(text: str, expected: str) -> None:
    problems = [str(p) for p in check_text(text, "x.yaml").problems]
    assert any(
        p.startswith("x.yaml:" + expected.split(": ", 1)[0]) and expected.split(": ", 1)[1] in p
        for p in problems
    ), problems


def test_alias_bombs_are_refused_quickly() -> None:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for prev, name in zip("abcdefgh", "bcdefghi", strict=True):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 9) + "]")
    problems = check_text("\n".join(lines), "bomb.yaml").problems
    assert problems and "more than 1,000,000 values" in problems[0].message


def test_plain_numbers_and_quoted_text_are_fine() -> None:
    from screener.yamlsource import parse

    parsed = parse("a: 0\nb: 0.5\nc: -3.5e+2\nd: .5\ne: 12.50\nf: '011'\ng: \"1:30\"\n", "ok.yaml")
    assert parsed.problems == []
    assert parsed.value == {
        "a": 0,
        "b": 0.5,
        "c": -350.0,
        "d": 0.5,
        "e": 12.5,
        "f": "011",
        "g": "1:30",
    }


# -- figures, option order, shop words -----------------------------------------------

ONE_ITEM = """\
id: one
title: One item
version: "1"
description: A test.
competencies:
  - {{id: space, name: Spatial, domain: cognitive, cut: 60, modules: []}}
items:
  - id: s1
    kind: choice
    competency: space
    prompt: {prompt}
{extra}    options:
      - {{id: a, label: "{a}"}}
      - {{id: b, label: "{b}"}}
    key: a
"""


def one_item(prompt: str = "Which one?", extra: str = "", a: str = "A", b: str = "B") -> str:
    return ONE_ITEM.format(prompt=prompt, extra=extra, a=a, b=b)


def test_a_figure_with_alt_text_and_60_columns_is_fine() -> None:
    drawing = "      +" + "-" * 58 + "+\n      |" + " " * 58 + "|\n"
    text = one_item(extra="    figure: |\n" + drawing + "    alt: A wide flat box.\n")
    checked = check_text(text, "ok.yaml")
    assert checked.problems == [] and checked.warnings == []
    assert checked.model is not None


def test_a_blank_alt_is_no_alt() -> None:
    text = one_item(extra='    figure: "+--+"\n    alt: "  "\n')
    [problem] = check_text(text, "x.yaml").problems
    assert (problem.line, problem.col) == (12, 5) and "needs alt text" in problem.message


def test_figure_width_counts_terminal_columns() -> None:
    from screener.lint import display_width

    assert display_width("+--+") == 4
    assert display_width("漢字") == 4  # wide characters take two columns
    assert display_width("e\u0301") == 1  # a combining accent takes none
    # 30 wide characters are 60 columns (fine); 31 are 62
    fine = one_item(extra=f'    figure: "{"漢" * 30}"\n    alt: Signs.\n')
    assert check_text(fine, "ok.yaml").problems == []
    wide = one_item(extra=f'    figure: "{"漢" * 31}"\n    alt: Signs.\n')
    [problem] = check_text(wide, "x.yaml").problems
    # not a literal block: reported at the figure
    assert (problem.line, problem.col) == (12, 5) and "62 columns" in problem.message


def test_lesson_and_question_figures_are_checked_too() -> None:
    text = (DATA / "invalid" / "figure-tab.yaml").read_text().replace("\t", " ")
    assert check_text(text, "m.yaml").problems == []
    text = text.replace("    alt: Two boxes side by side.\n", "")
    assert "lesson 'one': a figure needs alt text" in str(check_text(text, "m.yaml").problems)
    question = text.replace("    figure: |", "    figurex: |").replace(
        "      key: a", "      key: a\n      figure: '+--+'"
    )
    problems = check_text(question.replace("figurex: |", "body2: |"), "m.yaml").problems
    assert problems  # body2 is an unknown field: the shape stops the rest
    only_question = (DATA / "invalid" / "figure-tab.yaml").read_text().replace("\t", " ")
    only_question = only_question.replace("    alt: Two boxes side by side.\n", "    alt: Boxes.\n")
    only_question = only_question.replace("      key: a", "      key: a\n      figure: '+--+'")
    [problem] = check_text(only_question, "m.yaml").problems
    assert "question 'q1': a figure needs alt text" in problem.message


@pytest.mark.parametrize(
    ("labels", "ordered"),
    [
        (["0", "1", "2", "3"], True),
        (["12.44 mm", "12.56 mm", "12.47 mm"], True),
        (["7/16 inch", "3/8 inch"], True),
        ([".5", "-1"], True),
        (["Up", "Right", "Down", "Left"], False),
        (["2 molds high", "As high as the rack goes"], False),
        (["P1", "P2"], False),
        (["1st", "2nd"], False),
        ([], False),
    ],
)
def test_looks_ordered(labels: list[str], ordered: bool) -> None:
    from screener.lint import looks_ordered

    assert looks_ordered(labels) is ordered


def test_shuffle_true_on_numbers_is_a_warning_not_a_problem() -> None:
    text = one_item(extra="    shuffle: true\n", a="1", b="2")
    checked = check_text(text, "x.yaml")
    assert checked.problems == []
    [warning] = checked.warnings
    assert str(warning).startswith("x.yaml:12:5: warning: item 's1': shuffle: true")
    assert check_text(one_item(extra="    shuffle: true\n"), "x.yaml").warnings == []
    assert check_text(one_item(extra="    shuffle: false\n", a="1", b="2"), "x.yaml").warnings == []
    assert check_text(one_item(a="1", b="2"), "x.yaml").warnings == []


def test_a_shop_word_without_a_glossary_entry_is_a_warning_at_its_first_use() -> None:
    text = one_item(prompt="Where does the purge go?", a="Into the regrind bin", b="Scrap")
    checked = check_text(text, "x.yaml")
    assert checked.problems == []
    assert [str(w).split(": warning: ")[0] for w in checked.warnings] == [
        "x.yaml:11:28",  # 'purge' in the prompt
        "x.yaml:13:34",  # 'regrind' in a label
    ]
    assert "shop word 'purge'" in checked.warnings[0].message
    glossed = text + "glossary:\n  purge: Plastic pushed out to clean the barrel.\n"
    assert [w.message for w in check_text(glossed, "x.yaml").warnings] == [
        checked.warnings[1].message
    ]


def test_shop_words_match_their_forms_and_the_glossary_any_of_them() -> None:
    text = one_item(prompt="Is the press locked out?", a="It was purged", b="Call the setters")
    words = [w.message.split("'")[1] for w in check_text(text, "x.yaml").warnings]
    assert words == ["locked out", "purged", "setters"]
    glossed = text + "glossary:\n  Lock out: a.\n  purging: b.\n  setter: c.\n"
    assert check_text(glossed, "x.yaml").warnings == []
    # capitals only for abbreviations: "pm" in "5 pm" is not a PM
    assert check_text(one_item(prompt="Is it 5 pm?", a="PM"), "x.yaml").warnings != []
    assert check_text(one_item(prompt="Is it 5 pm?"), "x.yaml").warnings == []
    # part of a longer word is not the word
    assert check_text(one_item(prompt="Is the flashlight on?"), "x.yaml").warnings == []


def test_warnings_are_printed_but_validate_still_passes(tmp_path: Path) -> None:
    path = tmp_path / "assessments" / "one.yaml"
    path.parent.mkdir()
    path.write_text(one_item(prompt="Where does the purge go?"))
    result = run_cli("validate", str(path))
    assert result.returncode == 0, result.stdout + result.stderr
    assert (
        result.stdout
        == f"{path}:11:28: warning: shop word 'purge' has no glossary entry in this file; add `purge: <its plain meaning>` under glossary:\n"
    )
    assert "no problems, 1 warning(s)" in result.stderr
    path.write_text(one_item(prompt="Where does the purge go?").replace("key: a", "key: z"))
    result = run_cli("validate", str(path))
    assert result.returncode == 1
    assert [line.split(": ", 1)[1] for line in result.stdout.splitlines()] == [
        "item 's1': key 'z' is not one of its options",
        "warning: shop word 'purge' has no glossary entry in this file; add `purge: <its plain meaning>` under glossary:",
    ]
