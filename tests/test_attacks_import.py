"""Issue #10, hostile batch files: each test replays one attack on the readers or `batch`.

Library points call ``read_table`` directly; exit codes, stderr and signals go
through the real entry point (a subprocess).
"""

from __future__ import annotations

import json
import os
import re
import stat
import subprocess
import sys
import zipfile
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import DATA, ROOT, run_cli

from screener import importing
from screener.errors import ContentError
from screener.importing import CELL_LIMIT, SHOWN_PROBLEMS, read_table
from screener.store import Store

BFI = str(DATA / "bfi" / "assessment.yaml")
ITEMS = [f"{s}{n}" for s in "ACENO" for n in range(1, 6)]
HEADER = ["candidate_id", "name", *ITEMS]


def bfi_row(k: int) -> list[object]:
    return [f"p{k}", f"Person {k}", *((k + j) % 6 + 1 for j in range(len(ITEMS)))]


def write_xlsx(path: Path, rows: list[list[object]]) -> Path:
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append(row)
    book.save(path)
    return path


def rewrite_part(path: Path, member: str, change: Callable[[bytes], bytes]) -> None:
    """Rewrite one part of a zip (an XLSX) in place, as another tool would have saved it."""
    with zipfile.ZipFile(path) as src:
        parts = [(info.filename, src.read(info.filename)) for info in src.infolist()]
    assert member in dict(parts)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for name, data in parts:
            out.writestr(name, change(data) if name == member else data)


SHEET = "xl/worksheets/sheet1.xml"


def set_dimension(ref: str) -> Callable[[bytes], bytes]:
    def change(xml: bytes) -> bytes:
        changed, count = re.subn(
            rb'<dimension ref="[^"]*"', f'<dimension ref="{ref}"'.encode(), xml
        )
        assert count == 1
        return changed

    return change


def batch(*args: str) -> subprocess.CompletedProcess[str]:
    return run_cli("batch", *args)


def no_traceback(done: subprocess.CompletedProcess[str]) -> None:
    assert "Traceback" not in done.stderr, done.stderr


# -- 1. stale <dimension> -------------------------------------------------------------


@pytest.mark.parametrize("ref", ["A1:BX2", "A1", "A1:C4", "B2:C3"])
def test_attack_1_stale_dimension(tmp_path: Path, ref: str) -> None:
    """'a stale A1:BX2 on a 3-row sheet stores 1 row; A1 stores 0 rows; A1:AZ4 loses items'."""
    rows = [HEADER, bfi_row(1), bfi_row(2)]
    path = write_xlsx(tmp_path / "stale.xlsx", rows)
    rewrite_part(path, SHEET, set_dimension(ref))
    table = read_table(path)
    assert table.ids == ["p1", "p2"]
    assert table.columns == tuple(ITEMS)
    assert [table.cell(1, item) for item in ITEMS] == bfi_row(2)[2:]
    assert table.errors == ()


def test_attack_1_stale_dimension_cuts_columns(tmp_path: Path) -> None:
    """'A1:AZ4 treats 24 items as unanswered': columns past the dimension must be read."""
    items = [f"q{n}" for n in range(1, 77)]  # 78 columns: past AZ (52)
    rows: list[list[object]] = [["candidate_id", "name", *items]]
    rows += [[f"c{k}", f"N {k}", *(k + n for n in range(len(items)))] for k in range(1, 4)]
    path = write_xlsx(tmp_path / "wide.xlsx", rows)
    rewrite_part(path, SHEET, set_dimension("A1:AZ4"))
    table = read_table(path)
    assert table.columns == tuple(items)
    assert table.cell(2, "q76") == 3 + 75


def test_attack_1_rows_out_of_order_are_refused(tmp_path: Path) -> None:
    """openpyxl skips a row numbered below the one before it: refuse, never drop it."""
    path = write_xlsx(tmp_path / "order.xlsx", [HEADER, bfi_row(1), bfi_row(2)])
    rewrite_part(path, SHEET, lambda xml: xml.replace(b'<row r="3"', b'<row r="2"'))
    with pytest.raises(ContentError, match=r"sheet row 2 follows row 2 \(rows out of order"):
        read_table(path)


def test_attack_1_through_the_cli(tmp_path: Path, isolated_db: Path) -> None:
    """The stale-dimension file stores every row with `batch`, not one."""
    path = write_xlsx(tmp_path / "stale.xlsx", [HEADER, bfi_row(1), bfi_row(2)])
    rewrite_part(path, SHEET, set_dimension("A1:BX2"))
    done = batch(str(path), "-a", BFI)
    assert done.returncode == 0, done.stderr
    assert len(Store(isolated_db).attempts()) == 2


# -- 4. formulas without a saved value --------------------------------------------------


def test_attack_4_formula_without_saved_value(tmp_path: Path) -> None:
    """'XLSX formula cells without a saved value become "unanswered" without a word'."""
    second = bfi_row(2)
    second[4] = "=1+1"  # cell E3: openpyxl saves the formula, no value
    path = write_xlsx(tmp_path / "formula.xlsx", [HEADER, bfi_row(1), second, bfi_row(3)])
    table = read_table(path)
    assert [(e.row, e.column) for e in table.errors] == [(3, "")]
    assert "cell E3 is a formula without a saved value" in table.errors[0].message
    assert "open and save the file in a spreadsheet program" in table.errors[0].message
    assert table.bad_rows().tolist() == [False, True, False]
    assert table.ids[1] == "p2"  # the --errors file can name the candidate


def test_attack_4_row_of_formulas_is_not_skipped_as_blank(tmp_path: Path) -> None:
    """A row that is all formulas reads as blank under data_only: it must not vanish."""
    formulas: list[object] = ['=CONCAT("p",2)', '="Person"', *(["=2"] * len(ITEMS))]
    path = write_xlsx(tmp_path / "formulas.xlsx", [HEADER, bfi_row(1), formulas])
    table = read_table(path)
    assert [e.row for e in table.errors] == [3]
    assert "cell A3" in table.errors[0].message and f"{len(formulas) - 1} more" in str(
        table.errors[0]
    )


def test_attack_4_formula_in_header(tmp_path: Path) -> None:
    """A header that is a formula without a value would be read as a missing header."""
    header: list[object] = [*HEADER[:-1], '="O5"']
    path = write_xlsx(tmp_path / "header.xlsx", [header, bfi_row(1)])
    with pytest.raises(ContentError, match=r"cell AA1 \(header row or above\) is a formula"):
        read_table(path)


def test_attack_4_formula_with_saved_value_is_read(tmp_path: Path) -> None:
    """A formula saved by a spreadsheet program carries its value: that value is the answer."""
    row = bfi_row(1)
    row[2] = "=3"
    path = write_xlsx(tmp_path / "saved.xlsx", [HEADER, row])
    rewrite_part(path, SHEET, lambda xml: xml.replace(b"<f>3</f><v />", b"<f>3</f><v>3</v>"))
    table = read_table(path)
    assert table.errors == ()
    assert table.cell(0, "A1") == 3


def test_attack_4_through_the_cli(tmp_path: Path, isolated_db: Path) -> None:
    """`batch` rejects the formula row (exit 3) and stores the others."""
    second = bfi_row(2)
    second[10] = "=4"
    path = write_xlsx(tmp_path / "formula.xlsx", [HEADER, bfi_row(1), second])
    done = batch(str(path), "-a", BFI)
    assert done.returncode == 3, done.stderr
    assert "row 3: cell K3 is a formula without a saved value" in done.stderr
    assert len(Store(isolated_db).attempts()) == 1


# -- 19. entity bombs, zip bombs, and no limit on cell length ------------------------------


def entity_bomb(xml: bytes) -> bytes:
    entities = '<!ENTITY a0 "xxxxxxxxxx">' + "".join(
        f'<!ENTITY a{i} "{f"&a{i - 1};" * 10}">' for i in range(1, 10)
    )
    bomb = f'<?xml version="1.0"?><!DOCTYPE worksheet [{entities}]>'.encode()
    return bomb + xml.replace(b"<t>Person 1</t>", b"<t>&a9;</t>")


def test_attack_19_entity_bomb(tmp_path: Path, isolated_db: Path) -> None:
    """'XLSX with a DTD entity bomb: ParseError traceback -> one line'."""
    path = write_xlsx(tmp_path / "bomb.xlsx", [HEADER, bfi_row(1)])
    rewrite_part(path, SHEET, entity_bomb)
    with pytest.raises(ContentError, match=r"sheet1\.xml declares a DTD"):
        read_table(path)
    done = batch(str(path), "-a", BFI)
    no_traceback(done)
    assert done.returncode == 1
    assert done.stderr.count("\n") == 1 and str(path) in done.stderr


def test_attack_19_broken_xml_is_one_line(tmp_path: Path) -> None:
    """Any XML fault openpyxl meets (here a cut-off sheet) is one line, not a traceback."""
    path = write_xlsx(tmp_path / "cut.xlsx", [HEADER, bfi_row(1), bfi_row(2)])
    rewrite_part(path, SHEET, lambda xml: xml[: len(xml) // 2])
    with pytest.raises(ContentError, match=r"not a readable Excel \.xlsx workbook"):
        read_table(path)


def test_attack_19_zip_bomb(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """'a 590 KB file carried a 600 MB name': a part packed that tightly is refused unread.

    The size threshold is lowered for the test (the real one is 64 MiB).
    """
    monkeypatch.setattr(importing, "_BOMB_SIZE", 1 << 20)
    path = write_xlsx(tmp_path / "zipbomb.xlsx", [HEADER, bfi_row(1)])
    huge = b"<t>" + b"x" * (4 << 20) + b"</t>"  # openpyxl itself cuts cells to 32,767
    rewrite_part(path, SHEET, lambda xml: xml.replace(b"<t>Person 1</t>", huge))
    with pytest.raises(ContentError, match=r"unpacks to [\d,]+ bytes from [\d,]+; refused"):
        read_table(path)


def test_attack_19_long_cells_in_xlsx(tmp_path: Path) -> None:
    """'No length limit on XLSX cells': a name or answer past the CSV cap is a row error."""
    long_answer = bfi_row(3)
    long_answer[5] = "LONG"
    path = write_xlsx(tmp_path / "long.xlsx", [HEADER, bfi_row(1), bfi_row(2), long_answer])
    too_long = {b"Person 2": b"N", b"LONG": b"4"}  # openpyxl itself cuts cells to 32,767

    def lengthen(xml: bytes) -> bytes:
        for short, char in too_long.items():
            xml = xml.replace(b"<t>" + short + b"</t>", b"<t>" + char * (CELL_LIMIT + 1) + b"</t>")
        return xml

    rewrite_part(path, SHEET, lengthen)
    table = read_table(path)
    assert [(e.row, e.column) for e in table.errors] == [(3, "name"), (4, "A4")]
    assert all("longer than 131,072 characters" in e.message for e in table.errors)
    assert all(len(e.value) <= 80 for e in table.errors)
    assert max(len(n or "") for n in table.names) <= 80  # the long text is not kept
    assert max(len(str(v)) for v in table.values) <= CELL_LIMIT
    assert table.bad_rows().tolist() == [False, True, True]


@pytest.mark.parametrize("suffix", [".json", ".jsonl"])
def test_attack_19_long_cells_in_json(tmp_path: Path, suffix: str) -> None:
    """'No length limit on JSON cells': ids, names and answers are capped like CSV cells."""
    objects = [dict(zip(HEADER, bfi_row(k), strict=True)) for k in range(1, 5)]
    objects[1]["name"] = "N" * (CELL_LIMIT + 1)
    objects[2]["candidate_id"] = "p" * (CELL_LIMIT + 1)
    objects[3]["O5"] = "5" * (CELL_LIMIT + 1)
    path = tmp_path / f"long{suffix}"
    if suffix == ".json":
        path.write_text(json.dumps(objects))
    else:
        path.write_text("\n".join(json.dumps(o) for o in objects))
    table = read_table(path)
    assert [(e.row, e.column) for e in table.errors] == [
        (2, "name"),
        (3, "candidate_id"),
        (4, "O5"),
    ]
    assert max(map(len, table.ids)) <= 80
    assert table.bad_rows().tolist() == [False, True, True, True]


def test_attack_19_long_csv_cell_names_its_line(tmp_path: Path) -> None:
    """The CSV cap (the csv module's) stays, and the message names the real line."""
    path = tmp_path / "long.csv"
    lines = [",".join(HEADER), *(",".join(map(str, bfi_row(k))) for k in range(1, 4))]
    lines.insert(3, "p9," + "N" * (CELL_LIMIT + 1) + ",1")
    path.write_text("\n".join(lines) + "\n")
    with pytest.raises(ContentError, match=r"long\.csv:4: a cell is longer than 131,072"):
        read_table(path)


# -- 22. floods of problems ---------------------------------------------------------------


def test_attack_22_duplicate_headers_are_capped(tmp_path: Path, isolated_db: Path) -> None:
    """'1M duplicate headers -> 999,999 lines': the first 20, then a count."""
    path = tmp_path / "dups.csv"
    path.write_text(",".join(["candidate_id", *["A1"] * 5001]) + "\np1" + ",1" * 5001 + "\n")
    with pytest.raises(ContentError) as caught:
        read_table(path)
    problems = caught.value.problems
    assert len(problems) == SHOWN_PROBLEMS + 1
    assert problems[-1] == "… and 4,980 more problem(s)"
    done = batch(str(path), "-a", BFI)
    assert done.returncode == 1
    assert len(done.stderr.splitlines()) == SHOWN_PROBLEMS + 1


def test_attack_22_unknown_columns_are_capped(tmp_path: Path, isolated_db: Path) -> None:
    """'1M unknown columns -> one 10.9 MB error line': the line names 20 and counts the rest."""
    extra = [f"extra{n}" for n in range(20000)]
    path = tmp_path / "wide.csv"
    path.write_text(",".join([*HEADER, *extra]) + "\n")
    done = batch(str(path), "-a", BFI)
    assert done.returncode == 1
    no_traceback(done)
    assert len(done.stderr) < 2000
    assert "'extra19', … and 19,980 more column(s)" in done.stderr


def test_attack_22_row_errors_are_capped(tmp_path: Path, isolated_db: Path) -> None:
    """Thousands of bad rows: 20 on stderr and in --json, every one in --errors, lines short."""
    path = tmp_path / "bad.json"
    objects = [dict(zip(HEADER, bfi_row(k), strict=True)) for k in range(1, 3001)]
    for obj in objects:
        obj["A1"] = "X" * 5000
    path.write_text(json.dumps(objects))
    errors = tmp_path / "errors.csv"
    done = batch(str(path), "-a", BFI, "--errors", str(errors), "--json")
    assert done.returncode == 3
    lines = done.stderr.splitlines()
    assert len(lines) == 22 and "… and 2,980 more" not in lines[-2]
    assert "and 2,980 more row error(s)" in lines[-2]
    assert max(map(len, lines)) < 300
    summary = json.loads(done.stdout)
    assert len(summary["errors"]) == 20
    assert max(len(e["value"]) for e in summary["errors"]) <= 80
    written = errors.read_text().splitlines()
    assert len(written) == 3001  # the header and every rejected row
    assert max(map(len, written)) < 1200  # fields cut to 1,000 characters


# -- 23. JSON with duplicate or blank keys -------------------------------------------------


def test_attack_23_duplicate_keys_in_json(tmp_path: Path) -> None:
    """'JSON batches with duplicate keys': refused (row and key named), never the last kept."""
    path = tmp_path / "dup.json"
    path.write_text(
        '[{"candidate_id": "p1", "A1": 1},\n'
        ' {"candidate_id": "p2", "A1": 1, "A1": 6},\n'
        ' {"candidate_id": "p3", "A1": 2}]'
    )
    table = read_table(path)
    assert [(e.row, e.message) for e in table.errors] == [
        (2, "the key 'A1' appears twice in this object")
    ]
    assert table.bad_rows().tolist() == [False, True, False]
    assert table.ids == ["p1", "p2", "p3"]


def test_attack_23_duplicate_keys_in_json_lines(tmp_path: Path, isolated_db: Path) -> None:
    """JSON Lines: the line of the object with the duplicate key is named; the others stored."""
    path = tmp_path / "dup.jsonl"
    good = [json.dumps(dict(zip(HEADER, bfi_row(k), strict=True))) for k in (1, 2)]
    path.write_text(f'{good[0]}\n\n{good[1][:-1]}, "candidate_id": "p9"}}\n')
    done = batch(str(path), "-a", BFI)
    assert done.returncode == 3, done.stderr
    assert "row 3: the key 'candidate_id' appears twice in this object" in done.stderr
    assert [a.candidate_id for a in Store(isolated_db).attempts()] == ["p1"]


@pytest.mark.parametrize("blank", ["", "  "])
def test_attack_23_blank_keys_are_an_error(tmp_path: Path, blank: str) -> None:
    """'Blank keys are an error, not dropped' (a trailing blank key was dropped before)."""
    path = tmp_path / "blank.json"
    path.write_text(
        json.dumps([{"candidate_id": "p1", "A1": 1}, {"candidate_id": "p2", "A1": 2, blank: 5}])
    )
    table = read_table(path)
    assert [(e.row, e.message) for e in table.errors] == [
        (2, f"a key is blank ({blank!r}); name the column or remove it")
    ]
    assert table.columns == ("A1",)


def test_attack_23_json_that_orjson_refuses_stays_refused(tmp_path: Path) -> None:
    """The duplicate-aware parser accepts nothing the store's parser (orjson) would refuse."""
    for text, message in [
        ('[{"candidate_id": "p1", "A1": NaN}]', "not valid JSON"),
        ('[{"candidate_id": "p1", "A1": 1e400}]', "infinity"),
        ('[{"candidate_id": "p1", "name": "\\ud800"}]', "surrogate"),
        ("[" * 100_000 + "]" * 100_000, "not valid JSON"),
    ]:
        path = tmp_path / "odd.json"
        path.write_text(text)
        with pytest.raises(ContentError, match=message):
            read_table(path)
    path.write_bytes(b'[{"candidate_id": "p1"},\n{"name": "\xff"}]')
    with pytest.raises(ContentError, match=r"odd\.json:2: not UTF-8"):
        read_table(path)


# -- 3 (batch input part). special files ------------------------------------------------


def test_attack_3_fifo_and_device_inputs_are_refused(tmp_path: Path) -> None:
    """'FIFOs and /dev/zero as inputs must be refused, not read until memory runs out'."""
    fifo = tmp_path / "answers.csv"
    os.mkfifo(fifo)
    with pytest.raises(ContentError, match="not a regular file"):
        read_table(fifo)  # returns at once: a FIFO without a writer would block an open()
    with pytest.raises(ContentError, match="not a regular file"):
        read_table("/dev/zero")
    with pytest.raises(ContentError, match="not a regular file"):
        importing.read_mapping(fifo)


# -- 12 (batch part). the --errors file ----------------------------------------------------


def test_attack_12_errors_file_is_private(tmp_path: Path, isolated_db: Path) -> None:
    """'`batch --errors` writes names and ids into 0644 files: 0600 like the other outputs'."""
    path = tmp_path / "in.json"
    path.write_text(json.dumps([{"candidate_id": "p1", "name": "Sam Secret", "A1": 9}]))
    errors = tmp_path / "errors.csv"
    old = tmp_path / "old.csv"
    old.write_text("old\n")
    old.chmod(0o644)
    umask = os.umask(0o022)  # the usual one: a plain open() would make the file 0644
    try:
        runs = [run_cli("batch", str(path), "-a", BFI, "--errors", str(t)) for t in (errors, old)]
    finally:
        os.umask(umask)
    for target, done in zip((errors, old), runs, strict=True):
        assert done.returncode == 3, done.stderr
        assert stat.S_IMODE(target.stat().st_mode) == 0o600
        assert "p1" in target.read_text()
    assert not list(tmp_path.glob(".*.tmp"))


def test_attack_12_errors_to_a_device_writes_into_it(tmp_path: Path, isolated_db: Path) -> None:
    """--errors /dev/null is written to, never replaced by a regular file (point 3)."""
    path = tmp_path / "in.json"
    path.write_text(json.dumps([{"candidate_id": "p1", "A1": 9}]))
    done = batch(str(path), "-a", BFI, "--errors", "/dev/null")
    assert done.returncode == 3, done.stderr
    assert stat.S_ISCHR(os.stat("/dev/null").st_mode)


# -- 24 (batch part). Ctrl-C -------------------------------------------------------------


def run_interrupted(patch: str, *args: str) -> subprocess.CompletedProcess[str]:
    """Run the real CLI in a process that sends itself SIGINT at the place ``patch`` picks."""
    code = f"import os, signal\n{patch}\nfrom screener.cli import main\nmain()\n"
    return subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )


SIGINT_WHILE_READING = """
import screener.importing as importing
real = importing.read_table
def read_table(*args, **kwargs):
    os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, delivered while the file is read
    return real(*args, **kwargs)
importing.read_table = read_table
"""

SIGINT_WHILE_STORING = """
real = os.fsync
def fsync(fd):
    real(fd)
    os.kill(os.getpid(), signal.SIGINT)  # a real Ctrl-C, delivered mid-write
os.fsync = fsync
"""


def test_attack_24_ctrl_c_while_reading(tmp_path: Path, isolated_db: Path) -> None:
    """'Ctrl-C during `batch` prints "interrupted" on stderr' and exits 130, storing nothing."""
    path = tmp_path / "in.csv"
    path.write_text(",".join(HEADER) + "\n" + ",".join(map(str, bfi_row(1))) + "\n")
    done = run_interrupted(SIGINT_WHILE_READING, "batch", str(path), "-a", BFI)
    assert done.returncode == 130, done.stderr
    assert done.stderr == "interrupted: nothing was stored\n"
    assert not isolated_db.exists()


def test_attack_24_ctrl_c_while_storing(tmp_path: Path, isolated_db: Path) -> None:
    """Ctrl-C inside the store's write: exit 130, the batch stored whole or not at all."""
    first = tmp_path / "first.csv"
    first.write_text(",".join(HEADER) + "\n" + ",".join(map(str, bfi_row(1))) + "\n")
    assert batch(str(first), "-a", BFI).returncode == 0
    second = tmp_path / "second.csv"
    rows = "\n".join(",".join(map(str, bfi_row(k))) for k in range(2, 302))
    second.write_text(",".join(HEADER) + "\n" + rows + "\n")
    done = run_interrupted(SIGINT_WHILE_STORING, "batch", str(second), "-a", BFI)
    assert done.returncode == 130, done.stderr
    assert done.stderr.startswith("interrupted while storing")
    no_traceback(done)
    assert len(Store(isolated_db).attempts()) in (1, 301)
    assert not [p for p in isolated_db.parent.iterdir() if p.name.endswith(".tmp")]
