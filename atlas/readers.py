"""Read an uploaded table (CSV, XLSX, GeoJSON, GeoPackage) into rows of text, with limits that bite first.

The importer's first step, kept apart from validation (:mod:`atlas.importing`) because it is
where hostile files do their harm. Every reader stops *before* the expensive work:

- CSV: decoded text is capped; the delimiter (``,`` ``;`` tab ``|`` ``，``) is detected from a
  sample by which one splits the rows into the most consistent number of fields; rows are read
  with :mod:`csv` one by one and the reader stops at the row limit.
- XLSX: the zip's declared uncompressed sizes are summed first (a zip bomb is refused unopened),
  text runs longer than a cell may hold are found by a byte scan before any XML is parsed, and
  the sheet is parsed as a stream (openpyxl's read-only row parser) that stops at the row limit.
  Merged cells (their ranges sit after the data in the sheet XML) are repaired by propagating the
  merged value into every cell of the range, and the user is told.
- GeoJSON/GeoPackage: layers are listed first (a file with several asks which one), the feature
  count is checked before reading, and GDAL's messages never reach the user with server paths.

Then, for every format, the header row is found (title rows above it are skipped and reported),
empty trailing columns (trailing commas) are dropped, and every cell is capped in length.
What was detected is returned in a :class:`ReadInfo`, for the page to show.
"""

from __future__ import annotations

import csv
import io
import re
import tempfile
import warnings
import zipfile
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import shapely

from atlas import settings
from atlas.errors import UploadError

#: Delimiters tried on a CSV sample, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|", "，")
DELIMITER_NAMES = {",": ("逗号", "comma"), ";": ("分号", "semicolon"), "\t": ("制表符", "tab"),
                   "|": ("竖线", "pipe"), "，": ("中文逗号", "full-width comma")}
_HEADER_WINDOW = 30  # the header is looked for among the first rows that hold anything
_SAMPLE_CHARS = 64 * 1024


@dataclass
class ReadInfo:
    """What reading a file found, for the page to show (bilingual notes in ``notes``)."""

    format: str
    encoding: str = ""
    delimiter: str = ""
    header_row: int = 1
    title_rows: list[str] = field(default_factory=list)
    merged_ranges: int = 0
    merged_cells_filled: int = 0
    dropped_columns: int = 0
    long_rows: int = 0
    sheet: str = ""
    sheets: list[str] = field(default_factory=list)
    layer: str = ""
    layers: list[str] = field(default_factory=list)
    geometry_counts: dict[str, int] = field(default_factory=dict)
    notes: list[tuple[str, str]] = field(default_factory=list)

    def note(self, zh: str, en: str) -> None:
        """Add a bilingual note."""
        self.notes.append((zh, en))


class LayerChoiceError(UploadError):
    """The file holds several layers (or sheets) with data; the user must pick one (``options``)."""

    def __init__(self, zh: str, en: str, options: list[str]) -> None:
        super().__init__(zh, en)
        self.options = options


@dataclass
class Limits:
    """The limits a read enforces (defaults from :mod:`atlas.settings`)."""

    max_bytes: int = settings.MAX_UPLOAD_BYTES
    max_rows: int = settings.MAX_UPLOAD_ROWS
    max_cell_chars: int = settings.MAX_CELL_CHARS
    max_decoded_bytes: int = settings.MAX_DECODED_BYTES
    max_columns: int = settings.MAX_IMPORT_COLUMNS


def too_many_rows(limit: int, declared: int | None = None) -> UploadError:
    """The bilingual error for a table over the row limit."""
    extra_zh = f"，文件声明约 {declared:,} 行" if declared else ""
    extra_en = f"; the file declares about {declared:,}" if declared else ""
    return UploadError(f"行数过多（超过上限 {limit:,} 行{extra_zh}）",
                       f"Too many rows (more than the limit of {limit:,}{extra_en})")


def cell_too_long(row: int, col: int, limit: int) -> UploadError:
    """The bilingual error for a cell over the length limit (row and column numbers 1-based)."""
    return UploadError(f"第 {row} 行第 {col} 列的内容过长（上限 {limit:,} 字符）",
                       f"Row {row}, column {col} is too long (limit {limit:,} characters)")


def clean_detail(text: str, *, tmpdir: str | None = None) -> str:
    """A parser's message without server paths (temporary folders, any absolute path), shortened."""
    s = str(text)
    if tmpdir:
        s = s.replace(tmpdir, "")
    s = re.sub(r"(?:[A-Za-z]:)?(?:[\\/][^\s'\"\\/:,;()]+)+[\\/]?", "…", s)
    return s.strip()[:200]


# --- CSV ------------------------------------------------------------------------------------

def decode(data: bytes, *, limits: Limits) -> tuple[str, str]:
    """Decode CSV bytes (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030); cap the text.

    Returns the text and the encoding found: ``utf-8``, ``utf-8-sig`` (with a BOM), ``utf-16``
    or ``gb18030``.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        candidates: tuple[str, ...] = ("utf-16",)
    else:
        candidates = ("utf-8-sig", "gb18030")
    for enc in candidates:
        try:
            text = data.decode(enc)
        except UnicodeDecodeError:
            continue
        if len(text) > limits.max_decoded_bytes:
            raise UploadError("文件解码后过大", "The file is too large once decoded")
        return text, "utf-8" if enc == "utf-8-sig" and not data.startswith(b"\xef\xbb\xbf") else enc
    raise UploadError("无法识别文件编码（支持 UTF-8、UTF-16、GBK/GB18030）",
                      "Cannot decode the file (UTF-8, UTF-16 and GBK/GB18030 are supported)")


def _widths(sample: str, delimiter: str) -> list[int]:
    out = []
    try:
        for i, row in enumerate(csv.reader(io.StringIO(sample), delimiter=delimiter)):
            if i >= 200:
                break
            while row and not row[-1].strip():
                row.pop()
            if row:
                out.append(len(row))
    except csv.Error:
        return []
    return out


def sniff_delimiter(text: str) -> str:
    """The delimiter that splits a sample into the most consistent number of fields (> 1).

    Why not :class:`csv.Sniffer`: it guesses from character frequencies and happily picks a
    letter or a space; here only real delimiters compete, scored by how many rows share the
    modal field count (title rows with one field do not count against a delimiter).
    """
    sample = text[:_SAMPLE_CHARS]
    if len(text) > _SAMPLE_CHARS and "\n" in sample:
        sample = sample[: sample.rfind("\n")]
    best, best_score = ",", (0.0, 0)
    for d in DELIMITERS:
        widths = [w for w in _widths(sample, d) if w > 1]
        if not widths:
            continue
        mode, count = Counter(widths).most_common(1)[0]
        score = (count / max(1, len(_widths(sample, d))), mode)
        if score > best_score:
            best, best_score = d, score
    return best


def csv_rows(text: str, *, delimiter: str, limits: Limits) -> tuple[list[list[str]], list[int]]:
    """Rows of a CSV text (non-empty ones, with their 1-based line-record numbers), stopping at the limit."""
    rows: list[list[str]] = []
    numbers: list[int] = []
    cap = limits.max_rows + _HEADER_WINDOW + 1
    reader = csv.reader(io.StringIO(text), delimiter=delimiter, skipinitialspace=True)
    try:
        for i, row in enumerate(reader, start=1):
            if not any(c.strip() for c in row):
                continue
            if len(row) > limits.max_columns:
                raise UploadError(f"第 {i} 行的列数过多（上限 {limits.max_columns}）",
                                  f"Row {i} has too many columns (limit {limits.max_columns})")
            for j, c in enumerate(row):
                if len(c) > limits.max_cell_chars:
                    raise cell_too_long(i, j + 1, limits.max_cell_chars)
            rows.append(row)
            numbers.append(i)
            if len(rows) > cap:
                raise too_many_rows(limits.max_rows)
    except csv.Error as exc:
        raise UploadError(f"CSV 格式错误：{clean_detail(str(exc))}",
                          f"Malformed CSV: {clean_detail(str(exc))}") from exc
    return rows, numbers


# --- XLSX -----------------------------------------------------------------------------------

_MERGE_RE = re.compile(rb"<(?:\w+:)?mergeCell\s+ref=\"([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?\"")


def _col_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + (ch - 64)
    return n


def _scan_part(zf: zipfile.ZipFile, name: str, *, max_run: int, max_chars: int
               ) -> list[tuple[int, int, int, int]]:
    """One streaming pass over a zip member: refuse text runs over ``max_run`` bytes; find merges."""
    merges: list[tuple[int, int, int, int]] = []
    run = 0
    tail = b""
    with zf.open(name) as fh:
        while chunk := fh.read(1 << 20):
            last_lt = chunk.rfind(b"<")
            if last_lt < 0:
                run += len(chunk)
            else:
                first_lt = chunk.find(b"<")
                if run + first_lt > max_run:
                    raise _long_cell(max_chars)
                pieces = chunk[first_lt:last_lt].split(b"<")
                if pieces and max(map(len, pieces)) > max_run:
                    raise _long_cell(max_chars)
                run = len(chunk) - last_lt
            if run > max_run:
                raise _long_cell(max_chars)
            buf = tail + chunk
            for m in _MERGE_RE.finditer(buf):
                c0, r0 = _col_number(m.group(1)), int(m.group(2))
                c1 = _col_number(m.group(3)) if m.group(3) else c0
                r1 = int(m.group(4)) if m.group(4) else r0
                merges.append((r0, c0, r1, c1))
            tail = buf[-200:] if len(buf) > 200 else buf
            # a merge found in the overlap would be counted twice: keep them unique
    return sorted(set(merges))


def _long_cell(max_chars: int) -> UploadError:
    return UploadError(f"表格中有单元格内容过长（上限 {max_chars:,} 字符）",
                       f"A cell in the workbook is too long (limit {max_chars:,} characters)")


def _xlsx_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    return str(value)


def _open_workbook(data: bytes, limits: Limits
                   ) -> tuple[Any, zipfile.ZipFile, dict[str, list[tuple[int, int, int, int]]]]:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        declared = sum(i.file_size for i in zf.infolist())
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise UploadError("不是有效的 XLSX 工作簿（文件损坏或不是 Excel 2007+ 格式）",
                          "Not a valid XLSX workbook (damaged, or not Excel 2007+)") from exc
    if declared > limits.max_decoded_bytes:
        raise UploadError(
            f"工作簿解压后过大（{declared / 1e6:,.0f} MB，上限 {limits.max_decoded_bytes / 1e6:,.0f} MB）",
            f"The workbook is too large once unpacked ({declared / 1e6:,.0f} MB; "
            f"limit {limits.max_decoded_bytes / 1e6:,.0f} MB)")
    max_run = 4 * limits.max_cell_chars + 64  # UTF-8: at most 4 bytes a character, plus markup
    # every XML part is scanned once (shared strings and sheets alike) before openpyxl loads any
    merges = {n: _scan_part(zf, n, max_run=max_run, max_chars=limits.max_cell_chars)
              for n in zf.namelist() if n.endswith(".xml")}
    import openpyxl

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    return wb, zf, merges


def _sheet_rows(wb: Any, ws: Any, limits: Limits) -> tuple[dict[int, list[str]], int | None]:
    """Non-empty rows of a read-only sheet by row number, parsed as a stream up to the limit."""
    from openpyxl.worksheet._reader import WorkSheetParser

    # openpyxl's row parser, used directly: iter_rows() pads rows to the *declared* dimension
    # (a hostile sheet declares a million rows and 16,384 columns); the parser yields the rows
    # that are really there, with their numbers.
    declared = ws.max_row if isinstance(ws.max_row, int) else None
    rows: dict[int, list[str]] = {}
    cap = limits.max_rows + _HEADER_WINDOW + 1
    with wb._archive.open(ws._worksheet_path) as src:
        parser = WorkSheetParser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                                 date_formats=wb._date_formats,
                                 timedelta_formats=wb._timedelta_formats)
        for idx, cells in parser.parse():
            values = {c["column"]: _xlsx_text(c["value"]) for c in cells if c["value"] is not None}
            values = {k: v for k, v in values.items() if v.strip()}
            if not values:
                continue
            if max(values) > limits.max_columns:
                raise UploadError(f"第 {idx} 行的列数过多（上限 {limits.max_columns}）",
                                  f"Row {idx} has too many columns (limit {limits.max_columns})")
            row = [""] * max(values)
            for k, v in values.items():
                if len(v) > limits.max_cell_chars:
                    raise cell_too_long(idx, k, limits.max_cell_chars)
                row[k - 1] = v
            rows[idx] = row
            if len(rows) > cap:
                raise too_many_rows(limits.max_rows, declared)
    return rows, declared


def _fill_merged(rows: dict[int, list[str]], merges: list[tuple[int, int, int, int]],
                 info: ReadInfo) -> None:
    for r0, c0, r1, c1 in merges:
        top = rows.get(r0)
        value = top[c0 - 1] if top is not None and len(top) >= c0 else ""
        if not value:
            continue
        info.merged_ranges += 1
        for r in range(r0, min(r1, r0 + 100_000) + 1):
            row = rows.setdefault(r, [])
            if len(row) < c1:
                row.extend([""] * (c1 - len(row)))
            for c in range(c0, c1 + 1):
                if not row[c - 1]:
                    row[c - 1] = value
                    info.merged_cells_filled += 1 if (r, c) != (r0, c0) else 0


def xlsx_rows(data: bytes, *, sheet: str | None, limits: Limits, info: ReadInfo
              ) -> tuple[list[list[str]], list[int]]:
    """Rows of one sheet of a workbook (the first with data unless ``sheet`` names one)."""
    wb, zf, merges_by_part = _open_workbook(data, limits)
    try:
        info.sheets = list(wb.sheetnames)
        if sheet is not None and sheet not in info.sheets:
            raise UploadError(f"工作簿中没有名为 {sheet[:60]} 的工作表",
                              f"The workbook has no sheet named {sheet[:60]}")
        # the named sheet, else the first that holds anything (a blank cover sheet is skipped)
        for ws in [wb[sheet]] if sheet is not None else wb.worksheets:
            rows, _ = _sheet_rows(wb, ws, limits)
            if rows:
                break
        info.sheet = ws.title
        _fill_merged(rows, merges_by_part.get(ws._worksheet_path.lstrip("/"), []), info)
    finally:
        wb.close()
        zf.close()
    if len(info.sheets) > 1:
        info.note(f"工作簿有 {len(info.sheets)} 个工作表，已读取“{info.sheet}”（可另选）",
                  f"The workbook has {len(info.sheets)} sheets; read '{info.sheet}' (another can be chosen)")
    if info.merged_ranges:
        info.note(f"已修复 {info.merged_ranges} 处合并单元格：合并值已填入被合并的 "
                  f"{info.merged_cells_filled} 个单元格",
                  f"Repaired {info.merged_ranges} merged ranges: the merged value was filled into "
                  f"{info.merged_cells_filled} cells")
    numbers = sorted(rows)
    return [rows[i] for i in numbers], numbers


# --- header row and table -----------------------------------------------------------------------

def _is_number(s: str) -> bool:
    try:
        float(s.replace("，", ".").replace("°", ""))
    except ValueError:
        return False
    return True


def find_header(rows: list[list[str]], *, is_header_cell: Any) -> int:
    """Index of the header row among the first rows: the one naming most known columns.

    Rows above it are title rows. With no known column name anywhere, the first row that has
    at least two cells, none of them numbers, is taken.
    """
    window = rows[:_HEADER_WINDOW]
    hits = [sum(1 for c in r if c.strip() and is_header_cell(c)) for r in window]
    if hits and max(hits) > 0:
        return int(np.argmax(hits))
    for i, r in enumerate(window):
        cells = [c for c in r if c.strip()]
        if len(cells) >= 2 and not any(_is_number(c) for c in cells):
            return i
    return 0


def _unique(names: list[str]) -> list[str]:
    seen: Counter[str] = Counter()
    out = []
    for n in names:
        seen[n] += 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out


def table_from_rows(rows: list[list[str]], numbers: list[int], *, info: ReadInfo,
                    is_header_cell: Any, limits: Limits) -> pd.DataFrame:
    """Header detection, column naming and alignment; ``attrs['source_rows']`` keeps row numbers."""
    if not rows:
        raise UploadError("文件中没有数据行", "The file has no data rows")
    h = find_header(rows, is_header_cell=is_header_cell)
    info.header_row = numbers[h]
    info.title_rows = [" ".join(c for c in r if c.strip())[:80] for r in rows[:h]]
    if h:
        info.note(f"跳过表头上方的 {h} 行标题：{'；'.join(info.title_rows)[:120]}",
                  f"Skipped {h} title rows above the header: {'; '.join(info.title_rows)[:120]}")
    header = [c.strip() for c in rows[h]]
    data = rows[h + 1:]
    if len(data) > limits.max_rows:
        raise too_many_rows(limits.max_rows)
    width = max([len(header), *(len(r) for r in data)])
    matrix = [r + [""] * (width - len(r)) for r in data]
    cols = np.array(matrix, dtype=object).reshape(len(matrix), width) if matrix else \
        np.empty((0, width), dtype=object)
    header = header + [""] * (width - len(header))
    filled = [bool(header[j]) or any(str(v).strip() for v in cols[:, j]) for j in range(width)]
    info.dropped_columns = filled.count(False)
    info.long_rows = sum(1 for r in data if len([c for c in r[len(header):] if c.strip()]))
    keep = [j for j in range(width) if filled[j]]
    names = _unique([header[j] or f"列{j + 1}" for j in keep])
    unnamed = [n for j, n in zip(keep, names, strict=True) if not header[j]]
    if unnamed:
        info.note(f"{len(unnamed)} 列没有表头，命名为 {'、'.join(unnamed[:5])}",
                  f"{len(unnamed)} columns have no header; named {', '.join(unnamed[:5])}")
    if info.dropped_columns:
        info.note(f"删除了 {info.dropped_columns} 个空列（如行尾多余的分隔符）",
                  f"Dropped {info.dropped_columns} empty columns (e.g. trailing delimiters)")
    df = pd.DataFrame(cols[:, keep] if len(keep) else np.empty((len(data), 0)), columns=names,
                      dtype=object).map(lambda v: str(v).strip())
    if df.empty:
        raise UploadError("文件中没有数据行", "The file has no data rows")
    df.attrs["source_rows"] = np.asarray(numbers[h + 1:], dtype=np.int64)
    return df


# --- GeoJSON / GeoPackage -------------------------------------------------------------------------

def list_geo_layers(path: Path) -> list[tuple[str, int]]:
    """(name, feature count) of every layer of a vector file."""
    import pyogrio

    out = []
    for name, _ in pyogrio.list_layers(path):
        info = pyogrio.read_info(path, layer=str(name))
        out.append((str(name), int(info.get("features", -1))))
    return out


def _geometry_columns(gdf: Any) -> pd.DataFrame:
    """``geom_kind``, ``geom_lon``, ``geom_lat`` and ``geom_extent_m`` of each feature (WGS84)."""
    from atlas.projection import MetricFrame, metric_crs_for

    geoms = gdf.geometry.to_numpy()
    present = ~shapely.is_missing(geoms) & ~shapely.is_empty(geoms)
    type_id = np.where(present, shapely.get_type_id(geoms), -1)
    single_point = (type_id == 0) | ((type_id == 4) & (shapely.get_num_geometries(geoms) == 1))
    kind = np.select([~present, single_point, np.isin(type_id, (1, 2, 5)), np.isin(type_id, (3, 6))],
                     ["none", "point", "line", "polygon"], default="other")
    rep = np.array([None] * len(geoms), dtype=object)
    rep[present] = shapely.point_on_surface(geoms[present])
    line = type_id == 1  # a line's representative point is its middle, not a vertex at one end
    if line.any():
        rep[line] = shapely.line_interpolate_point(geoms[line], 0.5, normalized=True)
    lon = np.full(len(geoms), np.nan)
    lat = np.full(len(geoms), np.nan)
    lon[present] = shapely.get_x(rep[present])
    lat[present] = shapely.get_y(rep[present])
    extent = np.zeros(len(geoms))
    shaped = present & ~single_point
    if shaped.any():
        frame = MetricFrame(metric_crs_for(shapely.union_all(rep[shaped])))
        mg = frame.geometry_to_metric(geoms[shaped])
        mp = frame.geometry_to_metric(rep[shaped])
        # the farthest any part of the shape lies from its representative point
        extent[shaped] = shapely.hausdorff_distance(mp, mg)
    return pd.DataFrame({
        "geom_kind": kind,
        "geom_lon": np.where(present, np.round(lon, 8).astype(str), ""),
        "geom_lat": np.where(present, np.round(lat, 8).astype(str), ""),
        "geom_extent_m": np.where(shaped, np.round(extent, 1).astype(str), ""),
    }, index=gdf.index)


def _read_layer(path: Path, *, layer: str | None, limits: Limits, info: ReadInfo) -> Any:
    import pyogrio

    layers = list_geo_layers(path)
    info.layers = [n for n, _ in layers]
    with_data = [n for n, c in layers if c != 0]
    if layer is None and len(with_data) > 1:
        raise LayerChoiceError(
            f"文件含 {len(with_data)} 个有数据的图层（{'、'.join(with_data)[:200]}），请选择一个",
            f"The file holds {len(with_data)} layers with data ({', '.join(with_data)[:200]}); "
            "choose one", options=with_data)
    name = layer if layer is not None else (with_data or info.layers)[0]
    if name not in info.layers:
        raise UploadError(f"文件中没有图层 {name[:60]}", f"The file has no layer {name[:60]}")
    count = dict(layers)[name]
    if count > limits.max_rows:
        raise too_many_rows(limits.max_rows, count)
    info.layer = name
    return pyogrio.read_dataframe(path, layer=name, max_features=limits.max_rows + 1)


def geo_table(data: bytes, ext: str, *, layer: str | None, limits: Limits, info: ReadInfo
              ) -> pd.DataFrame:
    """Features of one layer as text columns plus geometry columns and ``_geometry`` (WGS84)."""
    with tempfile.TemporaryDirectory() as d:
        # a private temp file whose only part from the user is the whitelisted extension
        tmp = Path(d) / f"upload{ext}"
        tmp.write_bytes(data)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # GDAL's warnings name the temporary file too
                gdf = _read_layer(tmp, layer=layer, limits=limits, info=info)
        except UploadError:
            raise
        except Exception as exc:  # GDAL's messages name the temporary file: never show them raw
            detail = clean_detail(str(exc), tmpdir=d)
            raise UploadError(f"文件无法读取（{ext[1:]} 格式有误）：{detail}",
                              f"The file cannot be read (malformed {ext[1:]}): {detail}") from exc
    name = info.layer
    if len(info.layers) > 1:
        info.note(f"已读取图层“{name}”（文件共有 {len(info.layers)} 个图层）",
                  f"Read layer '{name}' (the file has {len(info.layers)} layers)")
    if len(gdf) > limits.max_rows:
        raise too_many_rows(limits.max_rows)
    if gdf.crs is not None and gdf.crs.to_epsg() not in (4326, 4490):
        gdf = gdf.to_crs(settings.CRS_WGS84)
    props = pd.DataFrame(gdf.drop(columns=gdf.geometry.name))
    props = props.astype(object).where(props.notna(), "").map(
        lambda v: v.isoformat() if hasattr(v, "isoformat") else str(v))
    for j, c in enumerate(props.columns):
        lengths = props[c].str.len()
        if len(lengths) and lengths.max() > limits.max_cell_chars:
            raise cell_too_long(int(np.argmax(lengths.to_numpy())) + 1, j + 1, limits.max_cell_chars)
    props.columns = _unique([str(c).strip() or f"列{j + 1}" for j, c in enumerate(props.columns)])
    geo = _geometry_columns(gdf)
    info.geometry_counts = {str(k): int(v) for k, v in geo.geom_kind.value_counts().items()}
    out = pd.concat([props.reset_index(drop=True), geo.reset_index(drop=True)], axis=1)
    out["_geometry"] = gdf.geometry.to_numpy()
    out.attrs["source_rows"] = np.arange(1, len(out) + 1)  # feature numbers
    return out
