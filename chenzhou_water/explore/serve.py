"""Serving the explorer on a local web server (Panel on Bokeh's Tornado server).

Safe by default: it binds the loopback address; any other address needs a password
(``token``), which Panel asks for on a login page, and :func:`check_serve_options` says so in
a warning for the caller to print. The page takes no file paths: saving and reports write only
into the session's save folder, named from the checked scenario name.
"""

from __future__ import annotations

import ipaddress
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from chenzhou_water.errors import Problem, ValidationError

LOOPBACK = ("127.0.0.1", "localhost", "::1")
MIN_TOKEN_LENGTH = 12


@dataclass(frozen=True)
class ServeOptions:
    """Checked serving options; ``warning`` is what the caller must print (or "")."""

    host: str
    port: int
    token: str | None
    warning: str


def _is_loopback(host: str) -> bool:
    if host in LOOPBACK:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def check_serve_options(host: str, port: int, token: str | None) -> ServeOptions:
    """Check the address, port and password before anything starts.

    Raises
    ------
    ValidationError
        A port outside 0-65535 (0: any free port), a non-loopback host without a token, or a
        token shorter than :data:`MIN_TOKEN_LENGTH` characters.
    """
    problems = []
    if not 0 <= port <= 65535:
        problems.append(Problem("--port", "", f"{port} is not a port; give 1-65535 (or 0: any "
                                "free port)"))
    if token is not None and len(token) < MIN_TOKEN_LENGTH:
        problems.append(Problem("--token", "", f"the password must have at least "
                                f"{MIN_TOKEN_LENGTH} characters"))
    warning = ""
    if not _is_loopback(host):
        if token is None:
            problems.append(Problem("--host", "", f"{host!r} is not this machine's loopback "
                                    "address: anyone who can reach it could use the explorer; "
                                    "give a password with --token (or leave out --host to "
                                    "serve on 127.0.0.1 only)"))
        warning = (f"warning: the explorer is exposed on {host}:{port} to everyone who can "
                   "reach this address; they must give the --token password to use it, and "
                   "it travels unencrypted (no HTTPS)")
    if problems:
        raise ValidationError(problems)
    return ServeOptions(host, port, token, warning)


def serve_explorer(scenario: str | Path | None, options: ServeOptions, save_dir: str | Path,
                   open_browser: bool = True,
                   announce: Callable[[str], None] | None = None) -> None:
    """Load the scenario, compile the model once, and serve the explorer until interrupted.

    Every browser tab gets its own settings over the same compiled model.
    """
    import panel as pn

    from chenzhou_water.explore.app import Explorer
    from chenzhou_water.explore.session import Session, open_session

    if announce is not None:
        announce("chenzhou-water explore: reading the scenario and compiling the model (once)")
    base = open_session(scenario, save_dir)

    def page() -> pn.viewable.Viewable:
        session = Session(base.start, base.model, base.save_dir, current=base.start)
        return Explorer(session).layout

    pn.extension()
    server = pn.serve(
        {"/": page}, port=options.port, address=options.host, show=False, start=False,
        title="chenzhou-water explore", websocket_origin=[
            f"{options.host}:{options.port}", f"localhost:{options.port}",
            f"127.0.0.1:{options.port}"],
        basic_auth=options.token,
        cookie_secret=secrets.token_hex(32) if options.token else None,
        threaded=False)
    url = f"http://{options.host}:{server.port}/"
    if announce is not None:
        announce(f"chenzhou-water explore: serving {url} (Ctrl+C stops)")
    if open_browser:
        server.io_loop.add_callback(server.show, "/")
    server.start()
    server.io_loop.start()
