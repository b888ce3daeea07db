"""The project's exceptions and warnings: one base class and a few specific ones."""

from __future__ import annotations

from dataclasses import dataclass


class ChenzhouWaterError(Exception):
    """Base class of every error this package raises on purpose."""


class ModelError(ChenzhouWaterError):
    """The model file cannot be read, translated or compiled."""


class ModelFileError(ModelError):
    """The file given as the model is missing or is not a Vensim model PySD can parse: bad
    input (exit status 2), like a scenario whose ``model`` key names such a file."""


class UnsupportedConstructError(ModelError):
    """The model uses a Vensim construct the ensemble engine does not support."""


class UnitsError(ChenzhouWaterError):
    """The model's equations are not dimensionally consistent."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    Attributes
    ----------
    file : str
        The file, as the user named it.
    where : str
        The place in the file: a YAML path such as ``levers.leakage_target[2025]``.
    message : str
        What is wrong and what would be valid.
    line : int or None
        1-based line number, where known.
    """

    file: str
    where: str
    message: str
    line: int | None = None

    def __str__(self) -> str:
        loc = f"{self.file}:{self.line}" if self.line is not None else self.file
        where = f" {self.where}:" if self.where else ""
        return f"{loc}:{where} {self.message}"


class ValidationError(ChenzhouWaterError):
    """An input file (scenario, sweep, sensitivity or targets file) has problems.

    All problems found in the file are collected and raised together.
    """

    def __init__(self, problems: list[Problem]):
        self.problems = list(problems)
        n = len(self.problems)
        head = f"{n} problem{'s' if n != 1 else ''} found"
        super().__init__(head + ":\n" + "\n".join(f"  - {p}" for p in self.problems))


class ChenzhouWaterWarning(UserWarning):
    """Base class of the warnings this package issues."""


class UnitsSyntaxError(UnitsError):
    """A units string (``m3/(person*Day)``) cannot be parsed or has no exact scale."""


class ResultFileError(ValidationError):
    """A file given as a result is missing, unreadable or not a chenzhou-water result."""


class ReportError(ChenzhouWaterError):
    """A report cannot be made (no font for Chinese labels, too many inputs to attribute)."""


class CapBindingWarning(ChenzhouWaterWarning):
    """A run in which a variable sits at a cap the model puts on it."""


class ParameterNotConstrainedWarning(ChenzhouWaterWarning):
    """A calibrated parameter the targets do not constrain: its posterior is about its prior."""


class SweepFolderError(ChenzhouWaterError):
    """An output folder cannot hold or continue an ensemble: it holds another one, or it is
    unfinished when its results are opened."""
