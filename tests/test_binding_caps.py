"""What a run's tables say: the sentence when a plausibility cap binds (word for word), and
the headline columns' captions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.model.contract import Cap
from chenzhou_water.results import binding_caps, indicator_columns

TIMES = pd.date_range("2020-01-01", periods=6, freq="MS")
CAPS = (Cap("free", 1.0), Cap("leakage_rate", 0.6), Cap("real_loss_rate", 0.5))


def _dataset(leakage: np.ndarray, loss: np.ndarray) -> xr.Dataset:
    dims = ("member", "time") if leakage.ndim == 2 else ("time",)
    coords = {"time": TIMES}
    if leakage.ndim == 2:
        coords["member"] = np.arange(leakage.shape[0])
    return xr.Dataset({"free": (dims, np.zeros(leakage.shape)), "leakage_rate": (dims, leakage),
                       "real_loss_rate": (dims, loss)}, coords=coords)


def test_a_cap_reached_exactly_binds_and_the_sentence_counts_months_and_members() -> None:
    leakage = np.full((3, 6), 0.3)
    leakage[0, 1] = 0.6  # exactly at the cap: binds
    leakage[2, 1:4] = 0.6
    loss = np.full((3, 6), 0.5 - 2e-9)  # below the cap by more than the tolerance
    found = binding_caps(_dataset(leakage, loss), CAPS)
    assert found == [
        "leakage_rate sits at its cap of 0.6 (MIN(0.6, ...) in the model) in 3 months from "
        "2020-02 to 2020-04 (2 of 3 members): its equation gives more there, and the capped "
        "value is used"
    ]


def test_a_cap_within_the_tolerance_binds_and_later_caps_are_still_checked() -> None:
    leakage = np.full((2, 6), 0.3)
    loss = np.full((2, 6), 0.2)
    loss[1, 5] = 0.5 - 1e-9  # at the tolerance's edge: still at the cap
    found = binding_caps(_dataset(leakage, loss), CAPS)
    assert found == [
        "real_loss_rate sits at its cap of 0.5 (MIN(0.5, ...) in the model) in 1 months from "
        "2020-06 to 2020-06 (1 of 2 members): its equation gives more there, and the capped "
        "value is used"
    ]


def test_one_member_or_one_series_names_no_member_count() -> None:
    leakage = np.array([[0.3, 0.6, 0.6, 0.3, 0.3, 0.3]])
    loss = np.full((1, 6), 0.1)
    (one,) = binding_caps(_dataset(leakage, loss), CAPS)
    assert one.endswith("in 2 months from 2020-02 to 2020-03: its equation gives more there, "
                        "and the capped value is used")
    (series,) = binding_caps(_dataset(leakage[0], loss[0]), CAPS)
    assert series == one


def test_a_result_without_time_or_without_the_variable() -> None:
    ds = xr.Dataset({"leakage_rate": ((), 0.6)})  # one value, no time axis: no span named
    assert binding_caps(ds, CAPS) == [
        "leakage_rate sits at its cap of 0.6 (MIN(0.6, ...) in the model): its equation gives "
        "more there, and the capped value is used"
    ]
    assert binding_caps(xr.Dataset({"other": ("time", np.ones(2))}), CAPS) == []


def test_a_headline_caption_names_its_unit_in_brackets_unless_it_has_none() -> None:
    captions = indicator_columns()
    assert captions["dc_pue"] == "Data-centre PUE (worst month)"  # a ratio: no unit
    assert captions["leakage_rate_pct"].endswith(" [%]")
