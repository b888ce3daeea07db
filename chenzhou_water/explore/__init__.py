"""The interactive explorer (``chenzhou-water explore``): levers and constants as controls, live
results on the ensemble engine, the model's stock-and-flow diagram, saving and reports.

- :func:`open_session` / :class:`Session`: the settings, runs, saving and reports (no web).
- :func:`explorer_app`: the Panel page of a session (in a server or a notebook).
- :func:`serve_explorer`: the local web server, safe by default.
- :mod:`chenzhou_water.explore.sketch`: the diagram as the model file's Vensim sketch.
"""

from __future__ import annotations

from chenzhou_water.explore.session import Session, open_session

__all__ = ["Session", "open_session"]
