"""Checking a ``--scheduler`` address before any work, with a short timeout.

Dask's client waits 30 s for a scheduler that is not there and raises errors of its own for an
address it cannot parse; by then a sweep would have written its manifest. This check runs first
and turns each case into a located error.
"""

from __future__ import annotations

import re
import socket

from chenzhou_water.errors import Problem, ValidationError

#: Seconds to wait for the scheduler to accept a connection.
CONNECT_TIMEOUT_S = 5.0
NETWORK_SCHEMES = ("tcp", "tls", "ws", "wss")
DEFAULT_PORT = 8786
_HOST = re.compile(r"[A-Za-z0-9_.\-]+|[0-9A-Fa-f:.]+")


def check_scheduler_address(address: str, timeout: float = CONNECT_TIMEOUT_S) -> None:
    """Check that ``address`` names a reachable scheduler (``tcp://HOST:PORT`` and the like).

    Raises
    ------
    ValidationError
        If the scheme is unknown, the address is not ``HOST[:PORT]``, or nothing accepts a
        connection there within ``timeout`` seconds.
    """
    from distributed.comm.addressing import parse_address, parse_host_port

    def refuse(message: str) -> ValidationError:
        return ValidationError([Problem("--scheduler", "", message)])

    example = "e.g. tcp://10.0.0.5:8786"
    try:
        scheme, location = parse_address(address)
        host, port = parse_host_port(location, DEFAULT_PORT)
    except (ValueError, TypeError) as exc:
        raise refuse(f"{address!r} is not a scheduler address ({example})") from exc
    if scheme not in NETWORK_SCHEMES:
        raise refuse(f"unknown scheme {scheme!r} in {address!r}: use one of "
                     f"{', '.join(s + '://' for s in NETWORK_SCHEMES)} ({example})")
    if not _HOST.fullmatch(host) or not 0 < port < 65536:
        raise refuse(f"{address!r} is not a scheduler address: give HOST:PORT ({example})")
    try:
        with socket.create_connection((host, port), timeout=timeout):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        raise refuse(f"no scheduler answers at {host}:{port} ({reason}; waited at most "
                     f"{timeout:g} s); is it running?") from exc
