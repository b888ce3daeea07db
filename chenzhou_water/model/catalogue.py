"""A model's variables as a table: kind, units, declared range, value, source and documentation.

The table is what a modeller reviews before trusting a model (the equivalent of Vensim's
document tool) and what a planner opens in Excel to see where each number comes from.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from chenzhou_water.errors import ChenzhouWaterError
from chenzhou_water.files import atomic_path
from chenzhou_water.model.metadata import ModelInfo, model_info

#: How a documentation string says where a number comes from, in the model's own words.
SOURCE_KINDS: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("seed", re.compile(r"\bseed 00\d")),
    ("public", re.compile(r"https?://")),
    ("assumption", re.compile(r"\b[Aa]ssumption")),
    ("lever", re.compile(r"\bLever\b")),
    ("calibrated", re.compile(r"[Cc]alibrated")),
    ("conversion", re.compile(r"Unit conversion|Physics")),
    ("literature", re.compile(r"\bLiterature\b|\(literature")),
)

FORMATS = (".csv", ".md")


def source_kinds(documentation: str) -> str:
    """The kinds of source a documentation string names, comma-separated (may be empty)."""
    return ", ".join(kind for kind, pattern in SOURCE_KINDS if pattern.search(documentation))


def variables_table(info: ModelInfo) -> pd.DataFrame:
    """One row per model variable, in the model file's order.

    Columns: ``name`` (normalised), ``vensim_name``, ``kind``, ``units``, ``min``, ``max``,
    ``value`` (scalar constants), ``sources`` and ``documentation``.
    """
    rows = []
    for var in info.variables.values():
        rows.append({
            "name": var.py_name,
            "vensim_name": var.name,
            "kind": var.kind,
            "units": var.units,
            "min": var.limits[0],
            "max": var.limits[1],
            "value": var.value if var.kind == "constant" else None,
            "sources": source_kinds(var.documentation),
            "documentation": var.documentation,
        })
    return pd.DataFrame(rows).set_index("name")


def describe_model(path: str | Path) -> pd.DataFrame:
    """:func:`variables_table` of the Vensim model at ``path``."""
    return variables_table(model_info(path))


def write_table(table: pd.DataFrame, target: str | Path) -> Path:
    """Write the table atomically as CSV (Excel-friendly UTF-8) or Markdown, by suffix."""
    target = Path(target)
    if target.suffix not in FORMATS:
        raise ChenzhouWaterError(
            f"{target}: unknown table format {target.suffix!r}; use one of {', '.join(FORMATS)}"
        )
    with atomic_path(target) as tmp:
        if target.suffix == ".csv":
            table.to_csv(tmp, encoding="utf-8-sig")
        else:
            tmp.write_text(_markdown(table), encoding="utf-8")
    return target


def _markdown(table: pd.DataFrame) -> str:
    def cell(value: object) -> str:
        if value is None or (isinstance(value, float) and value != value):
            return ""
        return str(value).replace("|", "\\|")

    header = ["name", *table.columns]
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, row in table.iterrows():
        lines.append("| " + " | ".join([cell(name), *(cell(v) for v in row)]) + " |")
    return "\n".join(lines) + "\n"
