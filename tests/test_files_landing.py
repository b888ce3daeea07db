"""Results landing in the output folder (:mod:`chenzhou_water.files`), in this process: where a
command writes (the folder itself, or a staging folder whose content replaces the old set),
the refusal of an earlier result, the swap by name, what a landing moves and what its note
says, and that a landing first finishes the interrupted ones.

What the next run finishes, removes and keeps of what killed processes left is in
``test_files_leftovers.py``; the killed-process versions (a child killed with SIGKILL) in
``test_landing.py``. The process ids are read when used (mutmut runs each test in a process
forked from the one that imported this module)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chenzhou_water.errors import ValidationError
from chenzhou_water.files import (
    LANDING_NOTE,
    moved,
    refuse_existing,
    replace_from_staging,
    result_place,
    staged_set,
    unfinished_landing,
)
from tests.files_support import (
    DEAD,
    busy,
    landings_among_other_folders,
    tree,
    write_file,
)

# --- result_place: where a command writes, and what it refuses -------------------------------


def _old_sweep(out: Path) -> list[Path]:
    """An earlier sweep "a" in ``out`` (its table, chunks and metrics) beside a user's note."""
    write_file(out / "a.nc", "old table")
    write_file(out / "a.chunks" / "0.nc", "old chunk 0")
    write_file(out / "a.chunks" / "1.nc", "old chunk 1")
    write_file(out / "a_metrics.csv", "old metrics")
    write_file(out / "notes.txt", "mine")
    return [out / "a.nc", out / "a.chunks", out / "a_metrics.csv"]


def test_overwrite_and_resume_together_are_refused_before_anything_is_touched(tmp_path):
    existing = _old_sweep(tmp_path)
    before = tree(tmp_path)
    with pytest.raises(ValidationError) as info, \
            result_place(tmp_path, "a", existing, overwrite=True, resume=True):
        pytest.fail("the block must not run")
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path}: --overwrite and --resume exclude each other: --resume continues the run "
        "in the folder, --overwrite replaces it; choose one"]
    assert tree(tmp_path) == before


def test_an_earlier_result_is_refused_naming_its_first_file_and_both_ways_on(tmp_path):
    existing = _old_sweep(tmp_path)
    (tmp_path / "a.nc").unlink()  # the first file named is the first that exists
    before = tree(tmp_path)
    with pytest.raises(ValidationError) as info, \
            result_place(tmp_path, "a", existing, overwrite=False):
        pytest.fail("the block must not run")
    (problem,) = info.value.problems
    assert (problem.file, problem.where) == (str(tmp_path / "a.chunks"), "")  # no place in it
    assert str(problem) == (
        f"{tmp_path / 'a.chunks'}: --out: already exists (and 1 more of its files), from an "
        "earlier run; pass --resume to continue it, --overwrite to replace it, or choose "
        "another place")
    assert tree(tmp_path) == before


@pytest.mark.parametrize(("overwrite", "resume"), [(False, False), (True, False), (False, True)])
def test_without_an_earlier_result_or_when_resuming_the_command_writes_in_the_folder(
        tmp_path, overwrite, resume):
    out = tmp_path / "out"
    existing = [out / "a.nc", out / "a.chunks"]
    if resume:
        write_file(out / "a.chunks" / "0.nc", "chunk 0 of the run resumed")
    with result_place(out, "a", existing, overwrite=overwrite, resume=resume) as place:
        assert place == out
        write_file(place / "a.nc", "table")
    assert moved(place / "a.nc", place, out) == out / "a.nc"
    expected = {"a.nc": "table"}
    if resume:
        expected["a.chunks/0.nc"] = "chunk 0 of the run resumed"
    assert tree(tmp_path / "out") == expected


def test_overwrite_writes_aside_and_then_replaces_the_old_set_by_name(tmp_path):
    existing = _old_sweep(tmp_path)
    with result_place(tmp_path, "a", existing, overwrite=True) as place:
        assert place.parent == tmp_path
        assert place.name.startswith(f".a.{os.getpid()}.")
        assert place.name.endswith(".partial")
        assert (tmp_path / "a.nc").read_text(encoding="utf-8") == "old table"  # until the end
        written = [write_file(place / "a.nc", "new table"),
                   write_file(place / "a.chunks" / "0.nc", "new chunk 0"),
                   write_file(place / "a_metrics.csv", "new metrics")]
    # the chunks folder is replaced whole: the old run's second chunk does not survive
    assert tree(tmp_path) == {"a.chunks/0.nc": "new chunk 0", "a.nc": "new table",
                               "a_metrics.csv": "new metrics", "notes.txt": "mine"}
    assert [moved(p, place, tmp_path) for p in written] == [
        tmp_path / "a.nc", tmp_path / "a.chunks" / "0.nc", tmp_path / "a_metrics.csv"]
    elsewhere = tmp_path / "elsewhere" / "a.nc"
    assert moved(elsewhere, place, tmp_path) == elsewhere


def test_an_overwrite_that_fails_leaves_the_old_set_and_no_staging_folder(tmp_path):
    existing = _old_sweep(tmp_path)
    before = tree(tmp_path)

    def failing_run() -> None:
        with result_place(tmp_path, "a", existing, overwrite=True) as place:
            write_file(place / "a.nc", "half of a new table")
            raise RuntimeError("the run failed")

    with pytest.raises(RuntimeError, match="the run failed"):
        failing_run()
    assert tree(tmp_path) == before


def test_a_dangling_link_under_a_results_name_counts_as_an_earlier_result(tmp_path):
    (tmp_path / "a.nc").symlink_to(tmp_path / "gone.nc")
    with pytest.raises(ValidationError):
        refuse_existing([tmp_path / "a.nc"], overwrite=False)
    with result_place(tmp_path, "a", [tmp_path / "a.nc"], overwrite=True) as place:
        assert place != tmp_path  # replaced through a staging folder
        write_file(place / "a.nc", "new")
    assert tree(tmp_path) == {"a.nc": "new"}


def test_an_unusable_output_place_is_a_problem_of_the_folder_with_no_place_in_a_file(
        tmp_path, monkeypatch):
    """``where`` (a place inside an input file) is empty: the problem is the folder itself."""
    import tempfile

    from chenzhou_water.files import check_output_folder

    write_file(tmp_path / "f", "a file")
    for folder in (tmp_path / "f", tmp_path / "f" / "sub"):
        with pytest.raises(ValidationError) as info:
            check_output_folder(folder)
        assert [(p.file, p.where) for p in info.value.problems] == [(str(folder), "")]

    def refuse(*args, **kwargs):
        raise PermissionError(13, "Permission denied")

    monkeypatch.setattr(tempfile, "mkstemp", refuse)
    with pytest.raises(ValidationError) as info:
        check_output_folder(tmp_path / "out")
    assert [(p.file, p.where) for p in info.value.problems] == [(str(tmp_path / "out"), "")]


def test_the_refusal_counts_the_other_files_and_names_the_option(tmp_path):
    paths = [write_file(tmp_path / n, "x") for n in ("a.nc", "a.csv", "a.png")] + [tmp_path / "b"]
    with pytest.raises(ValidationError) as info:
        refuse_existing(paths, overwrite=False, option="--plots")
    assert [str(p) for p in info.value.problems] == [
        f"{paths[0]}: --plots: already exists (and 2 more of its files), from an earlier run; "
        "pass --overwrite to replace it, or choose another place"]
    with pytest.raises(ValidationError) as info:
        refuse_existing(paths[2:], overwrite=False)
    assert [str(p) for p in info.value.problems] == [
        f"{paths[2]}: --out: already exists, from an earlier run; pass --overwrite to replace "
        "it, or choose another place"]
    refuse_existing(paths, overwrite=True)  # told to: nothing is refused
    refuse_existing(paths[3:], overwrite=False)  # nothing there


# --- replace_from_staging: the swap by name ----------------------------------------------------


def test_replacing_returns_the_final_paths_in_name_order_and_swaps_folders_whole(tmp_path):
    out, staging = tmp_path / "out", tmp_path / "out" / ".s"
    write_file(out / "a.chunks" / "old.nc", "old")
    write_file(out / "b.csv", "old b")
    write_file(out / "c", "a file where a folder now goes")
    write_file(out / "d.chunks" / "x", "a folder where a file now goes")
    for name in ("b.csv", "a.chunks/new.nc", "c/inside", "d.chunks"):
        write_file(staging / name, f"new {name}")
    final = replace_from_staging(staging, out)
    assert final == [out / "a.chunks", out / "b.csv", out / "c", out / "d.chunks"]
    assert tree(out) == {"a.chunks/new.nc": "new a.chunks/new.nc", "b.csv": "new b.csv",
                          "c/inside": "new c/inside", "d.chunks": "new d.chunks"}
    assert list(staging.iterdir()) == []


def test_a_folder_is_set_aside_in_the_output_folder_while_swapped_and_a_file_replaced_at_once(
        tmp_path, monkeypatch):
    out, staging = tmp_path / "out", tmp_path / "out" / ".s"
    write_file(out / "a.chunks" / "old.nc", "old")
    write_file(out / "b.csv", "old b")
    write_file(staging / "a.chunks" / "new.nc", "new")
    write_file(staging / "b.csv", "new b")
    seen, real_replace = [], os.replace

    def replace(source, target):
        seen.append((Path(target).name, sorted(p.name for p in out.iterdir())))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    replace_from_staging(staging, out)
    # the old folder moves into a hidden folder, named for this process, before the new one
    # moves in: a reader sees the old folder or the new one under the results' name
    (aside,) = set(seen[0][1]) - {".s", "a.chunks", "b.csv"}
    assert aside.startswith(f".a.chunks.{os.getpid()}.")
    assert aside.endswith(".old")
    # then the file: one rename over the old one, so its name is never missing
    assert seen == [("a.chunks", sorted([".s", aside, "a.chunks", "b.csv"])),
                    ("a.chunks", sorted([".s", aside, "b.csv"])),
                    ("b.csv", [".s", "a.chunks", "b.csv"])]
    assert tree(out) == {"a.chunks/new.nc": "new", "b.csv": "new b"}  # the old one removed


def test_a_linked_folder_is_replaced_by_the_new_one_and_what_it_linked_to_is_kept(tmp_path):
    """A results folder the user had made a link to a folder elsewhere (another disk, say) is
    replaced by the new folder; the link is removed, never what it pointed to."""
    out, staging, disk = tmp_path / "out", tmp_path / "out" / ".s", tmp_path / "disk"
    write_file(disk / "chunks" / "old.nc", "old chunk")
    write_file(disk / "table" / "x", "a folder a file's link pointed to")
    out.mkdir()
    (out / "a.chunks").symlink_to(disk / "chunks")
    (out / "a.nc").symlink_to(disk / "table")
    write_file(staging / "a.chunks" / "new.nc", "new chunk")
    write_file(staging / "a.nc", "new table")
    assert replace_from_staging(staging, out) == [out / "a.chunks", out / "a.nc"]
    assert not (out / "a.chunks").is_symlink()
    assert not (out / "a.nc").is_symlink()
    assert tree(out) == {"a.chunks/new.nc": "new chunk", "a.nc": "new table"}
    assert tree(disk) == {"chunks/old.nc": "old chunk", "table/x": "a folder a file's link "
                                                                     "pointed to"}


# --- staged_set: what lands, and the note while it lands --------------------------------------


def test_only_the_visible_plain_files_of_a_staging_folder_land(tmp_path):
    out = tmp_path / "out"
    write_file(tmp_path / "elsewhere.txt", "not a result")
    with staged_set(out, "r") as staging:
        write_file(staging / "r.nc", "table")
        write_file(staging / ".r.nc.tmp", "a hidden scratch file")
        write_file(staging / "r.parts" / "0", "a folder")
        (staging / "r_link.csv").symlink_to(tmp_path / "elsewhere.txt")
    assert tree(out) == {"r.nc": "table"}  # and the staging folder removed


def test_the_landing_note_lists_the_set_while_it_moves_and_is_gone_after(tmp_path, monkeypatch):
    out, seen, real_replace = tmp_path / "out", [], os.replace

    def replace(source, target):
        if Path(target).parent == out:
            staging = Path(source).parent
            note = json.loads((staging / LANDING_NOTE).read_text(encoding="utf-8"))
            seen.append((Path(target).name, note, unfinished_landing(out / "r_b.csv") == staging,
                         unfinished_landing(str(out / "other.csv"))))
        real_replace(source, target)

    monkeypatch.setattr(os, "replace", replace)
    with staged_set(out, "r") as staging:
        for name in ("r_c.csv", "r_a.nc", "r_b.csv"):
            write_file(staging / name, name)
    files_ = ["r_a.nc", "r_b.csv", "r_c.csv"]
    assert seen == [(name, files_, True, None) for name in files_]  # in name order
    assert unfinished_landing(out / "r_b.csv") is None
    assert tree(out) == {n: n for n in files_}


def test_a_landing_finishes_every_interrupted_landing_in_the_folder_first(tmp_path):
    """Other sets' landings, killed (their process gone) or left by this very process: holding
    the folder's lock proves nobody is moving them any more."""
    out = tmp_path / "out"
    finished = landings_among_other_folders(out, [DEAD, os.getpid()] * 3)
    with staged_set(out, "r") as staging:
        write_file(staging / "r.csv", "r")
    assert {k: v for k, v in tree(out).items() if not k.startswith(".")} == {
        "r.csv": "r", **finished}


def test_an_old_folder_that_cannot_be_wholly_removed_does_not_stop_the_new_set(tmp_path,
                                                                              monkeypatch):
    existing = _old_sweep(tmp_path)
    write_file(tmp_path / "a.chunks" / "held", "h")
    busy(monkeypatch, "held")
    with result_place(tmp_path, "a", existing, overwrite=True) as place:
        write_file(place / "a.nc", "new table")
        write_file(place / "a.chunks" / "0.nc", "new chunk 0")
        write_file(place / "a_metrics.csv", "new metrics")
    held = tree(tmp_path)
    (aside,) = {name.split("/")[0] for name in held if name.startswith(".")}
    assert aside.startswith(f".a.chunks.{os.getpid()}.")
    assert held == {"a.chunks/0.nc": "new chunk 0", "a.nc": "new table",
                    "a_metrics.csv": "new metrics", "notes.txt": "mine",
                    f"{aside}/a.chunks/held": "h"}  # the rest of the old folder removed
