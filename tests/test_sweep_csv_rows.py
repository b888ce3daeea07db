"""A sweep's metrics rows, formatted a row at a time, are pandas' own CSV character for
character: the joined table must stay byte for byte the table formatted whole."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from chenzhou_water.files import CSV_FLOAT_FORMAT
from chenzhou_water.sweep.tables import csv_rows


def _pandas(frame: pd.DataFrame) -> str:
    return frame.to_csv(header=False, float_format=CSV_FLOAT_FORMAT)


def test_rows_are_pandas_csv_for_every_kind_of_float() -> None:
    rng = np.random.default_rng(7)
    values = rng.normal(size=(400, 6)) * 10.0 ** rng.integers(-12, 12, size=(400, 6))
    edge = [np.nan, np.inf, -np.inf, 0.0, -0.0, 1.0, 1234567.0, 123456.5, 1e-300, 5e-324,
            -1e300, 0.1 + 0.2, 2.0 / 3.0, 999999.5, 1e16]
    values[: len(edge), 0] = edge
    values[: len(edge), 5] = edge[::-1]
    values[::9, 3] = np.nan
    frame = pd.DataFrame(values, columns=[f"c{j} [%]" for j in range(6)],
                         index=pd.Index(np.arange(400) + 10**6, name="member"))
    text = csv_rows(frame)
    assert text == _pandas(frame)
    first = text.splitlines()[0]
    assert first.startswith("1000000,,")  # NaN: an empty field
    assert first.endswith(",1e+16")
    assert "nan" not in text


def test_a_row_by_hand() -> None:
    frame = pd.DataFrame({"a [m3]": [1234567.0, np.nan], "b": [0.000123456789, -np.inf]},
                         index=pd.Index([3, 4], name="member"))
    assert csv_rows(frame).splitlines() == ["3,1.23457e+06,0.000123457", "4,,-inf"]


@pytest.mark.parametrize(
    "frame",
    [
        pd.DataFrame({"a": [1, 2]}, index=pd.Index([0, 1], name="member")),  # integer column
        pd.DataFrame({"a": [0.5, np.nan], "choice": [1, 12345678]},  # "%.6g" would round it
                     index=pd.Index([0, 1], name="member")),
        pd.DataFrame({"a": [0.5, 1.5], "flag": [True, False]}),  # booleans: pandas writes them
        pd.DataFrame({"a": np.array([0.5, 1.5], dtype=np.float32)}),  # and float32
        pd.DataFrame({"a": [1.5, 2.5]}, index=pd.Index(["x", "y"], name="member")),
        pd.DataFrame({"a": [1.5, 2.5], "b": ["p", "q"]}),  # mixed columns
        pd.DataFrame({"a": np.array([], dtype=float)}, index=pd.Index([], dtype=int)),
    ],
)
def test_other_tables_come_out_as_pandas_writes_them(frame: pd.DataFrame) -> None:
    assert csv_rows(frame) == _pandas(frame)
