"""Invisible and control characters out of every text cell, with a note saying where.

NUL and other C0/C1 controls, bidirectional overrides and isolates (which make "txt.exe" read
as "exe.txt"), zero-width characters, the byte-order mark, Unicode tags and lone surrogates are
never part of a place's name or address; they arrive from copy-paste, broken exports and hostile
files, and would be kept in the saved layer, break its encoding, or make two equal names
differ. Line breaks and tabs inside a cell become one space.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from atlas.readers.base import ReadInfo

#: Characters that separate words: each becomes a space.
_BREAKS = "\t\n\x0b\x0c\r\x1c-\x1f\x85\u2028\u2029"
#: Every Unicode control (Cc), format (Cf) and surrogate (Cs) character that is not a break.
_INVISIBLE = ("\x00-\x08\x0e-\x1b\x7f-\x84\x86-\x9f\xad\u0600-\u0605\u061c\u06dd\u070f\u0890\u0891"
              "\u08e2\u180e\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u206f\ufeff\ufff9-\ufffb"
              "\ud800-\udfff\U000110bd\U000110cd\U00013430-\U0001343f\U0001bca0-\U0001bca3"
              "\U0001d173-\U0001d17a\U000e0001\U000e0020-\U000e007f")
_ANY = re.compile(f"[{_BREAKS}{_INVISIBLE}]")
_BREAK = re.compile(f"[{_BREAKS}]+")
_DROP = re.compile(f"[{_INVISIBLE}]+")


def clean_text(text: str) -> str:
    """``text`` without control or invisible characters; breaks become one space, ends trimmed."""
    if not _ANY.search(text):
        return text
    return re.sub(" {2,}", " ", _DROP.sub("", _BREAK.sub(" ", text))).strip()


def clean_cells(df: pd.DataFrame, info: ReadInfo) -> pd.DataFrame:
    """Every text cell and column name cleaned (:func:`clean_text`); the rows touched go in a note.

    Columns whose name starts with ``_`` (geometries) are left alone. Row numbers in the note
    are the file's (``df.attrs["source_rows"]``).
    """
    touched = np.zeros(len(df), bool)
    out = df.copy()
    for col in out.columns:
        if str(col).startswith("_") or not (out[col].dtype == object
                                             or pd.api.types.is_string_dtype(out[col])):
            continue
        values = out[col].to_numpy(dtype=object)  # Python strings: Arrow's cannot hold surrogates
        try:  # one C-speed scan of the whole column first: almost every column is clean
            joined: str | None = "".join(values)
        except TypeError:  # not all strings
            joined = None
        if joined is not None and (joined.isprintable() or not _ANY.search(joined)):
            hit = np.zeros(len(values), bool)
        else:
            hit = np.fromiter((isinstance(v, str) and _ANY.search(v) is not None for v in values), bool,
                              len(values))
        if hit.any():
            values = values.copy()
            values[hit] = [clean_text(v) for v in values[hit]]
            touched |= hit
        if hit.any() or (joined is not None and out[col].dtype == object):
            cleaned = pd.Series(values, index=out.index, dtype=object)
            strings = joined is not None or all(isinstance(v, str) for v in values)
            out[col] = cleaned.astype("str") if strings else cleaned  # string columns again
    names = [clean_text(str(c)) or f"列{j + 1}" for j, c in enumerate(out.columns)]
    renamed = names != [str(c) for c in out.columns]
    if renamed:
        from atlas.readers.base import unique_names

        out.columns = unique_names(names)
    if touched.any() or renamed:
        rows = np.asarray(df.attrs.get("source_rows", np.arange(1, len(df) + 1)))[touched]
        listed = "、".join(str(r) for r in rows[:10]) + (" …" if len(rows) > 10 else "")
        where_zh = f"，见第 {listed} 行" if len(rows) else "（列名）"
        where_en = f", rows {listed.replace('、', ', ')}" if len(rows) else " (column names)"
        info.note(f"已删除 {int(touched.sum())} 行中的控制字符或不可见字符"
                  f"（如 NUL、换行、双向控制符、零宽字符）{where_zh}",
                  f"Removed control or invisible characters (NUL, line breaks, bidi controls, zero-width "
                  f"characters) from {int(touched.sum())} rows{where_en}")
    out.attrs = df.attrs
    return out
