"""XLSX workbooks, read without trusting what they declare.

A zip bomb or an over-long cell is refused before any XML is parsed; the sheet is parsed as a
stream up to the row limit; merged cells are repaired.
"""

from __future__ import annotations

import datetime
import io
import re
import warnings
import zipfile
from collections import Counter
from collections.abc import Callable
from typing import Any

from openpyxl.worksheet._reader import FORMULA_TAG, WorkSheetParser

from atlas.errors import UploadError
from atlas.readers.base import HEADER_WINDOW, Limits, ReadInfo, cell_too_long, too_many_rows

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


def _xlsx_text(value: Any, *, epoch: datetime.datetime, found: Counter[str]) -> str:
    """A cell's value as text; a "date" or "duration" that is a coordinate is read as its number.

    A coordinate cell formatted as a date shows 121.55 as 1900-04-30 13:12: a date before the
    workbook's epoch + 367 days (no list of venues holds dates of 1900) or a duration is written
    as the number it is (``found["dates"]`` counts them).
    """
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return str(int(value))
    if isinstance(value, datetime.timedelta) or (
            isinstance(value, datetime.datetime) and value < epoch + datetime.timedelta(days=367)):
        from openpyxl.utils.datetime import to_excel

        found["dates"] += 1
        return f"{float(to_excel(value, epoch)):.9f}".rstrip("0").rstrip(".")
    if hasattr(value, "isoformat"):
        return str(value.isoformat())
    if isinstance(value, str) and "_x" in value:  # Excel's escapes of control characters
        return _XESC.sub(lambda m: chr(int(m.group(1), 16)), value)
    return str(value)


#: How Excel writes a character XML cannot hold ("_x0000_" for NUL); cleaned after reading.
_XESC = re.compile(r"_x([0-9A-Fa-f]{4})_")


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


def _sheet_rows(wb: Any, ws: Any, limits: Limits, *, peek: int | None = None
                ) -> tuple[dict[int, list[str]], int | None, Counter[str]]:
    """Non-empty rows of a read-only sheet by row number, parsed as a stream up to the limit.

    With ``peek`` only that many non-empty rows are read (to choose a sheet). Also returns the
    sheet's declared row count and what was repaired (``dates``; ``formulas`` without a saved
    result, read as empty; ``formula_cells``: their first references).
    """
    # openpyxl's row parser, used directly: iter_rows() pads rows to the *declared* dimension
    # (a hostile sheet declares a million rows and 16,384 columns); the parser yields the rows
    # that are really there, with their numbers.
    declared = ws.max_row if isinstance(ws.max_row, int) else None
    rows: dict[int, list[str]] = {}
    found: Counter[str] = Counter()
    cap = limits.max_rows + HEADER_WINDOW + 1
    with wb._archive.open(ws._worksheet_path) as src:
        parser = _Parser(src, ws._shared_strings, data_only=True, epoch=wb.epoch,
                         date_formats=wb._date_formats, timedelta_formats=wb._timedelta_formats)
        for idx, cells in parser.parse():
            values = {c["column"]: _xlsx_text(c["value"], epoch=wb.epoch, found=found)
                      for c in cells if c["value"] is not None}
            for c in cells:
                if c["value"] is _NO_RESULT:
                    values[c["column"]] = ""
                    found["formulas"] += 1
                    if found["formulas"] <= 5:
                        found[f"cell:{_col_letters(c['column'])}{idx}"] = 1
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
            if peek is not None and len(rows) >= peek:
                break
    return rows, declared, found


_NO_RESULT = object()  # a formula cell whose result the file does not hold


class _Parser(WorkSheetParser):
    """openpyxl's row parser, telling a formula without a saved result from an empty cell."""

    def parse_cell(self, element: Any) -> dict[str, Any]:
        cell: dict[str, Any] = super().parse_cell(element)
        if cell["value"] is None and element.find(FORMULA_TAG) is not None:
            cell["value"] = _NO_RESULT
        return cell


def _col_letters(n: int) -> str:
    s = ""
    while n:
        n, r = divmod(n - 1, 26)
        s = chr(65 + r) + s
    return s


def _choose_sheet(wb: Any, limits: Limits, info: ReadInfo, score: Callable[[list[list[str]]], float]
                  ) -> Any:
    """The sheet with the list: the visible one whose first rows ``score`` best.

    E.g. a header naming name and coordinate columns: an instructions sheet before it is passed
    over.

    ``info.sheets`` becomes the sheets that hold anything (hidden ones last), the choices offered.
    """
    if len(wb.worksheets) == 1:
        return wb.worksheets[0]
    scored = []
    for i, ws in enumerate(wb.worksheets):
        rows, _, _ = _sheet_rows(wb, ws, limits, peek=HEADER_WINDOW)
        if rows:
            hidden = getattr(ws, "sheet_state", "visible") != "visible"
            scored.append((hidden, -score([rows[k] for k in sorted(rows)]), i, ws))
    if not scored:
        return wb.worksheets[0]
    scored.sort(key=lambda t: t[:3])
    info.sheets = [ws.title for *_, ws in sorted(scored, key=lambda t: (t[0], t[2]))]
    hidden = [ws.title for h, *_, ws in scored if h]
    if hidden:
        info.note(f"隐藏的工作表未被自动选用：{'、'.join(hidden)[:120]}（可另选）",
                  f"Hidden sheets were not chosen: {', '.join(hidden)[:120]} (you may pick one)")
    return scored[0][3]


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


def xlsx_rows(data: bytes, *, sheet: str | None, limits: Limits, info: ReadInfo,
              score: Callable[[list[list[str]]], float] | None = None) -> tuple[list[list[str]], list[int]]:
    """Rows of one sheet of a workbook: ``sheet``, else the one ``score`` rates best.

    ``score`` rates a sheet by its first rows (default: every sheet with data alike, so the first
    one is read). Formula cells without a saved result are read as empty and named in a note;
    date-formatted coordinates are read as numbers (:func:`_xlsx_text`).
    """
    wb, zf, merges_by_part = _open_workbook(data, limits)
    try:
        info.sheets = list(wb.sheetnames)
        if sheet is not None and sheet not in info.sheets:
            raise UploadError(f"工作簿中没有名为 {sheet[:60]} 的工作表",
                              f"The workbook has no sheet named {sheet[:60]}")
        ws = wb[sheet] if sheet is not None else _choose_sheet(wb, limits, info, score or (lambda _rows: 0.0))
        rows, _, found = _sheet_rows(wb, ws, limits)
        info.sheet = ws.title
        if sheet is not None:
            info.sheets = [s for s in info.sheets if s == sheet or _has_rows(wb, wb[s], limits)]
        _fill_merged(rows, merges_by_part.get(ws._worksheet_path.lstrip("/"), []), info)
    finally:
        wb.close()
        zf.close()
    _notes(info, found)
    numbers = sorted(rows)
    return [rows[i] for i in numbers], numbers


def _has_rows(wb: Any, ws: Any, limits: Limits) -> bool:
    return bool(_sheet_rows(wb, ws, limits, peek=1)[0])


def _notes(info: ReadInfo, found: Counter[str]) -> None:
    """What reading the workbook found and repaired, for the page to say."""
    if len(info.sheets) > 1:
        info.note(f"工作簿有 {len(info.sheets)} 个有数据的工作表，已读取“{info.sheet}”（可另选）",
                  f"The workbook has {len(info.sheets)} sheets with data; read '{info.sheet}' "
                  "(another can be chosen)")
    if info.merged_ranges:
        info.note(f"已修复 {info.merged_ranges} 处合并单元格：合并值已填入被合并的 "
                  f"{info.merged_cells_filled} 个单元格",
                  f"Repaired {info.merged_ranges} merged range{'s' * (info.merged_ranges != 1)}: the "
                  f"merged value was filled into {info.merged_cells_filled} "
                  f"cell{'s' * (info.merged_cells_filled != 1)}")
    if found["dates"]:
        info.note(f"{found['dates']} 个单元格设成了日期/时间格式，但数值像坐标（1900 年），已按数值读取",
                  f"{found['dates']} cells are formatted as dates or times but hold coordinate-like "
                  "numbers (year 1900); read as numbers")
    if found["formulas"]:
        cells = "、".join(k[5:] for k in found if k.startswith("cell:"))
        info.note(f"{found['formulas']} 个公式单元格没有保存计算结果（如 {cells}），读为空：请在 Excel/WPS "
                  "中打开并保存后重新导入",
                  f"{found['formulas']} formula cells hold no saved result (e.g. "
                  f"{cells.replace('、', ', ')}) and were read as empty: open and save the workbook in "
                  "Excel/WPS, then import again")
