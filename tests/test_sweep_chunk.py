"""One chunk of an ensemble against its members run one at a time.

``compute_chunk`` runs a chunk's members together: members sharing their discrete lever
alternatives in one pass of the kernel, the continuous levers as one table per member, a
metrics-only chunk in blocks of ``BLOCK_MEMBERS``, the stochastic inflow of the members' global
indices scaled by their runoff change. Each test here builds the expected values the plain way:
every member alone through ``Model.run_arrays`` with its own constants, tables and inflow, and
its metrics computed by hand from its monthly series. The model
(``tests/models/chunk_reservoir.mdl``) is a single reservoir, 2015-2050 by month, whose release
and evaporation follow three lookups, so the whole file runs in a few seconds.
"""

from __future__ import annotations

import tracemalloc
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from chenzhou_water.engine import compile_model
from chenzhou_water.engine.model import Model
from chenzhou_water.hydrology.config import DroughtEvent, InflowConfig, MultiYearDrought
from chenzhou_water.hydrology.generator import MemberClimate, generate_inflows
from chenzhou_water.sweep import chunk as chunk_module
from chenzhou_water.sweep.chunk import ChunkPlan, compute_chunk
from chenzhou_water.sweep.distributions import Distribution
from chenzhou_water.sweep.execute import MemberSample
from chenzhou_water.sweep.levers import UncertainLever
from chenzhou_water.sweep.metrics import Metric

MODEL = Path(__file__).parent / "models" / "chunk_reservoir.mdl"
#: Calendar year of each saved month, January 2015 to December 2050.
YEARS = np.repeat(np.arange(2015, 2051), 12)
SEED = 7
CAPACITY = 6.0e9  # the scenario's capacity, in place of the model's 8.12e9
DEAD_STORAGE = 2.5e9  # the scenario's dead storage, in place of the model's 3e9
MARGIN = 1.0e9
INFLOW = InflowConfig(drought_2022=DroughtEvent(annual_probability=0.2),
                      multiyear_drought=MultiYearDrought(annual_probability=0.1))  # fmt: skip

LEAKAGE = UncertainLever(  # a choice of two named tables
    "leakage_target", ("flat", "fast"),
    (((2015.0, 2050.0), (0.2, 0.2)), ((2015.0, 2030.0, 2050.0), (0.2, 0.05, 0.05))),
    (0.5, 0.5),
)  # fmt: skip
EVAPORATION = UncertainLever(  # the model's table scaled by one of two factors
    "evaporation_share", ("x0.5", "x1.5"),
    (((2015.0, 2050.0), (0.001, 0.002)), ((2015.0, 2050.0), (0.003, 0.006))),
    (0.5, 0.5), factors=(0.5, 1.5),
)  # fmt: skip
RELEASE_BASE = ((2015.0, 2050.0), (0.01, 0.02))
RELEASE = UncertainLever(  # a continuous scale of the model's table
    "release_share", (), (RELEASE_BASE,), (),
    distribution=Distribution("uniform", (0.5, 1.5)),
)  # fmt: skip

METRICS = (
    Metric("worst_storage", "worst_storage"),
    Metric("near_dead_storage", "months_below_dead_storage", options={"margin": MARGIN}),
    Metric("leakage_2030", "leakage", years=(2030, 2030)),
    Metric("inflow_2022", "annual", years=(2022, 2022), variable="reservoir_inflow",
           reduce="sum"),
    Metric("evaporation_2040", "annual", years=(2040, 2040),
           variable="reservoir_evaporation", reduce="max"),
)  # fmt: skip
COLUMNS = ("reservoir_storage", "leakage_rate", "reservoir_inflow", "reservoir_evaporation")

# members 3..7 of an ensemble: their inputs, one value per member
START, STOP = 3, 8
RELEASE_FACTOR = np.array([1.0, 1.4, 0.7, 1.2, 0.9])
MEMBER_DEAD_STORAGE = np.array([2.0e9, 3.5e9, 2.5e9, 4.0e9, 3.0e9])
LEAKAGE_CHOICE = np.array([0, 1, 1, 0, 1])
EVAPORATION_CHOICE = np.array([1, 1, 0, 0, 1])  # with LEAKAGE_CHOICE: four groups
RELEASE_SCALE = np.array([0.8, 1.0, 1.3, 0.6, 1.1])
RUNOFF_CHANGE = np.array([-0.2, 0.0, 0.1, 0.3, -0.05])


@pytest.fixture(scope="module")
def model() -> Model:
    return compile_model(MODEL)


def plan_of(model: Model, series: tuple[str, ...] = (), *, levers: bool = True,
            inflow: InflowConfig | None = INFLOW) -> ChunkPlan:  # fmt: skip
    return ChunkPlan(
        model, {"reservoir_capacity": CAPACITY},
        (LEAKAGE, EVAPORATION, RELEASE) if levers else (), inflow, SEED, series, METRICS,
        tuple(dict.fromkeys([*series, *COLUMNS])), YEARS, {"dead_storage": DEAD_STORAGE},
    )  # fmt: skip


def full_sample(**changes: object) -> MemberSample:
    """Members 3..7 with every kind of per-member input."""
    sample = MemberSample(
        START, STOP,
        constants={"release_factor": RELEASE_FACTOR, "dead_storage": MEMBER_DEAD_STORAGE},
        lever_choices={"leakage_target": LEAKAGE_CHOICE, "evaporation_share": EVAPORATION_CHOICE},
        lever_scales={"release_share": RELEASE_SCALE},
        runoff_change=RUNOFF_CHANGE,
    )  # fmt: skip
    return replace(sample, **changes)


def member_run(model: Model, sample: MemberSample, i: int, *,
               inflow: InflowConfig | None = INFLOW) -> dict[str, np.ndarray]:  # fmt: skip
    """Member ``i`` of ``sample`` (its global index ``sample.start + i``) alone: (time,) arrays."""
    params: dict[str, object] = {"reservoir_capacity": CAPACITY}
    params.update({name: float(values[i]) for name, values in sample.constants.items()})
    for lever in (LEAKAGE, EVAPORATION):
        if lever.name in sample.lever_choices:
            params[lever.name] = lever.tables[int(sample.lever_choices[lever.name][i])]
    if "release_share" in sample.lever_scales:
        years, shares = RELEASE_BASE
        scale = sample.lever_scales["release_share"][i]
        params["release_share"] = (years, np.multiply(shares, scale))
    series = None
    if inflow is not None:
        climate = sample.climate
        if climate is not None:  # the member's own values
            climate = MemberClimate(climate.variability[i : i + 1],
                                    climate.drought_probability[i : i + 1],
                                    climate.drought_length[i : i + 1])  # fmt: skip
        drawn = generate_inflows(1, seed=SEED, member_offset=sample.start + i, config=inflow,
                                 climate=climate)  # fmt: skip
        change = 0.0 if sample.runoff_change is None else sample.runoff_change[i]
        series = {"reservoir_inflow": drawn * (1.0 + change)}
    arrays = model.run_arrays(params, members=1, series=series)
    return {name: values[0] for name, values in arrays.items() if name != "time"}


def metrics_by_hand(run: dict[str, np.ndarray], dead_storage: float) -> list[float]:
    """The five metrics of ``METRICS`` from one member's monthly series."""
    storage = run["reservoir_storage"]
    return [
        storage.min(),
        float(np.sum(storage < dead_storage + MARGIN)),
        run["leakage_rate"][YEARS == 2030].mean(),
        run["reservoir_inflow"][YEARS == 2022].sum(),
        run["reservoir_evaporation"][YEARS == 2040].max(),
    ]


def expected_metrics(model: Model, sample: MemberSample, **kwargs: object) -> np.ndarray:
    rows = []
    for i in range(sample.stop - sample.start):
        dead = sample.constants.get("dead_storage", np.full(sample.stop, DEAD_STORAGE))[i]
        rows.append(metrics_by_hand(member_run(model, sample, i, **kwargs), dead))
    return np.array(rows)


@pytest.mark.parametrize("block", [chunk_module.BLOCK_MEMBERS, 2])
def test_a_chunk_equals_its_members_run_one_at_a_time(
    model: Model, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    # four groups of lever alternatives, a continuous lever, sampled constants, runoff change;
    # kept series are never split into blocks, however small
    monkeypatch.setattr(chunk_module, "BLOCK_MEMBERS", block)
    sample = full_sample()
    result = compute_chunk(plan_of(model, ("reservoir_storage", "leakage_rate")), sample)
    assert (result.start, result.stop) == (START, STOP)
    assert result.metrics.shape == (5, len(METRICS))
    np.testing.assert_allclose(result.metrics, expected_metrics(model, sample), rtol=1e-12)
    assert set(result.series) == {"reservoir_storage", "leakage_rate"}
    for i in range(5):
        alone = member_run(model, sample, i)
        for name in ("reservoir_storage", "leakage_rate"):
            np.testing.assert_allclose(result.series[name][i], alone[name], rtol=1e-12)


@pytest.mark.parametrize("block", [2, 3])
def test_a_metrics_only_chunk_in_blocks_equals_one_block_and_its_members(
    model: Model, monkeypatch: pytest.MonkeyPatch, block: int
) -> None:
    plan = plan_of(model)
    whole = compute_chunk(plan, full_sample())
    monkeypatch.setattr(chunk_module, "BLOCK_MEMBERS", block)
    blocks = compute_chunk(plan, full_sample())
    assert (blocks.start, blocks.stop, blocks.series) == (START, STOP, {})
    assert np.array_equal(blocks.metrics, whole.metrics)  # same code, same machine
    np.testing.assert_allclose(blocks.metrics, expected_metrics(model, full_sample()), rtol=1e-12)


def test_blocks_without_runoff_change_or_stochastic_inflow(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(chunk_module, "BLOCK_MEMBERS", 2)
    sample = full_sample(runoff_change=None)
    result = compute_chunk(plan_of(model, inflow=None), sample)
    np.testing.assert_allclose(result.metrics, expected_metrics(model, sample, inflow=None),
                               rtol=1e-12)  # fmt: skip


def test_the_models_own_inflow_without_uncertain_levers(model: Model) -> None:
    # no lever to group by and no stochastic inflow: the model's inflow, 1e8 * (month % 12) / 12
    # m3 a month, is 1e8 * (0 + 1 + ... + 11) / 12 = 5.5e8 m3 in 2022 for every member
    sample = MemberSample(2, 5, constants={"release_factor": np.array([0.6, 1.0, 1.5])})
    result = compute_chunk(plan_of(model, ("reservoir_storage",), levers=False, inflow=None),
                           sample)  # fmt: skip
    np.testing.assert_allclose(result.metrics[:, 3], 5.5e8, rtol=1e-12)
    np.testing.assert_allclose(result.metrics, expected_metrics(model, sample, inflow=None),
                               rtol=1e-12)  # fmt: skip
    storage = result.series["reservoir_storage"]
    assert storage.shape == (3, len(YEARS))
    assert storage[0, 0] == storage[2, 0] == CAPACITY / 2  # the scenario's capacity
    assert storage[0, -1] > storage[1, -1] > storage[2, -1]  # more release, less storage


def test_members_sharing_their_alternatives_run_as_one_group(model: Model) -> None:
    sample = full_sample(lever_choices={"leakage_target": np.ones(5, dtype=np.int64),
                                        "evaporation_share": np.zeros(5, dtype=np.int64)})
    result = compute_chunk(plan_of(model, ("reservoir_storage",)), sample)
    np.testing.assert_allclose(result.metrics, expected_metrics(model, sample), rtol=1e-12)
    for i in range(5):
        np.testing.assert_allclose(result.series["reservoir_storage"][i],
                                   member_run(model, sample, i)["reservoir_storage"], rtol=1e-12)
    # leakage in 2030 is the "fast" table's 0.05 for every member
    np.testing.assert_allclose(result.metrics[:, 2], 0.05, rtol=1e-12)


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
def test_runoff_change_scales_each_members_inflow_by_one_plus_the_change(
    model: Model, dtype: type
) -> None:
    # a sample source may give its changes in single precision; they apply in double
    plan = plan_of(model, ("reservoir_inflow",))
    drawn = generate_inflows(5, seed=SEED, member_offset=START, config=INFLOW)
    change = RUNOFF_CHANGE.astype(dtype)
    changed = compute_chunk(plan, full_sample(runoff_change=change)).series["reservoir_inflow"]
    expected = drawn * (1 + change.astype(np.float64))[:, None]
    np.testing.assert_allclose(changed, expected, rtol=1e-14)
    as_drawn = compute_chunk(plan, full_sample(runoff_change=None)).series["reservoir_inflow"]
    np.testing.assert_allclose(as_drawn, drawn, rtol=1e-12)


def test_each_members_climate_follows_it_into_its_block(
    model: Model, monkeypatch: pytest.MonkeyPatch
) -> None:
    climate = MemberClimate(variability=np.array([0.8, 1.5, 1.0, 1.2, 0.9]),
                            drought_probability=np.array([0.0, 0.3, 0.1, 0.5, 0.2]),
                            drought_length=np.array([1, 4, 2, 3, 5]))  # fmt: skip
    sample = full_sample(climate=climate)
    expected = expected_metrics(model, sample)
    np.testing.assert_allclose(compute_chunk(plan_of(model), sample).metrics, expected,
                               rtol=1e-12)  # fmt: skip
    monkeypatch.setattr(chunk_module, "BLOCK_MEMBERS", 2)
    np.testing.assert_allclose(compute_chunk(plan_of(model), sample).metrics, expected,
                               rtol=1e-12)  # fmt: skip


def peak_memory(plan: ChunkPlan, sample: MemberSample) -> int:
    """Bytes allocated at most while ``sample``'s chunk is computed (its kernel built before)."""
    first_two = {field: {name: values[:2] for name, values in getattr(sample, field).items()}
                 for field in ("constants", "lever_choices")}  # fmt: skip
    compute_chunk(plan, replace(sample, stop=sample.start + 2, **first_two))
    tracemalloc.start()
    try:
        compute_chunk(plan, sample)
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_a_metrics_only_chunk_holds_only_the_variables_its_metrics_read(model: Model) -> None:
    # worst_storage reads the storage alone: the chunk's largest allocation is that one
    # (member, month) array, not every variable of the model (nine of them here)
    members = 2_000
    plan = replace(plan_of(model, levers=False, inflow=None),
                   metrics=(METRICS[0],), columns=("reservoir_storage",))  # fmt: skip
    sample = MemberSample(0, members, constants={"release_factor": np.linspace(0.5, 1.5, members)})
    assert peak_memory(plan, sample) < 1.5 * members * len(YEARS) * 8


def test_members_sharing_one_alternative_share_the_drawn_inflow(model: Model) -> None:
    # a lever every member takes the same alternative of costs no more memory than no lever:
    # the group's inflow and kept series are the chunk's own arrays, not copies of their rows
    members = 2_000
    plan = replace(plan_of(model, ("reservoir_storage",), levers=False), metrics=(METRICS[0],),
                   columns=("reservoir_storage",))  # fmt: skip
    without = peak_memory(plan, MemberSample(0, members))
    one_group = peak_memory(replace(plan, levers=(LEAKAGE,)), MemberSample(
        0, members, lever_choices={"leakage_target": np.ones(members, dtype=np.int64)}))
    assert one_group < without + 0.5 * members * len(YEARS) * 8  # a copy would be a whole one
