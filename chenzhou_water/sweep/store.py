"""The folder of a sweep: a manifest, one NetCDF file per finished chunk, one combined file.

Layout under ``OUT``, for a sweep named ``NAME``::

    OUT/NAME.chunks/manifest.json          what made the folder: fingerprint, members, chunking
    OUT/NAME.chunks/chunk_000000.csv       a sweep's metrics table rows of the chunk (no header)
    OUT/NAME.chunks/chunk_000000.nc        members [0, chunk_size), written atomically
    OUT/NAME.chunks/chunk_000001.csv       ...
    OUT/NAME.chunks/chunk_000001.nc        ...
    OUT/NAME.nc                            every member, written atomically at the end

A chunk file exists only once it is complete (temporary file, then rename), so after an
interruption the files present are exactly the finished chunks; a chunk's rows file is written
before its NetCDF file, so a finished chunk has both. Each chunk holds the
member-indexed variables of its members: the sampled inputs, ``metrics (member, metric)`` and the
kept series ``(member, time)``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import dask
import numpy as np
import xarray as xr

from chenzhou_water.errors import SweepFolderError
from chenzhou_water.files import atomic_path

__all__ = ["FORMAT", "SweepFolder", "SweepFolderError", "open_sweep"]

FORMAT = "chenzhou-water ensemble chunks"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"


@dataclass(frozen=True)
class SweepFolder:
    """Where the chunks of one ensemble go.

    Attributes
    ----------
    out_dir : Path
        The output folder.
    name : str
        The ensemble's name.
    members, chunk_size : int
        Ensemble size and members per chunk (the last chunk may be shorter).
    fingerprint : str
        SHA-256 of what decides the results.
    """

    out_dir: Path
    name: str
    members: int
    chunk_size: int
    fingerprint: str

    @property
    def chunk_dir(self) -> Path:
        return self.out_dir / f"{self.name}.chunks"

    @property
    def combined(self) -> Path:
        return self.out_dir / f"{self.name}.nc"

    @property
    def n_chunks(self) -> int:
        return -(-self.members // self.chunk_size)

    def bounds(self, index: int) -> tuple[int, int]:
        """Members ``[start, stop)`` of chunk ``index``."""
        start = index * self.chunk_size
        return start, min(self.members, start + self.chunk_size)

    def chunk_path(self, index: int) -> Path:
        return self.chunk_dir / f"chunk_{index:06d}.nc"

    def fragment_path(self, index: int) -> Path:
        """Chunk ``index``'s rows of the metrics table (CSV without header)."""
        return self.chunk_dir / f"chunk_{index:06d}.csv"

    def chunk_paths(self) -> list[Path]:
        """Every chunk file, in member order."""
        return [self.chunk_path(i) for i in range(self.n_chunks)]

    def finished(self) -> list[int]:
        """Indices of the chunks already written."""
        return [i for i in range(self.n_chunks) if self.chunk_path(i).is_file()]

    def write_chunk(self, index: int, ds: xr.Dataset) -> Path:
        """Write one chunk atomically: compressed if it keeps series (``time``), which shrink
        well; a chunk of per-member inputs and metrics alone is written as it is (about a
        tenth smaller compressed, for 35-65 ms more of a worker's time a 10,000-member chunk
        here, against 13 ms to write it)."""
        target = self.chunk_path(index)
        # On a Dask worker xarray would guard each variable's write with a cluster-wide lock
        # (a round trip to the scheduler for each acquire and release), chosen from the
        # worker's client; this file is the writer's alone, so a local lock is enough.
        with atomic_path(target) as tmp, dask.config.set(scheduler="synchronous"):
            ds.to_netcdf(tmp, engine="netcdf4",
                         encoding=_compressed(ds) if "time" in ds.dims else None)
        return target

    def combine(
        self, attrs: Mapping[str, Any], in_memory: Mapping[int, xr.Dataset] | None = None
    ) -> Path:
        """Write every chunk into ``OUT/NAME.nc`` (atomically), member by member in order.

        Parameters
        ----------
        attrs : mapping
            Global attributes of the combined file.
        in_memory : mapping, optional
            Chunk index -> its labelled content, for chunks still in memory (small ones: no
            series); the others are read from their files. Given, the combined Dataset is
            built in memory and written at once, uncompressed (compressing is serial work in
            the driving process: 4 s for a million members' metrics, to save about a third of
            a file of some 100 MB); omitted, the chunk files are streamed through Dask
            (bounded memory, for kept series) and compressed.
        """
        if in_memory is None:
            with _open_chunks(self.chunk_paths(), engine="netcdf4", parallel=False) as ds:
                return self._write_combined(ds, attrs, _compressed(ds))
        parts = [in_memory[i] if i in in_memory else _load(self.chunk_path(i))
                 for i in range(self.n_chunks)]  # fmt: skip
        # chunks read back from their files carry their compression: dropped, as for the rest
        return self._write_combined(_concat(parts).drop_encoding(), attrs, None)

    def _write_combined(self, ds: xr.Dataset, attrs: Mapping[str, Any],
                        encoding: dict[str, dict[str, Any]] | None) -> Path:
        ds.attrs.update(attrs)
        with atomic_path(self.combined) as tmp:
            ds.to_netcdf(tmp, engine="netcdf4", encoding=encoding)
        return self.combined


def _load(path: Path) -> xr.Dataset:
    with xr.open_dataset(path, engine="netcdf4") as ds:
        return ds.load()


def _concat(parts: list[xr.Dataset]) -> xr.Dataset:
    """Chunks along ``member``, as :func:`_open_chunks` joins them (in memory)."""
    return xr.concat(parts, dim="member", data_vars="minimal", coords="minimal",
                     compat="override", join="override")  # fmt: skip


def _compressed(ds: xr.Dataset) -> dict[str, dict[str, Any]]:
    """NetCDF encoding that compresses every floating-point variable (fast, level 1)."""
    return {
        name: {"zlib": True, "complevel": 1, "shuffle": True}
        for name, var in ds.data_vars.items()
        if var.dtype.kind == "f"
    }


def _open_chunks(files: list[Path], **options: Any) -> xr.Dataset:
    """The chunk files as one Dataset along ``member`` (variables without it taken once)."""
    return xr.open_mfdataset(
        files,
        combine="nested",
        concat_dim="member",
        data_vars="minimal",
        coords="minimal",
        compat="override",
        join="override",
        **options,
    )


def prepare_folder(
    out_dir: str | Path,
    name: str,
    members: int,
    fingerprint: str,
    chunk_size: int | None,
    resume: bool,
    default_chunk_size: int,
) -> SweepFolder:
    """The folder of a new or resumed ensemble; writes the manifest of a new one.

    Raises
    ------
    SweepFolderError
        If the folder holds this ensemble's chunks and ``resume`` is False, if it was made by a
        different spec, or if ``chunk_size`` differs from the one it was made with.
    """
    out_dir = Path(out_dir)
    manifest_path = out_dir / f"{name}.chunks" / MANIFEST
    if manifest_path.is_file():
        return _resumed(out_dir, name, members, fingerprint, chunk_size, resume, manifest_path)
    size = int(chunk_size or default_chunk_size)
    if size < 1:
        raise SweepFolderError(f"the chunk size must be at least 1, got {size}")
    folder = SweepFolder(out_dir, name, members, min(size, members), fingerprint)
    manifest = {
        "format": FORMAT, "format_version": FORMAT_VERSION, "name": name,
        "fingerprint": fingerprint, "members": members, "chunk_size": folder.chunk_size,
        "chunks": folder.n_chunks, "created_utc": datetime.now(UTC).isoformat(timespec="seconds"),
    }  # fmt: skip
    with atomic_path(manifest_path) as tmp:
        tmp.write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return folder


def _resumed(
    out_dir: Path,
    name: str,
    members: int,
    fingerprint: str,
    chunk_size: int | None,
    resume: bool,
    manifest_path: Path,
) -> SweepFolder:
    manifest = read_manifest(manifest_path)
    if not resume:
        raise SweepFolderError(
            f"{manifest_path.parent} already holds chunks of sweep {name!r}; pass --resume to "
            "continue it, or choose another output folder"
        )
    if manifest.get("fingerprint") != fingerprint or manifest.get("members") != members:
        raise SweepFolderError(
            f"cannot resume: {manifest_path.parent} was made by a different sweep (fingerprint "
            f"{str(manifest.get('fingerprint'))[:12]}, this one is {fingerprint[:12]}); the "
            "sweep file, its scenario or the model changed. Choose another output folder"
        )
    made = int(manifest["chunk_size"])
    if chunk_size is not None and min(int(chunk_size), members) != made:
        raise SweepFolderError(
            f"cannot resume with chunk size {chunk_size}: {manifest_path.parent} was made with "
            f"{made}; omit --chunk-size"
        )
    return SweepFolder(out_dir, name, members, made, fingerprint)


def read_manifest(path: Path) -> dict[str, Any]:
    """The manifest of a chunk folder."""
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise SweepFolderError(f"{path}: unreadable manifest ({exc})") from exc
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise SweepFolderError(f"{path}: not a chenzhou-water sweep manifest")
    return manifest


def open_sweep(out_dir: str | Path, name: str | None = None) -> xr.Dataset:
    """Open the results of a sweep (or any chunked ensemble) as one Dataset.

    Parameters
    ----------
    out_dir : str or Path
        The folder given to ``run_sweep`` / ``chenzhou-water sweep --out``.
    name : str, optional
        The sweep's name; needed only when the folder holds several sweeps.

    Returns
    -------
    xarray.Dataset
        Dimensions ``member`` (and ``time`` for kept series, ``metric`` for metrics). The
        combined file if it exists; otherwise the chunks, opened lazily.

    Raises
    ------
    SweepFolderError
        If the folder holds no sweep, several (and ``name`` is None), or an unfinished one.
    """
    out_dir = Path(out_dir)
    manifests = sorted(out_dir.glob("*.chunks/" + MANIFEST))
    if name is not None:
        manifests = [m for m in manifests if m.parent.name == f"{name}.chunks"]
    if len(manifests) != 1:
        found = ", ".join(m.parent.name.removesuffix(".chunks") for m in manifests) or "none"
        raise SweepFolderError(f"{out_dir}: expected one sweep, found {found}; name one")
    manifest = read_manifest(manifests[0])
    folder = SweepFolder(
        out_dir,
        manifest["name"],
        manifest["members"],
        manifest["chunk_size"],
        manifest["fingerprint"],
    )
    if folder.combined.is_file():
        return xr.open_dataset(folder.combined)
    missing = sorted(set(range(folder.n_chunks)) - set(folder.finished()))
    if missing:
        raise SweepFolderError(
            f"{out_dir}: sweep {folder.name!r} is unfinished ({len(missing)} "
            "of its chunks are missing); run it again with --resume"
        )
    return _open_chunks(folder.chunk_paths())


def member_coordinate(start: int, stop: int) -> dict[str, Any]:
    """The ``member`` coordinate of a chunk (global indices)."""
    return {"member": ("member", np.arange(start, stop, dtype=np.int64))}
