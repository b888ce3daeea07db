"""Sets of files land whole: a process killed (SIGKILL) at each dangerous moment of a landing
leaves the old set or, once the next landing has finished the interrupted one, the new set,
never a mix; and the next run removes or finishes what the killed one left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from chenzhou_water import files
from tests.conftest import ROOT

SET = ("result.nc", "result_summary.csv", "result_monthly.csv")

# Runs in a child process: writes a set of files whose contents say which run wrote them, and
# stops (for the test to kill it) just before the move named by PAUSE_AT: "note" (the landing
# note), or "move N" (the Nth file of the set to move into place, from 0).
_LANDER = textwrap.dedent("""
    import os, sys, time
    from pathlib import Path
    from chenzhou_water import files

    out, tag, pause_at = Path(sys.argv[1]), sys.argv[2], sys.argv[3]
    real_replace, moves = os.replace, []

    def replace(source, target):
        target = Path(target)
        if target.name == files.LANDING_NOTE:
            step = "note"
        elif target.parent == out:
            step = f"move {len(moves)}"
            moves.append(target)
        else:
            step = None
        if step == pause_at:
            print("paused", flush=True)
            time.sleep(60)
        real_replace(source, target)

    os.replace = replace
    with files.staged_set(out, "result") as staging:
        for name in {set!r}:
            files.write_text(staging / name, tag)
    print("landed", flush=True)
""").replace("{set!r}", repr(SET))


def _land_in_child(out: Path, tag: str, pause_at: str) -> None:
    """Run a landing in a child process and SIGKILL it at ``pause_at``."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", _LANDER, str(out), tag, pause_at],
                             stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert child.stdout.readline().strip() == "paused", "the child did not reach the pause"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        child.stdout.close()
    assert child.returncode == -signal.SIGKILL


def _contents(out: Path) -> set[str]:
    return {(out / name).read_text(encoding="utf-8") for name in SET}


def _land(out: Path, tag: str) -> None:
    with files.staged_set(out, "result") as staging:
        for name in SET:
            files.write_text(staging / name, tag)


@pytest.mark.parametrize("pause_at", ["note", "move 0", "move 1", "move 2"])
def test_a_landing_killed_at_any_moment_leaves_the_old_set_or_the_new_one(tmp_path, pause_at):
    _land(tmp_path, "old")
    _land_in_child(tmp_path, "new", pause_at)

    hidden = [p for p in tmp_path.iterdir() if p.name.startswith(".")]
    assert len(hidden) == 1, hidden
    assert hidden[0].name.endswith(".partial")
    interrupted = files.unfinished_landing(tmp_path / "result.nc")
    if pause_at == "note":
        # Killed before the note: nothing moved, the old set stands, no landing is pending.
        assert interrupted is None
        assert _contents(tmp_path) == {"old"}
        files.remove_stale_staging(tmp_path, "result")  # what the next run does first
        assert _contents(tmp_path) == {"old"}
    else:
        # Killed while moving: the pending landing is visible to readers, and what the next
        # run does first (finishing it) leaves the whole new set.
        assert interrupted == hidden[0]
        files.remove_stale_staging(tmp_path, "result")
        assert _contents(tmp_path) == {"new"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SET), "cleaned up"


def test_the_next_landing_finishes_an_interrupted_one_before_its_own(tmp_path):
    _land(tmp_path, "old")
    _land_in_child(tmp_path, "new", "move 1")
    _land(tmp_path, "newest")  # a run of any set into the folder
    assert _contents(tmp_path) == {"newest"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(SET)


def test_a_staging_folder_of_a_live_process_is_kept_until_it_ends(tmp_path):
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        live = tmp_path / f".result.{sleeper.pid}.a1b2c3d4.partial"
        live.mkdir()
        (live / "result.nc").write_text("being written", encoding="utf-8")
        _land(tmp_path, "one")
        assert live.is_dir(), "a live run's staging folder is not ours to remove"
    finally:
        sleeper.kill()
        sleeper.wait(timeout=30)
    _land(tmp_path, "two")
    assert not live.exists(), "once its process has ended, the next run removes it"
    assert _contents(tmp_path) == {"two"}


def test_stale_part_files_are_removed_only_when_their_process_has_ended(tmp_path):
    # the writer still going is a process of this test's own (not the test runner, which a
    # mutant of the liveness check could signal)
    writer = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    target = tmp_path / "page.html"
    dead = tmp_path / f".page.html.{2**31 - 2}.k2j4h5g6.part"  # no such process
    live = tmp_path / f".page.html.{writer.pid}.e5f6g7h8.part"  # a writer still going
    old_form = tmp_path / ".page.html.q1w2e3r4.part"  # no process recorded: not provably ours
    other = tmp_path / f".other.html.{2**31 - 2}.k2j4h5g6.part"  # another file's
    for path in (dead, live, old_form, other):
        path.write_bytes(b"half a page")
    try:
        files.write_text(target, "a page")
    finally:
        writer.kill()
        writer.wait(timeout=30)
    remaining = sorted(p.name for p in tmp_path.iterdir())
    assert remaining == sorted(["page.html", live.name, old_form.name, other.name])


@pytest.mark.slow  # about 20 s: the child compiles the model into the session's cache and runs
def test_a_killed_run_command_leaves_a_whole_set_after_the_next_run(tmp_path):
    """The real ``run`` command, SIGKILLed between moving its .nc and its CSVs."""
    script = textwrap.dedent("""
        import os, sys, time
        from pathlib import Path
        real_replace, moved = os.replace, []
        def replace(source, target):
            if Path(target).parent == Path(sys.argv[2]) and not Path(target).name.startswith("."):
                moved.append(target)
                if len(moved) == 2:
                    print("paused", flush=True)
                    time.sleep(60)
            real_replace(source, target)
        os.replace = replace
        from cli import app
        app(["run", sys.argv[1], "--out", sys.argv[2], "--no-plots", "--overwrite"])
    """)
    scenario = ROOT / "scenarios" / "baseline.yaml"
    old = {name: f"an earlier run's {name}" for name in
           ("baseline.nc", "baseline_summary.csv", "baseline_monthly.csv")}
    for name, text in old.items():
        (tmp_path / name).write_text(text, encoding="utf-8")
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    child = subprocess.Popen([sys.executable, "-c", script, str(scenario), str(tmp_path)],
                             stdout=subprocess.PIPE, text=True, env=env, cwd=ROOT)
    try:
        assert child.stdout.readline().strip() == "paused"
        os.kill(child.pid, signal.SIGKILL)
    finally:
        child.wait(timeout=30)
        child.stdout.close()
    changed = [n for n, text in old.items() if (tmp_path / n).read_text(errors="replace") != text]
    assert len(changed) == 1, "killed after the first move: one file is the new run's"
    assert files.unfinished_landing(tmp_path / "baseline.nc") is not None

    from typer.testing import CliRunner

    from cli import app

    report = CliRunner().invoke(app, ["report", str(tmp_path / "baseline.nc"),
                                      "--out", str(tmp_path / "r" / "page.html")])
    assert report.exit_code == 2, report.output
    assert "killed while moving its files" in report.output
    rerun = CliRunner().invoke(app, ["run", str(scenario), "--out", str(tmp_path), "--no-plots",
                                             "--overwrite"])
    assert rerun.exit_code == 0, rerun.output
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(old)
    assert all((tmp_path / n).read_text(errors="replace") != text for n, text in old.items())
