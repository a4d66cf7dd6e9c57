"""XLSX workbooks, read without trusting what they declare.

A zip bomb or an over-long cell is refused before any XML is parsed; the sheet is parsed as a
stream up to the row limit; merged cells are repaired.
"""

from __future__ import annotations

import io
import re
import warnings
import zipfile
from typing import Any

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
    cap = limits.max_rows + HEADER_WINDOW + 1
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
                  f"Repaired {info.merged_ranges} merged range{'s' * (info.merged_ranges != 1)}: the "
                  f"merged value was filled into {info.merged_cells_filled} "
                  f"cell{'s' * (info.merged_cells_filled != 1)}")
    numbers = sorted(rows)
    return [rows[i] for i in numbers], numbers

