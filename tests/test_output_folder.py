"""Every command that writes checks its output place before any work: a place it cannot write
is a located error with exit status 2, and nothing is left behind."""

from __future__ import annotations

import os
import time

import pytest
from typer.testing import CliRunner

from chenzhou_water.errors import ValidationError
from chenzhou_water.files import check_output_folder
from cli import app
from tests.conftest import MODEL, ROOT

runner = CliRunner()


def _writing_commands(place):
    """Each command that writes, writing under ``place`` (a folder, or a file in it)."""
    scenarios = ROOT / "scenarios"
    return {
        "run": ["run", str(scenarios / "baseline.yaml"), "--out", str(place)],
        "sweep": ["sweep", str(scenarios / "sweeps" / "drought_risk.yaml"), "--out", str(place)],
        "sensitivity": ["sensitivity", str(scenarios / "sensitivity" / "morris_all.yaml"),
                        "--out", str(place)],
        "calibrate": ["calibrate", str(ROOT / "calibration" / "targets.yaml"), "--out",
                      str(place)],
        "report": ["report", str(place / "in.nc"), "--out", str(place / "report.html")],
        "describe": ["describe", str(MODEL), "--out", str(place / "table.csv")],
        "hydrology": ["hydrology", "--plot", str(place / "hydrology.png"), "--members", "5"],
        "stress": ["stress", str(scenarios / "studies" / "policies.yaml"), "--out", str(place)],
    }


@pytest.mark.parametrize("command", sorted(_writing_commands(ROOT)))
def test_an_output_place_under_a_file_is_refused_before_any_work(tmp_path, command):
    a_file = tmp_path / "notes.txt"
    a_file.write_text("keep me", encoding="utf-8")
    place = a_file / "results"
    started = time.perf_counter()
    result = runner.invoke(app, _writing_commands(place)[command])
    assert time.perf_counter() - started < 30
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"{a_file} is a file, not a folder" in " ".join(result.output.split())
    assert a_file.read_text(encoding="utf-8") == "keep me"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"]


@pytest.mark.skipif(os.name != "posix" or os.geteuid() == 0,
                    reason="permissions do not bind the superuser")
@pytest.mark.parametrize("command", ["run", "sweep", "calibrate", "describe"])
def test_a_read_only_output_folder_is_refused_before_any_work(tmp_path, command):
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o500)
    try:
        result = runner.invoke(app, _writing_commands(locked)[command])
    finally:
        locked.chmod(0o700)
    assert result.exit_code == 2, result.output
    assert f"cannot write in {locked}" in " ".join(result.output.split())
    assert list(locked.iterdir()) == []


def test_the_check_creates_nothing_and_names_the_file_in_the_way(tmp_path):
    check_output_folder(tmp_path / "a" / "b")
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "f").write_text("", encoding="utf-8")
    with pytest.raises(ValidationError) as info:
        check_output_folder(tmp_path / "f" / "b" / "c", "--out")
    problem = info.value.problems[0]
    assert problem.file == str(tmp_path / "f" / "b" / "c")
    assert problem.message == (f"--out: {tmp_path / 'f'} is a file, not a folder: the output "
                               "folder cannot be made under it")
