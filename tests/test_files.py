"""The one writer (:mod:`chenzhou_water.files`): files appear whole or not at all, CSVs carry the
byte-order mark Excel needs, checked on the bytes written and on a killed writer."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd

from chenzhou_water.files import atomic_path, write_bytes, write_csv, write_text

BOM = b"\xef\xbb\xbf"


def test_csv_starts_with_one_byte_order_mark_then_utf8(tmp_path: Path) -> None:
    frame = pd.DataFrame({"供水量 [m3/d]": [1.5, 2.25]}, index=pd.Index([2020, 2021], name="year"))
    path = write_csv(frame, tmp_path / "a.csv")
    data = path.read_bytes()
    assert data[:3] == BOM
    assert data[3:6] != BOM  # exactly one
    assert data[3:].decode("utf-8").splitlines() == ["year,供水量 [m3/d]", "2020,1.5",
                                                     "2021,2.25"]


def test_text_and_bytes_replace_the_file_whole(tmp_path: Path) -> None:
    target = tmp_path / "sub" / "t.txt"
    write_text(target, "旧\n")
    assert target.read_bytes() == "旧\n".encode()
    write_bytes(target, b"new")
    assert target.read_bytes() == b"new"
    assert sorted(p.name for p in target.parent.iterdir()) == ["t.txt"]  # no temporary left


def test_a_failed_writer_leaves_the_old_file_and_no_temporary(tmp_path: Path) -> None:
    target = tmp_path / "t.txt"
    target.write_text("old", encoding="utf-8")
    try:
        with atomic_path(target) as tmp:
            assert tmp != target
            assert tmp.parent == target.parent
            tmp.write_text("half", encoding="utf-8")
            raise KeyboardInterrupt
    except KeyboardInterrupt:
        pass
    assert target.read_text(encoding="utf-8") == "old"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["t.txt"]


WRITER = textwrap.dedent("""
    import os, sys, time
    from chenzhou_water.files import atomic_path

    with atomic_path(sys.argv[1]) as tmp:
        with open(tmp, "wb") as handle:
            handle.write(b"the first half of a new file")
            handle.flush()
            os.fsync(handle.fileno())
            print("half written", flush=True)
            time.sleep(60)
            handle.write(b" and its second half")
""")


def test_a_writer_killed_mid_write_leaves_the_old_file_intact(tmp_path: Path) -> None:
    target = tmp_path / "result.csv"
    target.write_bytes(b"the previous complete file")
    env = {**os.environ, "PYTHONPATH": str(Path(__file__).resolve().parents[1])}
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(target)], env=env,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert writer.stdout is not None
        assert writer.stdout.readline().strip() == "half written"
        writer.send_signal(signal.SIGKILL)
    finally:
        writer.wait(timeout=30)
    assert writer.returncode == -signal.SIGKILL
    assert target.read_bytes() == b"the previous complete file"
    # the killed writer's temporary is the only other file: hidden, and never the final name
    others = [p.name for p in tmp_path.iterdir() if p != target]
    assert len(others) == 1
    assert others[0].startswith(".result.csv.")
    assert others[0].endswith(".part")
    assert (tmp_path / others[0]).read_bytes() == b"the first half of a new file"


# --- what a result records beside its numbers (results.py) -------------------------------------


def test_annual_indicators_by_hand_with_the_median_or_mean_of_members() -> None:
    import numpy as np
    import xarray as xr

    from chenzhou_water.model.contract import Indicator
    from chenzhou_water.results import annual_indicators, indicator_columns

    time = pd.date_range("2020-01-01", periods=24, freq="MS")
    values = np.stack([np.arange(24.0), 10 * np.arange(24.0), 100 + np.arange(24.0)])
    ds = xr.Dataset({"v": (("member", "time"), values)}, coords={"time": time})
    total = Indicator("v_sum", "v", "sum", 0.5, "u", "V summed", "V 合计")
    low = Indicator("v_min", "v", "min", 2.0, "u", "V lowest", "V 最低")
    absent = Indicator("w_mean", "w", "mean", 1.0, "u", "W", "W")
    # member sums: 2020 = 66, 660, 1266; 2021 = 210, 2100, 1410 (times 0.5)
    median = annual_indicators(ds, [total, low, absent])
    assert median.index.name == "year"
    assert median.index.tolist() == [2020, 2021]
    assert list(median.columns) == ["v_sum", "v_min"]  # an absent variable gives no column
    assert median["v_sum"].tolist() == [0.5 * 660, 0.5 * 1410]
    assert median["v_min"].tolist() == [2.0 * 0, 2.0 * 112]  # lowest: 0, 0, 100 / 12, 120, 112
    mean = annual_indicators(ds, [total], member_stat="mean")
    assert mean["v_sum"].tolist() == [0.5 * (66 + 660 + 1266) / 3, 0.5 * (210 + 2100 + 1410) / 3]
    assert indicator_columns([total, low]) == {"v_sum": "V summed [u]", "v_min": "V lowest [u]"}


def test_provenance_and_resolved_text() -> None:
    import yaml

    from chenzhou_water import __version__
    from chenzhou_water.results import provenance, resolved_text

    attrs = provenance(engine="numpy", members=3)
    assert attrs["package"] == "chenzhou-water"
    assert attrs["package_version"] == __version__
    assert (attrs["engine"], attrs["members"]) == ("numpy", "3")  # extras as text
    assert attrs["created_utc"].endswith("+00:00")
    text = resolved_text({"name": "东江", "parameters": {"b": 1, "a": 2}})
    assert text.startswith("name: 东江\n")  # Chinese kept as written, keys in their order
    assert yaml.safe_load(text) == {"name": "东江", "parameters": {"b": 1, "a": 2}}
    assert text.index("b: 1") < text.index("a: 2")
