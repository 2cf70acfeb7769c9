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
    assert result.stdout == ""
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
    assert set(data) == {"assessment", "module"}
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
