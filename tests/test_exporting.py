"""Exports read back (csv, openpyxl, json), spreadsheet safety and anonymisation (issue 7)."""

from __future__ import annotations

import csv
import io
import json
import random
from pathlib import Path

import numpy as np
import openpyxl
import orjson
import pytest
from helpers import run_cli
from hypothesis import given, settings
from hypothesis import strategies as st
from results_data import NASTY, TINY_DIR, fill_tiny

from screener.exporting import Cell, Column, Format, csvfile, safe_text, writer_for
from screener.exporting.csvfile import CsvWriter
from screener.exporting.interface import without_controls
from screener.exporting.xlsxfile import XlsxWriter
from screener.store import Store

TINY = ("--content-dir", str(TINY_DIR))


def cli(*args: str) -> tuple[int, bytes, str]:
    done = run_cli(*TINY, *args)
    return done.returncode, done.stdout.encode(), done.stderr


def read_csv(data: bytes) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8-sig"), newline="")))


@pytest.mark.parametrize(
    ("text", "safe"),
    [
        ("=1+2", "'=1+2"),
        ("+41 79", "'+41 79"),
        ("-2 Minus", "'-2 Minus"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tTab", "'\tTab"),
        ("\rCR", "'\rCR"),
        ("Ada", "Ada"),
        ("a=b", "a=b"),
        ("", ""),
    ],
)
def test_safe_text(text: str, safe: str) -> None:
    assert safe_text(text) == safe


COLUMNS = [
    Column("name", "text"),
    Column("score", "number"),
    Column("status", "label"),
    Column("plan", "list"),
]
NASTY_ROWS = [
    ['=HYPERLINK("x")', -3.5, "below", ["-mod"]],
    ["\tTab", -7, "meets", []],
    ["\rCR", 0.1, None, ["a", "b"]],
    ["+1", None, "meets", ["@x"]],
    ['@x, "quoted"\nline', 1e-7, "meets", ["m"]],
]


def test_csv_writer_neutralises_text_and_keeps_numbers() -> None:
    out = io.BytesIO()
    CsvWriter().write(out, COLUMNS, [list(r) for r in NASTY_ROWS])
    raw = out.getvalue().decode()
    back = list(csv.reader(io.StringIO(raw, newline="")))
    assert back[0] == ["name", "score", "status", "plan"]
    assert [r[0] for r in back[1:]] == [
        '\'=HYPERLINK("x")',
        "'\tTab",
        "'\rCR",
        "'+1",
        '\'@x, "quoted"\nline',
    ]
    # numbers are plain numerals, negative ones too, never quoted or prefixed; rounded
    # to 2 decimal places (1e-7 is 0.0)
    assert [r[1] for r in back[1:]] == ["-3.5", "-7.0", "0.1", "", "0.0"]
    assert "\n-3.5," not in raw and ",-3.5," in raw
    assert [r[3] for r in back[1:]] == ["'-mod", "", "a b", "'@x", "m"]
    assert back[3][2] == ""


def test_csv_writer_matches_the_csv_module() -> None:
    rows = [['Ada, "the" first', 62.5, "meets", ["m1", "m2"]], ["Bo", None, None, []]]
    ours = io.BytesIO()
    CsvWriter().write(ours, COLUMNS, [list(r) for r in rows])
    theirs = io.StringIO(newline="")
    writer = csv.writer(theirs, lineterminator="\r\n")
    writer.writerow([c.name for c in COLUMNS])
    writer.writerows([['Ada, "the" first', 62.5, "meets", "m1 m2"], ["Bo", None, None, ""]])
    assert ours.getvalue().decode() == theirs.getvalue()


def _cell_by_cell_csv(columns: list[Column], rows: list[list[Cell]]) -> str:
    """The CSV of ``rows`` made a cell at a time, as csvfile's docstring states the
    rules: what ``CsvWriter`` (a chunk's column at a time) must give, byte for byte."""

    def number(value: Cell) -> str:
        if value is None:
            return ""
        rounded = np.round(np.array([value], dtype=np.float64), 2) + 0.0
        return orjson.dumps(rounded, option=orjson.OPT_SERIALIZE_NUMPY).decode()[1:-1]

    def text(value: Cell) -> str:
        if value is None:
            return ""
        if isinstance(value, list):
            value = " ".join(value)
        if isinstance(value, str):
            return csvfile.field(safe_text(without_controls(value)))
        return orjson.dumps(value).decode()

    lines = [",".join(c.name for c in columns)]
    for row in rows:
        cells = []
        for column, value in zip(columns, row, strict=True):
            if column.kind == "number":
                cells.append(number(value))
            elif column.kind in ("text", "list"):
                cells.append(text(value))
            else:
                cells.append("" if value is None else str(value))
        lines.append(",".join(cells))
    return "\r\n".join(lines) + "\r\n"


def test_csv_writer_by_column_matches_cell_by_cell() -> None:
    """Chunks whose text columns are all plain (taken as they are after one scan) and
    chunks with one nasty cell anywhere, NUL inside a name, numbers, lists, answers."""
    rng = random.Random(16)
    columns = [
        Column("id", "text"),
        Column("name", "text"),
        Column("submitted_at", "time"),
        Column("outcome", "label"),
        Column("overall", "number"),
        Column("score", "number"),
        Column("plan", "list"),
        Column("q1_answer", "text"),
    ]
    plain = ["Ada", "Zoë Ünïcode", "李 小龍", "a=b", "x-1", "O'Brien", "back\\slash", ""]
    nasty = [
        "=1+2",
        "+41",
        "-2",
        "@x",
        "\tTab",
        "\rCR",
        'say "hi"',
        "a,b",
        "two\nlines",
        "nul\x00inside",
        "esc\x1b[2J",
        "del\x7f",
        "c1\x85\x9b",
        "\x00",
        "tab\tinside",
    ]
    rows: list[list[Cell]] = []

    def pick(col: int, dirty: set[int], edge: bool) -> str:
        bad = col in dirty and (edge or rng.random() < 0.002)
        return rng.choice(nasty if bad else plain)

    for chunk in range(5):
        dirty = {c for c in range(len(columns)) if rng.random() < 0.5}
        for at in range(1024 if chunk < 4 else 77):
            edge = at in (0, 1023, 76)  # a chunk's first or last cell
            rows.append(
                [
                    f"{chunk}-{at}",
                    pick(1, dirty, edge),
                    "2026-11-21T14:03:11Z",
                    rng.choice(["pass", "coaching", None]) if 3 in dirty else "pass",
                    rng.choice([None, -7, 0.005, 0.015, 2.675, -0.001, 1e-7, 62.5, 1e300]),
                    rng.choice([None, 41.666666666666664]) if 5 in dirty else 60.0,
                    rng.choice([[], ["m1"], ["m1", pick(6, dirty, edge)], None])
                    if 6 in dirty
                    else ["m1"],
                    rng.choice([3, -3.5, None, ["a", "b"], pick(7, dirty, edge)])
                    if 7 in dirty
                    else pick(1, dirty, edge),
                ]
            )
    out = io.BytesIO()
    assert CsvWriter().write(out, columns, [list(r) for r in rows]) == len(rows)
    assert out.getvalue().decode() == _cell_by_cell_csv(columns, rows)


def test_csv_writer_finds_one_nasty_cell_in_a_plain_chunk(monkeypatch: pytest.MonkeyPatch) -> None:
    """Each kind of nasty text alone at the start, middle or end of a chunk of plain
    names, of a plan's modules and of answers is still neutralised and quoted."""
    monkeypatch.setattr(csvfile, "_CHUNK", 4)
    columns = [Column("name", "text"), Column("plan", "list"), Column("answer", "text")]
    nasty = [
        *("=1", "+41", "-2", "@x", "\tTab", "\rCR", 'say "hi"', "a,b", "two\nlines"),
        *("nul\x00inside", "esc\x1b[2J", "del\x7f", "c1\x85", "\x00", "\x00=", "é\x9b"),
    ]
    rows: list[list[Cell]] = []
    for text in nasty:
        for col in range(3):
            for at in (0, 1, 3):
                chunk: list[list[Cell]] = [["Ada", ["m1", "m2"], "b"] for _ in range(4)]
                chunk[at][col] = [text] if col == 1 else text
                rows += chunk
    out = io.BytesIO()
    CsvWriter().write(out, columns, [list(r) for r in rows])
    assert out.getvalue().decode() == _cell_by_cell_csv(columns, rows)


def test_xlsx_writer_neutralises_text_and_keeps_numbers(tmp_path: Path) -> None:
    """Formula-like text is a text cell with Excel's quote prefix, shown as typed, with
    no literal apostrophe (issue 11 point 15); numbers are rounded numeric cells."""
    path = tmp_path / "x.xlsx"
    with path.open("wb") as fh:
        XlsxWriter().write(fh, COLUMNS, [list(r) for r in NASTY_ROWS])
    sheet = openpyxl.load_workbook(path).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("name", "score", "status", "plan")
    # XML turns a stored carriage return into a line feed on reading
    assert [v[0].replace("\n", "\r") if v[0].startswith("\n") else v[0] for v in values[1:]] == [
        '=HYPERLINK("x")',
        "\tTab",
        "\rCR",
        "+1",
        '@x, "quoted"\nline',
    ]
    assert [v[3] for v in values[1:]] == ["-mod", None, "a b", "@x", "m"]
    assert [v[1] for v in values[1:]] == [-3.5, -7, 0.1, None, 0.0]
    cells = list(sheet.iter_rows(min_row=2, max_col=4))
    assert all(c[0].data_type == "s" and c[0].quotePrefix for c in cells)  # no formula anywhere
    assert cells[0][3].data_type == "s" and cells[0][3].quotePrefix
    assert [c[1].data_type for c in cells if c[1].value is not None] == ["n"] * 4
    import zipfile

    xml = zipfile.ZipFile(path).read("xl/worksheets/sheet1.xml")
    assert b"<f>" not in xml and b"'=HYPERLINK" not in xml


def test_every_format_reads_back(tmp_path: Path, isolated_db: Path) -> None:
    fill_tiny(isolated_db)
    code, out, err = cli("export", "--format", "csv")
    assert code == 0, err
    rows = read_csv(out)
    assert len(rows) == 2 * len(NASTY)
    assert "exported 12 attempt(s) to stdout" in err
    first = rows[0]
    assert first["assessment"] == "tiny" and first["form"] == "A"
    assert first["name"] == '\'=HYPERLINK("http://evil.example","x")'
    assert first["contact"] == "'=cmd|' /C calc'!A0"
    assert {r["outcome"] for r in rows} <= {"pass", "coaching", "incomplete"}
    for r in rows:
        float(r["overall"]) if r["overall"] else None
        assert r["math_status"] in {"meets", "below", "incomplete"}
    code, out, err = cli("export", "--format", "jsonl")
    assert code == 0, err
    lines = [json.loads(line) for line in out.decode().splitlines()]
    assert len(lines) == 12
    assert lines[0]["name"] == NASTY[0][0]  # JSON carries names exactly
    assert isinstance(lines[0]["plan"], list)
    assert [r["attempt_id"] for r in lines] == [r["attempt_id"] for r in rows]
    code, out, err = cli("export", "--format", "json")
    assert code == 0, err
    assert json.loads(out) == lines
    target = tmp_path / "out.xlsx"
    code, out, err = cli("export", "--format", "xlsx", "--output", str(target))
    assert code == 0, err
    assert out == b""
    sheet = openpyxl.load_workbook(target).active
    values = list(sheet.iter_rows(values_only=True))
    header = list(values[0])
    assert len(values) == 13
    by_name = [dict(zip(header, v, strict=True)) for v in values[1:]]
    assert by_name[0]["name"] == '=HYPERLINK("http://evil.example","x")'  # a text cell
    assert by_name[1]["name"] == "+41 Plus"
    assert by_name[2]["name"] == "-2 Minus"
    for row, line, text in zip(by_name, lines, rows, strict=True):
        # numeric cells rounded to 2 places, as in CSV; JSON keeps full precision
        for key in ("math_score", "overall"):
            if line[key] is None:
                assert row[key] is None and text[key] == ""
                continue
            assert row[key] == round(line[key], 2) == float(text[key])
            assert abs(row[key] - line[key]) <= 0.005


def test_csv_output_file_and_items(tmp_path: Path, isolated_db: Path) -> None:
    fill_tiny(isolated_db)
    target = tmp_path / "out.csv"
    code, out, err = cli("export", "--format", "csv", "--output", str(target), "--items")
    assert code == 0, err
    assert out == b""
    assert f"exported 12 attempt(s) to {target}" in err
    data = target.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")  # BOM for Excel in files
    rows = read_csv(data)
    a_row = rows[0]
    assert a_row["m1_answer"] in {"a", "b", "c"}
    assert a_row["m1_points"] == ("1.0" if a_row["m1_answer"] == "b" else "0.0")
    assert a_row["m3_answer"] == "" and a_row["m3_points"] == ""  # form B item
    # reverse-keyed Likert item: points are 6 - answer on 1..5
    assert float(a_row["t2_points"]) == 6 - int(a_row["t2_answer"])
    # a negative numeric answer stays a number, not neutralised
    answers = [r["m2_answer"] for r in rows if r["m2_answer"]]
    assert "-3.5" in answers and "'-3.5" not in answers


def test_items_points_left_empty_for_another_version(tmp_path: Path, isolated_db: Path) -> None:
    fill_tiny(isolated_db)
    changed = tmp_path / "content" / "tiny.yaml"
    changed.parent.mkdir()
    text = (
        (TINY_DIR / "assessments" / "tiny.yaml").read_text().replace('version: "1"', 'version: "2"')
    )
    changed.write_text(text)
    done = run_cli(
        *TINY, "--content-dir", str(changed.parent), "export", "--format", "jsonl", "--items"
    )
    assert done.returncode == 0, done.stderr
    first = json.loads(done.stdout.splitlines()[0])
    assert first["m1_answer"] is not None and first["m1_points"] is None


def test_xlsx_needs_output(isolated_db: Path) -> None:
    fill_tiny(isolated_db)
    code, out, err = cli("export", "--format", "xlsx")
    assert code == 2
    assert out == b""
    assert err.strip() == "error: export: --format xlsx needs --output FILE"


def test_anonymised_export_holds_no_identity(tmp_path: Path, isolated_db: Path) -> None:
    store = fill_tiny(isolated_db)
    people = store.candidates()
    attempts = store.attempts()
    outputs: dict[str, bytes] = {}
    for fmt in ("csv", "jsonl", "json", "xlsx"):
        target = tmp_path / f"anon.{fmt}"
        code, _, err = cli(
            "export", "--format", fmt, "--anonymize", "--items", "--output", str(target)
        )
        assert code == 0, err
        outputs[fmt] = target.read_bytes()
    import zipfile

    with zipfile.ZipFile(tmp_path / "anon.xlsx") as z:
        outputs["xlsx"] = b"".join(z.read(n) for n in z.namelist())
    secrets = [p.id for p in people] + [a.attempt_id for a in attempts]
    secrets += [p.name for p in people] + [p.contact for p in people if p.contact]
    for fmt, data in outputs.items():
        for text in secrets:
            for form in {text, json.dumps(text)[1:-1], text.replace('"', "&quot;")}:
                assert form.encode() not in data, (fmt, text)
        assert b"contact" not in data, fmt
    rows = read_csv(outputs["csv"])
    assert all(r["candidate_id"].startswith("anon-") and len(r["candidate_id"]) == 17 for r in rows)
    assert all(r["attempt_id"].startswith("anon-") for r in rows)
    # one person keeps one pseudonym: two attempts each
    assert len({r["candidate_id"] for r in rows}) == len(people)
    # stable across runs
    code, again, _ = cli("export", "--format", "csv", "--anonymize", "--items")
    assert read_csv(again) == rows


def test_other_database_secret_gives_other_pseudonyms(tmp_path: Path, isolated_db: Path) -> None:
    fill_tiny(isolated_db)
    other = tmp_path / "other" / "screener.json"
    fill_tiny(other)
    _, one, _ = cli("export", "--format", "jsonl", "--anonymize")
    done = run_cli(*TINY, "--db", str(other), "export", "--format", "jsonl", "--anonymize")
    ids_one = {json.loads(x)["candidate_id"] for x in one.decode().splitlines()}
    ids_two = {json.loads(x)["candidate_id"] for x in done.stdout.splitlines()}
    assert Store(isolated_db).secret() != Store(other).secret()
    assert ids_one and ids_two and not ids_one & ids_two


def test_filters(isolated_db: Path) -> None:
    store = fill_tiny(isolated_db)
    everything = store.attempts()
    for args, expected in [
        (("--outcome", "coaching"), [a for a in everything if a.outcome == "coaching"]),
        (("--since", "2024-03-05"), [a for a in everything if a.form == "B"]),
        (("--assessment", "tiny", "--since", "2099-01-01"), []),
        (
            ("--module", "tiny-team"),
            [a for a in everything if "tiny-team" in [e.module for e in a.plan]],
        ),
    ]:
        code, out, err = cli("export", "--format", "jsonl", *args)
        assert code == 0, err
        got = [json.loads(x)["attempt_id"] for x in out.decode().splitlines()]
        assert got == [a.attempt_id for a in expected], args


def test_bad_since_is_one_line(isolated_db: Path) -> None:
    fill_tiny(isolated_db)
    code, _, err = cli("export", "--format", "csv", "--since", "last week")
    assert code == 2
    assert err.count("\n") == 1 and err.startswith("error: --since:")


def test_export_streams_rows(isolated_db: Path) -> None:
    """The writer is handed an iterator, not a list, and the stream makes records lazily."""
    store = fill_tiny(isolated_db)
    seen: list[object] = []

    class Spy:
        def write(self, out: object, columns: object, rows: object) -> int:
            seen.append(rows)
            return sum(1 for _ in rows)  # type: ignore[attr-defined]

    from screener import exporting

    real = exporting.writer_for
    exporting.writer_for = lambda fmt, bom=False: Spy()  # type: ignore[assignment,misc]
    try:
        count = exporting.export(store.iter_attempts(), Format.CSV, io.BytesIO())
    finally:
        exporting.writer_for = real
    assert count == 12
    assert not isinstance(seen[0], list | tuple)
    assert writer_for(Format.JSONL).__class__.__name__ == "JsonLinesWriter"


def test_borderline_attempts_export_status_interval_and_follow_ups(tmp_path: Path) -> None:
    """A borderline rule adds <competency>_low/_high; --items adds the follow-up items
    asked (answer and points); the JSON export carries the same values."""
    from content_fixtures import load_assessment

    from screener import exporting
    from screener.coaching import build_plan
    from screener.scoring import score_form
    from screener.store import Layout

    a = load_assessment("measure/sixitem.yaml")
    store = Store(tmp_path / "db.json")
    person = store.add_candidate("Close Call")
    answers = {f"re-a{k}": "a" if k <= 4 else "b" for k in range(1, 7)}
    answers.update({f"tw-a{k}": 3 for k in range(1, 5)})
    answers.update({"re-r1": "a", "re-r2": "b"})
    card = score_form(a, answers, "A")
    store.save_attempt(person.id, card, build_plan(a, card), answers, Layout.of(a, "A"))
    out = io.BytesIO()
    exporting.export(store.iter_attempts(), Format.CSV, out, items=True, assessments={"sixitem": a})
    [row] = read_csv(out.getvalue())
    header = list(row)
    at = header.index("reasoning_score")
    assert header[at : at + 4] == [
        "reasoning_score",
        "reasoning_status",
        "reasoning_low",
        "reasoning_high",
    ]
    for comp in card.competencies:
        assert comp.interval is not None
        assert row[f"{comp.id}_status"] == comp.status
        assert float(row[f"{comp.id}_low"]) == round(comp.interval[0], 2)  # as stated
        assert float(row[f"{comp.id}_high"]) == round(comp.interval[1], 2)
    assert row["re-r1_answer"] == "a" and row["re-r1_points"] == "1.0"
    assert row["re-r2_answer"] == "b" and row["re-r2_points"] == "0.0"
    assert row["re-r3_answer"] == "" and row["re-r3_points"] == ""  # not asked
    lines = io.BytesIO()
    exporting.export(store.iter_attempts(), Format.JSONL, lines)
    data = json.loads(lines.getvalue())
    reasoning = card.competency("reasoning")
    assert reasoning.interval is not None
    assert (data["reasoning_low"], data["reasoning_high"]) == reasoning.interval
    assert data["reasoning_status"] == reasoning.status
    # attempts of an assessment without a borderline rule get no interval columns
    plain = Store(tmp_path / "plain.json")
    other = plain.add_candidate("Plain")
    rule_free = a.model_copy(
        update={"decision": a.decision.model_copy(update={"borderline": None})}
    )
    form_only = {k: v for k, v in answers.items() if not k.startswith("re-r")}
    card = score_form(rule_free, form_only, "A")
    plain.save_attempt(
        other.id, card, build_plan(rule_free, card), form_only, Layout.of(rule_free, "A")
    )
    out = io.BytesIO()
    exporting.export(plain.iter_attempts(), Format.CSV, out)
    assert not any(h.endswith(("_low", "_high")) for h in read_csv(out.getvalue())[0])


def test_spreadsheet_exports_round_numbers_and_xlsx_has_times_and_widths(
    tmp_path: Path, isolated_db: Path
) -> None:
    """Issue 11 point 15: 41.666666666666664 in a spreadsheet, submitted_at as text, no
    column widths."""
    store = fill_tiny(isolated_db)
    records = store.attempts()
    assert any(len(repr(r.overall)) > 8 for r in records if r.overall is not None)
    code, out, err = cli("export", "--format", "csv")
    assert code == 0, err
    for row in read_csv(out):
        for key, value in row.items():
            if key.endswith("_score") or key == "overall":
                assert value == "" or len(value.partition(".")[2]) <= 2, (key, value)
    target = tmp_path / "out.xlsx"
    code, _, err = cli("export", "--format", "xlsx", "--output", str(target))
    assert code == 0, err
    sheet = openpyxl.load_workbook(target).active
    header = [c.value for c in sheet[1]]
    at = header.index("submitted_at")
    first = sheet.cell(row=2, column=at + 1)
    assert first.is_date and first.number_format == "yyyy-mm-dd hh:mm:ss"
    assert first.value.isoformat() + "Z" == records[0].submitted
    widths = {col: sheet.column_dimensions[col].width for col in ("A", "C", "D")}
    assert widths["C"] >= 20 and all(w and w >= 10 for w in widths.values()), widths


@pytest.mark.parametrize(
    ("fmt", "name", "hint"),
    [("xlsx", "out.csv", "use --format csv"), ("csv", "out.xlsx", "name it out.csv")],
)
def test_an_output_named_for_another_format_is_a_usage_error(
    tmp_path: Path, isolated_db: Path, fmt: str, name: str, hint: str
) -> None:
    """Issue 11 point 15: `--format xlsx --output out.csv` wrote a workbook named .csv."""
    fill_tiny(isolated_db)
    target = tmp_path / name
    code, out, err = cli("export", "--format", fmt, "--output", str(target))
    assert code == 2 and err.count("\n") == 1, err
    assert hint in err and not target.exists() and out == b""


_NUMBERS = st.one_of(
    st.none(),
    st.floats(min_value=-1e12, max_value=1e12, width=64),
    st.just(float("nan")),
    st.sampled_from([0.0, -0.0, 62.5, 66.66666666666667, 0.005, 0.015, 2.675, 1e-9, 100.0]),
    st.integers(min_value=-(10**6), max_value=10**6),
    st.booleans(),
)


@settings(max_examples=200, deadline=None)
@given(
    chunks=st.lists(
        st.lists(st.lists(_NUMBERS, min_size=3, max_size=3), min_size=1, max_size=40),
        min_size=1,
        max_size=4,
    ),
    repeat=st.integers(min_value=1, max_value=30),
)
def test_number_cells_kept_across_chunks_are_the_ones_made_afresh(
    chunks: list[list[list[object]]], repeat: int
) -> None:
    """A chunk's number cells, looked up in the cells kept from earlier chunks (or made
    for the new numbers), are the cells one numpy rounding gives (issue 15's export)."""
    known: dict[object, str] = {}
    for rows in chunks:
        rows = rows * repeat  # few distinct numbers: most are looked up
        cells = list(zip(*rows, strict=True))
        want = csvfile._number_cells([list(c) for c in cells])
        assert csvfile._number_columns(cells, [0, 1, 2], known) == want
    assert len(known) <= csvfile._KNOWN_MAX


def test_number_cells_of_many_distinct_numbers_are_made_whole(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    rng = random.Random(7)
    values = [rng.random() * 100 for _ in range(5000)]
    cells = [values, [round(v) for v in values]]
    known: dict[object, str] = {}
    want = csvfile._number_cells(cells)
    assert csvfile._number_columns(cells, [0, 1], known) == want
    assert len(known) == 101  # the rounded column kept; the first made whole
    monkeypatch.setattr(csvfile, "_KNOWN_MAX", 50)  # past the limit: made whole
    assert csvfile._number_columns(cells, [1], {}) == [want[1]]
