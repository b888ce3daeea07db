"""The ``chenzhou-water`` command line. Each command parses its options and calls one library
function inside :func:`~chenzhou_water.command_line.project_errors`, which turns a project
error into a message and an exit status (the options several commands share are there too).

Exit status: 0 success, 1 the work failed (model error, units issues, failed check), 2 bad input
(an invalid scenario, sweep, sensitivity or targets file, or bad options).
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Annotated, Any, Literal

import typer
from rich.table import Table

from chenzhou_water.command_line import (
    EXISTING_FILE,
    EXIT_FAILED,
    ChunkSize,
    Dashboard,
    ModelArg,
    OutDir,
    Overwrite,
    Resume,
    ScenarioArg,
    Scheduler,
    Workers,
    check_before_work,
    console,
    ensemble_progress,
    err_console,
    execution_options,
    print_frame,
    progress_display,
    project_errors,
    suffix_callback,
)
from chenzhou_water.files import check_output_folder, refuse_existing
from chenzhou_water.model.contract import HEADLINE_INDICATORS as _HEADLINE_INDICATORS

app = typer.Typer(
    name="chenzhou-water",
    help="Simulate the water system of Chenzhou (郴州): Dongjiang reservoir, diversion, city "
    "supply, leakage, reuse and the lake-cooled data centre.",
    no_args_is_help=True,
    rich_markup_mode="markdown",
    pretty_exceptions_enable=False,
    add_completion=False,
)
def _show_version(value: bool) -> None:
    if value:
        from chenzhou_water import __version__

        console.print(f"chenzhou-water {__version__}", highlight=False)
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[bool, typer.Option(
        "--version", help="Print the version and exit.", callback=_show_version,
        is_eager=True)] = False,
) -> None:
    """Simulate the water system of Chenzhou (郴州): Dongjiang reservoir, diversion, city
    supply, leakage, reuse and the lake-cooled data centre."""


@app.command()
def run(
    scenario: ScenarioArg,
    out: OutDir = Path("out"),
    engine: Annotated[Literal["numpy", "pysd"], typer.Option(
        help="`numpy` (the ensemble engine) or `pysd` (the reference).")] = "numpy",
    plots: Annotated[bool, typer.Option(help="Write PNG plots.")] = True,
    posterior: Annotated[Path | None, typer.Option(
        help="A folder written by `chenzhou-water calibrate`: run the scenario over its "
        "posterior draws (one ensemble member each) and write quantiles and fan charts.",
        file_okay=False, show_default=False)] = None,
    draws: Annotated[int, typer.Option(help="With --posterior: how many draws to run.",
                                       min=1)] = 200,
    overwrite: Overwrite = False,
) -> None:
    """Run a scenario and write `OUT/<scenario>.nc`, CSV tables and PNG plots.

    `<scenario>.nc` holds every output with units and provenance (xarray, Panoply, ncview);
    `<scenario>_summary.csv` the headline indicators by year and `<scenario>_monthly.csv` every
    output by month (both open in Excel).

    Prints the headline indicators for 2020, 2025, 2030, 2035 and 2050.

    **Example**

        chenzhou-water run scenarios/baseline.yaml --out out

        chenzhou-water run scenarios/leakage_target.yaml --out out --engine pysd

        chenzhou-water run scenarios/baseline.yaml --posterior out/calibration --draws 200

    With `--posterior`, the parameters' calibration uncertainty is carried into the results:
    every member is one posterior draw, the summary and monthly tables give the members'
    median, `<scenario>_quantiles.csv` the 5/50/95 % quantiles of each headline indicator by
    year, and the plots (and `chenzhou-water report`) draw fan charts.
    """
    from chenzhou_water.scenario.run import run_scenario_file

    with project_errors():
        if posterior is not None and engine != "numpy":
            raise typer.BadParameter("--posterior runs on the numpy engine only",
                                     param_hint="--engine")
        check_output_folder(out)
        with progress_display() as progress:
            if posterior is None:
                outputs = run_scenario_file(scenario, out, engine=engine,  # type: ignore[arg-type]
                                            plots=plots, progress=progress, overwrite=overwrite)
                extra, note = (), ""
            else:
                from chenzhou_water.calibration.posterior_runs import run_posterior_file

                progress.stage(f"running {scenario.name} over {draws} posterior draws")
                outputs, quantiles = run_posterior_file(scenario, posterior, out, draws=draws,
                                                        plots=plots, overwrite=overwrite)
                extra, note = (quantiles,), " (median of the posterior draws)"
        print_frame(outputs.headline, f"{outputs.netcdf.stem}: headline indicators{note}")
        for path in (outputs.netcdf, outputs.summary_csv, outputs.monthly_csv, *outputs.plots,
                     *extra):
            console.print(f"wrote {path}", highlight=False)


@app.command()
def validate(
    file: Annotated[Path, typer.Argument(
        help="A scenario, sweep, sensitivity-analysis, calibration targets or calibration "
        "parameters file (recognised by its keys).", show_default=False, **EXISTING_FILE)],
) -> None:
    """Check an input file (and every file it extends) without running anything.

    Recognises the kind of file by its keys and checks it by that kind's rules; reports every
    problem at once, each with its file, line and YAML path, and the kind the file was read
    as; exits with status 2 when there is any.

    **Example**

        chenzhou-water validate scenarios/drought_2022.yaml

        chenzhou-water validate scenarios/sweeps/drought_risk.yaml
    """
    from chenzhou_water.filekinds import validate_file

    with project_errors():
        checked = validate_file(file)
        console.print(f"{file}: valid {checked.kind} ({checked.summary})", highlight=False)


@app.command()
def check(
    model: ModelArg = None,
) -> None:
    """Check that every equation of a Vensim model is dimensionally consistent.

    Lists each inconsistency with the variable and the units on both sides; exits with status
    1 when there is any.

    **Example**

        chenzhou-water check models/chenzhou_water.mdl
    """
    from chenzhou_water.model.units import check_units, format_report
    from chenzhou_water.scenario.spec import default_model_path

    model = model if model is not None else default_model_path()
    with project_errors():
        report = check_units(model)
        text = format_report(report)
        if report.ok:
            console.print(text, highlight=False)
            return
        err_console.print(text, highlight=False)
        raise typer.Exit(EXIT_FAILED)


@app.command()
def report(
    results: Annotated[list[Path], typer.Argument(
        help="Result files (.nc) written by `chenzhou-water run` or `chenzhou-water sweep` "
        "(also metrics-only sweeps); the first run is the reference.",
        show_default=False)],
    out: Annotated[Path, typer.Option("--out", "-o", help="The HTML page to write.",
                                      dir_okay=False)] = Path(
        "report.html"),
    lang: Annotated[str, typer.Option(help="Language of the page: `en` or `zh`.")] = "en",
    calibration: Annotated[Path | None, typer.Option(
        help="Folder with `fit.csv` written by `chenzhou-water calibrate`.",
        show_default=False)] = None,
    attribute: Annotated[str | None, typer.Option(
        help="Headline indicator and year whose difference is attributed to the inputs, as "
        "KEY:YEAR; default: the indicator differing most between the first two runs in 2030. "
        "KEY is one of: " + ", ".join(f"`{i.key}`" for i in _HEADLINE_INDICATORS) + ".",
        show_default=False)] = None,
    overwrite: Overwrite = False,
) -> None:
    """Write one self-contained HTML page comparing scenario results, in English or Chinese.

    The page has the headline indicators in 2025, 2030, 2035 and 2050, comparison plots
    (reservoir storage, supply and demand, leakage, reuse, data centre, hydropower), why each
    scenario differs from the first, a waterfall attributing the difference in one indicator
    to the differing inputs (Shapley values), the calibration fit if given, and provenance.

    **Example**

        chenzhou-water report out/baseline.nc out/leakage_target.nc --out report.html --lang zh

        chenzhou-water report out/baseline.nc out/reuse_25.nc --attribute leakage_volume_kt_d:2030
    """
    from chenzhou_water.report import write_report

    with project_errors():
        check_output_folder(out.parent)
        refuse_existing([out], overwrite)
        with progress_display() as progress:
            progress.stage(f"making the report of {len(results)} result(s)")
            path = write_report(results, out, lang, calibration, attribute)
        console.print(f"wrote {path}", highlight=False)


@app.command()
def calibrate(
    targets: Annotated[Path, typer.Argument(help="Targets YAML file (the reported figures).",
                                            show_default=False, **EXISTING_FILE)],
    scenario: Annotated[Path, typer.Option(help="The scenario the fit runs with; its values "
                                           "of the free parameters are replaced.")] = Path(
        "scenarios/baseline.yaml"),
    parameters: Annotated[Path | None, typer.Option(
        help="Free parameters YAML file (default: `parameters.yaml` beside the targets).",
        show_default=False)] = None,
    out: OutDir = Path("out/calibration"),
    seed: Annotated[int, typer.Option(help="Seed of the fit and the sampler.")] = 0,
    popsize: Annotated[int, typer.Option(help="Differential evolution: population per "
                                         "parameter.", min=2)] = 10,
    maxiter: Annotated[int, typer.Option(help="Differential evolution: most generations.",
                                         min=1)] = 200,
    chains: Annotated[int, typer.Option(help="Posterior sampler (emcee): independent "
                                        "ensembles, the chains of R-hat.", min=2)] = 4,
    walkers: Annotated[int, typer.Option(help="Posterior sampler: walkers per ensemble (a "
                                         "multiple of 4, at least twice the free "
                                         "parameters).", min=4)] = 128,
    steps: Annotated[int, typer.Option(help="Posterior sampler: steps per walker (half "
                                       "burn-in).", min=2)] = 300,
    plots: Annotated[bool, typer.Option(help="Write PNG plots.")] = True,
    overwrite: Overwrite = False,
) -> None:
    """Calibrate the free parameters to the reported figures and report the fit.

    Differential evolution, an L-BFGS-B polish from its best vector, then emcee's ensemble
    sampler for the posterior. Writes `OUT/calibrated.yaml` (a scenario overlay a baseline can
    `extends`), `OUT/fit.csv` (reported against simulated, per target; NSE, KGE, PBIAS, RMSE
    for time-series targets), `OUT/uncertainty.csv` (posterior against prior, per parameter),
    `OUT/diagnostics.csv` (R-hat, bulk/tail ESS), `OUT/verdict.txt` and PNG plots (fit,
    fit_series, uncertainty, trace, rank, pair); prints the fit, whether the optimiser and the
    sampler converged, the conflicts between sources and how the fit settled them, and the
    parameters the targets do not constrain. The same seed gives the same numbers.

    **Example**

        chenzhou-water calibrate calibration/targets.yaml --out out/calibration

        chenzhou-water calibrate calibration/targets.yaml --seed 1 --steps 600
    """
    from chenzhou_water.calibration.report import format_report, parameter_table
    from chenzhou_water.calibration.workflow import run_calibration

    with project_errors():
        check_output_folder(out)
        refuse_existing([out / "calibrated.yaml", out / "fit.csv"], overwrite)
        with progress_display() as progress:
            progress.stage("checking the files")
            run = run_calibration(targets, scenario, out, parameters_path=parameters, seed=seed,
                                  popsize=popsize, maxiter=maxiter, chains=chains,
                                  walkers=walkers, steps=steps, plots=plots, progress=progress)
        result = run.result
        print_frame(run.result.fit[["period", "reported", "simulated", "z", "within tolerance",
                                     "hard/soft"]], "fit: reported against simulated")
        print_frame(parameter_table(result), "calibrated parameters (MAP, 95 % highest-density "
                     "interval, convergence)")
        for line in format_report(result):
            console.print(line, highlight=False)
        for path in (run.outputs.overlay, run.outputs.fit_csv, run.outputs.uncertainty_csv,
                     run.outputs.diagnostics_csv, run.outputs.verdict, *run.outputs.plots):
            if path is not None:
                console.print(f"wrote {path}", highlight=False)
        if not result.success:
            raise typer.Exit(EXIT_FAILED)


@app.command()
def sweep(
    sweep_file: Annotated[Path, typer.Argument(help="Sweep YAML file.", show_default=False,
                                               **EXISTING_FILE)],
    out: OutDir = Path("out"),
    workers: Workers = None,
    scheduler: Scheduler = None,
    chunk_size: ChunkSize = None,
    resume: Resume = False,
    dashboard: Dashboard = False,
    members: Annotated[int | None, typer.Option(
        help="Run this many members instead of the file's `members` (a smaller copy to try "
        "the sweep; the file is not changed).", min=1, show_default=False)] = None,
    overwrite: Overwrite = False,
    plots: Annotated[bool, typer.Option(help="Write PNG plots.")] = True,
) -> None:
    """Run a stochastic sweep: many members of a scenario with uncertain inputs and inflow.

    Writes `OUT/<name>.nc` (sampled inputs, per-member metrics and kept series, by member) and
    the finished chunks in `OUT/<name>.chunks/`; an interrupted sweep continues with
    `--resume`. Results are identical whatever the chunk size and number of workers.

    **Example**

        chenzhou-water sweep scenarios/sweeps/drought_risk.yaml --out out --workers 2

        chenzhou-water sweep scenarios/sweeps/drought_risk.yaml --out out --workers 2 --resume

        chenzhou-water sweep scenarios/sweeps/leakage_uncertainty.yaml --out out --chunk-size 64
    """
    from chenzhou_water.sweep import run_sweep

    options = execution_options(workers, scheduler, chunk_size, resume, dashboard)
    with project_errors():
        check_before_work(out, options)
        with progress_display("members") as display:
            result = run_sweep(sweep_file, out, options, progress=ensemble_progress(display),
                               members=members, overwrite=overwrite, plots=plots)
        run = result.run
        console.print(
            f"{run.name}: {run.members:,} members in {run.chunks} chunks ({run.chunks_computed} "
            f"run, {run.chunks_resumed} resumed) on {run.executor} in {run.seconds:.1f} s "
            f"({run.members_per_second:,.0f} members/s)", highlight=False)
        for path in (run.path, *result.files):
            console.print(f"wrote {path}", highlight=False)


@app.command()
def stress(
    study_file: Annotated[Path, typer.Argument(help="Study YAML file.", show_default=False,
                                               **EXISTING_FILE)],
    out: OutDir = Path("out"),
    workers: Workers = None,
    scheduler: Scheduler = None,
    chunk_size: ChunkSize = None,
    resume: Resume = False,
    dashboard: Dashboard = False,
    overwrite: Overwrite = False,
) -> None:
    """Stress-test policies over the same futures: response surfaces, robustness, PRIM boxes.

    Writes `OUT/<name>.nc` (policy x future outcomes, sampled uncertainties), CSV tables
    (outcomes, robustness ranking, PRIM boxes, feature scores) and PNG plots; each policy's
    ensemble is kept in `OUT/<name>.runs/` and an interrupted study continues with `--resume`.

    **Example**

        chenzhou-water stress scenarios/studies/policies.yaml --out out/policies --workers 2
    """
    from chenzhou_water.stress import run_study

    options = execution_options(workers, scheduler, chunk_size, resume, dashboard)
    with project_errors():
        check_before_work(out, options)
        with progress_display("members") as display:
            result = run_study(study_file, out, options, progress=ensemble_progress(display),
                               overwrite=overwrite)
        print_frame(result.analysis.robustness[["rank", "satisficing"]], "robustness")
        console.print(f"{len(result.spec.policies)} policies x {result.spec.futures:,} futures in "
                      f"{result.seconds:.1f} s", highlight=False)
        for path in result.files:
            console.print(f"wrote {path}", highlight=False)


@app.command()
def hydrology(
    plot: Annotated[Path | None, typer.Option(
        help="Save a figure of the assumptions and a sample of series (PNG, SVG or PDF).",
        show_default=False, dir_okay=False,
        callback=suffix_callback((".png", ".svg", ".pdf")))] = None,
    members: Annotated[int, typer.Option(help="Members sampled for the figure and the annual "
                                         "statistics.", min=1)] = 500,
    seed: Annotated[int, typer.Option(help="Seed of the sample.", min=0)] = 0,
    overwrite: Overwrite = False,
) -> None:
    """Print the stochastic inflow generator's assumptions: monthly shares, CVs, lag-1
    correlations and mean annual runoff, with the annual statistics of a sample.

    **Example**

        chenzhou-water hydrology

        chenzhou-water hydrology --plot out/hydrology.png --members 500 --seed 0
    """
    from chenzhou_water.hydrology.summary import summarise_hydrology
    from chenzhou_water.scenario.spec import default_model_path

    with project_errors():
        if plot is not None:
            check_output_folder(plot.parent, "--plot")
            refuse_existing([plot], overwrite, "--plot")
        with progress_display() as progress:
            progress.stage(f"sampling {members} members of the inflow generator")
            summary = summarise_hydrology(default_model_path(), members, seed, plot)
        table = Table(title="Dongjiang natural inflow: assumptions by calendar month",
                      header_style="bold")
        table.add_column("month", justify="right")
        for column in summary.monthly.columns:
            table.add_column(column, justify="right")
        formats = ("{:.3f}", "{:,.0f}", "{:.2f}", "{:.2f}")
        for month, row in summary.monthly.iterrows():
            table.add_row(str(month), *(f.format(v) for f, v in zip(formats, row, strict=True)))
        console.print(table)
        console.print(
            f"mean annual runoff {summary.config.mean_annual_runoff / 1e9:.2f} billion m³/yr; "
            f"sample of {members} members (seed {seed}): mean "
            f"{summary.sample_mean_annual_runoff / 1e9:.2f}, CV of calendar-year runoff "
            f"{summary.sample_annual_cv:.2f}", highlight=False)
        if summary.plot is not None:
            console.print(f"wrote {summary.plot}", highlight=False)


@app.command()
def sensitivity(
    sa_file: Annotated[Path, typer.Argument(help="Sensitivity-analysis YAML file.",
                                            show_default=False, **EXISTING_FILE)],
    out: OutDir = Path("out"),
    workers: Workers = None,
    scheduler: Scheduler = None,
    chunk_size: ChunkSize = None,
    resume: Resume = False,
    dashboard: Dashboard = False,
    plots: Annotated[bool, typer.Option(help="Write PNG plots.")] = True,
    overwrite: Overwrite = False,
) -> None:
    """Global sensitivity analysis (SALib: Morris, Sobol', FAST, RBD-FAST, delta, PAWN).

    Samples the parameters of the SA file, runs the model on every sample through the sweep
    machinery (chunked, resumable, serial or on Dask), and writes the indices with confidence
    intervals (`OUT/<name>_indices.nc`, `OUT/<name>_yearly_indices.nc`, `OUT/<name>_indices.csv`),
    a convergence report (`OUT/<name>_convergence.txt`) and plots; prints the ranked parameters
    and whether the intervals are narrow enough for the ranking to hold.

    **Example**

        chenzhou-water sensitivity scenarios/sensitivity/morris_all.yaml --out out/sa

        chenzhou-water sensitivity scenarios/sensitivity/sobol_top.yaml --out out/sa --workers 2

        chenzhou-water sensitivity scenarios/sensitivity/sobol_top.yaml --out out/sa --resume
    """
    from chenzhou_water.sensitivity import run_sensitivity, summary_tables
    options = execution_options(workers, scheduler, chunk_size, resume, dashboard)
    with project_errors():
        check_before_work(out, options)
        with progress_display("model runs") as display:
            result = run_sensitivity(sa_file, out, options, progress=ensemble_progress(display),
                                     plots=plots, overwrite=overwrite)
        run = result.run
        console.print(
            f"{result.spec.name}: {result.spec.method_def.title}, {len(result.spec.parameters)} "
            f"parameters, {run.members:,} model runs ({run.chunks_computed} chunks run, "
            f"{run.chunks_resumed} resumed) on {run.executor} in {run.seconds:.1f} s",
            highlight=False)
        for title, frame in summary_tables(result):
            print_frame(frame, title)
        console.print(result.convergence.text(), highlight=False, markup=False)
        for path in (run.path, *result.files):
            console.print(f"wrote {path}", highlight=False)


@app.command()
def describe(
    model: ModelArg = None,
    out: Annotated[Path | None, typer.Option(
        "--out", "-o", help="Write the full table: `.csv` (opens in Excel) or `.md`.",
        show_default=False, dir_okay=False, callback=suffix_callback((".csv", ".md")))] = None,
    kind: Annotated[Literal["constant", "lookup", "stock", "auxiliary", "data", "control"] | None,
                    typer.Option(help="Show one kind only.", show_default=False)] = None,
    overwrite: Overwrite = False,
) -> None:
    """List a model's variables: kind, units, declared range, value and where each number
    comes from (seed document, public source, assumption, lever, calibrated, conversion).

    **Example**

        chenzhou-water describe --kind constant

        chenzhou-water describe models/chenzhou_water.mdl --out model_variables.csv
    """
    from chenzhou_water.model.catalogue import describe_model, write_table
    from chenzhou_water.scenario.spec import default_model_path

    model = model if model is not None else default_model_path()
    with project_errors():
        if out is not None:
            check_output_folder(out.parent)
            refuse_existing([out], overwrite)
        table = describe_model(model)
        if kind is not None:
            table = table[table["kind"] == kind]
        counts = ", ".join(f"{n} {k}" for k, n in table["kind"].value_counts().items())
        if out is not None:  # the table goes to the file; one line here
            console.print(f"wrote {write_table(table, out)} ({len(table)} variables: {counts})",
                          highlight=False)
            return
        shown = table[["kind", "units", "min", "max", "value", "sources"]].astype(object)
        print_frame(shown.where(shown.notna(), ""), f"{model.name}: {len(table)} variables")
        console.print(counts, highlight=False)


@app.command()
def explore(
    scenario: Annotated[Path | None, typer.Argument(
        help="Starting scenario (default: scenarios/baseline.yaml).", show_default=False,
        **EXISTING_FILE)] = None,
    host: Annotated[str, typer.Option(
        help="Address to serve on; another than 127.0.0.1 needs --token.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free port).")] = 5006,
    token: Annotated[str | None, typer.Option(
        help="Password asked by the page (needed for any --host but 127.0.0.1).",
        show_default=False)] = None,
    save_dir: Annotated[Path, typer.Option(
        "--save-dir", help="The only folder the page saves scenarios and reports into.",
        file_okay=False)] = Path("."),
    no_browser: Annotated[bool, typer.Option("--no-browser",
                                             help="Do not open a browser.")] = False,
) -> None:
    """Explore a scenario in the browser: every lever and constant as a control, the results
    redrawn at once, the model's stock-and-flow diagram; save the settings as a scenario.

    **Example**

        chenzhou-water explore scenarios/baseline.yaml

        chenzhou-water explore --no-browser --port 8080 --save-dir out
    """
    from chenzhou_water.explore.serve import check_serve_options, serve_explorer

    with project_errors():
        options = check_serve_options(host, port, token)
        if options.warning:
            err_console.print(options.warning, highlight=False)
        serve_explorer(scenario, options, save_dir, open_browser=not no_browser,
                       announce=lambda line: console.print(line, highlight=False))


def main(argv: list[str] | None = None) -> Callable[..., Any]:
    """Entry point for ``python -m`` style use."""
    return app(argv if argv is not None else sys.argv[1:])


if __name__ == "__main__":
    app()
