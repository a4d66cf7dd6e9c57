"""OSM extracts a planner may use: the files of the configured folder, by name, or an upload.

The one place the app lists ``settings.OSM_DIR`` (the Service areas page builds networks from it,
the Import page finds 科普 venues in it). A user never names a server path: the pages offer the
folder's files by name and take uploads through a temporary copy that is removed afterwards.
"""

from __future__ import annotations

import contextlib
import tempfile
from collections.abc import Iterator
from pathlib import Path

from atlas import settings


def osm_files(folder: Path, *, suffixes: tuple[str, ...] = settings.OSM_SUFFIXES) -> list[str]:
    """Names of the OSM (and GraphML) files directly in ``folder`` (sorted; none if it is missing).

    Only regular files whose real path stays inside ``folder`` are offered: a link to a device
    (/dev/zero) or to a file elsewhere on the server is not, so users cannot make the server read
    any path of their choosing.
    """
    try:
        root = folder.resolve()
        entries = sorted(folder.iterdir()) if folder.is_dir() else []
    except OSError:
        return []
    out = []
    for p in entries:
        try:
            ok = p.name.lower().endswith(suffixes) and p.is_file() and p.resolve().parent == root
        except OSError:
            ok = False
        if ok:
            out.append(p.name)
    return out


def extract_path(name: str, *, folder: Path | None = None,
                 suffixes: tuple[str, ...] = settings.OSM_SUFFIXES) -> Path:
    """The path of an offered extract, by its name; a name not offered raises ``KeyError``.

    ``name`` is checked against :func:`osm_files` (never joined to the folder unchecked), so a
    name that came from a widget cannot reach another file of the server.
    """
    root = settings.OSM_DIR if folder is None else folder
    if name not in osm_files(root, suffixes=suffixes):
        raise KeyError(name)
    return root / name


@contextlib.contextmanager
def uploaded_copy(name: str, data: bytes | memoryview) -> Iterator[Path]:
    """A temporary copy of an uploaded file (its suffixes kept), removed whatever happens."""
    suffix = "".join(Path(name).suffixes[-2:]) or ".osm"
    with tempfile.NamedTemporaryFile(suffix=suffix, delete=False) as fh:
        fh.write(data)
    try:
        yield Path(fh.name)
    finally:  # also when the caller reruns the page (st.rerun raises)
        Path(fh.name).unlink(missing_ok=True)
