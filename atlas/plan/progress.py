"""Progress against the plan: values of its targets observed year by year, and the trajectory to 2027.

Planners record what a target stood at in a year (value, source, the date it was published or
measured; and who, once there are users): one row per target, year and district (``""`` for the
whole city). Every save is a numbered version in the user store (:mod:`atlas.store`, table
``atlas_target_values``); nothing is overwritten: a later row for the same target, year and
district is the current one, the earlier ones stay in the history. Values the atlas measures
itself (:func:`measured_rows`) are saved the same way, with the date they were measured, by an
explicit action (never as a side effect of looking at a page).

:func:`validate_rows` checks rows as typed or imported (CSV/XLSX through :mod:`atlas.readers`,
:func:`read_values_file`) and gives every bad row its reasons in Chinese and English; a save
with any bad row saves nothing. :func:`trajectory` and :func:`assess` give the trajectory and a
plain "on track / behind" (defined in :func:`assess`).
"""

from __future__ import annotations

import io
import math
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from atlas import store
from atlas.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Iterable, Mapping

    from atlas.plan.indicators import Measurement

#: The plan's horizon.
TARGET_YEAR = 2027
#: Years a value may be recorded for.
FIRST_YEAR, LAST_YEAR = 2015, 2035

#: ``kind`` of a row: typed on the page, imported from a file, measured by the atlas.
KINDS = ("recorded", "imported", "measured")

TABLE = store.Table("atlas_target_values", (
    ("version", "integer"), ("target_id", "text"), ("year", "integer"), ("district", "text"),
    ("value", "real"), ("low", "real"), ("high", "real"), ("source", "text"),
    ("observed_on", "text"), ("note", "text"), ("kind", "text"), ("saved_by", "text"),
    ("saved_at", "text")), "Observed values of the plan's targets, every version kept")

#: Headers (zh, en) of a values file and of its export; an import accepts either, or the key.
HEADERS: dict[str, tuple[str, str]] = {
    "target_id": ("指标编号", "Target ID"), "year": ("年份", "Year"), "district": ("区县", "District"),
    "value": ("数值", "Value"), "low": ("下限", "Low"), "high": ("上限", "High"),
    "source": ("来源", "Source"), "observed_on": ("日期", "Date"), "note": ("备注", "Note"),
    "indicator": ("指标", "Indicator"), "unit": ("单位", "Unit"), "kind": ("方式", "How recorded"),
    "saved_by": ("保存人", "Saved by"), "saved_at": ("保存时间", "Saved at"), "version": ("版本", "Version"),
}
#: Columns of a values file (CSV/XLSX), with the Chinese header each may also have.
FILE_COLUMNS: dict[str, str] = {k: HEADERS[k][0] for k in (
    "target_id", "year", "district", "value", "low", "high", "source", "observed_on", "note")}
#: Extra columns of an export (ignored on import).
EXPORT_EXTRA: dict[str, str] = {k: v[0] for k, v in HEADERS.items() if k not in FILE_COLUMNS}
CITY = ""  # district of a whole-city value
CITY_NAMES = ("", "全市", "宁波市", "city", "whole city", "ningbo")

#: At most this many rows per import (a values file is small: 68 targets x years x districts).
MAX_ROWS = 5000
MAX_BYTES = 5_000_000


# --- validation --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Problem:
    """Why a row cannot be saved (its 1-based row number in the file or form)."""

    row: int
    zh: str
    en: str

    def text(self, lang: str = "zh") -> str:
        """The reason in ``lang``."""
        return self.en if lang == "en" else self.zh


def _number(v: Any) -> float | None:
    """A number from a cell ("1,234", " 5 ", 3.0); None for an empty cell; NaN for text."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return None
    text = str(v).strip().replace(",", "").replace("，", "")
    if not text:
        return None
    try:
        return float(text.rstrip("%"))
    except ValueError:
        return math.nan


def _district(v: Any, districts: Mapping[str, str]) -> str | None:
    """The district's Chinese name ("" for the city) from a zh/en name; None if unknown."""
    text = "" if v is None or (isinstance(v, float) and math.isnan(v)) else str(v).strip()
    if text.lower() in CITY_NAMES:
        return CITY
    return districts.get(text.lower())


def _date(v: Any) -> date | None:
    try:
        return date.fromisoformat(str(v).strip()[:10])
    except ValueError:
        return None


def _check_value(r: Mapping[str, Any], unit: str) -> list[tuple[str, str]]:
    """Reasons a row's value and bounds are not acceptable for a target in ``unit``."""
    out: list[tuple[str, str]] = []
    nums = {k: _number(r.get(k)) for k in ("value", "low", "high")}
    if all(v is None for v in nums.values()):
        return [("缺少数值", "no value")]
    for k, v in nums.items():
        if v is not None and not math.isfinite(v):
            out.append((f"{FILE_COLUMNS[k]}不是数字：{str(r.get(k))[:20]}", f"{k} is not a number: "
                        f"{str(r.get(k))[:20]}"))
    if out:
        return out
    given = [v for v in nums.values() if v is not None]
    if unit != "%/年" and min(given) < 0:
        out.append(("数值不能为负", "a value cannot be negative"))
    if unit == "%" and max(given) > 100:
        out.append(("比例不能超过 100%", "a share cannot exceed 100 %"))
    lo, v, hi = nums["low"], nums["value"], nums["high"]
    if (lo is not None and hi is not None and lo > hi) or (v is not None and (
            (lo is not None and v < lo) or (hi is not None and v > hi))):
        out.append(("应满足 下限 ≤ 数值 ≤ 上限", "expected low ≤ value ≤ high"))
    return out


def _check_row(r: Mapping[str, Any], targets: pd.DataFrame, districts: Mapping[str, str],
               today: date) -> tuple[dict[str, Any] | None, list[tuple[str, str]]]:
    """One row normalised for saving, or the reasons it cannot be saved."""
    why: list[tuple[str, str]] = []
    typed = str(r.get("target_id") or "").strip()
    tid = {str(i).lower(): str(i) for i in targets.index}.get(typed.lower(), typed)
    if tid not in targets.index:
        why.append((f"未知的指标编号：{tid[:20] or '（空）'}", f"unknown target id: {tid[:20] or '(empty)'}"))
    year = _number(r.get("year"))
    if year is None or not math.isfinite(year) or year != int(year) or not FIRST_YEAR <= year <= LAST_YEAR:
        why.append((f"年份应为 {FIRST_YEAR}–{LAST_YEAR} 的整数",
                    f"year must be a whole year {FIRST_YEAR}–{LAST_YEAR}"))
    district = _district(r.get("district"), districts)
    if district is None:
        name = str(r.get("district"))[:20]
        why.append((f"未知的区县：{name}", f"unknown district: {name}"))
    source = str(r.get("source") or "").strip()
    if not source:
        why.append(("缺少来源（出处）", "no source given"))
    seen = _date(r.get("observed_on"))
    if seen is None:
        why.append(("日期应为 YYYY-MM-DD", "date must be YYYY-MM-DD"))
    elif seen > today:
        why.append(("日期在将来", "the date is in the future"))
    elif year is not None and math.isfinite(year) and seen.year < year:
        why.append(("日期早于数值所属年份", "the date is before the year the value is for"))
    if tid in targets.index:
        why += _check_value(r, str(targets.at[tid, "unit_zh"]))
    if why:
        return None, why
    return {"target_id": tid, "year": int(year or 0), "district": district,
            **{k: _number(r.get(k)) for k in ("value", "low", "high")},
            "source": source[:300], "observed_on": str(seen),
            "note": str(r.get("note") or "").strip()[:300]}, []


def validate_rows(rows: Iterable[Mapping[str, Any]], *, targets: pd.DataFrame, districts: pd.DataFrame,
                  today: date | None = None) -> tuple[list[dict[str, Any]], list[Problem]]:
    """Rows ready to save, and every bad row's reasons (zh/en), numbered from 1.

    Parameters
    ----------
    rows : iterable of mappings
        ``target_id``, ``year``, ``district`` (zh or en name; empty or 全市 for the city),
        ``value`` and/or ``low``/``high``, ``source``, ``observed_on`` (YYYY-MM-DD), ``note``.
    targets : pandas.DataFrame
        :func:`atlas.plan.indicators.load_targets`.
    districts : pandas.DataFrame
        The districts (``name_zh``, ``name_en``).
    today : datetime.date, optional
        What "in the future" is measured from (default today).

    """
    names = {str(n).lower(): str(z) for z, e in zip(districts.name_zh, districts.get(
        "name_en", districts.name_zh), strict=True) for n in (z, e)}
    by_id = targets.set_index("id")
    good, bad = [], []
    for i, r in enumerate(rows, start=1):
        row, why = _check_row(r, by_id, names, today or date.today())
        if row is None:
            bad += [Problem(i, zh, en) for zh, en in why]
        else:
            good.append(row)
    return good, bad


def refusal(problems: list[Problem], *, rows_label: tuple[str, str] = ("行", "row")) -> ValidationError:
    """One error naming the first bad rows and their reasons (nothing was saved)."""
    first = problems[:8]
    more = len({p.row for p in problems}) - len({p.row for p in first})
    zh = "；".join(f"第 {p.row} {rows_label[0]}：{p.zh}" for p in first)
    en = "; ".join(f"{rows_label[1]} {p.row}: {p.en}" for p in first)
    if more > 0:
        zh, en = f"{zh}；另有 {more} 行", f"{en}; {more} more rows"
    n = len({p.row for p in problems})
    return ValidationError(f"{n} 行有问题，未保存任何数据。{zh}",
                           f"{n} row(s) have problems; nothing was saved. {en}")


# --- the store ---------------------------------------------------------------------------------


def save_values(rows: Iterable[Mapping[str, Any]], *, targets: pd.DataFrame, districts: pd.DataFrame,
                kind: str = "recorded", user: str = "", folder: Path | None = None,
                today: date | None = None) -> int:
    """Validate and save rows as one new version; returns the version number.

    All or nothing: if any row is bad, :class:`atlas.errors.ValidationError` names the rows and
    reasons and nothing is saved; a failure while writing rolls back (:func:`atlas.store.transaction`).
    ``user`` is recorded as ``saved_by``; the caller checks the user's role first.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}")
    good, bad = validate_rows(rows, targets=targets, districts=districts, today=today)
    if bad:
        raise refusal(bad)
    if not good:
        raise ValidationError("没有可保存的数值", "No values to save")
    with store.transaction(folder) as conn:
        version = int(store.max_value(conn, TABLE, "version") or 0) + 1
        stamp = store.now_utc()
        store.insert_rows(conn, TABLE, [{**r, "version": version, "kind": kind,
                                         "saved_by": str(user)[:200], "saved_at": stamp} for r in good])
    return version


def load_values(*, folder: Path | None = None) -> pd.DataFrame:
    """Every saved row (all versions), oldest first; empty with the table's columns if none."""
    with store.reading(folder) as conn:
        rows = store.select_rows(conn, TABLE)
    cols = ["row_id", *TABLE.column_names]
    df = pd.DataFrame(rows, columns=cols)
    for c in ("value", "low", "high"):
        df[c] = pd.to_numeric(df[c], errors="coerce").astype(float)
    df["year"] = pd.to_numeric(df.year, errors="coerce").astype("Int64")
    df["district"] = df.district.fillna("")
    return df


def current_values(history: pd.DataFrame) -> pd.DataFrame:
    """The current value per target, year and district: the row saved last."""
    if history.empty:
        return history
    last = history.sort_values("row_id").groupby(["target_id", "year", "district"], sort=False).tail(1)
    return last.sort_values(["target_id", "district", "year"]).reset_index(drop=True)


# --- trajectory and on-track ----------------------------------------------------------------------


@dataclass(frozen=True)
class Assessment:
    """Where a target is heading: ``status`` and the 2027 projection(s) it rests on.

    ``status``: ``on_track``, ``behind``, ``uncertain`` (a range whose ends project to both
    sides of the target), ``not_enough_data`` (fewer than two years with a value) or
    ``no_target`` (the plan gives no figure).
    """

    status: str
    projected: float | None = None
    projected_low: float | None = None
    projected_high: float | None = None
    years: tuple[int, int] | None = None


def trajectory(target: Mapping[str, Any], values: pd.DataFrame, *, district: str = CITY) -> pd.DataFrame:
    """The target's points in time: baseline, each year's current value, the 2027 target.

    Returns
    -------
    pandas.DataFrame
        year, value, low, high, kind (``baseline``, a row kind of :data:`KINDS`, ``target``),
        source, observed_on. Bounds without a value keep value NaN (a range, not a number).

    """
    rows: list[dict[str, Any]] = []
    base = [_num(target.get(k)) for k in ("baseline", "baseline_low", "baseline_high")]
    if district == CITY and any(not math.isnan(v) for v in base) and target.get("baseline_year"):
        rows.append({"year": int(target["baseline_year"]), "value": base[0], "low": base[1],
                     "high": base[2], "kind": "baseline", "source": "plan", "observed_on": ""})
    if not values.empty:
        mine = current_values(values)
        mine = mine[(mine.target_id == target["id"]) & (mine.district == district)]
        rows += [{"year": int(r.year), "value": r.value, "low": r.low, "high": r.high, "kind": r.kind,
                  "source": r.source, "observed_on": r.observed_on} for r in mine.itertuples()]
    goal = target.get("target_2027")
    if goal is not None and pd.notna(goal):
        rows.append({"year": TARGET_YEAR, "value": float(goal), "low": np.nan, "high": np.nan,
                     "kind": "target", "source": "", "observed_on": ""})
    cols = ["year", "value", "low", "high", "kind", "source", "observed_on"]
    return pd.DataFrame(rows, columns=cols)


def _num(v: Any) -> float:
    return float(v) if v is not None and pd.notna(v) else math.nan


def _meets(x: float, goal: float, comparator: str) -> bool:
    """Whether ``x`` meets the target: at least it, or at most it for a rank (``≤``)."""
    return x <= goal if comparator == "≤" else x >= goal


def _project(p0: tuple[int, float], p1: tuple[int, float]) -> float:
    (y0, v0), (y1, v1) = p0, p1
    return v1 + (v1 - v0) / (y1 - y0) * (TARGET_YEAR - y1)


def assess(target: Mapping[str, Any], points: pd.DataFrame) -> Assessment:
    """On track or behind, from the last two years with a value (baseline included).

    Definition: take the two latest years that have a value (an observed year's current value,
    or the baseline), draw the straight line through them and extend it to 2027; the target is
    *on track* if that projection meets the 2027 figure (reaches it, or stays at or under it for
    a rank ``≤``) and *behind* if not. A year known only as a range (bounds, no single value) is
    projected from its low ends and from its high ends: when they fall on both sides of the
    target the answer is *uncertain*. Fewer than two years: *not enough data*. No 2027 figure:
    *no target*. It is a straight-line reading of two points, not a forecast.
    """
    goal = target.get("target_2027")
    if goal is None or pd.isna(goal):
        return Assessment("no_target")
    if points.empty:
        return Assessment("not_enough_data")
    seen = points[points.kind != "target"].copy()
    seen = seen[seen.value.notna() | (seen.low.notna() & seen.high.notna())].sort_values("year")
    seen = seen.groupby("year").tail(1)
    if len(seen) < 2:
        return Assessment("not_enough_data")
    a, b = seen.iloc[-2], seen.iloc[-1]
    years = (int(a.year), int(b.year))
    comp = str(target.get("comparator") or "≥")

    def ends(r: Any, side: str) -> float:
        return float(r[side]) if pd.notna(r[side]) else float(r.value)

    if pd.notna(a.value) and pd.notna(b.value) and not (pd.notna(b.low) or pd.notna(a.low)):
        p = _project((years[0], float(a.value)), (years[1], float(b.value)))
        return Assessment("on_track" if _meets(p, float(goal), comp) else "behind", projected=p, years=years)
    lo = _project((years[0], ends(a, "low")), (years[1], ends(b, "low")))
    hi = _project((years[0], ends(a, "high")), (years[1], ends(b, "high")))
    mid = (_project((years[0], float(a.value)), (years[1], float(b.value)))
           if pd.notna(a.value) and pd.notna(b.value) else None)
    ok_lo, ok_hi = _meets(lo, float(goal), comp), _meets(hi, float(goal), comp)
    status = "on_track" if ok_lo and ok_hi else ("behind" if not (ok_lo or ok_hi) else "uncertain")
    return Assessment(status, projected=mid, projected_low=lo, projected_high=hi, years=years)


# --- measured by the atlas ------------------------------------------------------------------------


def measured_rows(measured: Mapping[str, Measurement], *, on: date,
                  district_coverage: pd.DataFrame | None = None,
                  district_counts: Mapping[str, Mapping[str, float]] | None = None) -> list[dict[str, Any]]:
    """Rows for what the atlas measures now, dated ``on`` (for :func:`save_values` kind ``measured``).

    Parameters
    ----------
    measured : mapping
        Target id -> :class:`atlas.plan.indicators.Measurement` (``how == "none"`` are skipped).
    on : datetime.date
        The date of the measurement (its year is the row's year).
    district_coverage : pandas.DataFrame, optional
        Per-district coverage bounds (``district``, ``pct_lower``, ``pct_estimate``, ``pct_upper``)
        recorded under the coverage target's id.
    district_counts : mapping, optional
        Target id -> {district: count}: per-district counts (e.g. 科普 bases listed).

    """
    rows = []
    for tid, m in measured.items():
        if m.how == "none":
            continue
        # a bound or a range (poles: verified..listed; 科普 bases: at least the listed) is saved as
        # such, never as a value; an estimate inside bounds is kept, labelled by its bounds
        value = m.estimate if m.estimate is not None else (
            m.value if m.low is None and m.high is None else None)
        share = m.how in ("network", "straight-line-bounds")  # a share: 0 % is a true lower bound
        low = 0.0 if share and m.high is not None and (m.low is None or math.isnan(m.low)) else m.low
        rows.append({"target_id": tid, "year": on.year, "district": CITY, "value": value,
                     "low": low, "high": m.high, "source": f"atlas:{m.how}",
                     "observed_on": on.isoformat(), "note": m.detail_zh[:300]})
        if district_coverage is not None and m.how in ("network", "straight-line-bounds"):
            for r in district_coverage.to_dict("records"):
                lo, est, hi = (_num(r.get(k)) for k in ("pct_lower", "pct_estimate", "pct_upper"))
                if not math.isnan(hi):
                    rows.append({"target_id": tid, "year": on.year, "district": str(r["district"]),
                                 "value": None if math.isnan(est) else est,
                                 "low": 0.0 if math.isnan(lo) else lo, "high": hi,
                                 "source": f"atlas:{m.how}", "observed_on": on.isoformat(), "note": ""})
    for tid, counts in (district_counts or {}).items():
        rows += [{"target_id": tid, "year": on.year, "district": d, "value": float(n), "low": None,
                  "high": None, "source": "atlas:count", "observed_on": on.isoformat(), "note": ""}
                 for d, n in counts.items()]
    return rows


# --- files ---------------------------------------------------------------------------------------


def export_table(values: pd.DataFrame, targets: pd.DataFrame, districts: pd.DataFrame,
                 lang: str = "zh") -> pd.DataFrame:
    """The current values for people and for re-import, in ``lang``, with program column names.

    Indicator, unit, district (全市 / Whole city for the city) and how each value was recorded are
    in ``lang``; :func:`atlas.io.downloads.values_downloads` gives the headers (:data:`HEADERS`) and
    rounds the numbers; :func:`read_values_file` reads either language back.
    """
    from atlas.i18n import t

    cur = current_values(values)
    by_id = targets.set_index("id")
    en = lang == "en"
    out = pd.DataFrame({k: cur[k] for k in FILE_COLUMNS}) if not cur.empty else pd.DataFrame(
        columns=list(FILE_COLUMNS))
    names = dict(zip(districts.name_zh, districts.get("name_en", districts.name_zh), strict=True))
    out["district"] = [t("prog_city", lang) if d == CITY else (names.get(d, d) if en else d)
                       for d in out.district]
    for col, field in (("indicator", "indicator"), ("unit", "unit")):
        out[col] = out.target_id.map(by_id[f"{field}_{'en' if en else 'zh'}"].astype(str)).fillna("")
    out["kind"] = [t(f"prog_kind_{k}", lang) for k in cur.kind] if not cur.empty else []
    for k in ("saved_by", "saved_at", "version"):
        out[k] = cur[k].to_numpy() if not cur.empty else []
    return out


def to_xlsx(table: pd.DataFrame) -> bytes:
    """An XLSX file of ``table`` (one sheet); text that would read as a formula is kept as text.

    openpyxl writes a string starting with ``=`` as a formula: a recorded source such as
    ``=HYPERLINK(...)`` would run in the reader's spreadsheet, so every writer of this file
    neutralises it here, not only the callers that remember to.
    """
    from atlas.io.export import neutralise_formulas

    buf = io.BytesIO()
    with pd.ExcelWriter(buf, engine="openpyxl") as xl:
        neutralise_formulas(table).to_excel(xl, index=False, sheet_name="values")
    return buf.getvalue()


def _header_key(text: str) -> str | None:
    t = str(text).strip().lower()
    for key, (zh, en) in HEADERS.items():
        if t in (key, zh.lower(), en.lower(), key.replace("_", " ")):
            return key
    return None


def read_values_file(data: bytes, filename: str) -> list[dict[str, Any]]:
    """Rows of a values file (CSV or XLSX), read by the guarded readers (:mod:`atlas.readers`).

    Headers in English (``Target ID`` or ``target_id``, ``Year``...) or Chinese (指标编号, 年份...),
    as an export writes them (:data:`HEADERS`); title rows above them are skipped and an export's
    extra columns ignored. Raises :class:`atlas.errors.UploadError` for an unreadable or too large
    file and :class:`atlas.errors.ValidationError` when a needed column is missing.
    """
    from atlas import readers
    from atlas.errors import UploadError

    ext = Path(str(filename)).suffix.lower()
    if len(data) > MAX_BYTES:
        mb = f"{MAX_BYTES / 1e6:.0f} MB"
        raise UploadError(f"文件过大（上限 {mb}）", f"File too large (limit {mb})")
    limits = readers.Limits(max_bytes=MAX_BYTES, max_rows=MAX_ROWS)
    info = readers.ReadInfo(format=ext.lstrip("."))
    if ext in (".csv", ".txt"):
        text, info.encoding = readers.decode(data, limits=limits)
        info.delimiter = readers.sniff_delimiter(text)
        raw, numbers = readers.csv_rows(text, delimiter=info.delimiter, limits=limits)
    elif ext in (".xlsx", ".xlsm"):
        raw, numbers = readers.xlsx_rows(data, sheet=None, limits=limits, info=info)
    else:
        raise UploadError("只接受 CSV 或 XLSX 文件", "Only CSV or XLSX files are accepted")
    df = readers.table_from_rows(raw, numbers, info=info, limits=limits,
                                 is_header_cell=lambda c: _header_key(c) is not None)
    df = df.rename(columns={c: _header_key(c) or c for c in df.columns})
    missing = [k for k in ("target_id", "year", "source", "observed_on") if k not in df.columns]
    if missing or not {"value", "low", "high"} & set(df.columns):
        need = missing or ["value"]
        raise ValidationError("缺少列：" + "、".join(FILE_COLUMNS[k] for k in need),
                              "Missing columns: " + ", ".join(HEADERS[k][1] for k in need))
    return [{k: r.get(k) for k in FILE_COLUMNS} for r in df.to_dict("records")]
