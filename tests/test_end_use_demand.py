"""What the central city's customers use: the demand on the utility less real losses, worked
out by hand on a small made-up result."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import xarray as xr

from chenzhou_water.results import end_use_demand

TIMES = pd.date_range("2020-01-01", periods=4, freq="MS")
NEEDS = ("urban_water_demand", "real_loss_volume", "urban_water_production")


def _result(demand, loss, production) -> xr.Dataset:
    dims = ("member", "time")
    return xr.Dataset({"urban_water_demand": (dims, np.asarray(demand, dtype=float)),
                       "real_loss_volume": (dims, np.asarray(loss, dtype=float)),
                       "urban_water_production": (dims, np.asarray(production, dtype=float))},
                      coords={"time": TIMES, "member": [0, 1]})


def test_demand_less_the_share_of_production_lost() -> None:
    ds = _result(demand=[[100, 200, 300, 400], [50, 60, 70, 80]],
                 loss=[[10, 50, 0.25, 5], [0, 30, 9, 20]],
                 production=[[50, 250, 0.5, 0], [40, 60, 90, 100]])
    out = end_use_demand(ds)
    # loss / production: 0.2, 0.2, 0.5, and no production counts as no loss (rate 0)
    expected = [[100 * 0.8, 200 * 0.8, 300 * 0.5, 400.0],
                [50.0, 60 * 0.5, 70 * 0.9, 80 * 0.8]]
    assert out.dims == ("member", "time")
    np.testing.assert_allclose(out.values, expected, rtol=1e-15)
    np.testing.assert_array_equal(out["time"].values, TIMES.values)
    assert out.attrs == {"units": "m3/Day", "description": "end-use demand of the central city "
                                                           "(demand on the utility less real "
                                                           "losses)"}


@pytest.mark.parametrize("missing", NEEDS)
def test_none_where_the_result_lacks_one_of_the_three(missing: str) -> None:
    ds = _result(demand=[[1, 2, 3, 4]] * 2, loss=[[0, 0, 0, 0]] * 2,
                 production=[[1, 1, 1, 1]] * 2)
    assert end_use_demand(ds) is not None
    assert end_use_demand(ds.drop_vars(missing)) is None
