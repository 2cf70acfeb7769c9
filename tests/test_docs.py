"""Every command has help text and a row in README's Commands table (as sqlite-utils does)."""

from __future__ import annotations

import re
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
