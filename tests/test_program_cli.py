"""The program commands through the CLI: validate and schema, employers, record (by hand
and imported), pathway, waiting, funnel, export --pathway, take/batch --nominated-by,
and a whole program walked from the command line with every move checked.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

from helpers import DATA, ROOT, run_cli

BUNDLED = ROOT / "programs" / "wblc-mold-maintenance.yaml"
PILOT = DATA / "program"


def _content_root(tmp_path: Path, program_text: str, name: str = "mine.yaml") -> Path:
    """A content root holding only a programs/ folder with one file."""
    root = tmp_path / "content"
    (root / "programs").mkdir(parents=True, exist_ok=True)
    (root / "programs" / name).write_text(program_text)
    return root


# -- validate and schema ----------------------------------------------------------------


def test_validate_checks_the_bundled_program() -> None:
    result = run_cli("validate")
    assert result.returncode == 0, result.stdout + result.stderr
    alone = run_cli("validate", str(BUNDLED))
    assert alone.returncode == 0, alone.stdout
    assert "ok: 1 file(s)" in alone.stderr


def test_validate_reports_a_program_fault_at_its_line(tmp_path: Path) -> None:
    text = BUNDLED.read_text().replace(
        "{event: elearning_done, to: shop_session_1}", "{event: elearning_done, to: shop_sesion_1}"
    )
    root = _content_root(tmp_path, text)
    line = next(n for n, row in enumerate(text.splitlines(), 1) if "shop_sesion_1" in row)
    path = root / "programs" / "mine.yaml"
    for args in (
        ("validate", str(path)),
        ("validate", str(root)),
        ("--content-dir", str(root), "validate"),
    ):
        result = run_cli(*args)
        assert result.returncode == 1, args
        assert re.search(
            rf"^{re.escape(str(path))}:{line}:\d+: stage 'core_elearning': move 'elearning_done' "
            r"to unknown stage 'shop_sesion_1'$",
            result.stdout,
            re.M,
        ), result.stdout


def test_validate_checks_program_references_against_the_content(tmp_path: Path) -> None:
    # the small program's gate and left-out module are in tests/data/tiny, not in the bundle
    root = _content_root(tmp_path, (PILOT / "small.yaml").read_text())
    alone = run_cli("validate", str(root))
    assert alone.returncode == 1
    assert "gate: no assessment 'tiny'" in alone.stdout
    assert "route 'nominated': no module with id 'tiny-team'" in alone.stdout
    # checked together with the content it names: clean
    together = run_cli("validate", str(root), str(DATA / "tiny"))
    assert together.returncode == 0, together.stdout


def test_a_content_root_may_replace_the_bundled_program_but_one_folder_may_not_repeat_it(
    tmp_path: Path,
) -> None:
    text = BUNDLED.read_text().replace("waiting_days: 60", "waiting_days: 21")
    root = _content_root(tmp_path, text)
    assert run_cli("--content-dir", str(root), "validate").returncode == 0
    (root / "programs" / "again.yaml").write_text(text)
    twice = run_cli("--content-dir", str(root), "validate")
    assert twice.returncode == 1
    assert "program id 'wblc-mold-maintenance' is also used by" in twice.stdout


def test_a_programs_folder_is_not_read_as_assessments(tmp_path: Path) -> None:
    root = _content_root(tmp_path, BUNDLED.read_text())
    listed = run_cli("--content-dir", str(root), "assessments", "--json")
    assert listed.returncode == 0, listed.stderr
    assert [a["id"] for a in json.loads(listed.stdout)] == ["wblc-screening"]
    assert run_cli("--content-dir", str(root), "modules").returncode == 0


def test_schema_program_is_the_docs_schema() -> None:
    result = run_cli("schema", "program")
    assert result.returncode == 0
    on_disk = json.loads((ROOT / "docs" / "schema" / "program.schema.json").read_text())
    assert json.loads(result.stdout) == on_disk
    every = json.loads(run_cli("schema").stdout)
    assert set(every) == {"assessment", "module", "program"}
    assert every["program"] == on_disk
