"""Results for the report's tests: a few scenarios run once per session, written as NetCDF."""

from __future__ import annotations

import os
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: A ``fit.csv`` as ``chenzhou-water calibrate`` writes it (index column ``target`` first).
CALIBRATION_CSV = (
    "target,source,period,reduce,unit,reported,simulated,error,tolerance,within tolerance,"
    "hard/soft,weight,z,conflict,note\n"
) + """\
leakage_2018,seed 003,2018,mean,fraction,0.24,0.245,0.005,0.02,True,hard,1,0.25,,
leakage_2020,seed 003,2020,mean,fraction,0.174,0.151,-0.023,0.015,False,hard,1,-1.53,,
population_2020,census,2020,mean,person,950000,948000,-2000,20000,True,soft,0.5,-0.1,,estimate
"""


#: Set (to 1) by ``.ci/run``: a missing Chromium or CJK font fails the tests that need it.
REQUIRE_BROWSER = "CHENZHOU_WATER_REQUIRE_BROWSER"
REQUIRE_FONT = "CHENZHOU_WATER_REQUIRE_FONT"


def _set(variable: str) -> bool:
    return os.environ.get(variable, "").strip().lower() not in ("", "0", "false", "no")


def skip_or_fail(message: str, require: str) -> None:
    """Skip a test whose system package is missing, but fail it where it must run: in CI (``CI``
    set, as CI services do) or where ``require`` is set (``.ci/run`` sets both variables)."""
    if _set("CI") or _set(require):
        pytest.fail(f"{message}; this test must run here ({require} or CI is set, and .ci/run "
                    "installs it)")
    pytest.skip(message)


@pytest.fixture(scope="session", name="results")
def results_fixture(tmp_path_factory: pytest.TempPathFactory, _cache_dir: Path) -> dict[str, Path]:
    """Result files: ``baseline``, ``leakage_target``, ``reuse_25`` (one member each) and
    ``baseline_ensemble`` (five members of generated inflow)."""
    from chenzhou_water.files import write_netcdf
    from chenzhou_water.hydrology.generator import generate_inflows
    from chenzhou_water.scenario.run import run_scenario
    from chenzhou_water.scenario.spec import load_scenario

    out = tmp_path_factory.mktemp("results")
    paths = {}
    for name in ("baseline", "leakage_target", "reuse_25"):
        ds = run_scenario(load_scenario(ROOT / "scenarios" / f"{name}.yaml"))
        paths[name] = write_netcdf(ds, out / f"{name}.nc")
    ensemble = run_scenario(load_scenario(ROOT / "scenarios" / "baseline.yaml"), members=5,
                            series={"reservoir_inflow": generate_inflows(5, seed=0)})
    paths["baseline_ensemble"] = write_netcdf(ensemble, out / "baseline_ensemble.nc")
    return paths


#: Three or more English words in a row (a sentence or a phrase, not an identifier).
ENGLISH_RUN = re.compile(r"[A-Za-z][A-Za-z'’-]*(?:[ \t,;:]+[A-Za-z][A-Za-z'’-]*){2,}")


class _Visible(HTMLParser):
    """The text a reader sees, outside <code>, <style> and <script> (identifiers shown on
    purpose are in <code>)."""

    SKIP = frozenset({"code", "style", "script", "title"})

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag: str, attrs: object) -> None:
        if tag in self.SKIP:
            self.depth += 1

    def handle_endtag(self, tag: str) -> None:
        if tag in self.SKIP:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth == 0:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text outside code identifiers, style and script."""
    parser = _Visible()
    parser.feed(html)
    return "\n".join(parser.parts)


def english_runs(text: str) -> list[str]:
    """Runs of three or more English words in ``text``."""
    return ENGLISH_RUN.findall(text)


#: A metrics-only sweep of eight members (stochastic inflow and one leakage parameter).
TINY_SWEEP = """\
name: tiny_risk
description: A small sweep of stochastic inflows.
extends: {baseline}
members: 8
seed: 3
sampler: latin_hypercube
parameters:
  background_leakage_rate: {{uniform: {{low: 0.025, high: 0.045}}}}
inflow:
  drought_2022: {{annual_probability: 0.2}}
outputs:
  metrics:
    - reliability
    - total_shortage
    - worst_storage
    - {{metric: leakage, year: 2030}}
"""


@pytest.fixture(scope="session", name="metrics_sweep")
def metrics_sweep_fixture(tmp_path_factory: pytest.TempPathFactory, _cache_dir: Path) -> Path:
    """The result file of :data:`TINY_SWEEP` (metrics only, no monthly series)."""
    from chenzhou_water.sweep import run_sweep

    folder = tmp_path_factory.mktemp("sweep")
    path = folder / "tiny.yaml"
    path.write_text(TINY_SWEEP.format(baseline=(ROOT / "scenarios" / "baseline.yaml").as_posix()),
                    encoding="utf-8")
    return run_sweep(path, folder / "out").path
