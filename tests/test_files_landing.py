"""Results landing in the output folder (:mod:`chenzhou_water.files`), in this process: where a
command writes (the folder itself, or a staging folder whose content replaces the old set),
the refusal of an earlier result, what a landing moves and what its note says, how the next
run finishes an interrupted landing or removes what a killed process left, and which of those
leftovers it must keep (a live process's, a link, anything outside the folder).

The killed-process versions of these checks (a child killed with SIGKILL) are in
``test_landing.py``; here the leftovers are made by hand, named for a process that cannot
exist (``DEAD``) or for this one (alive; read when used: mutmut runs each test in a process
forked from the one that imported this module)."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from chenzhou_water import files
from chenzhou_water.errors import ValidationError
from chenzhou_water.files import (
    LANDING_NOTE,
    moved,
    refuse_existing,
    remove_stale_staging,
    replace_from_staging,
    result_place,
    staged_set,
    unfinished_landing,
    write_text,
)

DEAD = 2**31 - 2  # a process id no system gives out: its process "has ended"


def _write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def _tree(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (relative name -> content), links and hidden ones included."""
    return {str(p.relative_to(folder)): (f"-> {os.readlink(p)}" if p.is_symlink()
                                         else p.read_text(encoding="utf-8"))
            for p in sorted(folder.rglob("*")) if p.is_symlink() or p.is_file()}


def _interrupted(parent: Path, name: str, pid: int, note, contents: dict[str, str],
                 tag: str = "k2j4h5g6") -> Path:
    """A staging folder a landing left, as ``staged_set`` names it: ``note`` (the landing
    note's value, or text written as it is) and the files not yet moved."""
    folder = parent / f".{name}.{pid}.{tag}.partial"
    folder.mkdir(parents=True)
    text = note if isinstance(note, str) else json.dumps(note)
    _write(folder / LANDING_NOTE, text)
    for file, content in contents.items():
        _write(folder / file, content)
    return folder


# --- result_place: where a command writes, and what it refuses -------------------------------


def _old_sweep(out: Path) -> list[Path]:
    """An earlier sweep "a" in ``out`` (its table, chunks and metrics) beside a user's note."""
    _write(out / "a.nc", "old table")
    _write(out / "a.chunks" / "0.nc", "old chunk 0")
    _write(out / "a.chunks" / "1.nc", "old chunk 1")
    _write(out / "a_metrics.csv", "old metrics")
    _write(out / "notes.txt", "mine")
    return [out / "a.nc", out / "a.chunks", out / "a_metrics.csv"]


def test_overwrite_and_resume_together_are_refused_before_anything_is_touched(tmp_path):
    existing = _old_sweep(tmp_path)
    before = _tree(tmp_path)
    with pytest.raises(ValidationError) as info, \
            result_place(tmp_path, "a", existing, overwrite=True, resume=True):
        pytest.fail("the block must not run")
    assert [str(p) for p in info.value.problems] == [
        f"{tmp_path}: --overwrite and --resume exclude each other: --resume continues the run "
        "in the folder, --overwrite replaces it; choose one"]
    assert _tree(tmp_path) == before


def test_an_earlier_result_is_refused_naming_its_first_file_and_both_ways_on(tmp_path):
    existing = _old_sweep(tmp_path)
    (tmp_path / "a.nc").unlink()  # the first file named is the first that exists
    before = _tree(tmp_path)
    with pytest.raises(ValidationError) as info, \
            result_place(tmp_path, "a", existing, overwrite=False):
        pytest.fail("the block must not run")
    (problem,) = info.value.problems
    assert problem.file == str(tmp_path / "a.chunks")
    assert str(problem) == (
        f"{tmp_path / 'a.chunks'}: --out: already exists (and 1 more of its files), from an "
        "earlier run; pass --resume to continue it, --overwrite to replace it, or choose "
        "another place")
    assert _tree(tmp_path) == before


@pytest.mark.parametrize(("overwrite", "resume"), [(False, False), (True, False), (False, True)])
def test_without_an_earlier_result_or_when_resuming_the_command_writes_in_the_folder(
        tmp_path, overwrite, resume):
    out = tmp_path / "out"
    existing = [out / "a.nc", out / "a.chunks"]
    if resume:
        _write(out / "a.chunks" / "0.nc", "chunk 0 of the run resumed")
    with result_place(out, "a", existing, overwrite=overwrite, resume=resume) as place:
        assert place == out
        _write(place / "a.nc", "table")
    assert moved(place / "a.nc", place, out) == out / "a.nc"
    expected = {"a.nc": "table"}
    if resume:
        expected["a.chunks/0.nc"] = "chunk 0 of the run resumed"
    assert _tree(tmp_path / "out") == expected


def test_overwrite_writes_aside_and_then_replaces_the_old_set_by_name(tmp_path):
    existing = _old_sweep(tmp_path)
    with result_place(tmp_path, "a", existing, overwrite=True) as place:
        assert place.parent == tmp_path
        assert place.name.startswith(f".a.{os.getpid()}.")
        assert place.name.endswith(".partial")
        assert (tmp_path / "a.nc").read_text(encoding="utf-8") == "old table"  # until the end
        written = [_write(place / "a.nc", "new table"),
                   _write(place / "a.chunks" / "0.nc", "new chunk 0"),
                   _write(place / "a_metrics.csv", "new metrics")]
    # the chunks folder is replaced whole: the old run's second chunk does not survive
    assert _tree(tmp_path) == {"a.chunks/0.nc": "new chunk 0", "a.nc": "new table",
                               "a_metrics.csv": "new metrics", "notes.txt": "mine"}
    assert [moved(p, place, tmp_path) for p in written] == [
        tmp_path / "a.nc", tmp_path / "a.chunks" / "0.nc", tmp_path / "a_metrics.csv"]
    elsewhere = tmp_path / "elsewhere" / "a.nc"
    assert moved(elsewhere, place, tmp_path) == elsewhere


def test_an_overwrite_that_fails_leaves_the_old_set_and_no_staging_folder(tmp_path):
    existing = _old_sweep(tmp_path)
    before = _tree(tmp_path)

    def failing_run() -> None:
        with result_place(tmp_path, "a", existing, overwrite=True) as place:
            _write(place / "a.nc", "half of a new table")
            raise RuntimeError("the run failed")

    with pytest.raises(RuntimeError, match="the run failed"):
        failing_run()
    assert _tree(tmp_path) == before


def test_a_dangling_link_under_a_results_name_counts_as_an_earlier_result(tmp_path):
    (tmp_path / "a.nc").symlink_to(tmp_path / "gone.nc")
    with pytest.raises(ValidationError):
        refuse_existing([tmp_path / "a.nc"], overwrite=False)
    with result_place(tmp_path, "a", [tmp_path / "a.nc"], overwrite=True) as place:
        assert place != tmp_path  # replaced through a staging folder
        _write(place / "a.nc", "new")
    assert _tree(tmp_path) == {"a.nc": "new"}


def test_the_refusal_counts_the_other_files_and_names_the_option(tmp_path):
    paths = [_write(tmp_path / n, "x") for n in ("a.nc", "a.csv", "a.png")] + [tmp_path / "b"]
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
    _write(out / "a.chunks" / "old.nc", "old")
    _write(out / "b.csv", "old b")
    _write(out / "c", "a file where a folder now goes")
    _write(out / "d.chunks" / "x", "a folder where a file now goes")
    for name in ("b.csv", "a.chunks/new.nc", "c/inside", "d.chunks"):
        _write(staging / name, f"new {name}")
    final = replace_from_staging(staging, out)
    assert final == [out / "a.chunks", out / "b.csv", out / "c", out / "d.chunks"]
    assert _tree(out) == {"a.chunks/new.nc": "new a.chunks/new.nc", "b.csv": "new b.csv",
                          "c/inside": "new c/inside", "d.chunks": "new d.chunks"}
    assert list(staging.iterdir()) == []


def test_a_folder_is_set_aside_in_the_output_folder_while_swapped_and_a_file_replaced_at_once(
        tmp_path, monkeypatch):
    out, staging = tmp_path / "out", tmp_path / "out" / ".s"
    _write(out / "a.chunks" / "old.nc", "old")
    _write(out / "b.csv", "old b")
    _write(staging / "a.chunks" / "new.nc", "new")
    _write(staging / "b.csv", "new b")
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
    assert _tree(out) == {"a.chunks/new.nc": "new", "b.csv": "new b"}  # the old one removed


def test_a_linked_folder_is_replaced_by_the_new_one_and_what_it_linked_to_is_kept(tmp_path):
    """A results folder the user had made a link to a folder elsewhere (another disk, say) is
    replaced by the new folder; the link is removed, never what it pointed to."""
    out, staging, disk = tmp_path / "out", tmp_path / "out" / ".s", tmp_path / "disk"
    _write(disk / "chunks" / "old.nc", "old chunk")
    _write(disk / "table" / "x", "a folder a file's link pointed to")
    out.mkdir()
    (out / "a.chunks").symlink_to(disk / "chunks")
    (out / "a.nc").symlink_to(disk / "table")
    _write(staging / "a.chunks" / "new.nc", "new chunk")
    _write(staging / "a.nc", "new table")
    assert replace_from_staging(staging, out) == [out / "a.chunks", out / "a.nc"]
    assert not (out / "a.chunks").is_symlink()
    assert not (out / "a.nc").is_symlink()
    assert _tree(out) == {"a.chunks/new.nc": "new chunk", "a.nc": "new table"}
    assert _tree(disk) == {"chunks/old.nc": "old chunk", "table/x": "a folder a file's link "
                                                                     "pointed to"}


# --- staged_set: what lands, and the note while it lands --------------------------------------


def test_only_the_visible_plain_files_of_a_staging_folder_land(tmp_path):
    out = tmp_path / "out"
    _write(tmp_path / "elsewhere.txt", "not a result")
    with staged_set(out, "r") as staging:
        _write(staging / "r.nc", "table")
        _write(staging / ".r.nc.tmp", "a hidden scratch file")
        _write(staging / "r.parts" / "0", "a folder")
        (staging / "r_link.csv").symlink_to(tmp_path / "elsewhere.txt")
    assert _tree(out) == {"r.nc": "table"}  # and the staging folder removed


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
            _write(staging / name, name)
    files_ = ["r_a.nc", "r_b.csv", "r_c.csv"]
    assert seen == [(name, files_, True, None) for name in files_]  # in name order
    assert unfinished_landing(out / "r_b.csv") is None
    assert _tree(out) == {n: n for n in files_}


def test_a_landing_finishes_any_interrupted_landing_in_the_folder_first(tmp_path):
    """Another set's landing, killed (its process gone) or left by this very process: holding
    the folder's lock proves nobody is moving it any more."""
    out = tmp_path / "out"
    _write(out / "x.csv", "old x")
    _write(out / "y.csv", "old y")
    _interrupted(out, "x", DEAD, ["x.csv"], {"x.csv": "new x"})
    _interrupted(out, "y", os.getpid(), ["y.csv"], {"y.csv": "new y"})
    with staged_set(out, "r") as staging:
        _write(staging / "r.csv", "r")
    assert _tree(out) == {"r.csv": "r", "x.csv": "new x", "y.csv": "new y"}


# --- remove_stale_staging: what the next run finishes, removes and keeps ---------------------


def test_finishing_moves_only_the_plain_visible_files_the_note_lists_from_the_folder(tmp_path):
    out = tmp_path / "out"
    _write(out / "a.nc", "old table")
    _write(out / "escape.txt", "the user's file")
    _write(tmp_path / "target.csv", "outside")
    listed = ["a.nc", "sub", "link.csv", ".hidden", "../escape.txt", 5, "missing.csv",
              "unlisted.csv"]
    listed.remove("unlisted.csv")
    folder = _interrupted(out, "a", DEAD, listed, {"a.nc": "new table", "sub/x": "a folder",
                                                     ".hidden": "h", "5": "a number's file",
                                                     "unlisted.csv": "not in the note"})
    (folder / "link.csv").symlink_to(tmp_path / "target.csv")
    assert remove_stale_staging(out, "a") == [folder]
    assert _tree(out) == {"a.nc": "new table", "escape.txt": "the user's file"}
    assert _tree(tmp_path)["target.csv"] == "outside"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "target.csv"]


@pytest.mark.parametrize("note", ["not json {", '{"a.nc": "a list was expected"}', "null"])
def test_a_folder_whose_note_cannot_be_read_as_a_list_is_removed_and_nothing_moved(
        tmp_path, note):
    _write(tmp_path / "a.nc", "old")
    folder = _interrupted(tmp_path, "a", DEAD, note, {"a.nc": "new"})
    assert unfinished_landing(tmp_path / "a.nc") is None
    assert remove_stale_staging(tmp_path, "a") == [folder]
    assert _tree(tmp_path) == {"a.nc": "old"}


def test_only_the_named_results_staging_folders_are_finished_or_removed(tmp_path):
    """``name`` is matched as written (glob characters included), up to the next dot."""
    for name in ("a", "ab", "[a]"):
        _interrupted(tmp_path, name, DEAD, [f"{name}.csv"], {f"{name}.csv": "new"})
        (tmp_path / f".{name}.{DEAD}.plain.partial").mkdir()
    removed = remove_stale_staging(tmp_path, "[a]")
    assert sorted(p.name for p in removed) == [f".[a].{DEAD}.k2j4h5g6.partial",
                                               f".[a].{DEAD}.plain.partial"]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [f".a.{DEAD}.k2j4h5g6.partial", f".a.{DEAD}.plain.partial",
         f".ab.{DEAD}.k2j4h5g6.partial", f".ab.{DEAD}.plain.partial", "[a].csv"])


def test_names_with_dots_are_read_for_their_process(tmp_path):
    """``.<name>.<pid>.<random>.partial`` where the name itself has dots."""
    dead = tmp_path / f".v1.2.{DEAD}.x.partial"
    live = tmp_path / f".v1.2.{os.getpid()}.x.partial"
    for folder in (dead, live):
        folder.mkdir()
    assert remove_stale_staging(tmp_path, "v1.2") == [dead]
    assert [p.name for p in tmp_path.iterdir()] == [live.name]


def test_links_and_folders_marked_as_landings_are_never_removed(tmp_path):
    """A link named like a staging folder (to a folder holding a note and files) is neither
    followed nor removed, and a folder whose landing note is not a file is kept."""
    elsewhere = _interrupted(tmp_path / "elsewhere", "a", DEAD, ["a.csv"], {"a.csv": "theirs"})
    out = tmp_path / "out"
    out.mkdir()
    link = out / f".a.{DEAD}.link.partial"
    link.symlink_to(elsewhere)
    marked = out / f".a.{DEAD}.marked.partial"
    (marked / LANDING_NOTE).mkdir(parents=True)
    _write(marked / "a.csv", "kept")
    assert remove_stale_staging(out, "a") == []
    assert link.is_symlink()
    assert _tree(elsewhere) == {LANDING_NOTE: '["a.csv"]', "a.csv": "theirs"}
    assert _tree(marked) == {"a.csv": "kept"}


def test_a_results_staging_folders_are_told_from_those_of_a_name_that_extends_it(tmp_path):
    """``a`` and ``a.5`` (a name given to the Python API may hold dots): cleaning up for ``a``
    leaves ``a.5``'s folders, a live run's and an ended one's, to ``a.5``'s own runs."""
    others = [tmp_path / f".a.5.{pid}.x.partial" for pid in (os.getpid(), DEAD)]
    own = [tmp_path / f".a.{DEAD}.x.partial", tmp_path / ".a.older.partial"]
    for folder in others + own:
        folder.mkdir()
    assert sorted(remove_stale_staging(tmp_path, "a")) == sorted(own)
    assert sorted(tmp_path.iterdir()) == sorted(others)
    assert remove_stale_staging(tmp_path, "a.5") == [others[1]]


def test_asking_whether_a_staging_folders_process_runs_sends_it_no_signal(tmp_path,
                                                                          monkeypatch):
    sent = []

    def kill(pid, signal):
        sent.append((pid, signal))
        if pid != 4242:
            raise ProcessLookupError(3, "No such process")

    monkeypatch.setattr(os, "kill", kill)
    for pid in (4242, DEAD):
        (tmp_path / f".a.{pid}.x.partial").mkdir()
    assert remove_stale_staging(tmp_path, "a") == [tmp_path / f".a.{DEAD}.x.partial"]
    assert sorted(sent) == [(4242, 0), (DEAD, 0)]  # signal 0: only asks


def _no_lock(monkeypatch, how: str, folder: Path) -> None:
    """The folder cannot be locked: it cannot be opened, or the system refuses ``flock``."""
    if how == "open":
        real_open = os.open

        def refuse_open(path, *args, **kwargs):
            if Path(path) == folder:
                raise PermissionError(13, "Permission denied")
            return real_open(path, *args, **kwargs)

        monkeypatch.setattr(os, "open", refuse_open)
    else:
        import fcntl

        def refuse_flock(handle, operation):
            raise OSError(37, "No locks available")

        monkeypatch.setattr(fcntl, "flock", refuse_flock)


@pytest.mark.parametrize("how", ["open", "flock"])
def test_without_the_folders_lock_a_live_processs_landing_is_left_alone(tmp_path, monkeypatch,
                                                                          how):
    _write(tmp_path / "a.csv", "old")
    dead = _interrupted(tmp_path, "a", DEAD, ["a.csv"], {"a.csv": "new"}, tag="dead")
    live = _interrupted(tmp_path, "a", os.getpid(), ["b.csv"], {"b.csv": "being moved"},
                        tag="live")
    _no_lock(monkeypatch, how, tmp_path)
    assert remove_stale_staging(tmp_path, "a") == [dead]
    assert _tree(tmp_path) == {"a.csv": "new", f"{live.name}/{LANDING_NOTE}": '["b.csv"]',
                               f"{live.name}/b.csv": "being moved"}
    assert unfinished_landing(tmp_path / "b.csv") == live


def test_an_unfinished_landing_is_found_among_unreadable_notes_and_other_folders(tmp_path):
    out = tmp_path / "out"
    for tag in ("n1", "n2", "n3", "n4"):
        _interrupted(out, "a", DEAD, "{ not json", {}, tag=tag)
    _interrupted(out, "b", DEAD, ["b.csv"], {}, tag="other")
    (out / f".c.{DEAD}.nonote.partial").mkdir()
    pending = _interrupted(out, "a", DEAD, ["a.nc", "a.csv"], {}, tag="pending")
    for tag in ("n5", "n6", "n7", "n8"):
        _interrupted(out, "a", DEAD, "[1, 2", {}, tag=tag)
    _interrupted(tmp_path, "a", DEAD, ["a.csv"], {})  # the folder above: not the results'
    hidden_not_staging = out / ".a.backup"
    hidden_not_staging.mkdir()
    _write(hidden_not_staging / LANDING_NOTE, '["a.csv"]')
    assert unfinished_landing(out / "a.csv") == pending
    assert unfinished_landing(str(out / "a.nc")) == pending
    assert unfinished_landing(out / "b.nc") is None
    assert unfinished_landing(tmp_path / "elsewhere" / "a.csv") is None


# --- atomic writes: the temporaries killed writers left ----------------------------------------


def test_a_write_removes_its_files_temporaries_that_ended_processes_left(tmp_path):
    names = {
        f".r[1].csv.{DEAD}.ab12.part": False,    # this file's, its process ended: removed
        f".r[1].csv.{os.getpid()}.ab12.part": True,  # a writer still going
        ".r[1].csv.ab12.part": True,             # no process recorded: not provably stale
        f".r1.csv.{DEAD}.ab12.part": True,       # another file's ([1] is not a pattern)
        f".r[1].csv.gz.{DEAD}.ab12.part": True,  # another file's: r[1].csv.gz
        f".r[1].csv.{DEAD}.ab12.partial": True,  # a staging folder's name, not a temporary's
    }
    for name in names:
        _write(tmp_path / name, "half")
    (tmp_path / f".r[1].csv.{DEAD}.dir.part").mkdir()  # a folder, not a writer's file
    write_text(tmp_path / "r[1].csv", "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [n for n, keep in names.items() if keep]
        + [f".r[1].csv.{DEAD}.dir.part", "r[1].csv"])


def test_a_temporary_that_cannot_be_removed_does_not_stop_the_write(tmp_path, monkeypatch):
    stale = _write(tmp_path / f".t.txt.{DEAD}.ab12.part", "half")
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self == stale:
            raise PermissionError(13, "Permission denied")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    write_text(tmp_path / "t.txt", "whole")
    assert _tree(tmp_path) == {stale.name: "half", "t.txt": "whole"}


def test_a_temporary_another_writer_removes_first_does_not_stop_the_clean_up(tmp_path,
                                                                              monkeypatch):
    """Two writes of one file at once both clean up: the first stale temporary checked is
    removed by the other writer between the check and the removal."""
    stale = [_write(tmp_path / f".t.txt.{DEAD}.{tag}.part", "half") for tag in ("a1", "b2", "c3")]
    real_is_file, raced = Path.is_file, []

    def is_file(self):
        answer = real_is_file(self)
        if self in stale and not raced:
            raced.append(self)
            os.unlink(self)
        return answer

    monkeypatch.setattr(Path, "is_file", is_file)
    write_text(tmp_path / "t.txt", "whole")
    assert len(raced) == 1
    assert _tree(tmp_path) == {"t.txt": "whole"}


def test_the_process_is_read_from_the_name_as_staging_and_writing_name_it(tmp_path):
    """The owner of each form of leftover name: by the results' name, or from the right."""
    owner = files._owner
    assert owner(".a.b.4321.x7.partial", "a.b", ".partial") == 4321
    assert owner(".a.b.4321.x7.partial", None, ".partial") == 4321
    assert owner(".a.b.4321.x7.part", "a.b", ".part") == 4321
    assert owner(".a.b.x7.partial", "a.b", ".partial") is None      # the older form
    assert owner(".a.b.x7.partial", None, ".partial") is None
    assert owner(".a.b.4321.partial", "a.b", ".partial") is None    # no random part
    assert owner(".a.b.4321.x.y.partial", "a.b", ".partial") is None
    assert owner(".a.b.-4321.x7.partial", "a.b", ".partial") is None
