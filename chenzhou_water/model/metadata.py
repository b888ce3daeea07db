"""What a Vensim model declares: its variables, their kinds, units, ranges and documentation.

This reads the model with PySD's own translator (``VensimFile`` → ``AbstractModel``) and keeps
only plain metadata. The scenario loader validates against it, the results layer takes units
and descriptions from it, and the engine compiles the same ``AbstractModel``.

Everything derived from one model file is cached on disk in one folder keyed by the file's
SHA-256 (:func:`cache_entry`): the metadata here, the engine's compiled kernel beside it, the
PySD reference translation. A model file is therefore parsed at most once per process, and
not at all while its cache folder holds what a command needs.
"""

from __future__ import annotations

import hashlib
import pickle
import re
import warnings
from dataclasses import dataclass, field, replace
from functools import lru_cache
from pathlib import Path
from typing import Any, Literal

from chenzhou_water.errors import ModelFileError
from chenzhou_water.files import cache_root, write_bytes

Kind = Literal["constant", "lookup", "stock", "auxiliary", "data", "control"]

CONTROL_NAMES = ("initial time", "final time", "time step", "saveper")

#: Bumped when :class:`ModelInfo` changes shape, so an older cached copy is never read.
METADATA_VERSION = 1

_START_DATE = re.compile(r"start date\s*:?\s*(\d{4}-\d{2}-\d{2})", re.IGNORECASE)


def py_name(name: str) -> str:
    """The normalised name under which a Vensim variable is referenced (PySD's rule)."""
    return name.strip().lower().replace(" ", "_")


@dataclass(frozen=True)
class Variable:
    """One model variable.

    Attributes
    ----------
    name : str
        The Vensim name, as spelled in the model file.
    py_name : str
        The normalised name (``reservoir_storage``), the public name in results.
    kind : str
        One of ``constant``, ``lookup``, ``stock``, ``auxiliary``, ``data``, ``control``.
    units : str
        The declared units, as written in the model file.
    limits : tuple
        The declared ``[min, max]`` range; ``None`` for an open end.
    documentation : str
        The documentation string.
    value : float or None
        For a scalar constant, its value in the model file.
    lookup_x, lookup_y : tuple of float
        For a lookup, its table.
    lookup_range : tuple or None
        For a lookup, the declared ``((xmin, ymin), (xmax, ymax))`` range, if any.
    """

    name: str
    py_name: str
    kind: Kind
    units: str
    limits: tuple[float | None, float | None]
    documentation: str
    value: float | None = None
    lookup_x: tuple[float, ...] = ()
    lookup_y: tuple[float, ...] = ()
    lookup_range: tuple[tuple[float, float], tuple[float, float]] | None = None
    subscripts: tuple[str, ...] = ()


@dataclass(frozen=True)
class ModelInfo:
    """Metadata of a whole model file."""

    path: Path
    sha256: str
    variables: dict[str, Variable] = field(repr=False)
    time_units: str = "Month"
    initial_time: float = 0.0
    final_time: float = 0.0
    time_step: float = 1.0
    start_date: str | None = None

    def get(self, name: str) -> Variable | None:
        """The variable named ``name`` (Vensim or normalised spelling), or None."""
        return self.variables.get(py_name(name))

    def names(self, kind: Kind | None = None) -> list[str]:
        """The normalised names of all variables, or of one kind."""
        return [k for k, v in self.variables.items() if kind is None or v.kind == kind]


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, as hex."""
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def cache_entry(sha256: str, name: str) -> Path:
    """Where ``name``, derived from the model file with this SHA-256, is cached."""
    return cache_root() / "models" / sha256 / name


def load_cached(sha256: str, name: str) -> Any | None:
    """The object pickled under :func:`cache_entry`, or None (missing or unreadable entry)."""
    try:
        with cache_entry(sha256, name).open("rb") as fh:
            return pickle.load(fh)
    except (OSError, pickle.UnpicklingError, EOFError, AttributeError, ImportError):
        return None


def store_cached(sha256: str, name: str, payload: Any, text: dict[str, str] | None = None) -> None:
    """Pickle ``payload`` under :func:`cache_entry` (and write ``text``: file name -> content,
    for reading). A cache folder that cannot be written is not an error: nothing is cached."""
    try:
        for text_name, content in (text or {}).items():
            write_bytes(cache_entry(sha256, text_name), content.encode("utf-8"))
        write_bytes(cache_entry(sha256, name), pickle.dumps(payload, protocol=4))
    except OSError:
        pass


def read_abstract_model(path: str | Path) -> Any:
    """Parse a Vensim ``.mdl`` with PySD's translator and return its ``AbstractModel``.

    Raises
    ------
    ModelError
        If the file is missing or PySD cannot parse it.
    """
    from pysd.translators.vensim.vensim_file import VensimFile

    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            vf = VensimFile(path)
            vf.parse()
            return vf.get_abstract_model()
    except Exception as exc:  # PySD raises assorted types for syntax errors
        # PySD's message can quote the file: keep its first line, shortened.
        reason = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        reason = reason if len(reason) <= 160 else reason[:157] + "..."
        raise ModelFileError(f"{path}: not a Vensim model PySD can parse: {reason}") from exc


def _as_float(x: Any) -> float | None:
    try:
        return float(x)
    except (TypeError, ValueError):
        return None


def _lookup_fields(ast: Any) -> dict[str, Any]:
    x = getattr(ast, "x", None)
    y = getattr(ast, "y", None)
    if x is None or y is None:
        return {}
    out: dict[str, Any] = {
        "lookup_x": tuple(float(v) for v in x),
        "lookup_y": tuple(float(v) for v in y),
    }
    xl, yl = getattr(ast, "x_limits", None), getattr(ast, "y_limits", None)
    if xl is not None and yl is not None:
        bounds = ((float(xl[0]), float(yl[0])), (float(xl[1]), float(yl[1])))
        if not any(v != v for pair in bounds for v in pair):  # NaN: no range declared
            out["lookup_range"] = bounds
    return out


def _classify(element: Any) -> tuple[Kind, dict[str, Any]]:
    from pysd.translators.structures import abstract_expressions as ae
    from pysd.translators.structures import abstract_model as am

    comp = element.components[0]
    ast = comp.ast
    if isinstance(element, am.AbstractControlElement):
        return "control", {"value": _as_float(ast)}
    if isinstance(comp, am.AbstractLookup):
        return "lookup", _lookup_fields(ast)
    if isinstance(comp, am.AbstractData):
        return "data", {}
    if isinstance(ast, ae.IntegStructure):
        return "stock", {}
    value = _as_float(ast)
    if value is not None and len(element.components) == 1:
        return "constant", {"value": value}
    if all(_as_float(c.ast) is not None or hasattr(c.ast, "shape") for c in element.components):
        return "constant", {}
    return "auxiliary", {}


def _metadata_name() -> str:
    return f"metadata-v{METADATA_VERSION}.pkl"


@lru_cache(maxsize=16)
def _model_info_cached(path: str, sha: str) -> ModelInfo:
    cached = load_cached(sha, _metadata_name())
    if isinstance(cached, ModelInfo) and cached.sha256 == sha:
        return replace(cached, path=Path(path))
    info = metadata_from_abstract(read_abstract_model(path), Path(path), sha)
    store_cached(sha, _metadata_name(), info)
    return info


def metadata_from_abstract(abstract: Any, path: Path, sha: str) -> ModelInfo:
    """The metadata of a model already parsed by PySD (``AbstractModel``)."""
    variables: dict[str, Variable] = {}
    control: dict[str, Any] = {}
    for element in abstract.sections[0].elements:
        kind, extra = _classify(element)
        limits = tuple(element.limits) if element.limits else (None, None)
        var = Variable(
            name=element.name,
            py_name=py_name(element.name),
            kind=kind,
            units=element.units or "",
            limits=(limits[0], limits[1]),
            documentation=" ".join((element.documentation or "").split()),
            subscripts=tuple(element.components[0].subscripts[0]) if element.components else (),
            **extra,
        )
        variables[var.py_name] = var
        if kind == "control":
            control[var.py_name] = var
    initial = control.get("initial_time")
    match = _START_DATE.search(initial.documentation) if initial else None
    step = control.get("time_step")
    return ModelInfo(
        path=path,
        sha256=sha,
        variables=variables,
        time_units=(step.units.split("[")[0].strip() if step and step.units else "Month"),
        initial_time=(initial.value or 0.0) if initial else 0.0,
        final_time=(control["final_time"].value or 0.0) if "final_time" in control else 0.0,
        time_step=(step.value or 1.0) if step else 1.0,
        start_date=match.group(1) if match else None,
    )


def model_info(path: str | Path, abstract: Any = None) -> ModelInfo:
    """Read the metadata of the Vensim model at ``path``.

    Cached by the file's SHA-256, in memory and on disk; on a miss, the model is parsed, or
    read from ``abstract`` (its ``AbstractModel``) when the caller has parsed it already.
    """
    path = Path(path)
    if not path.is_file():
        raise ModelFileError(f"{path}: model file not found")
    sha = file_sha256(path)
    if abstract is not None and load_cached(sha, _metadata_name()) is None:
        info = metadata_from_abstract(abstract, path.resolve(), sha)
        store_cached(sha, _metadata_name(), info)
    return _model_info_cached(str(path.resolve()), sha)
