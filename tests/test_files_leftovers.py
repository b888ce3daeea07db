"""What the next run does with what killed processes left (:mod:`chenzhou_water.files`), in
this process: interrupted landings finished (only the plain files their note lists, with or
without the folder's lock), staging folders and temporaries of ended processes removed, and
what is kept: a live process's, another name's, links, anything outside the folder. The
leftovers are made by hand, named for a process that cannot exist (``DEAD``) or for this one
(alive), read when used: mutmut runs each test in a process forked from the one that imported
this module."""

from __future__ import annotations

import os
import threading
from pathlib import Path

import pytest

from chenzhou_water import files
from chenzhou_water.files import (
    LANDING_NOTE,
    remove_stale_staging,
    staged_set,
    unfinished_landing,
    write_text,
)
from tests.files_support import (
    DEAD,
    busy,
    interrupted,
    landings_among_other_folders,
    tree,
    write_file,
)

# --- remove_stale_staging: what the next run finishes, removes and keeps ---------------------


def test_finishing_moves_only_the_plain_visible_files_the_note_lists_from_the_folder(tmp_path):
    out = tmp_path / "out"
    write_file(out / "a.nc", "old table")
    write_file(out / "escape.txt", "the user's file")
    write_file(out / "sub" / "x", "the user's sub/x")
    write_file(tmp_path / "target.csv", "outside")
    listed = ["a.nc", "sub", "sub/x", "link.csv", ".hidden", "../escape.txt", 5, "missing.csv"]
    folder = interrupted(out, "a", DEAD, listed, {"a.nc": "new table", "sub/x": "a folder's",
                                                    ".hidden": "h", "5": "a number's file",
                                                    "unlisted.csv": "not in the note"})
    (folder / "link.csv").symlink_to(tmp_path / "target.csv")
    assert remove_stale_staging(out, "a") == [folder]
    assert tree(out) == {"a.nc": "new table", "escape.txt": "the user's file",
                          "sub/x": "the user's sub/x"}
    assert tree(tmp_path)["target.csv"] == "outside"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out", "target.csv"]


@pytest.mark.parametrize("note", ["not json {", '{"a.nc": "a list was expected"}', "null"])
def test_a_folder_whose_note_cannot_be_read_as_a_list_is_removed_and_nothing_moved(
        tmp_path, note):
    write_file(tmp_path / "a.nc", "old")
    folder = interrupted(tmp_path, "a", DEAD, note, {"a.nc": "new"})
    assert unfinished_landing(tmp_path / "a.nc") is None
    assert remove_stale_staging(tmp_path, "a") == [folder]
    assert tree(tmp_path) == {"a.nc": "old"}


def test_only_the_named_results_staging_folders_are_finished_or_removed(tmp_path):
    """``name`` is matched as written (glob characters included), up to the next dot."""
    for name in ("a", "ab", "[a]"):
        interrupted(tmp_path, name, DEAD, [f"{name}.csv"], {f"{name}.csv": "new"})
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
    elsewhere = interrupted(tmp_path / "elsewhere", "a", DEAD, ["a.csv"], {"a.csv": "theirs"})
    out = tmp_path / "out"
    out.mkdir()
    link = out / f".a.{DEAD}.link.partial"
    link.symlink_to(elsewhere)
    marked = out / f".a.{DEAD}.marked.partial"
    (marked / LANDING_NOTE).mkdir(parents=True)
    write_file(marked / "a.csv", "kept")
    assert remove_stale_staging(out, "a") == []
    assert link.is_symlink()
    assert tree(elsewhere) == {LANDING_NOTE: '["a.csv"]', "a.csv": "theirs"}
    assert tree(marked) == {"a.csv": "kept"}


def test_a_results_staging_folders_are_told_from_those_of_a_name_that_extends_it(tmp_path):
    """``a`` and ``a.5`` (a name given to the Python API may hold dots): cleaning up for ``a``
    leaves ``a.5``'s folders, a live run's and an ended one's, to ``a.5``'s own runs (and a
    folder of neither of ``a``'s forms: ``.a..x.partial``)."""
    others = [tmp_path / f".a.5.{pid}.x.partial" for pid in (os.getpid(), DEAD)]
    others.append(tmp_path / ".a..x.partial")
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
    pids = [DEAD, os.getpid()] * 3
    finished = landings_among_other_folders(tmp_path, pids)
    live = {f"x{i}.csv" for i, pid in enumerate(pids) if pid != DEAD}
    _no_lock(monkeypatch, how, tmp_path)
    removed = remove_stale_staging(tmp_path, "x")
    assert sorted(p.name for p in removed) == sorted(
        [f".x.{DEAD}.n{i}.partial" for i, pid in enumerate(pids) if pid == DEAD]
        + [f".x.{DEAD}.e{i}.partial" for i in range(len(pids))])
    assert {k: v for k, v in tree(tmp_path).items() if not k.startswith(".")} == {
        name: "old" if name in live else text for name, text in finished.items()}
    for i, pid in enumerate(pids):  # a live one is still visible as unfinished
        expected = tmp_path / f".x.{pid}.n{i}.partial" if pid != DEAD else None
        assert unfinished_landing(tmp_path / f"x{i}.csv") == expected


def test_under_the_folders_lock_a_live_processs_landing_is_finished(tmp_path):
    """The lander holds the lock while it moves; whoever holds it now knows it has stopped."""
    write_file(tmp_path / "a.csv", "old")
    folder = interrupted(tmp_path, "a", os.getpid(), ["a.csv"], {"a.csv": "new"})
    assert remove_stale_staging(tmp_path, "a") == [folder]
    assert tree(tmp_path) == {"a.csv": "new"}


def test_a_landing_note_that_is_not_a_file_is_never_read(tmp_path):
    """A pipe named like the note (a reader would wait on it for ever) is passed over: asking
    whether a result is mid-landing (the report command does) answers at once, and the folder
    is neither finished nor removed."""
    folder = tmp_path / f".a.{DEAD}.pipe.partial"
    folder.mkdir()
    os.mkfifo(folder / LANDING_NOTE)
    answers = []
    asking = threading.Thread(daemon=True, target=lambda: answers.append(
        unfinished_landing(tmp_path / "a.csv")))
    asking.start()
    asking.join(timeout=10)
    waited = asking.is_alive()
    if waited:  # let it go: open the pipe's other end, and close it (the end of its text)
        with open(folder / LANDING_NOTE, "w", encoding="utf-8"):
            pass
        asking.join()
    assert not waited
    assert answers == [None]
    assert remove_stale_staging(tmp_path, "a") == []
    assert [p.name for p in folder.iterdir()] == [LANDING_NOTE]


def test_an_unfinished_landing_is_found_among_unreadable_notes_and_other_folders(tmp_path):
    out = tmp_path / "out"
    for tag in ("n1", "n2", "n3", "n4"):
        interrupted(out, "a", DEAD, "{ not json", {}, tag=tag)
    interrupted(out, "b", DEAD, ["b.csv"], {}, tag="other")
    (out / f".c.{DEAD}.nonote.partial").mkdir()
    pending = interrupted(out, "a", DEAD, ["a.nc", "a.csv"], {}, tag="pending")
    for tag in ("n5", "n6", "n7", "n8"):
        interrupted(out, "a", DEAD, "[1, 2", {}, tag=tag)
    interrupted(tmp_path, "a", DEAD, ["a.csv"], {})  # the folder above: not the results'
    hidden_not_staging = out / ".a.backup"
    hidden_not_staging.mkdir()
    write_file(hidden_not_staging / LANDING_NOTE, '["a.csv"]')
    assert unfinished_landing(out / "a.csv") == pending
    assert unfinished_landing(str(out / "a.nc")) == pending
    assert unfinished_landing(out / "b.nc") is None
    assert unfinished_landing(tmp_path / "elsewhere" / "a.csv") is None


def test_leftovers_that_cannot_be_wholly_removed_do_not_stop_a_landing(tmp_path, monkeypatch):
    """An ended run's staging folder, and an interrupted landing's once finished, that still
    hold a file which cannot be removed: the next landing goes ahead."""
    out = tmp_path / "out"
    write_file(out / "a.nc", "old table")
    landing = interrupted(out, "a", DEAD, ["a.nc"], {"a.nc": "new table", "held": "h"},
                          tag="landing")
    plain = out / f".a.{DEAD}.plain.partial"
    write_file(plain / "held", "h")
    busy(monkeypatch, "held")
    with staged_set(out, "a") as staging:
        write_file(staging / "a.csv", "newest csv")
    assert tree(out) == {"a.nc": "new table", "a.csv": "newest csv",
                          f"{landing.name}/held": "h", f"{plain.name}/held": "h"}


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
        write_file(tmp_path / name, "half")
    (tmp_path / f".r[1].csv.{DEAD}.dir.part").mkdir()  # a folder, not a writer's file
    write_text(tmp_path / "r[1].csv", "whole")
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [n for n, keep in names.items() if keep]
        + [f".r[1].csv.{DEAD}.dir.part", "r[1].csv"])


def test_a_temporary_that_cannot_be_removed_does_not_stop_the_write(tmp_path, monkeypatch):
    stale = write_file(tmp_path / f".t.txt.{DEAD}.ab12.part", "half")
    real_unlink = Path.unlink

    def unlink(self, missing_ok=False):
        if self == stale:
            raise PermissionError(13, "Permission denied")
        real_unlink(self, missing_ok=missing_ok)

    monkeypatch.setattr(Path, "unlink", unlink)
    write_text(tmp_path / "t.txt", "whole")
    assert tree(tmp_path) == {stale.name: "half", "t.txt": "whole"}


def test_a_temporary_another_writer_removes_first_does_not_stop_the_clean_up(tmp_path,
                                                                              monkeypatch):
    """Two writes of one file at once both clean up: the first stale temporary checked is
    removed by the other writer between the check and the removal."""
    stale = [write_file(tmp_path / f".t.txt.{DEAD}.{tag}.part", "half")
             for tag in ("a1", "b2", "c3")]
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
    assert tree(tmp_path) == {"t.txt": "whole"}


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
