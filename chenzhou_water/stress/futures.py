"""The futures of a study: one sampled point of the uncertainties per future index.

Every policy runs the same :class:`StudyFutures`: future ``i`` has the same sampled values and,
through the ensemble runner, the same stochastic inflow (drawn from the study's seed and the
index ``i``) whichever policy, chunk size or worker runs it (common random numbers).
"""

from __future__ import annotations

import numpy as np

from chenzhou_water._typing import FloatArray
from chenzhou_water.hydrology.generator import MemberClimate
from chenzhou_water.stress.spec import MAX_DROUGHT_YEARS, StudySpec
from chenzhou_water.sweep.execute import MemberSample
from chenzhou_water.sweep.samplers import UnitDesign, unit_design

__all__ = ["StudyFutures"]


class StudyFutures:
    """The sample source of a study (a :data:`~chenzhou_water.sweep.SampleSource`).

    Parameters
    ----------
    spec : StudySpec
        The study; its uncertainties take the design's dimensions in file order.
    """

    def __init__(self, spec: StudySpec):
        self.spec = spec
        self.design: UnitDesign = unit_design(
            spec.sampler, spec.futures, len(spec.uncertainties), spec.seed
        )

    def values(self, start: int, stop: int) -> dict[str, FloatArray]:
        """Each uncertainty's values for futures ``[start, stop)``, in its own units.

        A drought length is rounded down to whole years.
        """
        unit = self.design.rows(start, stop)
        spec = self.spec
        out = {u.name: u.distribution.ppf(unit[:, j]) for j, u in enumerate(spec.uncertainties)}
        if "drought_length" in out:
            out["drought_length"] = np.clip(np.floor(out["drought_length"]), 1, MAX_DROUGHT_YEARS)
        return out

    def __call__(self, start: int, stop: int) -> MemberSample:
        """The ensemble inputs of futures ``[start, stop)``."""
        values = self.values(start, stop)
        kinds = {u.name: u.kind for u in self.spec.uncertainties}
        constants = {n: v for n, v in values.items() if kinds[n] == "constant"}
        scales = {n: v for n, v in values.items() if kinds[n] == "lever"}
        climate = None
        if {"variability", "drought_frequency", "drought_length"} & values.keys():
            length = values.get("drought_length")
            climate = MemberClimate(
                variability=values.get("variability"),
                drought_probability=values.get("drought_frequency"),
                drought_length=None if length is None else length.astype(np.int64),
            )
        return MemberSample(start, stop, constants, {}, scales, values.get("runoff_change"),
                            climate)
