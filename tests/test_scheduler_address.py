"""A ``--scheduler`` that cannot be used is a located error, quickly, with no state left."""

from __future__ import annotations

import socket
import time

import pytest
from typer.testing import CliRunner

from chenzhou_water.errors import ValidationError
from chenzhou_water.sweep.address import CONNECT_TIMEOUT_S, check_scheduler_address
from cli import app
from tests.conftest import ROOT

FILES = {"sweep": ROOT / "scenarios" / "sweeps" / "drought_risk.yaml",
         "sensitivity": ROOT / "scenarios" / "sensitivity" / "sobol_top.yaml"}


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize(("command", "address", "message"), [
    ("sweep", "garbage address", "'garbage address' is not a scheduler address"),
    ("sweep", "foo://10.0.0.5:8786", "unknown scheme 'foo'"),
    ("sweep", "tcp://127.0.0.1:99999", "'tcp://127.0.0.1:99999' is not a scheduler address"),
    ("sweep", "closed", "no scheduler answers at 127.0.0.1:"),
    ("sensitivity", "closed", "no scheduler answers at 127.0.0.1:"),
])
def test_an_unusable_scheduler_is_refused_before_anything_is_written(tmp_path, command,
                                                                     address, message):
    if address == "closed":
        address = f"tcp://127.0.0.1:{_closed_port()}"
    out = tmp_path / "out"
    result = CliRunner().invoke(app, [command, str(FILES[command]), "--out", str(out),
                                      "--scheduler", address])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert f"--scheduler: {message}" in " ".join(result.output.split())
    assert not out.exists()


def test_an_address_that_never_answers_is_given_up_after_the_short_timeout():
    started = time.perf_counter()
    with pytest.raises(ValidationError, match=r"waited at most 0\.5 s"):
        # a documentation address (RFC 5737): packets to it go nowhere, nothing refuses them
        check_scheduler_address("tcp://192.0.2.1:8786", timeout=0.5)
    assert time.perf_counter() - started < CONNECT_TIMEOUT_S
