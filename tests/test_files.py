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
