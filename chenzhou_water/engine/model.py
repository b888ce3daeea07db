"""``Model``: a compiled model that runs ensembles of members as one array computation."""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import xarray as xr

from chenzhou_water.engine import codegen
from chenzhou_water.engine.dataset import saved_times, time_grid, to_dataset
from chenzhou_water.engine.inputs import (
    RunInputs,
    default_lookups,
    default_params,
    normalise,
    resolve_name,
)
from chenzhou_water.engine.ir import ModelIR
from chenzhou_water.engine.plan import RunConfig, build_plan
from chenzhou_water.errors import ModelError
from chenzhou_water.model.metadata import ModelInfo, Variable

#: Members simulated per pass of the kernel; larger ensembles run in chunks.
CHUNK_MEMBERS = 10_000

_OUTPUT_KINDS = ("constant", "auxiliary", "stateful", "data")


class Kernel:
    """Generated source of one configuration, executed into a ``simulate`` function."""

    def __init__(self, source: str, literals: list[np.ndarray]):
        self.source = source
        self.literals = literals
        namespace: dict[str, Any] = {}
        exec(compile(source, "<chenzhou_water.engine kernel>", "exec"), namespace)
        self.simulate = namespace["simulate"]


class Model:
    """A Vensim model compiled for ensemble runs (see :func:`compile_model`).

    Attributes
    ----------
    ir : ModelIR
        The translated model.
    info : ModelInfo
        Its metadata (kinds, units, ranges, documentation, start date).
    """

    def __init__(self, ir: ModelIR, info: ModelInfo):
        self.ir = ir
        self.info = info
        self._kernels: dict[RunConfig, Kernel] = {}
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"<Model {self.ir.file_name}: {len(self.variables)} variables>"

    # ---- metadata ------------------------------------------------------------------------
    @property
    def variables(self) -> Mapping[str, Variable]:
        """Public variables by normalised name (read-only)."""
        return MappingProxyType({k: v for k, v in self.info.variables.items()
                                 if k in self.ir.nodes and self.ir.nodes[k].public})

    @property
    def sha256(self) -> str:
        """SHA-256 of the model file this was compiled from."""
        return self.ir.sha256

    def output_names(self) -> list[str]:
        """Names that can be requested in ``return_columns``."""
        return [n for n, node in self.ir.nodes.items()
                if node.public and node.kind in _OUTPUT_KINDS]

    def source(self, return_columns: Iterable[str] | None = None) -> str:
        """The generated kernel source for the default inputs and these outputs."""
        config = RunConfig(frozenset(), frozenset(), frozenset(), self._outputs(return_columns))
        return self._kernel(config).source

    # ---- pickling (for Dask workers): keep the IR and sources, re-exec on load ------------
    def __getstate__(self) -> dict[str, Any]:
        sources = {cfg: (k.source, k.literals) for cfg, k in self._kernels.items()}
        return {"ir": self.ir, "info": self.info, "sources": sources}

    def __setstate__(self, state: dict[str, Any]) -> None:
        self.__init__(state["ir"], state["info"])  # type: ignore[misc]
        for cfg, (source, literals) in state["sources"].items():
            self._kernels[cfg] = Kernel(source, literals)

    # ---- running -------------------------------------------------------------------------
    def run(self, params: Mapping[str, Any] | None = None, members: int = 1,
            series: Mapping[str, Any] | None = None,
            return_columns: Iterable[str] | None = None, saveper: float | None = None,
            initial_time: float | None = None, final_time: float | None = None,
            time_step: float | None = None, seed: int = 0) -> xr.Dataset:
        """Simulate an ensemble and return labelled results.

        Parameters
        ----------
        params : mapping, optional
            Vensim or normalised name → value. Constants take a number, an array over their
            subscripts, or one value per member (shape ``(members, *dims)``); lookups take
            ``(x, y)`` or a pandas Series indexed by x, or one table per member as ``(x, y)``
            with x of shape ``(k,)`` and y of shape ``(members, k)``; a pandas Series indexed
            by model time replaces a variable by a time series (as in PySD).
        members : int
            Ensemble size N.
        series : mapping, optional
            Name → exogenous series replacing a constant, auxiliary or data variable: shape
            ``(T,)`` on the integration grid, ``(members, T)``, or a pandas Series indexed
            by model time (interpolated linearly).
        return_columns : iterable of str, optional
            Variables to store (default: every public variable). Only these are kept.
        saveper, initial_time, final_time, time_step : float, optional
            Override the model's time controls (shared by all members).
        seed : int
            Seed of the random functions (RANDOM UNIFORM, RANDOM NORMAL): each member draws
            from its own reproducible stream, a function of the seed, the member's index, the
            call and the time (not Vensim's own sequence).

        Returns
        -------
        xarray.Dataset
            One variable per output, dims ``(member, time, *subscripts)``, with ``units`` and
            ``description`` attributes; ``time`` is a calendar coordinate when the model
            declares a start date (``model_time`` keeps the model's numeric time).

        Raises
        ------
        ModelError
            On unknown names (with the nearest valid names) or badly shaped inputs.
        """
        arrays = self.run_arrays(params, members, series, return_columns, saveper,
                                 initial_time, final_time, time_step, seed=seed)
        model_time = arrays.pop("time")
        t0 = self.ir.initial_time if initial_time is None else initial_time
        return to_dataset(self.ir, self.info, arrays, model_time, t0)

    def saved_times(self, saveper: float | None = None, initial_time: float | None = None,
                    final_time: float | None = None,
                    time_step: float | None = None) -> np.ndarray:
        """The model times a run saves (the ``"time"`` of :meth:`run_arrays`), without running."""
        controls = self._controls(saveper, initial_time, final_time, time_step)
        times, saves = time_grid(controls["initial_time"], controls["final_time"],
                                 controls["time_step"], controls["saveper"])
        return saved_times(times, saves, controls["time_step"])

    def run_arrays(self, params: Mapping[str, Any] | None = None, members: int = 1,
                   series: Mapping[str, Any] | None = None,
                   return_columns: Iterable[str] | None = None, saveper: float | None = None,
                   initial_time: float | None = None, final_time: float | None = None,
                   time_step: float | None = None,
                   chunk_members: int = CHUNK_MEMBERS, seed: int = 0,
                   workspace: dict[str, np.ndarray] | None = None) -> dict[str, np.ndarray]:
        """Like :meth:`run`, returning plain arrays: name → ``(members, n_saved, *dims)``.

        The arrays are views of time-major buffers (the kernel writes a saved time at a time):
        not C-contiguous, so pass them through ``np.ascontiguousarray`` where that matters.

        The key ``"time"`` holds the saved model times. Members run in chunks of at most
        ``chunk_members`` per pass of the kernel.

        ``workspace``, a dict kept from call to call, lends the buffers: the arrays returned
        are views of buffers it holds (it keeps those allocated here), which the next call
        with it overwrites. For callers that reduce each call's arrays before the next, such
        as a sweep's blocks of members: buffers of tens of MB each, allocated anew for every
        block, came back from the system page by page (about a tenth of the engine's time in
        system calls here).
        """
        if int(members) < 1:
            raise ModelError(f"members must be at least 1, got {members}")
        n = int(members)
        controls = self._controls(saveper, initial_time, final_time, time_step)
        times, saves = time_grid(controls["initial_time"], controls["final_time"],
                                 controls["time_step"], controls["saveper"])
        inputs, kernel = self._prepared(params, series, return_columns, times, n)
        outputs = self._outputs(return_columns)
        nsave = int(saves.sum())
        # time-major buffers, which the kernel fills a saved time (one contiguous row) at a time
        buffers = {name: _buffer(workspace, name,
                                 (nsave, n, *self.ir.shape(self.ir.nodes[name].dims)))
                   for name in outputs}  # fmt: skip
        save_list = saves.tolist()
        for lo in range(0, n, chunk_members):
            hi = min(n, lo + chunk_members)
            p, s, lookups = _chunk(inputs, self.ir, controls, lo, hi)
            p["__random__"] = (int(seed), lo)  # random streams: the run's seed, first member
            out = {name: arr[:, lo:hi] for name, arr in buffers.items()}
            with np.errstate(all="ignore"):
                kernel.simulate(p, s, lookups, kernel.literals, hi - lo, times, save_list, out)
        result: dict[str, np.ndarray] = {name: np.swapaxes(arr, 0, 1)
                                         for name, arr in buffers.items()}
        result["time"] = saved_times(times, saves, controls["time_step"])
        return result

    def prepare(self, params: Mapping[str, Any] | None = None, members: int = 1,
                series: Mapping[str, Any] | None = None,
                return_columns: Iterable[str] | None = None) -> None:
        """Generate the kernel that :meth:`run_arrays` with these inputs would run, without
        running it (what matters is which inputs are given and which vary by member, not
        their values): a model then pickled to workers carries it ready."""
        c = self._controls(None, None, None, None)
        times, _ = time_grid(c["initial_time"], c["final_time"], c["time_step"], c["saveper"])
        self._prepared(params, series, return_columns, times, int(members))

    def _prepared(self, params: Mapping[str, Any] | None, series: Mapping[str, Any] | None,
                  return_columns: Iterable[str] | None, times: Any,
                  n: int) -> tuple[Any, Kernel]:
        """The inputs normalised for ``n`` members and the kernel of their configuration."""
        inputs = normalise(self.ir, params, series, np.asarray(times), n)
        config = RunConfig(frozenset(inputs.series), frozenset(inputs.member_series),
                           frozenset(inputs.member_params), self._outputs(return_columns),
                           frozenset(inputs.member_lookups))
        kernel = self._kernel(config)
        self._check_data(config)
        return inputs, kernel

    def _check_data(self, config: RunConfig) -> None:
        plan = build_plan(self.ir, config)
        missing = [n for n in plan.init_order
                   if self.ir.nodes[n].kind == "data" and n not in config.series]
        if missing:
            raise ModelError(f"{self.ir.file_name}: data variable(s) {missing} need a series "
                             "(pass series={name: values})")

    def _controls(self, saveper: float | None, initial_time: float | None,
                  final_time: float | None, time_step: float | None) -> dict[str, float]:
        ir = self.ir
        controls = {
            "initial_time": ir.initial_time if initial_time is None else float(initial_time),
            "final_time": ir.final_time if final_time is None else float(final_time),
            "time_step": ir.time_step if time_step is None else float(time_step),
        }
        default_saveper = ir.saveper if time_step is None else controls["time_step"]
        controls["saveper"] = default_saveper if saveper is None else float(saveper)
        if controls["time_step"] <= 0 or controls["saveper"] <= 0:
            raise ModelError("time_step and saveper must be positive")
        return controls

    def _outputs(self, return_columns: Iterable[str] | None) -> tuple[str, ...]:
        if return_columns is None:
            return tuple(self.output_names())
        if isinstance(return_columns, str):
            return_columns = [return_columns]
        names = [resolve_name(self.ir, c, _OUTPUT_KINDS, "output") for c in return_columns]
        return tuple(dict.fromkeys(names))

    def _kernel(self, config: RunConfig) -> Kernel:
        with self._lock:
            kernel = self._kernels.get(config)
            if kernel is None:
                plan = build_plan(self.ir, config)
                kernel = Kernel(*codegen.generate(self.ir, config, plan))
                self._kernels[config] = kernel
            return kernel

    def with_info(self, info: ModelInfo) -> Model:
        """A copy carrying other metadata (same IR and kernels)."""
        model = Model(self.ir, info)
        model._kernels = dict(self._kernels)
        return model


def _chunk(inputs: RunInputs, ir: ModelIR, controls: dict[str, float], lo: int,
           hi: int) -> tuple[dict[str, Any], dict[str, np.ndarray], dict[str, Any]]:
    """Parameters, series and lookup tables of members ``[lo, hi)``."""
    params: dict[str, Any] = {**default_params(ir), **controls}
    for name, value in inputs.params.items():
        params[name] = value[lo:hi] if name in inputs.member_params else value
    series = {name: (v[:, lo:hi] if v.ndim == 2 else v) for name, v in inputs.series.items()}
    lookups: dict[str, Any] = default_lookups(ir)
    for name, (x, y) in inputs.lookups.items():
        lookups[name] = (x, y[lo:hi] if y.ndim == 2 else y)
    return params, series, lookups


__all__ = ["CHUNK_MEMBERS", "Model"]


def _buffer(workspace: dict[str, np.ndarray] | None, name: str,
            shape: tuple[int, ...]) -> np.ndarray:
    """An output buffer of ``shape`` (time, member, *dims): new, or a view of the workspace's
    buffer for ``name`` if that has the times and dims and at least the members."""
    if workspace is None:
        return np.empty(shape)
    held = workspace.get(name)
    if (held is None or held.shape[0] != shape[0] or held.shape[2:] != shape[2:]
            or held.shape[1] < shape[1]):
        held = workspace[name] = np.empty(shape)
    return held[:, : shape[1]]
