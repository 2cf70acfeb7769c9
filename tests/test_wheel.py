"""The installed wheel, not only the checkout, carries the bundled content."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest
from helpers import ROOT

pytestmark = pytest.mark.slow


@pytest.fixture(scope="session")
def wheel_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Build the wheel once, install it (no deps) into a fresh venv that borrows our deps."""
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "-q",
            "-w",
            str(out),
            str(ROOT),
        ],
        check=True,
        capture_output=True,
    )
    wheels = list(out.glob("screener-*.whl"))
    assert len(wheels) == 1
    venv = out / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    py = venv / "bin" / "python"
    subprocess.run([str(py), "-m", "pip", "install", "-q", "--no-deps", str(wheels[0])], check=True)
    # the runtime dependencies come from our environment; a plain path entry, so the
    # editable checkout's own finder there is not loaded
    site = subprocess.run(
        [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    Path(site, "borrowed-deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return venv


def test_wheel_lists_bundled_assessments_from_another_directory(
    wheel_venv: Path, tmp_path: Path
) -> None:
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    where = subprocess.run(
        [str(wheel_venv / "bin" / "python"), "-c", "import screener; print(screener.__file__)"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout
    assert str(wheel_venv) in where, where
    result = subprocess.run(
        [str(wheel_venv / "bin" / "screener"), "assessments", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    rows = json.loads(result.stdout)
    assert rows, "no bundled assessments in the wheel"
    assert all(str(wheel_venv) in row["source"] for row in rows)
    bundled = sorted(p.stem for p in (ROOT / "assessments").glob("*.yaml"))
    assert sorted(Path(row["source"]).stem for row in rows) == bundled
    modules = subprocess.run(
        [str(wheel_venv / "bin" / "screener"), "modules", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert len(json.loads(modules.stdout)) == len(list((ROOT / "modules").glob("*.yaml")))
    valid = subprocess.run(
        [str(wheel_venv / "bin" / "screener"), "validate"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert valid.returncode == 0, valid.stdout


def test_wheel_carries_the_bundled_program(wheel_venv: Path, tmp_path: Path) -> None:
    """The program commands work from the installed wheel, far from the checkout."""
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    env["SCREENER_DB"] = str(tmp_path / "db.json")
    where = subprocess.run(
        [
            str(wheel_venv / "bin" / "python"),
            "-c",
            "from screener.program import program_files; print(*program_files(), sep='\\n')",
        ],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        check=True,
    ).stdout.split()
    assert [Path(p).name for p in where] == [p.name for p in (ROOT / "programs").glob("*.yaml")]
    assert all(str(wheel_venv) in p for p in where)
    funnel = subprocess.run(
        [str(wheel_venv / "bin" / "screener"), "funnel", "--json"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
    )
    assert funnel.returncode == 0, funnel.stderr
    assert json.loads(funnel.stdout)["program"] == "wblc-mold-maintenance"
