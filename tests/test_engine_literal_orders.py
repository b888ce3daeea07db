"""A SMOOTH N whose order is written as a number below 1 is refused by file and variable.

Written as a variable, such an order is refused when the run starts (``SMOOTH N: the order
must be at least 1``); written as a number, it made a smoothing chain of no stage and the run
failed with an IndexError that named neither the file nor the variable.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from engine_support import compile_text

from chenzhou_water.errors import UnsupportedConstructError

CONTROLS = """INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 2 ~ Month ~ |
TIME STEP = 0.5 ~ Month ~ |
SAVEPER = 0.5 ~ Month ~ |
"""


@pytest.mark.parametrize("order", ["0", "-2"])
def test_a_smooth_n_of_a_literal_order_below_one_is_refused(tmp_path: Path, order: str) -> None:
    text = f"{{UTF-8}}\nx = 1 ~~|\nslow x = SMOOTH N(x, 3, 1, {order}) ~~|\n" + CONTROLS
    with pytest.raises(UnsupportedConstructError,
                       match=rf"^model\.mdl: variable 'slow x': SMOOTH N of order {order} "
                             r"\(the order must be at least 1\)"):
        compile_text(text, tmp_path)


def test_a_smooth_n_of_literal_order_one_is_a_first_order_smooth(tmp_path: Path) -> None:
    text = "{UTF-8}\nx = 1 + Time ~~|\nslow x = SMOOTH N(x, 2, 1, 1) ~~|\n" + CONTROLS
    out = compile_text(text, tmp_path).run_arrays()
    t = np.arange(0.0, 2.25, 0.5)
    expected = [1.0]
    for k in range(len(t) - 1):
        expected.append(expected[-1] + 0.5 * ((1 + t[k]) - expected[-1]) / 2)
    np.testing.assert_allclose(out["slow_x"][0], expected, rtol=1e-12)
