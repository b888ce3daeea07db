"""What a chunk file holds on disk: series compressed, per-member metrics as they are."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import xarray as xr

from chenzhou_water.sweep.store import SweepFolder


def _chunk(series: bool) -> xr.Dataset:
    rng = np.random.default_rng(3)
    data = {"metrics": (("member", "metric"), rng.normal(size=(4, 2))),
            "background_leakage_rate": ("member", rng.uniform(0.02, 0.05, 4))}
    coords = {"member": np.arange(4), "metric": ["a", "b"]}
    if series:
        coords["time"] = pd.date_range("2015-01-01", periods=12, freq="MS")
        data["reservoir_storage"] = (("member", "time"), rng.normal(5e9, 1e8, (4, 12)))
    return xr.Dataset(data, coords=coords)


def test_only_chunks_with_series_are_compressed(tmp_path: Path) -> None:
    folder = SweepFolder(tmp_path, "s", 8, 4, "fingerprint")
    folder.chunk_dir.mkdir()
    for index, series in ((0, False), (1, True)):
        chunk = _chunk(series)
        path = folder.write_chunk(index, chunk)
        with xr.open_dataset(path) as back:
            xr.testing.assert_identical(back.load(), chunk)
            compressed = {name: bool(back[name].encoding.get("zlib")) for name in back.data_vars}
        assert compressed == {name: series for name in chunk.data_vars}
