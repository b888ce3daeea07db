"""Mutation testing of the core modules, module by module, and the survivors report.

    python dev/mutation.py                      # every module of [tool.chenzhou-water.mutation]
    python dev/mutation.py chenzhou_water/files.py chenzhou_water/sweep/metrics.py
    python dev/mutation.py --recheck chenzhou_water/files.py   # its survivors, after new tests
    python dev/mutation.py --report             # only rewrite the report from finished runs

Each module runs in its own folder ``mutation-runs/<module>/`` (ignored by git): links to the
project's files and a ``pyproject.toml`` whose ``[tool.mutmut]`` mutates that module only and
selects its tests (the project's ``[tool.mutmut]`` settings plus the module's test files from
``[tool.chenzhou-water.mutation]``). mutmut learns which selected test reaches which function
and runs each mutant against those tests only. The modules run smallest first, under ``nice``;
a run interrupted is continued by running the command again (mutmut keeps finished mutants).
The report, ``mutation-runs/mutation-report.md``, gives each module's score (killed mutants
over mutants that some test reaches) and every survivor's diff.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = ROOT / "mutation-runs"
#: What a run folder links to (besides the package): the files the tests read.
LINKED = ("chenzhou_water", "tests", "cli.py", "models", "scenarios", "calibration", "docs",
          "README.md", "requirements.lock", ".ci", "benchmarks")
KILLED = {1, 3}  # mutmut's exit codes: the tests failed (3: pytest's internal error)
SURVIVED = {0}
NOT_REACHED = {5, 33}  # no test of the selection reaches the mutated function
TIMEOUT = {24, -24, 36, 152, 255}  # a mutant that loops forever counts as caught


def settings() -> tuple[dict, dict[str, list[str]]]:
    """The project's ``[tool.mutmut]`` and the module -> test files table."""
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    return data["tool"]["mutmut"], data["tool"]["chenzhou-water"]["mutation"]


def run_folder(module: str) -> Path:
    return RUNS / module.removeprefix("chenzhou_water/").removesuffix(".py").replace("/", ".")


def _toml_list(values: list[str]) -> str:
    return "[" + ", ".join(json.dumps(v) for v in values) + "]"


def prepare(module: str, tests: list[str], common: dict) -> Path:
    """The run folder of ``module``: links to the project and its own mutmut settings."""
    folder = run_folder(module)
    folder.mkdir(parents=True, exist_ok=True)
    for name in LINKED:
        link = folder / name
        if (ROOT / name).exists() and not link.is_symlink():
            link.symlink_to(ROOT / name)
    project = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    head = project[: project.index("[tool.mutmut]")]
    lines = ["[tool.mutmut]"]
    for key, value in {**common, "only_mutate": [module],
                       "pytest_add_cli_args_test_selection": tests}.items():
        text = _toml_list(value) if isinstance(value, list) else json.dumps(value)
        lines.append(f"{key} = {text}")
    text = head + "\n".join(lines) + "\n"
    target = folder / "pyproject.toml"
    if not target.exists() or target.read_text(encoding="utf-8") != text:
        target.write_text(text, encoding="utf-8")
    return folder


def run(module: str, folder: Path, children: int, recheck: bool = False) -> int:
    """Run the module's mutants; with ``recheck``, run its survivors again (mutmut keeps a
    mutant's result until it is named, so new tests are tried on survivors this way)."""
    mutmut = Path(sys.executable).with_name("mutmut")
    command = ["nice", "-n", "10", str(mutmut), "run", "--max-children", str(children)]
    if recheck:
        names = [n for n, c in results(module).items() if c in SURVIVED | NOT_REACHED]
        if not names:
            return 0
        command += names
    print(f"== {module}: mutmut run in {folder.relative_to(ROOT)}", flush=True)
    return subprocess.run(command, cwd=folder, check=False).returncode


def results(module: str) -> dict[str, int | None]:
    """Mutant name -> mutmut's exit code, from the run folder's ``.meta`` file."""
    meta = run_folder(module) / "mutants" / (module + ".meta")
    if not meta.is_file():
        return {}
    return json.loads(meta.read_text(encoding="utf-8"))["exit_code_by_key"]


def diff(module: str, name: str) -> str:
    mutmut = Path(sys.executable).with_name("mutmut")
    shown = subprocess.run([str(mutmut), "show", name], cwd=run_folder(module),
                           capture_output=True, text=True, check=False)
    return shown.stdout.strip()


def report(modules: list[str]) -> str:
    """The survivors report: a score table, then each survivor's diff."""
    rows = ["| module | mutants | killed | timeout | survived | no test reaches | score |",
            "|---|---|---|---|---|---|---|"]
    survivors: list[tuple[str, str]] = []
    for module in modules:
        codes = results(module)
        if not codes:
            rows.append(f"| `{module}` | not run | | | | | |")
            continue
        killed = sum(c in KILLED for c in codes.values())
        timeout = sum(c in TIMEOUT for c in codes.values())
        survived = [n for n, c in codes.items() if c in SURVIVED]
        unreached = [n for n, c in codes.items() if c in NOT_REACHED]
        other = len(codes) - killed - timeout - len(survived) - len(unreached)
        tested = killed + timeout + len(survived)
        score = f"{100 * (killed + timeout) / tested:.1f} %" if tested else "-"
        if other:
            score += f" ({other} not checked)"
        rows.append(f"| `{module}` | {len(codes)} | {killed} | {timeout} | {len(survived)} | "
                    f"{len(unreached)} | {score} |")
        survivors += [(module, n) for n in sorted(survived + unreached)]
    out = ["# Mutation testing: scores and survivors", "",
           "Generated by `python dev/mutation.py`; the score is (killed + timeout) / (killed + "
           "timeout + survived). Equivalent survivors and why: docs/mutation.md.", "", *rows, ""]
    for module, name in survivors:
        status = "no test reaches it" if results(module)[name] in NOT_REACHED else "survived"
        out += [f"## {name} ({status})", "", "```diff", diff(module, name), "```", ""]
    return "\n".join(out)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("modules", nargs="*", help="modules to run (default: all configured)")
    parser.add_argument("--children", type=int, default=2, help="parallel mutants (default 2)")
    parser.add_argument("--report", action="store_true", help="only write the report")
    parser.add_argument("--recheck", action="store_true",
                        help="run the survivors again (after adding tests)")
    args = parser.parse_args(argv)
    common, table = settings()
    unknown = [m for m in args.modules if m not in table]
    if unknown:
        parser.error(f"not configured in [tool.chenzhou-water.mutation]: {', '.join(unknown)}; "
                     f"choose from {', '.join(table)}")
    chosen = args.modules or sorted(table, key=lambda m: (ROOT / m).stat().st_size)
    status = 0
    if not args.report:
        for module in chosen:
            folder = prepare(module, table[module], common)
            status |= run(module, folder, args.children, args.recheck)
    RUNS.mkdir(exist_ok=True)
    text = report(sorted(table, key=lambda m: (ROOT / m).stat().st_size))
    (RUNS / "mutation-report.md").write_text(text, encoding="utf-8")
    print(f"report: {(RUNS / 'mutation-report.md').relative_to(ROOT)}")
    return status


if __name__ == "__main__":
    sys.exit(main())
