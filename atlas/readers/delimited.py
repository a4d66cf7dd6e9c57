"""CSV and text tables: encoding, delimiter, and rows read one by one up to the row limit."""

from __future__ import annotations

import csv
import io
from collections import Counter

from atlas.errors import UploadError
from atlas.readers.base import HEADER_WINDOW, Limits, ReadInfo, cell_too_long, clean_detail, too_many_rows

#: Delimiters tried on a CSV sample, in order of preference on a tie.
DELIMITERS = (",", ";", "\t", "|", "，")
DELIMITER_NAMES = {",": ("逗号", "comma"), ";": ("分号", "semicolon"), "\t": ("制表符", "tab"),
                   "|": ("竖线", "pipe"), "，": ("中文逗号", "full-width comma")}
_SAMPLE_CHARS = 64 * 1024


def decode(data: bytes, *, limits: Limits, info: ReadInfo | None = None) -> tuple[str, str]:
    """Decode CSV bytes (UTF-8 with or without BOM, UTF-16 with BOM, GBK/GB18030); cap the text.

    Returns the text and the encoding found: ``utf-8``, ``utf-8-sig`` (with a BOM), ``utf-16``
    or ``gb18030``. A UTF-8 text with a few invalid bytes (a truncated character pasted in) is
    UTF-8, not GB18030 mojibake: each invalid byte becomes an invisible character that cleaning
    removes, naming the rows (a note in ``info`` counts them); UTF-16's lone surrogates too.
    """
    if data[:2] in (b"\xff\xfe", b"\xfe\xff"):
        try:
            return _capped(data.decode("utf-16", errors="surrogatepass"), limits), "utf-16"
        except UnicodeDecodeError as exc:
            raise _undecodable() from exc
    try:
        text = data.decode("utf-8-sig")
        return _capped(text, limits), "utf-8-sig" if data.startswith(b"\xef\xbb\xbf") else "utf-8"
    except UnicodeDecodeError:
        pass
    loose = data.decode("utf-8-sig", errors="replace")
    bad = loose.count("\ufffd") - data.count("\ufffd".encode())
    non_ascii = len(loose) - len(loose.encode("ascii", errors="ignore"))
    # mostly good UTF-8 (GBK text decodes to almost nothing valid): the bad bytes are damage
    if non_ascii - bad >= 3 * bad:
        if info is not None:
            info.note(f"文件中有 {bad} 处无效的 UTF-8 字节，已删除",
                      f"Removed {bad} invalid UTF-8 byte sequences")
        return _capped(loose.replace("\ufffd", "\u200b"), limits), "utf-8"
    body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
    try:  # a UTF-8 BOM before GB18030 text (an editor added it) is not part of the text
        return _capped(body.decode("gb18030").removeprefix("\ufeff"), limits), "gb18030"
    except UnicodeDecodeError as exc:  # (GB18030's own BOM decodes to U+FEFF)
        raise _undecodable() from exc


def _capped(text: str, limits: Limits) -> str:
    if len(text) > limits.max_decoded_bytes:
        raise UploadError("文件解码后过大", "The file is too large once decoded")
    return text


def _undecodable() -> UploadError:
    return UploadError("无法识别文件编码（支持 UTF-8、UTF-16、GBK/GB18030）",
                       "Cannot decode the file (UTF-8, UTF-16 and GBK/GB18030 are supported)")


def _widths(sample: str, delimiter: str) -> list[int]:
    out = []
    try:
        for i, row in enumerate(csv.reader(io.StringIO(sample, newline=""), delimiter=delimiter)):
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
    cap = limits.max_rows + HEADER_WINDOW + 1
    # newline="": \r\n, \n and a lone \r all end a record (files mix them)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, skipinitialspace=True)
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

