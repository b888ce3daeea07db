"""Every kind of YAML file the project reads, recognised by its keys and checked by its rules.

:func:`validate_file` is the ``validate`` command. To teach it a new kind of file (the study
files to come), add one :class:`FileKind` to :data:`FILE_KINDS` in :mod:`.registry`.
"""

from __future__ import annotations

from chenzhou_water.filekinds.registry import (
    FILE_KINDS,
    FileKind,
    FileKindError,
    Validated,
    detect_kind,
    validate_file,
)

__all__ = ["FILE_KINDS", "FileKind", "FileKindError", "Validated", "detect_kind",
           "validate_file"]
