"""Writing a run's results: all files or none, and the scenario recorded with them."""

from __future__ import annotations

import os

import pytest

from chenzhou_water.scenario import plots
from chenzhou_water.scenario.run import run_scenario, write_run_outputs
from chenzhou_water.scenario.spec import load_scenario
from tests.conftest import ROOT


@pytest.fixture(scope="module")
def baseline_result(_cache_dir):
    return run_scenario(load_scenario(ROOT / "scenarios" / "baseline.yaml"))


def test_a_failure_part_way_leaves_no_partial_or_mixed_set(tmp_path, baseline_result,
                                                           monkeypatch):
    old = tmp_path / "baseline_summary.csv"
    old.write_text("results of an earlier run\n", encoding="utf-8")

    def broken(ds, out_dir, name):
        (out_dir / f"{name}_storage.png").write_bytes(b"half a picture")
        raise OSError("disk full")

    monkeypatch.setattr(plots, "save_run_plots", broken)
    with pytest.raises(OSError, match="disk full"):
        write_run_outputs(baseline_result, "baseline", tmp_path)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["baseline_summary.csv"]
    assert old.read_text(encoding="utf-8") == "results of an earlier run\n"


def test_outputs_land_together_and_are_readable_by_others(tmp_path, baseline_result):
    outputs = write_run_outputs(baseline_result, "baseline", tmp_path, plots=False)
    names = sorted(p.name for p in tmp_path.iterdir())
    assert names == ["baseline.nc", "baseline_monthly.csv", "baseline_summary.csv"]
    mask = os.umask(0)
    os.umask(mask)
    assert outputs.netcdf.stat().st_mode & 0o777 == 0o666 & ~mask, "the umask decides, not 0600"
    assert "model: chenzhou_water.mdl" in baseline_result.attrs["scenario_resolved"]
    assert str(ROOT) not in baseline_result.attrs["scenario_resolved"]
