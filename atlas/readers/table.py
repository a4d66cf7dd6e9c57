"""From rows of text to a table: the header row (title rows above it skipped), column names, width."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from atlas.errors import UploadError
from atlas.readers.base import HEADER_WINDOW, Limits, ReadInfo, too_many_rows, unique_names


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
    window = rows[:HEADER_WINDOW]
    hits = [sum(1 for c in r if c.strip() and is_header_cell(c)) for r in window]
    if hits and max(hits) > 0:
        return int(np.argmax(hits))
    for i, r in enumerate(window):
        cells = [c for c in r if c.strip()]
        if len(cells) >= 2 and not any(_is_number(c) for c in cells):
            return i
    return 0



def table_from_rows(rows: list[list[str]], numbers: list[int], *, info: ReadInfo,
                    is_header_cell: Any, limits: Limits) -> pd.DataFrame:
    """Header detection, column naming and alignment; ``attrs['source_rows']`` keeps row numbers."""
    if not rows:
        raise UploadError("文件中没有数据行", "The file has no data rows")
    h = find_header(rows, is_header_cell=is_header_cell)
    info.header_row = numbers[h]
    # a merged title fills every cell it spans: each text once
    info.title_rows = [" ".join(dict.fromkeys(c.strip() for c in r if c.strip()))[:80] for r in rows[:h]]
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
    names = unique_names([header[j] or f"列{j + 1}" for j in keep])
    repeated = sorted({header[j] for j, n in zip(keep, names, strict=True) if header[j] and n != header[j]})
    if repeated:
        info.note(f"表头有重名的列：{'、'.join(repeated)[:80]}，后出现的列名加上了序号，如“{repeated[0]} (2)”"
                  "，请核对列对应",
                  f"Repeated column names: {', '.join(repeated)[:80]}; the later ones are numbered, e.g. "
                  f"'{repeated[0]} (2)': please check the column mapping")
    unnamed = [n for j, n in zip(keep, names, strict=True) if not header[j]]
    if unnamed:
        info.note(f"{len(unnamed)} 列没有表头，命名为 {'、'.join(unnamed[:5])}",
                  f"{len(unnamed)} columns have no header; named {', '.join(unnamed[:5])}")
    if info.dropped_columns:
        info.note(f"删除了 {info.dropped_columns} 个空列（如行尾多余的分隔符）",
                  f"Dropped {info.dropped_columns} empty columns (e.g. trailing delimiters)")
    body = cols[:, keep] if len(keep) else np.empty((len(data), 0))
    # Python strings, not Arrow's: a lone surrogate (cleaned later, atlas.readers.cleaning) is kept
    df = pd.DataFrame({n: pd.Series([str(v).strip() for v in body[:, j]], dtype=object)
                       for j, n in enumerate(names)}, columns=names)
    if df.empty:
        raise UploadError("只有表头，没有数据行", "Only a header, no data rows")
    df.attrs["source_rows"] = np.asarray(numbers[h + 1:], dtype=np.int64)
    return df

