"""What every reader shares: the limits it enforces, what it found, and the errors it raises."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field

from atlas import settings
from atlas.errors import UploadError

HEADER_WINDOW = 30  # the header is looked for among the first rows that hold anything


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
    max_zip_members: int = settings.MAX_ZIP_MEMBERS


def bilingual(key: str, **fmt: object) -> tuple[str, str]:
    """The message ``key`` of :mod:`atlas.i18n` in Chinese and English, formatted with ``fmt``.

    A value given as a ``(zh, en)`` pair is put in each language's own words.
    """
    from atlas.i18n import t

    def words(lang: int) -> dict[str, object]:
        return {k: v[lang] if isinstance(v, tuple) else v for k, v in fmt.items()}

    return t(key, "zh", **words(0)), t(key, "en", **words(1))


def upload_error(key: str, **fmt: object) -> UploadError:
    """The :class:`UploadError` of the message ``key`` (:func:`bilingual`)."""
    return UploadError(*bilingual(key, **fmt))


def note(info: ReadInfo, key: str, **fmt: object) -> None:
    """Add the message ``key`` (:func:`bilingual`) to the notes of ``info``."""
    info.note(*bilingual(key, **fmt))


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


def short(text: str, limit: int = 60) -> str:
    """A name from the user's file cut to ``limit`` characters for a message."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


def unique_names(names: list[str]) -> list[str]:
    """Column names made unique: a repeated name gets " (2)", " (3)", ..."""
    seen: Counter[str] = Counter()
    out = []
    for n in names:
        seen[n] += 1
        out.append(n if seen[n] == 1 else f"{n} ({seen[n]})")
    return out

