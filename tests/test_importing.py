"""Batch readers: every format, row errors with row numbers, the mapping file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import record_forks

from screener.errors import ContentError
from screener.importing import (
    Mapping,
    RowError,
    Table,
    read_mapping,
    read_table,
    sniff_delimiter,
)

HEADER = ["candidate_id", "name", "m1", "m2", "t1"]
ROWS = [
    ["c1", "Ann Lee", "b", "25.4", "4"],
    ["c2", "Bo Chen", "a", "", "5"],
    ["c3", "Cy Diaz", "c", "1,250 mm", ""],
]


def write_delimited(path: Path, delimiter: str, *, bom: bool = False, crlf: bool = False) -> Path:
    newline = "\r\n" if crlf else "\n"
    lines = [delimiter.join(HEADER)] + [delimiter.join(r) for r in ROWS]
    if delimiter == ",":
        lines[-1] = lines[-1].replace("1,250 mm", '"1,250 mm"')
    data = newline.join(lines) + newline
    path.write_bytes((b"\xef\xbb\xbf" if bom else b"") + data.encode("utf-8"))
    return path


def as_rows(table: Table) -> list[list[object]]:
    return [[table.cell(i, c) for c in table.columns] for i in range(len(table))]


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
@pytest.mark.parametrize("bom", [False, True])
def test_delimited_files_with_and_without_bom(tmp_path: Path, delimiter: str, bom: bool) -> None:
    suffix = ".tsv" if delimiter == "\t" else ".csv"
    path = write_delimited(tmp_path / f"answers{suffix}", delimiter, bom=bom, crlf=bom)
    table = read_table(path)
    assert table.source == path
    assert table.columns == ("m1", "m2", "t1")
    assert table.id_column == "candidate_id" and table.name_column == "name"
    assert table.ids == ["c1", "c2", "c3"]
    assert table.names == ["Ann Lee", "Bo Chen", "Cy Diaz"]
    assert table.rows.tolist() == [2, 3, 4]  # the header is row 1
    assert as_rows(table) == [r[2:] for r in ROWS]
    assert table.column("m1") == ["b", "a", "c"]
    assert table.errors == ()


def test_txt_extension_and_sniffing_of_semicolons_with_decimal_commas(tmp_path: Path) -> None:
    path = tmp_path / "export.txt"
    path.write_text("candidate_id;m2;t1\nx1;25,4;4\nx2;25,5;3\n", encoding="utf-8")
    table = read_table(path)
    assert table.column("m2") == ["25,4", "25,5"]
    assert table.names == [None, None] and table.name_column is None


def test_sniffing_a_single_column_falls_back_to_the_extension() -> None:
    assert sniff_delimiter("candidate_id\nc1\nc2\n", ".tsv") == "\t"
    assert sniff_delimiter("candidate_id\nc1\n", ".csv") == ","
    assert sniff_delimiter('"id";"How, exactly?"\n', ".csv") == ";"
    assert sniff_delimiter("", ".csv") == ","


def test_a_wrong_sniff_is_corrected_by_the_id_column(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screener.importing as importing

    monkeypatch.setattr(importing, "sniff_delimiter", lambda sample, suffix: ",")
    path = tmp_path / "a.csv"
    path.write_text("Applicant;name;t1\nc1;Lee, Ann;3\n", encoding="utf-8")
    table = read_table(path, mapping=Mapping(columns={"Applicant": "candidate_id"}))
    assert table.ids == ["c1"] and table.names == ["Lee, Ann"]


def test_quoted_header_with_commas_and_multiline_cell_keeps_record_numbers(
    tmp_path: Path,
) -> None:
    path = tmp_path / "form.csv"
    path.write_text(
        'candidate_id,name,"What is 2 + 2? (pick one, please)"\nc1,"Ann\nLee",b\nc2,Bo,a\n',
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.headers == ("What is 2 + 2? (pick one, please)",)
    assert table.names == ["Ann\nLee", "Bo"]
    assert table.rows.tolist() == [2, 3]  # spreadsheet rows, not text lines


def test_blank_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    path = tmp_path / "gaps.csv"
    path.write_text("candidate_id,m1\nc1,a\n\nc2,b\n,\n", encoding="utf-8")
    table = read_table(path)
    assert table.ids == ["c1", "c2"]
    assert table.rows.tolist() == [2, 4]
    assert table.errors == ()


def test_large_file_is_read_in_chunks(tmp_path: Path) -> None:
    path = tmp_path / "big.csv"
    lines = ["candidate_id,t1,t2"] + [
        f"p{i},{i % 5 + 1},{'' if i % 7 else 3}" for i in range(20000)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    table = read_table(path)
    assert len(table) == 20000
    assert table.rows[-1] == 20001
    assert table.codes.shape == (2, 20000)
    assert len(table.values) <= 7  # dictionary-encoded: distinct cells only
    assert table.cell(19999, "t1") == str(19999 % 5 + 1)
    assert table.column("t2")[:8] == ["3", "", "", "", "", "", "", "3"]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def test_xlsx(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "answers.xlsx",
        [
            ["candidate_id", "name", "m1", "m2", "t1", None],
            [1001, "Ann Lee", "b", 25.4, 4],
            [1002.0, "Bo Chen", "a", None, 5],
            [None, None, None, None, None],
            ["c3 ", None, "c", "1,250 mm", None],
        ],
    )
    table = read_table(path)
    assert table.format == "xlsx"
    assert table.columns == ("m1", "m2", "t1")
    assert table.ids == ["1001", "1002", "c3"]
    assert table.names == ["Ann Lee", "Bo Chen", None]
    assert table.rows.tolist() == [2, 3, 5]  # the empty row 4 is skipped, still counted
    assert as_rows(table) == [["b", 25.4, 4], ["a", None, 5], ["c", "1,250 mm", None]]
    assert table.errors == ()


def test_xlsx_cells_beyond_the_header_are_a_row_error(tmp_path: Path) -> None:
    path = write_xlsx(
        tmp_path / "wide.xlsx",
        [["candidate_id", "t1"], ["a1", 3], ["a2", 4, "stray"], ["a3", 5]],
    )
    table = read_table(path)
    assert table.ids == ["a1", "a2", "a3"]
    assert table.errors == (RowError(3, "", "", "cells to the right of the last header"),)
    assert table.bad_rows().tolist() == [False, True, False]


def test_not_an_xlsx_file(tmp_path: Path) -> None:
    path = tmp_path / "fake.xlsx"
    path.write_text("candidate_id,t1\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"not an Excel \.xlsx workbook"):
        read_table(path)


def test_json_list_of_objects(tmp_path: Path) -> None:
    path = tmp_path / "answers.json"
    data = [
        {"candidate_id": "c1", "name": "Ann", "m1": "b", "t1": 4},
        {"candidate_id": 2, "m1": "a", "m2": 25.4},
        {"candidate_id": "c3", "name": None, "t1": True, "m2": [1, 2]},
    ]
    path.write_text(json.dumps(data, indent=2), encoding="utf-8")
    table = read_table(path)
    assert table.columns == ("m1", "t1", "m2")  # in order of first appearance
    assert table.ids == ["c1", "2", "c3"]
    assert table.names == ["Ann", None, None]
    assert table.rows.tolist() == [1, 2, 3]  # index + 1
    assert table.column("t1") == [4, None, True]  # True is kept apart from 1
    assert table.column("m2") == [None, 25.4, [1, 2]]


def test_json_errors(tmp_path: Path) -> None:
    path = tmp_path / "bad.json"
    path.write_text('[\n  {"candidate_id": "c1",}\n]\n', encoding="utf-8")
    with pytest.raises(ContentError, match=r"bad.json:2:\d+: not valid JSON"):
        read_table(path)
    path.write_text('{"candidate_id": "c1"}', encoding="utf-8")
    with pytest.raises(ContentError, match="expected a list of objects"):
        read_table(path)
    path.write_text('[{"candidate_id": "c1", "t1": 3}, [1, 2], 7]', encoding="utf-8")
    table = read_table(path)
    assert [(e.row, e.message) for e in table.errors] == [
        (2, "expected an object of column: answer"),
        (3, "expected an object of column: answer"),
    ]
    assert table.bad_rows().tolist() == [False, True, True]


def test_json_lines(tmp_path: Path) -> None:
    path = tmp_path / "answers.jsonl"
    path.write_text(
        '{"candidate_id": "c1", "t1": 4}\n'
        "\n"
        '{"candidate_id": "c2", "t1": 5, "name": "Bo"}\n'
        '{"candidate_id": "c3", "t1": \n'
        '{"candidate_id": "c4", "t1": 2}\n',
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.format == "jsonl"
    assert table.ids == ["c1", "c2", "", "c4"]
    assert table.rows.tolist() == [1, 3, 4, 5]  # line numbers
    assert len(table.errors) == 1
    error = table.errors[0]
    assert error.row == 4 and error.column == "" and error.message.startswith("not valid JSON")
    assert table.names == [None, "Bo", None, None]


def test_ndjson_extension(tmp_path: Path) -> None:
    path = tmp_path / "a.ndjson"
    path.write_text('{"candidate_id": "c1", "t1": 4}\n', encoding="utf-8")
    assert read_table(path).ids == ["c1"]


# -- row errors -----------------------------------------------------------------------


def test_missing_and_duplicate_ids_are_row_errors(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        "candidate_id,t1\nc1,3\n,4\nc2,5\nc1,2\n  ,1\nc2,1\nc3,2\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.errors == (
        RowError(3, "candidate_id", "", "missing candidate id"),
        RowError(5, "candidate_id", "c1", "duplicate candidate id (first at row 2)"),
        RowError(6, "candidate_id", "", "missing candidate id"),
        RowError(7, "candidate_id", "c2", "duplicate candidate id (first at row 4)"),
    )
    assert table.bad_rows().tolist() == [False, True, False, True, True, True, False]
    assert str(table.errors[1]) == (
        "row 5, column 'candidate_id': duplicate candidate id (first at row 2) (got 'c1')"
    )


def test_missing_id_in_json_and_xlsx(tmp_path: Path) -> None:
    path = tmp_path / "a.json"
    path.write_text('[{"candidate_id": "c1"}, {"t1": 4}, {"candidate_id": ""}]', encoding="utf-8")
    assert [(e.row, e.message) for e in read_table(path).errors] == [
        (2, "missing candidate id"),
        (3, "missing candidate id"),
    ]
    xlsx = write_xlsx(tmp_path / "a.xlsx", [["candidate_id", "t1"], ["c1", 3], [None, 4]])
    assert [(e.row, e.column) for e in read_table(xlsx).errors] == [(3, "candidate_id")]


def test_wrong_number_of_cells_is_a_row_error(tmp_path: Path) -> None:
    path = tmp_path / "ragged.csv"
    path.write_text("candidate_id,t1,t2\nc1,3,4\nc2,3\nc3,3,4,5\nc4,1,2,,\nc5,2,2\n", "utf-8")
    table = read_table(path)
    assert table.ids == ["c1", "c2", "c3", "c4", "c5"]
    assert table.errors == (
        RowError(3, "", "", "2 cells where the header has 3"),
        RowError(4, "", "", "4 cells where the header has 3"),
    )
    assert as_rows(table)[3] == ["1", "2"]  # empty trailing cells (as Excel writes) are fine


def test_the_id_and_name_columns_can_be_renamed(tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text("Applicant,Full name,t1\nx1,Ann,3\n", encoding="utf-8")
    table = read_table(path, id_column="Applicant", name_column="Full name")
    assert table.ids == ["x1"] and table.names == ["Ann"] and table.columns == ("t1",)


# -- file-level errors ------------------------------------------------------------------


def test_no_id_column(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("id,t1\nc1,3\n", encoding="utf-8")
    with pytest.raises(ContentError, match=r"a.csv:1: no 'candidate_id' column"):
        read_table(path)


def test_duplicate_and_empty_headers(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("candidate_id,t1,,t1\nc1,3,4,5\n", encoding="utf-8")
    with pytest.raises(ContentError) as err:
        read_table(path)
    assert err.value.problems == [
        f"{path}:1: column 3 has no header",
        f"{path}:1: the header 't1' appears twice",
    ]


def test_empty_unreadable_and_unknown_files(tmp_path: Path) -> None:
    empty = tmp_path / "empty.csv"
    empty.write_text("\n\n", encoding="utf-8")
    with pytest.raises(ContentError, match="no header row"):
        read_table(empty)
    with pytest.raises(ContentError, match="cannot read"):
        read_table(tmp_path / "missing.csv")
    latin = tmp_path / "latin.csv"
    latin.write_bytes("candidate_id,name\nc1,Jos\xe9\n".encode("latin-1"))
    with pytest.raises(ContentError, match="not UTF-8 text"):
        read_table(latin)
    other = tmp_path / "answers.ods"
    other.write_text("x", encoding="utf-8")
    with pytest.raises(ContentError, match=r"cannot read \.ods"):
        read_table(other)


def test_reading_leaves_the_garbage_collector_as_it_was(tmp_path: Path) -> None:
    import gc

    path = write_delimited(tmp_path / "a.csv", ",")
    assert gc.isenabled()
    read_table(path)
    assert gc.isenabled()
    gc.disable()
    try:
        read_table(path)
        assert not gc.isenabled()
    finally:
        gc.enable()
    with pytest.raises(ContentError):
        read_table(tmp_path / "missing.csv")
    assert gc.isenabled()


def test_header_only_gives_an_empty_table(tmp_path: Path) -> None:
    path = tmp_path / "a.csv"
    path.write_text("candidate_id,t1\n", encoding="utf-8")
    table = read_table(path)
    assert len(table) == 0 and table.codes.shape == (1, 0) and table.columns == ("t1",)


# -- the mapping file ---------------------------------------------------------------------

MAPPING = """\
columns:
  "What is 2 + 2?": m1
  "  Applicant ID ": candidate_id
  Pressing on: s1
answers:
  s1:
    "Stop and tell the lead": b
    Run it carefully: a
  "*":
    "Strongly agree": 5
    "strongly   DISAGREE": 1
    "Half": 2.5
"""


def test_read_mapping(tmp_path: Path) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text(MAPPING, encoding="utf-8")
    mapping = read_mapping(path)
    assert mapping.columns == {
        "What is 2 + 2?": "m1",
        "Applicant ID": "candidate_id",
        "Pressing on": "s1",
    }
    assert mapping.answer("s1", "  stop and TELL the lead ") == (True, "b")
    assert mapping.answer("t1", "Strongly Disagree") == (True, 1)
    assert mapping.answer("s1", "Strongly agree") == (True, 5)  # falls back to "*"
    assert mapping.answer("t1", "Stop and tell the lead") == (False, None)
    assert mapping.where("answers", "s1") == f"{path}:6"
    assert mapping.where("columns", "Pressing on") == f"{path}:4"


def test_mapping_renames_headers_when_reading(tmp_path: Path) -> None:
    mapping_path = tmp_path / "columns.yaml"
    mapping_path.write_text(MAPPING, encoding="utf-8")
    path = tmp_path / "export.csv"
    path.write_text(
        '"Applicant ID","What is 2 + 2?","Pressing on",t1\nx1,b,Stop and tell the lead,Strongly agree\n',
        encoding="utf-8",
    )
    table = read_table(path, mapping=read_mapping(mapping_path))
    assert table.columns == ("m1", "s1", "t1")
    assert table.headers == ("What is 2 + 2?", "Pressing on", "t1")
    assert table.ids == ["x1"]


def test_mapping_two_headers_to_one_column_in_the_file(tmp_path: Path) -> None:
    mapping = Mapping(columns={"Question one": "m1"})
    path = tmp_path / "a.csv"
    path.write_text("candidate_id,Question one,m1\nc1,a,b\n", encoding="utf-8")
    with pytest.raises(ContentError, match="'Question one' and 'm1' both give 'm1'"):
        read_table(path, mapping=mapping)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("columns: [a, b]\n", ":1:1: 'columns' must map header texts to item ids"),
        ("columns:\n  A: m1\n  A: m2\n", ":3:3: duplicate key 'A' (first at line 2)"),
        ("columns:\n  A: m1\n  B: m1\n", ":3:3: 'B' and 'A' are both mapped to 'm1'"),
        ("columns:\n  yes: m1\n", ":2:3: quote this header text (YAML reads it as True)"),
        ("answers:\n  s1:\n    No: a\n", ":3:5: quote this label (YAML reads it as False)"),
        ("columns:\n  A: 3\n", ":2:3: map the header to an item id"),
        ("colums:\n  A: m1\n", ":1:1: unknown key 'colums'"),
        ("answers:\n  s1: b\n", ":2:3: map each answer label to an option id or a number"),
        ("answers:\n  s1:\n    'Yes': no\n", ":3:5: quote 'no': an option id is text"),
        ("answers:\n  s1:\n    A: [b]\n", ":3:5: map the label to an option id or a number"),
        (
            "answers:\n  '*':\n    Agree: 4\n    ' agree': 4\n",
            ":4:5: label ' agree' is the same as 'Agree'",
        ),
        ("answers:\n  s1:\n  - b\n", ":2:3: map each answer label"),
        ("- a\n", ":1:1: expected a mapping with 'columns' and/or 'answers'"),
        ("columns: {a: [\n", ":2:1: YAML syntax error"),
    ],
)
def test_mapping_errors_have_lines(tmp_path: Path, text: str, expected: str) -> None:
    path = tmp_path / "columns.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ContentError) as err:
        read_mapping(path)
    assert any(p.startswith(str(path)) and expected in p for p in err.value.problems), (
        err.value.problems
    )


def test_mapping_file_missing(tmp_path: Path) -> None:
    with pytest.raises(ContentError, match="cannot read"):
        read_mapping(tmp_path / "nope.yaml")


# -- issue 11: title rows, comment rows, the template's sheet, contacts, ignored columns --


def test_the_header_row_is_found_below_a_title(tmp_path: Path) -> None:
    """Issue 11 point 13: a title row above the table made 'WBLC cohort 3' the header."""
    csv_path = tmp_path / "titled.csv"
    csv_path.write_text(
        "WBLC screening - cohort 3 (March)\n\n"
        + ",".join(HEADER)
        + "\n"
        + "\n".join(",".join(r) for r in ROWS[:2])
        + "\n",
        encoding="utf-8",
    )
    table = read_table(csv_path)
    assert table.ids == ["c1", "c2"] and table.columns == ("m1", "m2", "t1")
    assert table.rows.tolist() == [4, 5]  # row numbers as the spreadsheet shows them
    xlsx = write_xlsx(
        tmp_path / "titled.xlsx",
        [
            ["Cohort 3", None, None],
            [None, None, None],
            ["candidate_id", "name", "t1"],
            ["x1", "Ann", 4],
        ],
    )
    table = read_table(xlsx)
    assert table.ids == ["x1"] and table.rows.tolist() == [4]
    # without any row holding the id column, the first row is still the one reported
    with pytest.raises(ContentError, match=r"titled2.csv:1: no 'candidate_id' column"):
        bad = tmp_path / "titled2.csv"
        bad.write_text("Title\nid,name\nc1,Ann\n", encoding="utf-8")
        read_table(bad)


def test_a_comment_row_under_the_header_is_skipped(tmp_path: Path) -> None:
    """The template's second row explains the allowed answers; its id cell starts '# '."""
    path = tmp_path / "filled.csv"
    path.write_text(
        ",".join(HEADER)
        + "\n# allowed answers,full name,a b c,number (mm),1-5\n"
        + ",".join(ROWS[0])
        + "\n",
        encoding="utf-8",
    )
    table = read_table(path)
    assert table.ids == ["c1"] and table.rows.tolist() == [3] and table.errors == ()
    # an id that merely starts with '#' is an id (no space: it could be one)
    path.write_text(",".join(HEADER) + "\n#42,Ann,b,1,2\n", encoding="utf-8")
    assert read_table(path).ids == ["#42"]


def test_the_templates_sheet_of_allowed_answers_is_skipped(tmp_path: Path) -> None:
    from openpyxl import Workbook

    from screener.importing import TEMPLATE_HELP_SHEET

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    sheet.append(["candidate_id", "name", "t1"])
    sheet.append(["z1", "Zed", 3])
    helper = book.create_sheet(TEMPLATE_HELP_SHEET)
    helper.append(["column", "allowed answers"])
    path = tmp_path / "template-filled.xlsx"
    book.save(path)
    assert read_table(path).ids == ["z1"]
    book.create_sheet("Cohort 2")
    book.save(path)
    with pytest.raises(ContentError, match="3 sheets"):
        read_table(path)


def test_contact_columns_are_read_apart_from_the_answers(tmp_path: Path) -> None:
    path = tmp_path / "contacts.csv"
    path.write_text(
        "candidate_id,name,E-mail,Mobile,t1\nc1,Ann,ann@example.com,555 0101,4\nc2,Bo,,,5\n",
        encoding="utf-8",
    )
    plain = read_table(path)  # by default (the events importer too) nothing is contact
    assert plain.contacts is None and plain.columns == ("E-mail", "Mobile", "t1")
    table = read_table(path, contact_columns=None)  # the usual headers
    assert table.columns == ("t1",) and table.contact_headers == ("E-mail", "Mobile")
    assert table.contacts == ["ann@example.com; 555 0101", None]
    named = read_table(path, contact_columns=["Mobile"])
    assert named.contacts == ["555 0101", None] and named.columns == ("E-mail", "t1")
    with pytest.raises(ContentError, match="no 'Phone' column"):
        read_table(path, contact_columns=["Phone"])


def test_mapping_ignore_list(tmp_path: Path) -> None:
    path = tmp_path / "map.yaml"
    path.write_text("columns:\n  ignore: [Timestamp, ' notes ']\n  Q1: m1\n", encoding="utf-8")
    mapping = read_mapping(path)
    assert mapping.ignores("timestamp") and mapping.ignores("Notes")
    data = tmp_path / "in.csv"
    data.write_text("Timestamp,candidate_id,Q1,Notes\n2024-01-01,c1,b,hello\n", encoding="utf-8")
    table = read_table(data, mapping=mapping)
    assert table.columns == ("m1",) and table.ignored == ("Timestamp", "Notes")
    path.write_text("columns:\n  ignore: [Q1]\n  Q1: m1\n", encoding="utf-8")
    with pytest.raises(ContentError, match="both mapped and ignored"):
        read_mapping(path)


# -- a big CSV read by two processes ---------------------------------------------------


def _split_cases() -> dict[str, str]:
    """CSV texts of ~2,000+ rows with what a reader must get right in either half."""
    head = "candidate_id,name,email,m1,m2,t1\n"
    plain = "".join(
        f"p{i},Person {i},p{i}@x.org,{'abc'[i % 3]},{i % 7}.5,{i % 5}\n" for i in range(3000)
    )
    quoted = "".join(
        f'"q{i}","Person, {i}","q{i}@x.org","{"abc"[i % 3]}","a ""b"" {i % 4}",{i % 5}\n'
        for i in range(3000)
    )
    multiline = "".join(f'm{i},"Line {i}\nsecond line",,a,1,{i % 5}\n' for i in range(3000))
    messy = []
    for i in range(3000):
        if i % 97 == 0:
            messy.append("\n")  # a blank line: no row, but counted
        elif i % 89 == 0:
            messy.append(f"r{i},too,few\n")  # ragged: a row error
        elif i % 83 == 0:
            messy.append(f"p{i % 50},Again,,a,1,1\n")  # an id already used: an error
        elif i % 79 == 0:
            messy.append(f"x{i},Long,,{'z' * 1100},1,1\n")  # a cell too long
        elif i % 71 == 0:
            messy.append("# a comment,,,,,\n")
        else:
            messy.append(f"p{i},Per  son {i},,b,{i % 3},{i % 5}\n")
    return {
        "plain": head + plain,
        "crlf": (head + plain).replace("\n", "\r\n"),
        "bom-title": "\ufeffCohort 7\n\n" + head + plain,
        "quoted": head.replace("m1", '"m1"') + quoted,
        "multiline": head + multiline,  # the cut inside a cell, or after one with a newline
        "multiline-shifted": head + "x0,pad,,a,1,1\n" + multiline,
        "multiline-late": head + plain + multiline,  # the first pieces whole, then one reader
        "messy": head + "".join(messy),
        "lone-cr": head + plain[:5000] + "p-cr,CR,,a,1,1\r" + plain[5000:],
        # the header looked for in the text's first 64 KiB (``importing._HEAD_PREFIX``):
        # after it, across its end, and after a title whose quoted cell crosses it
        "long": head + plain + plain.replace("p", "s"),  # past 128 KiB: the header from the start
        "lone-cr-long": head + plain + "p-cr,CR,,a,1,1\r" + plain.replace("p", "s"),
        "late-header": "Cohort 7\n" + "\n" * 70_000 + head + plain,
        "header-across-start": "\n" * (65536 - 10) + head + plain,
        "quoted-title": f'"Cohort\n{"x" * 70_000}\ncandidate_id"\n' + head + plain,
    }


def _table_facts(table: Table) -> tuple[object, ...]:
    return (
        table.rows.tolist(),
        table.ids,
        table.names,
        table.contacts,
        as_rows(table),
        [(e.row, e.column, e.value, e.message) for e in table.errors],
        table.columns,
        table.headers,
        table.ignored,
    )


@pytest.mark.parametrize("case", list(_split_cases()))
def test_a_big_csv_read_by_two_processes_is_the_file_one_reader_reads(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, case: str
) -> None:
    """Pieces of the rows read by a forked child: the same rows, numbers, cells,
    names, contacts and errors as one reader gives; a cut inside a quoted cell, a
    lone carriage return and a child that fails all fall back to one reader."""
    import os

    import screener.forked
    import screener.importing as importing

    path = tmp_path / f"{case}.csv"
    path.write_text(_split_cases()[case], encoding="utf-8", newline="")
    monkeypatch.setattr(importing, "_SPLIT_MIN", 10**12)
    one = _table_facts(read_table(path, contact_columns=None))
    forks = record_forks(monkeypatch)
    monkeypatch.setattr(screener.forked, "spare_core", lambda: True)
    monkeypatch.setattr(importing, "_SPLIT_MIN", 0)
    whole: list[int] = []  # texts read by one reader after all
    real_records = importing._add_records

    def one_reader(reader: object, out: object, number: int) -> int:
        whole.append(number)
        return real_records(reader, out, number)  # type: ignore[arg-type]

    monkeypatch.setattr(importing, "_add_records", one_reader)
    assert _table_facts(read_table(path, contact_columns=None)) == one
    assert len(forks) == (0 if case.startswith("lone-cr") else 1)
    assert bool(whole) == (case.startswith(("lone-cr", "multiline")))  # else in pieces
    if case == "multiline-late":  # the whole pieces kept, one reader from the first open one
        assert whole[-1] > 1000, whole
    parent = os.getpid()
    real_piece = importing._read_piece

    def dies(*args: object) -> object:
        if os.getpid() != parent:
            os._exit(3)
        return real_piece(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(importing, "_read_piece", dies)
    assert _table_facts(read_table(path, contact_columns=None)) == one
    # no core to spare: the pieces all read here, no child
    monkeypatch.setattr(screener.forked, "spare_core", lambda: False)
    before = len(forks)
    assert _table_facts(read_table(path, contact_columns=None)) == one
    assert len(forks) == before


@pytest.mark.parametrize(
    ("case", "plain"),
    [("plain", True), ("crlf", True), ("bom-title", True), ("quoted", False), ("messy", False)],
)
def test_the_pieces_of_a_plain_csv_are_read_without_the_csv_reader(
    monkeypatch: pytest.MonkeyPatch, case: str, plain: bool
) -> None:
    """Every piece of a text with no quote inside a cell, no ragged row, blank line or
    comment is read the plain way (``_read_plain``); a text with any of them, by the
    csv reader."""
    import screener.importing as importing

    text = _split_cases()[case]
    path = Path(f"{case}.csv")
    out = importing._new_builder(path, "candidate_id", "name", None, ("email",), ())
    cut = importing._cut(text, ",", out, path)
    assert cut is not None and cut[2] is not None
    bounds = cut[2]
    taken: list[bool] = []
    real = importing._read_plain

    def spy(*args: object) -> int | None:
        found = real(*args)  # type: ignore[arg-type]
        taken.append(found is not None)
        return found

    monkeypatch.setattr(importing, "_read_plain", spy)
    pieces = [importing._read_piece(text, bounds, i, ",", out) for i in range(len(bounds) - 1)]
    assert sum(p.records for p in pieces) > 2000
    assert taken == [plain] * (len(bounds) - 1)


def test_an_error_in_the_second_half_names_its_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import screener.forked
    import screener.importing as importing

    text = _split_cases()["plain"]
    at = text.index("\n", len(text) * 3 // 4) + 1
    path = tmp_path / "nul.csv"
    path.write_text(text[:at] + f"p-big,{'x' * 200_000},,a,1,1\n" + text[at:], encoding="utf-8")
    monkeypatch.setattr(importing, "_SPLIT_MIN", 10**12)
    with pytest.raises(ContentError) as one:
        read_table(path)
    monkeypatch.setattr(screener.forked, "spare_core", lambda: True)
    monkeypatch.setattr(importing, "_SPLIT_MIN", 0)
    with pytest.raises(ContentError) as two:
        read_table(path)
    assert str(two.value) == str(one.value) and f"nul.csv:{text[:at].count(chr(10)) + 1}:" in str(
        one.value
    )
