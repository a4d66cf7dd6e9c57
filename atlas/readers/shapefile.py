"""A zipped Shapefile read as any other geometry file (:mod:`atlas.readers.geofile`).

The parts of the chosen Shapefile are unpacked (:mod:`atlas.readers.archive`) into a private
temporary folder under fixed names (``layer.shp``, ``layer.dbf``...), read by the same function as
a GeoPackage and removed whatever happens. Several Shapefiles in one zip ask which one, as the
layers of a GeoPackage do.

The attribute text's encoding is the one the ``.cpg`` names; without one (Chinese offices'
files seldom have it) it is UTF-8 when the text is valid UTF-8 and GBK/GB18030 otherwise. The
coordinate system comes from the ``.prj``; without one the coordinates are taken as longitude
and latitude only when every one of them can be (a note says so) and refused otherwise (metres
of a Gauss-Krüger or UTM projection would be read as nonsense).
"""

from __future__ import annotations

import codecs
import contextlib
import struct
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from atlas.readers.archive import ZipUpload, missing_parts
from atlas.readers.base import LayerChoiceError, Limits, ReadInfo, bilingual, note, short, upload_error
from atlas.readers.geofile import geo_frame, read_geo_file, to_wgs84

#: What a .cpg may say, as the codec read with (Esri writes code page numbers).
_CPG_ALIASES = {"65001": "utf-8", "utf8": "utf-8", "936": "gb18030", "cp936": "gb18030", "gbk": "gb18030",
                "gb2312": "gb18030", "ansi936": "gb18030", "gb18030": "gb18030", "54936": "gb18030",
                "950": "big5", "big5": "big5", "1252": "cp1252", "ansi1252": "cp1252", "88591": "iso8859-1",
                "885915": "iso8859-15"}
_ENCODING_NAMES = {"utf-8": "UTF-8", "gb18030": "GBK/GB18030"}


def shapefile_table(upload: ZipUpload, *, layer: str | None, limits: Limits, info: ReadInfo
                    ) -> pd.DataFrame:
    """The features of one Shapefile of the zip as :func:`atlas.readers.geo_table` gives them.

    Raises
    ------
    atlas.readers.LayerChoiceError
        When the zip holds several Shapefiles and ``layer`` names none of them.
    atlas.errors.UploadError
        For a Shapefile without its .shx or .dbf, undecodable text, or coordinates that are not
        degrees without a .prj to say what they are.

    """
    name = choose_shapefile(upload, layer=layer, info=info)
    with unpacked_shapefile(upload, name, info=info) as (path, encoding):
        gdf = read_geo_file(path, layer=None, limits=limits, info=info, encoding=encoding)
    info.format, info.encoding = "shapefile", encoding
    info.layers, info.layer = list(upload.shapefiles), name
    if len(upload.shapefiles) > 1:
        note(info, "shp_read_layer", name=short(name), n=len(upload.shapefiles))
    if gdf.crs is None:
        has_prj = ".prj" in upload.shapefiles[name]
        _degrees_or_refuse(gdf, why="shp_prj_unreadable" if has_prj else "shp_prj_missing",
                           info=info)
    return geo_frame(to_wgs84(gdf, info=info), limits=limits, info=info)


@contextlib.contextmanager
def unpacked_shapefile(upload: ZipUpload, name: str, *, info: ReadInfo) -> Iterator[tuple[Path, str]]:
    """The Shapefile ``name`` of the zip in a private temporary folder: its .shp and text encoding.

    The parts are written under fixed names (``layer.shp``, ``layer.dbf``...): nothing of the
    zip's names becomes a path. The folder is removed when the block ends, however it ends.
    """
    with tempfile.TemporaryDirectory() as d:
        folder = Path(d)
        for suffix, entry in upload.shapefiles[name].items():
            (folder / f"layer{suffix}").write_bytes(upload.read(entry))
        yield folder / "layer.shp", dbf_encoding((folder / "layer.dbf").read_bytes(), _cpg(folder), info=info)


def choose_shapefile(upload: ZipUpload, *, layer: str | None, info: ReadInfo) -> str:
    """The Shapefile to read: the only complete one, or ``layer``; the incomplete ones are named.

    Raises :class:`atlas.readers.LayerChoiceError` for several complete ones and no ``layer``,
    and :class:`atlas.errors.UploadError` when none is complete (naming the parts missing).
    """
    complete = [n for n, parts in upload.shapefiles.items() if not missing_parts(parts)]
    for n, parts in list(upload.shapefiles.items()):
        if missing := missing_parts(parts):
            words = ("、".join(missing), ", ".join(missing))
            if not complete:
                raise upload_error("shp_missing", name=short(n), missing=words)
            note(info, "shp_skipped", name=short(n), missing=words)
            del upload.shapefiles[n]
    if layer is None and len(complete) > 1:
        names = (short("、".join(complete), 200), short(", ".join(complete), 200))
        raise LayerChoiceError(*bilingual("shp_choose", n=len(complete), names=names), options=complete)
    name = layer if layer is not None else complete[0]
    if name not in complete:
        raise upload_error("shp_no_layer", name=short(name))
    return name


def _cpg(folder: Path) -> str | None:
    """What the .cpg says (its first line), if there is one."""
    path = folder / "layer.cpg"
    if not path.exists():
        return None
    lines = path.read_bytes()[:64].decode("ascii", errors="replace").strip().splitlines()
    return lines[0].strip() if lines else ""


def dbf_encoding(dbf: bytes, cpg: str | None, *, info: ReadInfo) -> str:
    """The encoding of a .dbf's text: the .cpg's, else UTF-8 if the text is valid UTF-8, else GB18030.

    A .cpg whose encoding does not decode the text while UTF-8 or GB18030 does is wrong (an
    export that wrote the .cpg for another file): the one that decodes it is used, with a note.
    """
    text = dbf_text(dbf)
    valid = {enc: _decodes(text, enc) for enc in ("utf-8", "gb18030")}
    sniffed = next((enc for enc, ok in valid.items() if ok), None)
    if cpg is not None:
        said = _cpg_codec(cpg)
        if said is not None and _decodes(text, said):
            return said
        if sniffed is None:
            raise upload_error("shp_undecodable")
        label = _ENCODING_NAMES[sniffed]
        if said is None:
            note(info, "shp_cpg_unknown", cpg=short(cpg, 30), enc=label)
        else:
            note(info, "shp_cpg_wrong", cpg=short(cpg, 30), enc=label)
        return sniffed
    if sniffed is None:
        raise upload_error("shp_undecodable")
    if sniffed == "gb18030":
        note(info, "shp_gb18030")
    return sniffed


def _cpg_codec(cpg: str) -> str | None:
    key = "".join(cpg.lower().split()).replace("-", "").replace("_", "")
    if key in _CPG_ALIASES:
        return _CPG_ALIASES[key]
    try:
        name = codecs.lookup(cpg.strip()).name
    except LookupError:
        return None
    try:  # a .dbf's text is ASCII-compatible: UTF-16, UTF-32 and the like would make nonsense
        ascii_safe = "Aa0 ,.".encode(name) == b"Aa0 ,."
    except (UnicodeError, LookupError, TypeError):
        return None
    return name if ascii_safe else None


def _decodes(text: bytes, encoding: str) -> bool:
    try:
        text.decode(encoding)
    except (UnicodeDecodeError, LookupError):
        return False
    return True


def dbf_text(dbf: bytes) -> bytes:
    """The text of a .dbf: its field names and the values of its character fields, one a line.

    Read from the dBASE header (field descriptors of 32 bytes from byte 32 up to 0x0D) and the
    fixed-width records; a malformed header gives what could be read (GDAL then says the rest).
    """
    if len(dbf) < 32:
        return b""
    n_records, header_len, record_len = struct.unpack("<IHH", dbf[4:12])
    names, fields, offset = [], [], 1  # each record starts with its deletion flag
    for pos in range(32, min(header_len, len(dbf)) - 31, 32):
        desc = dbf[pos:pos + 32]
        if desc[0] == 0x0D:
            break
        kind = chr(desc[11])
        width = desc[16] if kind in "NF" else desc[16] + 256 * desc[17]
        names.append(desc[:11].split(b"\x00")[0])
        if kind == "C":
            fields.append((offset, width))
        offset += width
    n = min(n_records, max(len(dbf) - header_len, 0) // record_len) if record_len else 0
    out = [b"\n".join(names)]
    if n and fields:
        records = np.frombuffer(dbf, dtype=np.uint8, count=n * record_len, offset=header_len)
        records = records.reshape(n, record_len)
        for start, width in fields:
            block = records[:, start:start + width]
            if (block < 0x80).all():  # ASCII decodes in every encoding tried
                continue
            lines = np.hstack([block, np.full((n, 1), 0x0A, dtype=np.uint8)])
            out.append(lines.tobytes())
    return b"\n".join(out)


def _degrees_or_refuse(gdf: Any, *, why: str, info: ReadInfo) -> None:
    """Without a coordinate system, coordinates are degrees only if every one of them can be."""
    present = gdf.geometry[~(gdf.geometry.isna() | gdf.geometry.is_empty)]
    if present.empty:
        return
    x0, y0, x1, y1 = present.total_bounds
    if x0 >= -180 and x1 <= 180 and y0 >= -90 and y1 <= 90:
        note(info, "shp_prj_degrees", why=bilingual(why))
        return
    # an example the planner can recognise: a point of the feature reaching farthest out
    bounds = np.abs(present.bounds.to_numpy()).max(axis=1)
    point = present.iloc[int(np.argmax(bounds))].representative_point()
    raise upload_error("shp_prj_metres", why=bilingual(why), x=f"{point.x:.0f}", y=f"{point.y:.0f}")
