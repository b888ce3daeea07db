""":EXCEPT: lists naming a range mapped onto the equation's dimension.

An :EXCEPT: list names elements or sub-ranges of the dimension it excepts from. A range mapped
onto that dimension (``city: c1, c2 -> plant``) names other elements: PySD refuses such a model
(a KeyError: not all values found in the index), and the engine took the mapping as "the whole
dimension", excepted every element and left those no other component defines undefined (nan
or whatever the buffer held). It is now refused, by file and variable; a mapped range with the
dimension's own elements is still read as them.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from engine_support import compile_text

from chenzhou_water.errors import UnsupportedConstructError

CONTROLS = """INITIAL TIME = 0 ~ Month ~ |
FINAL TIME = 2 ~ Month ~ |
TIME STEP = 1 ~ Month ~ |
SAVEPER = 1 ~ Month ~ |
"""
MAPPED = "{UTF-8}\nplant: p1, p2 ~~|\ncity: c1, c2 -> plant ~~|\n"
REFUSAL = (r"^model\.mdl: variable 'x': an EXCEPT list naming 'city', a range mapped onto "
           r"'plant' \(it must name elements or sub-ranges of 'plant'\)")


@pytest.mark.parametrize("value", ["Time", "3"], ids=["auxiliary", "constant"])
def test_an_except_list_naming_a_mapped_range_is_refused(tmp_path: Path, value: str) -> None:
    text = f"x[plant] :EXCEPT: [city] = {value} ~~|\nx[p1] = 1 ~~|\n"
    with pytest.raises(UnsupportedConstructError, match=REFUSAL):
        compile_text(MAPPED + text + CONTROLS, tmp_path)


def test_a_mapped_range_of_the_dimensions_own_elements_is_read_as_them(tmp_path: Path) -> None:
    """``same`` holds the elements of ``plant``: excepting it excepts them all, and the
    component over ``same`` defines them."""
    text = ("{UTF-8}\nplant: p1, p2 ~~|\nsame: p1, p2 -> plant ~~|\n"
            "x[plant] :EXCEPT: [same] = Time ~~|\nx[same] = 5 + Time ~~|\n")
    model = compile_text(text + CONTROLS, tmp_path)
    np.testing.assert_array_equal(model.run_arrays()["x"][0], [[5.0, 5.0], [6.0, 6.0],
                                                               [7.0, 7.0]])
