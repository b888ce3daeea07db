"""A Sobol' or Halton design imports scipy's quasi-Monte Carlo module when it is made, in the
driving process: the workers of a local cluster, forked from it after, draw their chunks'
members without importing it again; a Latin hypercube does without it."""

from __future__ import annotations

import subprocess
import sys

import pytest

CHECK = """
import sys
from chenzhou_water.sweep.samplers import unit_design
before = "scipy.stats.qmc" in sys.modules
unit_design({sampler!r}, 16, 2, 0)
print(before, "scipy.stats.qmc" in sys.modules)
"""


@pytest.mark.parametrize(("sampler", "imported"),
                         [("sobol", True), ("halton", True), ("latin_hypercube", False)])
def test_a_qmc_design_imports_its_module_when_made(sampler: str, imported: bool) -> None:
    out = subprocess.run([sys.executable, "-c", CHECK.format(sampler=sampler)],
                         capture_output=True, text=True, check=True, timeout=120)  # fmt: skip
    assert out.stdout.split() == ["False", str(imported)]
