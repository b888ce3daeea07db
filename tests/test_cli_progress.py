"""Progress, piping and the small options: plain progress lines off a terminal, tables that
survive a pipe, ``--version``, ``--overwrite``, ``describe --out``, ``validate`` on every kind."""

from __future__ import annotations

import io
import time

import pytest
from report_support import results_fixture  # noqa: F401  (the `results` fixture)
from rich.console import Console
from typer.testing import CliRunner

from chenzhou_water import __version__
from chenzhou_water.progress import INTERVAL_ENV, ProgressDisplay
from cli import app
from tests.conftest import MODEL, ROOT

runner = CliRunner()

SHIPPED_INPUTS = sorted(
    [*(ROOT / "scenarios" / "sweeps").glob("*.yaml"),
     *(ROOT / "scenarios" / "sensitivity").glob("*.yaml"),
     *(ROOT / "scenarios" / "studies").glob("*.yaml"),
     *(ROOT / "calibration").glob("*.yaml"),
     *(ROOT / "calibration" / "examples").glob("*.yaml")])


def _plain(width: int = 40) -> tuple[Console, io.StringIO]:
    stream = io.StringIO()
    return Console(file=stream, width=width, force_terminal=False, markup=False), stream


def test_plain_progress_lines_at_each_stage_and_tenth():
    console, stream = _plain()
    with ProgressDisplay(console, "steps") as progress:
        progress.stage("checking")
        for done in range(0, 21):
            progress("fit", done, 20)
    lines = stream.getvalue().splitlines()
    assert lines[0].startswith("progress: checking: started, 0:00:0")
    assert lines[1].startswith("progress: checking: done")
    assert lines[2].startswith("progress: fit: 0/20 steps (0 %)")
    tenths = [line for line in lines if line.startswith("progress: fit: ") and "/20" in line]
    assert len(tenths) == 11  # the start and each tenth, not each step
    assert "20/20 steps (100 %)" in tenths[-1]
    assert lines[-1].startswith("progress: fit: done")
    assert all("\x1b" not in line for line in lines), "no terminal codes in a log"


def test_a_silent_stage_still_writes_periodic_lines(monkeypatch):
    monkeypatch.setenv(INTERVAL_ENV, "0.05")
    console, stream = _plain()
    with ProgressDisplay(console) as progress:
        progress.stage("running the model")
        time.sleep(0.5)
    working = [x for x in stream.getvalue().splitlines() if x.endswith("elapsed")
               and "running the model: working" in x]
    assert len(working) >= 2


def test_on_a_terminal_a_bar_and_no_plain_lines():
    stream = io.StringIO()
    console = Console(file=stream, width=80, force_terminal=True)
    with ProgressDisplay(console) as progress:
        progress("fit", 5, 10)
    assert "progress:" not in stream.getvalue()


def test_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.output.strip() == f"chenzhou-water {__version__}"


def test_describe_piped_to_a_narrow_pipe_keeps_names_and_years_whole(monkeypatch):
    monkeypatch.setenv("COLUMNS", "40")
    result = runner.invoke(app, ["describe", str(MODEL), "--kind", "constant"])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.output.splitlines() if line.startswith("start_year "))
    assert row.split()[:6] == ["start_year", "constant", "year", "2015", "2015", "2015"]
    assert "2,015" not in result.output


def test_describe_out_prints_one_line_and_refuses_to_overwrite(tmp_path):
    target = tmp_path / "variables.csv"
    result = runner.invoke(app, ["describe", str(MODEL), "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert result.output.strip().splitlines() == [
        line for line in result.output.strip().splitlines() if line.startswith("wrote ")]
    assert f"wrote {target} (" in result.output
    before = target.stat().st_mtime_ns
    again = runner.invoke(app, ["describe", str(MODEL), "--out", str(target)])
    assert again.exit_code == 2
    assert "--out: already exists" in again.output
    assert "--overwrite" in again.output
    assert target.stat().st_mtime_ns == before
    replaced = runner.invoke(app, ["describe", str(MODEL), "--out", str(target), "--overwrite"])
    assert replaced.exit_code == 0, replaced.output


@pytest.mark.parametrize("path", SHIPPED_INPUTS, ids=lambda p: p.relative_to(ROOT).as_posix())
def test_validate_every_shipped_input_file(path):
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 0, result.output
    assert "valid " in result.output


@pytest.mark.parametrize(("text", "kind", "message"), [
    ("name: s\nextends: {base}\nmembers: many\noutputs: {{metrics: [reliability]}}\n",
     "sweep file (key 'members')", "members: expected a whole number"),
    ("name: s\nextends: {base}\nmethod: morrris\nparameters: all\noutputs: {{metrics: "
     "[reliability]}}\n", "sensitivity-analysis file (key 'method')", "method:"),
    ("targets:\n  t: {{variable: leakage_rat, period: 2018, reduce: annual_mean, value: 1, "
     "unit: '%', tolerance: 1, hard: true, source: s}}\n",
     "calibration targets file (key 'targets')", "did you mean 'leakage_rate'?"),
    ("parameters:\n  background_leakage_rate: {{bounds: [0.5, 0.1]}}\n",
     "calibration parameters file (only 'parameters')", "background_leakage_rate"),
    ("name: s\nfutures: 8\npolicies: {{base: {{scenario: {base}}}}}\nuncertainties: {{}}\n"
     "outcomes: {{reliability: {{direction: maximise, threshold: 0.95}}}}\n",
     "stress study file (key 'policies')", "uncertainties: name at least one uncertainty"),
    ("name: s\nparamters: {{}}\n", "scenario file", "paramters"),
])
def test_validate_names_the_kind_of_a_broken_file(tmp_path, text, kind, message):
    path = tmp_path / "broken.yaml"
    base = (ROOT / "scenarios" / "baseline.yaml").as_posix()
    path.write_text(text.format(base=base), encoding="utf-8")
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert f"checked as a {kind}" in result.output
    assert message in result.output
    assert "did you mean 'levers'" not in result.output


def test_report_refuses_to_overwrite_a_page(tmp_path):
    page = tmp_path / "report.html"
    page.write_text("earlier", encoding="utf-8")
    result = runner.invoke(app, ["report", str(tmp_path / "none.nc"), "--out", str(page)])
    assert result.exit_code == 2
    assert "--out: already exists" in result.output
    assert page.read_text(encoding="utf-8") == "earlier"


def test_run_refuses_an_earlier_result_before_any_work(tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    (out / "baseline.nc").write_bytes(b"earlier")
    result = runner.invoke(app, ["run", str(ROOT / "scenarios" / "baseline.yaml"), "--out",
                                 str(out)])
    assert result.exit_code == 2, result.output
    assert "baseline.nc: --out: already exists" in result.output
    assert "running baseline" not in result.output
    assert sorted(p.name for p in out.iterdir()) == ["baseline.nc"]
    assert (out / "baseline.nc").read_bytes() == b"earlier"


def test_report_to_a_file_shows_progress_lines(tmp_path, results):
    out = tmp_path / "report.html"
    result = runner.invoke(app, ["report", str(results["baseline"]), "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "progress: making the report of 1 result(s): started" in result.output
    assert "progress: making the report of 1 result(s): done" in result.output


class _Client:
    dashboard_link = "http://127.0.0.1:40123/status"


def test_the_dask_dashboard_address_or_its_absence_is_told_once():
    from chenzhou_water.sweep.cluster import _tell_dashboard

    notes: list[str] = []
    for state in ("on", "no bokeh", "off"):
        _tell_dashboard(_Client(), notes.append, state)
    assert notes == ["Dask dashboard: http://127.0.0.1:40123/status",
                     "no Dask dashboard: it needs bokeh (pip install 'bokeh>=3.1')",
                     "Dask dashboard: off (--dashboard turns it on)"]
