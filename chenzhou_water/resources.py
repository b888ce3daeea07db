"""How much memory this machine has for a request, and the largest request that fits.

Counts a user gives (ensemble members per chunk, worker processes, a sensitivity design's size,
``hydrology --members``) are checked against the memory their work needs *before* the work
starts: ``bytes per item x items`` must fit in :data:`USABLE_SHARE` of the memory available
now (``psutil``, which Dask's ``distributed`` brings; else ``os.sysconf``). The message states
the need, what the machine has and the largest count that fits.
"""

from __future__ import annotations

import os

from chenzhou_water.errors import Problem, ValidationError

#: Share of the available memory a request may plan to use (the rest: Python, the kernel's
#: working arrays, other programs).
USABLE_SHARE = 0.8
#: Bytes of one float64.
FLOAT_BYTES = 8


def available_bytes() -> int:
    """Memory available to new work on this machine now, in bytes."""
    try:
        import psutil

        return int(psutil.virtual_memory().available)
    except (ImportError, OSError):  # pragma: no cover - psutil comes with distributed
        return int(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))


def gib(n_bytes: float) -> str:
    """``n_bytes`` in GiB (or MiB below one GiB), for messages."""
    return f"{n_bytes / 2**30:.1f} GiB" if n_bytes >= 2**30 else f"{n_bytes / 2**20:.0f} MiB"


def memory_problem(count: int, bytes_each: float, noun: str, *, per: str = "") -> str | None:
    """A message if ``count`` items of ``bytes_each`` do not fit in memory, else None.

    Parameters
    ----------
    count : int
        The number the user asked for.
    bytes_each : float
        Memory one item needs, bytes.
    noun : str
        What an item is, plural ("members", "model runs").
    per : str
        Where the memory is needed, for the message ("per chunk").
    """
    need = count * bytes_each
    available = available_bytes()
    budget = USABLE_SHARE * available
    if need <= budget:
        return None
    largest = max(int(budget // bytes_each), 0)
    where = f" {per}" if per else ""
    return (f"{count:,} {noun} need about {gib(need)}{where} ({bytes_each:,.0f} bytes each); "
            f"this machine has {gib(available)} available; use at most {largest:,}")


def check_memory(location: str, count: int, bytes_each: float, noun: str, *,
                 per: str = "") -> None:
    """Raise a :class:`ValidationError` located at ``location`` (an option, ``--members``) if
    the request does not fit (see :func:`memory_problem`)."""
    message = memory_problem(count, bytes_each, noun, per=per)
    if message is not None:
        raise ValidationError([Problem(location, "", message)])
