"""What the report says about its inputs: an ensemble's sampled inputs are named (it is not
"the same as the reference"), and results covering different years get a note."""

from __future__ import annotations

import html

import xarray as xr
from report_support import results_fixture  # noqa: F401  (the `results` fixture)

from chenzhou_water.report import build_report

SWEEP_RESOLVED = """name: leaky_sweep
extends: baseline.yaml
members: 5
parameters:
  background_leakage_rate: {range: [0.02, 0.05]}
  unmetered_loss_rate: {range: [0.08, 0.14]}
levers:
  renewal_programme: {scale: [0.5, 1.5]}
"""


def _copy(results, tmp_path, name, change):
    with xr.open_dataset(results["baseline_ensemble"]) as ds:
        copy = change(ds.load())
    path = tmp_path / f"{name}.nc"
    copy.to_netcdf(path)
    return path


def _as_sweep(ds):
    ds.attrs.update(ensemble_name="leaky_sweep", sweep_resolved=SWEEP_RESOLVED,
                    stochastic_inflow="yes")
    return ds


def test_a_sweep_is_described_by_what_it_samples(results, tmp_path):
    sweep = _copy(results, tmp_path, "leaky_sweep", _as_sweep)
    page = html.unescape(build_report([results["baseline"], sweep], "en"))
    assert "do not cover the same years" not in page, "both cover 2015-2050"
    assert ("An ensemble of 5 members that sample background_leakage_rate, "
            "unmetered_loss_rate, renewal_programme, the stochastic reservoir inflow: its inputs "
            "differ from member to member.") in page
    assert "Same parameters and levers as the reference" not in page
    assert "The scenarios have the same parameters and levers" not in page


def test_results_covering_different_years_get_a_note(results, tmp_path):
    short = _copy(results, tmp_path, "short", lambda ds: ds.sel(time=slice(None, "2030-12-31")))
    page = html.unescape(build_report([results["baseline"], short], "en"))
    note = page[page.index("The results do not cover the same years ("):]
    assert note.index("2015–2050; ") < note.index("2015–2030): compare them only over the "
                                                  "years they share.")
