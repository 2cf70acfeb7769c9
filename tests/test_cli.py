"""The CLI through the real entry point (``python -m screener``)."""

from __future__ import annotations

import json
from pathlib import Path

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
    answers = write(tmp_path / "a.yaml", "m1: a\nm2: '1,000 mm'\nt1: 5\nt2: 1\ns1: b\n")
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
