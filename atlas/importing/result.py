"""The outcome of checking an imported list: every row with its reasons and status."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

#: Reason codes, their severity and bilingual text.
REASONS: dict[str, tuple[str, str, str]] = {
    "missing_name": ("error", "缺少名称", "name is missing"),
    "invalid_coordinates": ("error", "坐标无效（非数字或只有经度/纬度之一）",
                            "invalid coordinates (not numeric, or only one of lon/lat)"),
    "swapped_lonlat": ("error", "经纬度疑似填反", "longitude and latitude look swapped"),
    "projected_metres": ("error", "数值像投影坐标（米），不是经纬度",
                         "the values look like projected coordinates (metres), not degrees"),
    "outside_ningbo": ("error", "坐标不在宁波市范围内", "the point is outside Ningbo"),
    "duplicate": ("error", "与前面一行同名且相距不到 100 米", "same name as an earlier row within 100 m"),
    "unknown_category": ("error", "类别无法识别", "unknown category"),
    "category_not_guessed": ("warning", "名称看不出类别：未归类（可在上方选择类别）",
                             "the name does not tell the category: left unclassified (choose one above)"),
    "district_mismatch": ("warning", "坐标所在区县与所填区县不一致",
                          "the point lies in another district than the row states"),
    "unknown_district": ("warning", "所填区县无法识别", "the stated district is not recognised"),
    "functional_zone": ("info", "所填为功能区，已归入其所在区县",
                        "a functional zone: filed under its host district"),
    "coordinates_repaired": ("info", "坐标按度分秒、全角数字、小数逗号或南北东西标记读出",
                             "coordinates read from degrees-minutes-seconds, full-width digits, a decimal "
                             "comma or a hemisphere letter"),
    "no_coordinates": ("info", "只有地址，暂不上图（待定位）", "address only: kept as unplaced"),
}


@dataclass
class ImportResult:
    """Validated rows.

    The input plus ``row``, ``lon_wgs84``, ``lat_wgs84``, ``district_found``, ``category_code``,
    ``reasons`` (list of codes) and ``status`` (ok / unplaced / error).
    """

    table: pd.DataFrame
    mapping: dict[str, str | None]
    datum: str
    suggestion: dict[str, Any] = field(default_factory=dict)

    @property
    def ok(self) -> pd.DataFrame:
        """Rows that can be kept (placed or unplaced)."""
        return self.table[self.table.status != "error"]

    @property
    def errors(self) -> pd.DataFrame:
        """Rows that cannot be kept."""
        return self.table[self.table.status == "error"]

    def counts(self) -> dict[str, int]:
        """Rows by status."""
        return {str(k): int(v) for k, v in self.table.status.value_counts().items()}

    def display_table(self, lang: str = "zh", *, max_chars: int = 200) -> pd.DataFrame:
        """Every row as the page shows it: reasons in ``lang``, cells cut to ``max_chars`` ("…").

        The answer comes first (row number, name, status, problems), then the file's other
        columns and the coordinates found, so the problems are in view without scrolling sideways.

        Only the display is cut (a cell may hold up to :data:`atlas.settings.MAX_CELL_CHARS`
        characters, and the whole table travels to the browser on every rerun); the rows that
        are saved keep their full values. Headers and statuses are put in words by
        :func:`atlas.fmt.table` (``ui.tables.show_table``).
        """
        name = self.mapping.get("name")
        first = [c for c in ("row", name, "status", "reasons") if c is not None and c in self.table.columns]
        rest = [c for c in self.table.columns if c not in first and not str(c).startswith("_")]
        view = self.table[first + rest].copy()  # the answer first: it fits at 1280 px
        view["reasons"] = view.reasons.map(lambda rs: "; ".join(reason_text(r, lang) for r in rs))
        for c in view.columns:
            if not (pd.api.types.is_numeric_dtype(view[c]) or pd.api.types.is_bool_dtype(view[c])):
                text = view[c].astype(str)
                long = text.str.len().to_numpy() > max_chars
                if long.any():
                    view.loc[long, c] = text[long].str.slice(0, max_chars - 1) + "…"
        return view

    def error_report(self, lang: str = "zh") -> pd.DataFrame:
        """Rejected and flagged rows for download, in the reader's language.

        Headers and statuses in ``lang`` (:func:`atlas.fmt.header`), categories by name, not
        code, reasons in words, coordinates rounded to 6 decimals (~0.1 m; what the file had is
        in its own columns). The list's own columns keep their names.
        """
        from atlas import fmt
        from atlas.data.geodata import CATEGORIES

        flagged = self.table[self.table.reasons.map(len) > 0].copy()
        flagged = flagged.drop(columns=[c for c in flagged.columns if str(c).startswith("_")])
        flagged["reasons"] = flagged.reasons.map(lambda rs: "; ".join(reason_text(r, lang) for r in rs))
        for col in ("lon_wgs84", "lat_wgs84"):
            if col in flagged:
                flagged[col] = pd.to_numeric(flagged[col], errors="coerce").round(6)
        if "category_code" in flagged:
            flagged["category_code"] = flagged.category_code.map(
                lambda v: CATEGORIES[v][lang == "en"] if v in CATEGORIES else str(v or ""))
        if "status" in flagged:
            flagged["status"] = flagged.status.map(lambda v: fmt.method_label(v, lang))
        own = [str(c) for c in self.mapping.values() if c]
        headers: list[str] = []
        for c in flagged.columns:
            h = str(c) if str(c) in own else fmt.header(str(c), lang)
            while h in headers:
                h += "′"
            headers.append(h)
        flagged.columns = headers
        return flagged


def reason_text(code: str, lang: str = "zh") -> str:
    """Bilingual text of a reason code."""
    _, zh, en = REASONS[code]
    return en if lang == "en" else zh

