"""Zipped uploads, opened without trusting the archive.

Everything is checked on the zip's directory before a byte is unpacked: the number of entries,
the sum of the sizes they declare (a zip bomb), password protection, entries that could escape a
folder (absolute paths, ``..``, symbolic links) and archives inside the archive. Only the files
that will be read are unpacked, each into memory with the bytes actually unpacked counted against
the same limit (declared sizes can lie); a caller writes them under fixed names of its own, never
under the names the zip gives. A Shapefile's parts are grouped by name, case-insensitively and
in any folder of the zip.
"""

from __future__ import annotations

import contextlib
import io
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from atlas.readers.base import Limits, short, upload_error

#: The parts of a Shapefile the atlas reads (the others, .sbn, .qix, .shp.xml..., are ignored).
SHAPE_PARTS = (".shp", ".shx", ".dbf", ".prj", ".cpg")
#: The parts without which a Shapefile cannot be read.
SHAPE_REQUIRED = (".shp", ".shx", ".dbf")
#: Other files a zip may hold that the atlas reads the same way as an upload of that file.
READABLE = (".csv", ".xlsx", ".xlsm", ".geojson", ".json", ".gpkg", ".txt")
#: Archives inside the archive: refused, never unpacked.
ARCHIVES = (".zip", ".7z", ".rar", ".tar", ".gz", ".tgz", ".bz2", ".xz", ".kmz", ".jar")
#: Entries that operating systems add to a zip (macOS resource forks, thumbnails): ignored.
_SYSTEM = re.compile(r"(^|/)(__MACOSX/|\._)|(^|/)(\.DS_Store|Thumbs\.db|desktop\.ini)$", re.IGNORECASE)
_CHUNK = 1 << 20
#: Compression methods Python's zipfile unpacks.
_METHODS = (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED, zipfile.ZIP_BZIP2, zipfile.ZIP_LZMA)


@dataclass
class ZipUpload:
    """What an uploaded zip holds, checked; :meth:`read` unpacks one entry with the byte budget."""

    zf: zipfile.ZipFile
    limits: Limits
    #: Shapefiles by display name (the entry's path without extension): ``{".shp": entry, ...}``.
    shapefiles: dict[str, dict[str, zipfile.ZipInfo]] = field(default_factory=dict)
    #: Other files the atlas reads (:data:`READABLE`), by display name.
    others: dict[str, zipfile.ZipInfo] = field(default_factory=dict)
    #: Every file's display name, for messages.
    names: list[str] = field(default_factory=list)
    unpacked: int = 0

    def read(self, entry: zipfile.ZipInfo, *, max_bytes: int | None = None) -> bytes:
        """The entry's bytes; refused past ``max_bytes`` or the zip's budget, as actually unpacked."""
        limit = self.limits.max_decoded_bytes
        out = io.BytesIO()
        try:
            with self.zf.open(entry) as fh:
                while chunk := fh.read(_CHUNK):
                    self.unpacked += len(chunk)
                    if self.unpacked > limit:
                        raise upload_error("zip_too_big", limit=limit / 1e6)
                    if max_bytes is not None and out.tell() + len(chunk) > max_bytes:
                        raise upload_error("zip_member_too_big", name=short(display_name(entry)),
                                           mb=entry.file_size / 1e6, limit=max_bytes / 1e6)
                    out.write(chunk)
        except (zipfile.BadZipFile, zlib.error, EOFError, OSError, NotImplementedError) as exc:
            raise upload_error("zip_damaged") from exc
        return out.getvalue()


def open_zip(data: bytes, *, limits: Limits) -> ZipUpload:
    """Open an uploaded zip and sort what it holds; refuse what is unsafe before unpacking.

    Raises
    ------
    atlas.errors.UploadError
        For a damaged or truncated zip, no files, too many entries, a declared unpacked size
        over ``limits.max_decoded_bytes``, a password, a compression method that cannot be
        unpacked, an absolute path, ``..`` or a symbolic link, the same file twice, or an
        archive inside the archive.

    """
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        entries = zf.infolist()
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError, ValueError, NotImplementedError) as exc:
        raise upload_error("zip_damaged") from exc
    if len(entries) > limits.max_zip_members:
        raise upload_error("zip_too_many", n=len(entries), limit=limits.max_zip_members)
    if sum(e.file_size for e in entries) > limits.max_decoded_bytes:
        raise upload_error("zip_too_big", limit=limits.max_decoded_bytes / 1e6)
    for e in entries:
        _check_entry(e)
    files = [e for e in entries if not e.is_dir() and not _SYSTEM.search(e.filename)]
    if not files:
        raise upload_error("zip_empty")
    upload = ZipUpload(zf, limits, names=[display_name(e) for e in files])
    _sort_files(upload, files)
    return upload


def _check_entry(e: zipfile.ZipInfo) -> None:
    """Refuse an entry that is encrypted, could escape a folder, or is an archive itself."""
    name = display_name(e)
    if e.flag_bits & 0x1:
        raise upload_error("zip_encrypted", name=short(name))
    if e.compress_type not in _METHODS:  # Deflate64 (Windows for large files), PPMd...
        raise upload_error("zip_method", name=short(name))
    parts = re.split(r"[/\\]", e.filename)
    mode = e.external_attr >> 16
    if (e.filename.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", e.filename) or ".." in parts
            or (mode & 0o170000) == 0o120000):
        raise upload_error("zip_unsafe", name=short(name))
    if not e.is_dir() and not _SYSTEM.search(e.filename) and e.filename.lower().endswith(ARCHIVES):
        raise upload_error("zip_nested", name=short(name))


def _sort_files(upload: ZipUpload, files: list[zipfile.ZipInfo]) -> None:
    """Group a Shapefile's parts by their path without extension; note the other readable files."""
    seen: set[str] = set()
    groups: dict[str, dict[str, zipfile.ZipInfo]] = {}
    shown: dict[str, str] = {}
    for e in files:
        key = e.filename.lower()
        if key in seen:
            raise upload_error("zip_twice", name=short(display_name(e)))
        seen.add(key)
        suffix = PurePosixPath(key).suffix
        if suffix in SHAPE_PARTS:
            stem = key[: -len(suffix)]
            groups.setdefault(stem, {})[suffix] = e
            if suffix == ".shp" or stem not in shown:
                shown[stem] = display_name(e)[: -len(suffix)]
        elif suffix in READABLE:
            upload.others[display_name(e)] = e
    # a group needs a name a planner recognises: the common folder is left out
    folders = {PurePosixPath(n).parent for n in shown.values()}
    common = folders.pop() if len(folders) == 1 else None
    for stem, parts in groups.items():
        name = PurePosixPath(shown[stem]).name if common is not None else shown[stem]
        upload.shapefiles[name] = parts


def display_name(e: zipfile.ZipInfo) -> str:
    """The entry's path as its maker wrote it.

    A name without the zip's UTF-8 flag is read as GBK (Chinese Windows zips) when it can be,
    else as the zip standard's code page 437.
    """
    name = e.filename
    if not e.flag_bits & 0x800 and not name.isascii():
        with contextlib.suppress(UnicodeEncodeError, UnicodeDecodeError):
            name = name.encode("cp437").decode("gb18030")
    return name



def missing_parts(parts: dict[str, zipfile.ZipInfo]) -> list[str]:
    """The required Shapefile parts a group lacks."""
    return [p for p in SHAPE_REQUIRED if p not in parts]


def check_member_size(entry: zipfile.ZipInfo, *, max_bytes: int) -> None:
    """Refuse a zipped file larger than an upload of it alone may be (by its declared size)."""
    if entry.file_size > max_bytes:
        raise upload_error("zip_member_too_big", name=short(display_name(entry)), mb=entry.file_size / 1e6,
                           limit=max_bytes / 1e6)

