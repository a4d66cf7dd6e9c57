"""Atomic single-file writes (built data, caches, exports) and safe file-name stems.

A save writes to a temporary file in the same folder, flushes it to disk and renames it over
the target (``os.replace`` is atomic on POSIX and Windows), so a crash mid-save leaves the
previous file intact. A planner's own data (layers and their versions, scenarios) is not kept in
files but in the transactional user-data store, :mod:`atlas.store`.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from atlas.errors import StorageError

_SAFE = re.compile(r"[^0-9A-Za-z_\-\u4e00-\u9fff]+")


def safe_name(name: str, *, max_len: int = 60) -> str:
    """Turn an untrusted name into a safe file-name stem (no path separators, no dots).

    Parameters
    ----------
    name : str
        Any user-supplied text.
    max_len : int
        Longest stem returned.

    Returns
    -------
    str
        Letters, digits, CJK characters, ``-`` and ``_`` only; never empty.

    """
    stem = _SAFE.sub("_", name).strip("_")[:max_len]
    return stem or "unnamed"


def atomic_write(path: Path, writer: Callable[[Path], Any]) -> Path:
    """Write a file atomically: ``writer(tmp_path)`` then rename over ``path``.

    Parameters
    ----------
    path : pathlib.Path
        Final location.
    writer : callable
        Called with a temporary path in the same folder; must write the whole file there.

    Returns
    -------
    pathlib.Path
        ``path``.

    Raises
    ------
    atlas.errors.StorageError
        If the writer fails; the previous file at ``path`` (if any) is untouched.

    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    # the temporary file keeps the target's extension: GDAL and others pick formats by it
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=f".tmp{path.suffix}",
                                    dir=path.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        writer(tmp)
        with tmp.open("rb+") as fh:
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o644)
        os.replace(tmp, path)
    except Exception as exc:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise StorageError(
            f"保存失败，原有数据未改动：{exc}",
            f"Saving failed; nothing saved before was changed: {exc}",
        ) from exc
    return path


def atomic_write_text(path: Path, text: str) -> Path:
    """Write UTF-8 text atomically (see :func:`atomic_write`)."""
    return atomic_write(path, lambda p: p.write_text(text, encoding="utf-8"))


def atomic_write_json(path: Path, data: Any) -> Path:
    """Write JSON atomically, UTF-8, with Chinese kept readable."""
    return atomic_write(path, lambda p: p.write_text(json.dumps(data, ensure_ascii=False, indent=2),
                                                     encoding="utf-8"))
