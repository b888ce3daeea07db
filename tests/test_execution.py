"""Execution options: one type, checked once, for sweeps, sensitivity analyses and the CLI."""

from __future__ import annotations

import dataclasses

import pytest
from typer.testing import CliRunner

from chenzhou_water.execution import SERIAL, ExecutionOptions
from cli import app


def test_workers_and_scheduler_are_exclusive():
    with pytest.raises(ValueError, match="workers or scheduler, not both"):
        ExecutionOptions(workers=2, scheduler="tcp://localhost:8786")


@pytest.mark.parametrize("field", ["workers", "chunk_size"])
def test_counts_are_at_least_one(field: str):
    with pytest.raises(ValueError, match=f"{field} must be at least 1, got 0"):
        ExecutionOptions(**{field: 0})


def test_options_are_frozen_and_serial_by_default():
    assert SERIAL.serial
    assert not ExecutionOptions(workers=1).serial
    with pytest.raises(dataclasses.FrozenInstanceError):
        SERIAL.resume = True  # type: ignore[misc]


@pytest.mark.parametrize("command", ["sweep", "sensitivity"])
def test_the_commands_refuse_workers_with_scheduler(tmp_path, command: str):
    spec = tmp_path / "spec.yaml"
    spec.write_text("name: x\n", encoding="utf-8")
    result = CliRunner().invoke(app, [command, str(spec), "--out", str(tmp_path / "out"),
                                      "--workers", "2", "--scheduler", "tcp://localhost:8786"])
    assert result.exit_code == 2
    assert "not both" in result.output
    assert not (tmp_path / "out").exists()
