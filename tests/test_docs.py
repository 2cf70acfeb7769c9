"""Every command has help text and a row in README's Commands table (as sqlite-utils does)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
import typer.main
from helpers import ROOT

from screener.cli.app import app

README = (ROOT / "README.md").read_text()


def commands() -> list[tuple[str, Any]]:
    """(name, click command) for every command and subcommand; duck-typed, as typer
    may bring its own click."""
    group: Any = typer.main.get_command(app)
    out: list[tuple[str, Any]] = []
    for name, command in group.commands.items():
        if hasattr(command, "commands"):
            out += [(f"{name} {sub}", c) for sub, c in command.commands.items()]
        else:
            out.append((name, command))
    return out


@pytest.mark.parametrize(
    ("name", "command"), commands(), ids=lambda x: x if isinstance(x, str) else ""
)
def test_command_has_help_and_readme_row(name: str, command: Any) -> None:
    assert (command.help or "").strip(), f"screener {name} has no help text"
    assert re.search(rf"^\| `screener {re.escape(name)}\b", README, re.M), (
        f"README lacks screener {name}"
    )
    for param in command.params:
        if getattr(param, "param_type_name", "") == "option":
            assert (param.help or "").strip(), f"screener {name} {param.opts[0]} has no help"


def test_docs_that_readme_links_exist() -> None:
    for link in re.findall(r"\]\((docs/[^)]+)\)", README):
        assert (ROOT / link).exists(), link


def test_make_demo_leaves_no_simulated_people_in_the_results_database(tmp_path: Path) -> None:
    """Issue 11 point 20: `make demo` put 200 simulated people in the user's real database.
    Now they go to demo.json beside it (same user data dir), and `make demo-clean` removes
    them. Run as the Quickstart says, with the install step taken as done."""
    import os
    import shutil
    import subprocess

    from screener.store import Store

    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    env = {k: v for k, v in os.environ.items() if k not in ("SCREENER_DB", "MAKEFLAGS")}
    env["XDG_DATA_HOME"] = str(tmp_path)  # platformdirs' user data dir on Linux
    make = ["make", "--no-print-directory", "-o", ".venv/.installed", "-o", ".venv/bin/python"]
    done = subprocess.run(
        [*make, "demo"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    folder = tmp_path / "screener"
    assert not (folder / "screener.json").exists()  # the results database: untouched
    demo = Store(folder / "demo.json")
    assert len(demo.candidates()) == 200
    assert f"demo database: {folder / 'demo.json'}" in done.stdout
    assert "make demo-clean" in done.stdout
    done = subprocess.run(
        [*make, "demo-clean"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, done.stderr
    assert list(folder.iterdir()) == []
