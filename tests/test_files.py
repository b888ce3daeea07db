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
import pytest

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
    median = annual_indicators(ds, [absent, total, low])
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
    # the CF conventions attribute netCDF tools read
    assert attrs["conventions"] == "CF-1.8 (time, units); chenzhou-water results contract"
    text = resolved_text({"name": "东江", "parameters": {"b": 1, "a": 2}})
    assert text.startswith("name: 东江\n")  # Chinese kept as written, keys in their order
    assert yaml.safe_load(text) == {"name": "东江", "parameters": {"b": 1, "a": 2}}
    assert text.index("b: 1") < text.index("a: 2")


# --- staging folders, the cache folder, the output-place check -------------------------------


def test_files_get_the_umasks_permissions_not_mkstemps_private_ones(tmp_path: Path) -> None:
    from chenzhou_water import files

    path = write_text(tmp_path / "shared.txt", "x")
    assert path.stat().st_mode & 0o777 == 0o666 & ~files._UMASK


def test_a_staged_folder_is_private_named_after_the_process_and_removed(tmp_path: Path) -> None:
    from chenzhou_water.files import staged_folder

    with staged_folder(tmp_path / "out", "baseline") as folder:
        assert folder.parent == tmp_path / "out"
        assert folder.name.startswith(f".baseline.{os.getpid()}.")
        assert folder.name.endswith(".partial")
        (folder / "a.nc").write_bytes(b"x")
        os.replace(folder / "a.nc", tmp_path / "out" / "a.nc")
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.nc"]


def test_stale_staging_of_ended_processes_goes_live_and_foreign_ones_stay(
    tmp_path: Path, monkeypatch
) -> None:
    from chenzhou_water import files
    from chenzhou_water.files import remove_stale_staging

    ended = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                           capture_output=True, text=True, check=True)
    dead = int(ended.stdout)
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        names = {
            f".baseline.{dead}.abc.partial": False,        # its process ended: removed
            ".baseline.xyz.partial": False,                 # older form, no process: removed
            f".baseline.{live.pid}.partial": False,         # older form, whatever the number
            f".baseline.{os.getpid()}.abc.partial": True,  # this process: kept
            f".baseline.{live.pid}.abc.partial": True,     # another live process: kept
            f".other.{dead}.abc.partial": True,            # another scenario's: kept
        }
        for name in names:
            (tmp_path / name).mkdir()
        (tmp_path / f".baseline.{dead}.file.partial").write_text("not a folder")
        removed = remove_stale_staging(tmp_path, "baseline")
        # asking whether it is alive sent it no signal (signal 0): it is still running
        with pytest.raises(subprocess.TimeoutExpired):
            live.wait(timeout=1)
    finally:
        live.kill()
        live.wait(timeout=30)
    assert sorted(p.name for p in removed) == sorted(n for n, keep in names.items() if not keep)
    left = {p.name for p in tmp_path.iterdir()}
    assert left == {n for n, keep in names.items() if keep} | {f".baseline.{dead}.file.partial"}
    # another user's process (the signal is refused) is alive; an impossible number is not
    def refused(pid, signal):
        raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "kill", refused)
    assert files._alive(4242)
    monkeypatch.undo()
    assert not files._alive(2**31)
    assert not files._alive(None)


def test_the_cache_folder_is_the_variable_or_the_platforms(monkeypatch, tmp_path: Path) -> None:
    import platformdirs

    from chenzhou_water.files import CACHE_ENV, cache_root

    monkeypatch.setenv(CACHE_ENV, str(tmp_path / "c"))
    assert cache_root() == tmp_path / "c"
    monkeypatch.setenv(CACHE_ENV, "~/x")
    assert cache_root() == Path("~/x").expanduser()
    monkeypatch.delenv(CACHE_ENV)
    assert cache_root() == Path(platformdirs.user_cache_dir("chenzhou-water", appauthor=False))


def test_the_output_check_names_the_file_in_the_way_and_creates_nothing(tmp_path: Path) -> None:
    import pytest

    from chenzhou_water.errors import ValidationError
    from chenzhou_water.files import check_output_folder

    check_output_folder(tmp_path / "new" / "deeper")  # can be made: fine, and not made
    assert list(tmp_path.iterdir()) == []
    (tmp_path / "f").write_text("a file")
    with pytest.raises(ValidationError) as info:
        check_output_folder(tmp_path / "f", "--plot")
    file = tmp_path / "f"
    assert [str(p) for p in info.value.problems] == [
        f"{file}: --plot: {file} is a file, not a folder"]
    with pytest.raises(ValidationError) as info:
        check_output_folder(file / "sub")
    assert [str(p) for p in info.value.problems] == [
        f"{file / 'sub'}: --out: {file} is a file, not a folder: the output folder cannot be "
        "made under it"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["f"]


def test_netcdf_is_written_whole_and_compressed(tmp_path: Path) -> None:
    import numpy as np
    import xarray as xr

    from chenzhou_water.files import write_netcdf

    ds = xr.Dataset({"a": (("member", "time"), np.arange(12.0).reshape(3, 4)),
                     "b": ("time", np.ones(4))}, attrs={"scenario": "基线"})
    path = write_netcdf(ds, tmp_path / "out" / "r.nc")
    assert path == tmp_path / "out" / "r.nc"
    assert [p.name for p in path.parent.iterdir()] == ["r.nc"]
    with xr.open_dataset(path, engine="netcdf4") as back:
        xr.testing.assert_identical(back.load(), ds)
        for name in ("a", "b"):
            assert back[name].encoding["zlib"] is True
            assert back[name].encoding["complevel"] == 4


def test_a_folder_that_cannot_be_written_is_a_located_error(monkeypatch, tmp_path: Path) -> None:
    """The probe file cannot be made (as a read-only folder refuses it; root ignores a chmod,
    so the refusal is simulated): the error names the folder, the option and the reason."""
    import tempfile

    import pytest

    from chenzhou_water.errors import ValidationError
    from chenzhou_water.files import check_output_folder

    def refuse(strerror):
        def mkstemp(*args, **kwargs):
            raise PermissionError(13, strerror) if strerror else PermissionError()
        return mkstemp

    for strerror, reason in (("Permission denied", "Permission denied"),
                             (None, "PermissionError")):
        monkeypatch.setattr(tempfile, "mkstemp", refuse(strerror))
        with pytest.raises(ValidationError) as info:
            check_output_folder(tmp_path / "a" / "b", "--out")
        assert [str(p) for p in info.value.problems] == [
            f"{tmp_path / 'a' / 'b'}: --out: cannot write in {tmp_path}: {reason}"]
        assert isinstance(info.value.__cause__, PermissionError)


def test_the_probe_is_made_in_the_nearest_existing_folder_and_removed(monkeypatch,
                                                                       tmp_path: Path) -> None:
    import tempfile

    from chenzhou_water.files import check_output_folder

    made = []
    real = tempfile.mkstemp

    def recording(*args, **kwargs):
        handle, name = real(*args, **kwargs)
        made.append(Path(name))
        return handle, name

    monkeypatch.setattr(tempfile, "mkstemp", recording)
    (tmp_path / "a").mkdir()
    check_output_folder(tmp_path / "a" / "b" / "c")
    (probe,) = made
    assert probe.parent == tmp_path / "a"
    assert probe.name.startswith(".write-probe-")
    assert not probe.exists()
    assert [p.name for p in tmp_path.iterdir()] == ["a"]
    assert list((tmp_path / "a").iterdir()) == []


def test_csv_numbers_keep_six_significant_digits(tmp_path: Path) -> None:
    frame = pd.DataFrame({"v": [1 / 3, 1.5e-7, 123456789.0]}, index=pd.Index([1, 2, 3], name="i"))
    text = write_csv(frame, tmp_path / "n.csv").read_bytes()[3:].decode("utf-8")
    assert text.splitlines() == ["i,v", "1,0.333333", "2,1.5e-07", "3,1.23457e+08"]
