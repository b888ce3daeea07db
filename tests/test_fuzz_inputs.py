"""Fuzzing every file type the project reads: a seeded generator breaks the shipped files in
hostile ways, and each reader must answer with success or a located error (exit 0 or 2 through
the command line's error handling) — never a traceback, a hang or runaway memory — and write
nothing."""

from __future__ import annotations

import random
import re
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

import pytest
import typer

from chenzhou_water.calibration.parameters import load_parameters
from chenzhou_water.calibration.targets import load_targets
from chenzhou_water.scenario import load_scenario
from chenzhou_water.sensitivity import load_sensitivity
from chenzhou_water.sweep import load_sweep
from cli import project_errors
from tests.conftest import ROOT

CASES_PER_TYPE = 20
SECONDS_PER_CASE = 10.0  # a clean load takes well under a second
PEAK_BYTES_PER_CASE = 200 * 2**20  # a clean load needs a few MiB

FILE_TYPES: dict[str, tuple[Path, Callable[[Path], object]]] = {
    "scenario": (ROOT / "scenarios" / "drought_2022.yaml", load_scenario),
    "sweep": (ROOT / "scenarios" / "sweeps" / "drought_risk.yaml", load_sweep),
    "sensitivity": (ROOT / "scenarios" / "sensitivity" / "sobol_top.yaml", load_sensitivity),
    "targets": (ROOT / "calibration" / "targets.yaml", load_targets),
    "parameters": (ROOT / "calibration" / "parameters.yaml", load_parameters),
}

# Values a careless or hostile hand might put anywhere.
HOSTILE_VALUES = [
    "[/x]", "'[bold]x'", "':x:'", "1e300", "-1e300", ".nan", "-.inf", "9" * 400, "0x" + "f" * 40,
    "~", "true", "no", "[]", "{}", "&a [*a]", "*nowhere", "!!python/object/apply:os.system [id]",
    "!!binary aGVsbG8=", "'\\x00'", "\"\\0\"", "2050.99", "-0", "1_000", "'" + "x" * 5000 + "'",
    "{range: [1, 0]}", "[1, [2, [3, [4]]]]", "/etc/passwd", "../../../etc/passwd", "? a\n: b",
    "|\n  text", "2015-01-01", "12:30:00", "<<: *nowhere", "\t1", "%YAML 1.1",
]
HOSTILE_TEXT = ["\x00", "\x1b[31m", "\ufeff", "\u202e", "&b ", "*b", "{", "]", "- ", ": ", "'",
                '"', "\n  ", "#", "!", "|", ">", "%", "@", "`", "\r"]


def _mutate(text: str, rng: random.Random) -> str:
    """One to three random edits: a value replaced, a line deleted, duplicated or re-indented,
    or hostile characters inserted."""
    lines = text.split("\n")
    for _ in range(rng.randint(1, 3)):
        i = rng.randrange(len(lines))
        edit = rng.randrange(5)
        if edit == 0 and ":" in lines[i]:
            head = lines[i].split(":", 1)[0]
            lines[i] = f"{head}: {rng.choice(HOSTILE_VALUES)}"
        elif edit == 1:
            del lines[i]
        elif edit == 2:
            lines.insert(i, lines[i])
        elif edit == 3:
            lines[i] = " " * rng.randrange(0, 7) + lines[i].lstrip()
        else:
            at = rng.randrange(len(lines[i]) + 1)
            lines[i] = lines[i][:at] + rng.choice(HOSTILE_TEXT) + lines[i][at:]
        if not lines:
            lines = [""]
    return "\n".join(lines)


def _outcome(load: Callable[[Path], object], path: Path) -> int:
    """The exit status the command line would give for reading ``path``."""
    try:
        with project_errors():
            load(path)
    except typer.Exit as exc:
        return exc.exit_code
    return 0


@pytest.mark.parametrize("file_type", sorted(FILE_TYPES))
def test_broken_input_files_are_read_or_refused_with_a_located_error(tmp_path, file_type):
    source, load = FILE_TYPES[file_type]
    # relative references (extends, the model) point at the shipped files
    text = re.sub(r"^(extends|model): (?!/)(.+)$",
                  lambda m: f"{m.group(1)}: {(source.parent / m.group(2)).resolve()}",
                  source.read_text(encoding="utf-8"), flags=re.MULTILINE)
    load(source)  # the model is read and cached once, outside the measured cases
    rng = random.Random(f"{file_type}-20260101")
    statuses = []
    for case in range(CASES_PER_TYPE):
        path = tmp_path / f"case_{case:03d}.yaml"
        path.write_text(_mutate(text, rng), encoding="utf-8", errors="surrogatepass")
        tracemalloc.start()
        started = time.perf_counter()
        try:
            status = _outcome(load, path)
        finally:
            _, peak = tracemalloc.get_traced_memory()
            tracemalloc.stop()
        seconds = time.perf_counter() - started
        assert status in (0, 2), f"{path.name}: exit {status}"
        assert seconds < SECONDS_PER_CASE, f"{path.name}: {seconds:.1f} s"
        assert peak < PEAK_BYTES_PER_CASE, f"{path.name}: {peak / 2**20:.0f} MiB"
        statuses.append(status)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        f"case_{case:03d}.yaml" for case in range(CASES_PER_TYPE)
    ], "a reader wrote a file"
    assert 2 in statuses  # the generator does break files
