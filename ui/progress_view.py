"""The Indicators page's progress section: trajectory, on-track, recording, files (atlas.plan.progress)."""

from __future__ import annotations

import math
from collections.abc import Callable
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from atlas.errors import AtlasError
from atlas.guard import run_guarded
from atlas.i18n import t
from atlas.io.downloads import values_downloads
from atlas.plan import progress
from atlas.plan.indicators import Measurement
from ui.cards import md_escape

#: Colours of the trajectory's marks (Okabe-Ito, as atlas/palette.py).
KIND_COLOURS = {"baseline": "#666666", "recorded": "#0072B2", "imported": "#56B4E9",
                "measured": "#009E73", "target": "#D55E00", "projection": "#E69F00"}
STATUS_BOX = {"on_track": st.success, "behind": st.warning}


def num(v: float | None) -> str:
    """A value as people read it: thousands separated, at most 4 significant digits below 1,000."""
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    return f"{v:,.0f}" if abs(v) >= 1000 else f"{v:,.4g}"


def value_text(low: Any, value: Any, high: Any, unit: str, lang: str = "zh") -> str:
    """"150 家", "0–61.7 %（约 27.5）", "≥ 11 名" for one point."""
    lo, v, hi = (float(x) if x is not None and pd.notna(x) else math.nan for x in (low, value, high))
    if math.isnan(lo) and math.isnan(hi):
        body = num(v)
    elif math.isnan(hi):
        body = f"≥ {num(lo)}"
    elif math.isnan(lo):
        body = f"≤ {num(hi)}"
    else:
        body = f"{num(lo)}–{num(hi)}"
        if not math.isnan(v):
            about = f"{v:,.3g}" if abs(v) < 1000 else num(v)
            return f"{body} {unit} (about {about})" if lang == "en" else f"{body} {unit}（约 {about}）"
    return f"{body} {unit}".strip()


def target_label(r: Any, lang: str) -> str:
    """"T23a · 各类科普基地" for the picker."""
    return f"{r['id']} · {r['indicator_en'] if lang == 'en' else r['indicator_zh']}"


def baseline_text(r: Any, lang: str) -> str:
    """The plan's baseline with its year, or a plain "not in the plan"."""
    if not r.baseline_year:
        return t("prog_not_in_plan", lang)
    unit = r.unit_en if lang == "en" else r.unit_zh
    return f"{value_text(r.baseline_low, r.baseline, r.baseline_high, unit, lang)} ({r.baseline_year})"


def status_columns(targets: pd.DataFrame, values: pd.DataFrame, lang: str) -> dict[str, tuple[str, str]]:
    """Per target id: (latest recorded value with its year, progress status) for the targets table."""
    cur = progress.current_values(values)
    city = cur[cur.district == progress.CITY] if not cur.empty else cur
    out = {}
    for r in targets.to_dict("records"):
        traj = progress.trajectory(r, city)
        seen = traj[~traj.kind.isin(["target", "baseline"])]
        unit = r["unit_en"] if lang == "en" else r["unit_zh"]
        last = seen.iloc[-1] if not seen.empty else None
        latest = "—" if last is None else (
            f"{value_text(last.low, last.value, last.high, unit, lang)} ({last.year})")
        out[str(r["id"])] = (latest, t(f"prog_status_{progress.assess(r, traj).status}", lang))
    return out


def trajectory_chart(traj: pd.DataFrame, verdict: progress.Assessment, lang: str) -> Any:
    """One chart: ranges as bars with the value marked, points by kind, the target, the projection."""
    import altair as alt

    df = traj.assign(label=[t(f"prog_kind_{k}", lang) for k in traj.kind])
    kinds = [k for k in KIND_COLOURS if k in set(traj.kind)]
    if verdict.years and (verdict.projected is not None or verdict.projected_low is not None):
        kinds.append("projection")
    colour = alt.Color("label:N", title=None, legend=alt.Legend(orient="bottom", labelLimit=320),
                       scale=alt.Scale(domain=[t(f"prog_kind_{k}", lang) for k in kinds],
                                       range=[KIND_COLOURS[k] for k in kinds]))
    lo_year = int(min([*traj.year, progress.TARGET_YEAR])) - 1
    x = alt.X("year:Q", title=t("prog_year", lang), axis=alt.Axis(format="d", tickMinStep=1),
              scale=alt.Scale(domain=[lo_year, progress.TARGET_YEAR + 1]))
    tips = [alt.Tooltip("year:Q", title=t("prog_year", lang), format="d"),
            alt.Tooltip("value:Q", title=t("prog_value", lang), format=",.4~g"),
            alt.Tooltip("label:N", title=t("prog_col_kind", lang))]
    range_tips = [*tips[:1], alt.Tooltip("low:Q", title=t("prog_low_short", lang), format=",.4~g"),
                  alt.Tooltip("high:Q", title=t("prog_high_short", lang), format=",.4~g"), tips[2]]
    ranges = df[df.low.notna() & df.high.notna()]
    layers = [alt.Chart(ranges).mark_bar(size=14, opacity=0.35).encode(
        x=x, y=alt.Y("low:Q", title=t("prog_value", lang)), y2="high:Q", color=colour, tooltip=range_tips)]
    one_sided = df[df.low.notna() ^ df.high.notna()].assign(edge=lambda d: d.low.fillna(d.high))
    if not one_sided.empty:  # a bound alone ("≥ 11"): a triangle at the bound
        layers.append(alt.Chart(one_sided).mark_point(shape="triangle-up", size=90, filled=True).encode(
            x=x, y="edge:Q", color=colour, tooltip=range_tips))
    points = df[df.value.notna()]
    layers.append(alt.Chart(points).mark_point(filled=True, size=110).encode(
        x=x, y=alt.Y("value:Q", title=t("prog_value", lang)), color=colour, tooltip=tips))
    layers += _projection_layers(df, verdict, x, colour, lang)
    return alt.layer(*layers).properties(height=320)


def _projection_layers(df: pd.DataFrame, verdict: progress.Assessment, x: Any, colour: Any,
                       lang: str) -> list[Any]:
    """Dashed lines from the last two years' points to their 2027 projection."""
    import altair as alt

    if not verdict.years:
        return []
    y0, y1 = verdict.years
    seen = df[(df.kind != "target") & df.year.isin([y0, y1])].groupby("year").tail(1)
    label = t("prog_kind_projection", lang)
    lines = []
    for col, end in (("value", verdict.projected), ("low", verdict.projected_low),
                     ("high", verdict.projected_high)):
        src = seen[col] if col != "value" else seen.value
        if end is None or src.isna().any():
            continue
        pts = pd.DataFrame({"year": [y0, y1, progress.TARGET_YEAR],
                            "v": [*src.astype(float), float(end)], "label": label, "line": col})
        lines.append(alt.Chart(pts).mark_line(strokeDash=[6, 4]).encode(
            x=x, y="v:Q", color=colour, detail="line:N"))
    return lines


def trajectory_text(traj: pd.DataFrame, target: Any, lang: str) -> str:
    """The trajectory's points in words: "2023 基期值（规划原文）0 家 · 2025 记录值 150 家 · 2027 ..."."""
    unit = target["unit_en"] if lang == "en" else target["unit_zh"]
    parts = []
    for r in traj.itertuples():
        value = (f"{target['comparator']} {num(r.value)} {unit}".strip() if r.kind == "target"
                 else value_text(r.low, r.value, r.high, unit, lang))
        year = "" if r.kind == "target" else f"{r.year} "  # "2027 年目标" names its year
        parts.append(f"{year}{t(f'prog_kind_{r.kind}', lang)} {value}")
    return " · ".join(parts)


def verdict_box(target: Any, verdict: progress.Assessment, n_years: int, lang: str) -> None:
    """The plain status with the numbers it rests on, and the rule that made it."""
    unit = target["unit_en"] if lang == "en" else target["unit_zh"]
    goal = f"{target['comparator']} {num(target['target_2027'])} {unit}".strip()
    status = verdict.status
    if status in ("on_track", "behind") and verdict.projected_low is None:
        text = t(f"prog_explain_{status}", lang, y0=verdict.years[0] if verdict.years else "",
                 y1=verdict.years[1] if verdict.years else "", p=f"{num(verdict.projected)} {unit}".strip(),
                 goal=goal)
    elif verdict.projected_low is not None and verdict.years:
        text = t("prog_explain_range", lang, y0=verdict.years[0], y1=verdict.years[1],
                 lo=num(verdict.projected_low), hi=f"{num(verdict.projected_high)} {unit}".strip(), goal=goal)
    else:
        text = t(f"prog_explain_{status}", lang, n=n_years)
    box = STATUS_BOX.get(status, st.info)
    box(f"**{t(f'prog_status_{status}', lang)}** · {md_escape(text)}")
    st.caption(t("prog_rule", lang))


def history_table(values: pd.DataFrame, target_id: str, districts: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Every saved row of one target, newest first, as people read it."""
    mine = values[values.target_id == target_id].sort_values("row_id", ascending=False)
    en = lang == "en"
    names = dict(zip(districts.name_zh, districts.get("name_en", districts.name_zh), strict=True))
    return pd.DataFrame({
        t("prog_year", lang): mine.year.astype(str),
        t("prog_district", lang): [t("prog_city", lang) if d == "" else (names.get(d, d) if en else d)
                                   for d in mine.district],
        t("prog_value", lang): [value_text(a, b, c, "", lang)
                                for a, b, c in zip(mine.low, mine.value, mine.high, strict=True)],
        t("prog_source", lang): mine.source.to_numpy(),
        t("prog_date", lang): mine.observed_on.to_numpy(),
        t("prog_col_kind", lang): [t(f"prog_kind_{k}", lang) for k in mine.kind],
        t("prog_col_version", lang): mine.version.to_numpy(),
        t("prog_col_by", lang): mine.saved_by.fillna("").to_numpy(),
        t("prog_col_saved", lang): mine.saved_at.to_numpy(),
    })


def district_values_chart(cur: pd.DataFrame, districts: pd.DataFrame, lang: str, unit: str = "") -> Any:
    """One year's per-district values: range bars with the value marked (largest first, no data last)."""
    import altair as alt

    names = dict(zip(districts.name_zh, districts.get("name_en", districts.name_zh), strict=True))
    df = cur.assign(name=[names.get(d, d) if lang == "en" else d for d in cur.district])
    df = df.assign(mid=df.value.fillna((df.low + df.high) / 2)).sort_values(
        "mid", ascending=False, na_position="last")
    y = alt.Y("name:N", sort=df.name.tolist(), title=None, axis=alt.Axis(labelLimit=140))
    x_title = t("prog_value", lang) + (f" ({unit})" if lang == "en" else f"（{unit}）") if unit else t(
        "prog_value", lang)
    tips = [alt.Tooltip("name:N", title=t("prog_district", lang)),
            alt.Tooltip("value:Q", title=t("prog_value", lang), format=",.4~g"),
            alt.Tooltip("low:Q", title=t("prog_low_short", lang), format=",.4~g"),
            alt.Tooltip("high:Q", title=t("prog_high_short", lang), format=",.4~g")]
    layers = []
    ranged = df[df.low.notna() & df.high.notna()]
    if not ranged.empty:
        layers.append(alt.Chart(ranged).mark_bar(color="#0072B2", opacity=0.35, size=14).encode(
            x=alt.X("low:Q", title=x_title), x2="high:Q", y=y, tooltip=tips))
    valued = df[df.value.notna()]
    layers.append(alt.Chart(valued).mark_tick(color="#0072B2", thickness=3, size=18).encode(
        x=alt.X("value:Q", title=x_title), y=y, tooltip=tips))
    missing = df[df.value.isna() & (df.low.isna() | df.high.isna())]
    if not missing.empty:  # no data: said in grey, never a bar of 0
        layers.append(alt.Chart(missing.assign(text=t("dash_no_data", lang))).mark_text(
            align="left", baseline="middle", color="#888888", fontStyle="italic").encode(
            x=alt.datum(0), y=y, text="text:N"))
    return alt.layer(*layers).properties(height=alt.Step(24))


def saver(targets: pd.DataFrame, districts: pd.DataFrame, editor_name: Callable[[], str]
          ) -> Callable[..., int]:
    """``save(rows, kind=...)``: validate and save rows as a new version in the editor's name."""
    def save(rows: list[dict[str, Any]], *, kind: str) -> int:
        return progress.save_values(rows, targets=targets, districts=districts, kind=kind,
                                    user=editor_name())
    return save


def district_coverage(by_district: pd.DataFrame | None) -> pd.DataFrame | None:
    """The coverage summary's district table as ``district``, ``pct_lower/estimate/upper``."""
    if by_district is None or by_district.empty:
        return None
    return by_district.rename(columns={"zone": "district"})


def district_counts(sites: pd.DataFrame, targets: pd.DataFrame) -> dict[str, dict[str, float]]:
    """Per-district counts of the 科普 bases the atlas lists, under the target that counts them."""
    ids = targets.id[targets.measure == "kepu_bases_listed"].tolist()
    kepu = sites[(sites.category == "kepu_site") & sites.district.astype(bool)]
    counts = {str(d): float(n) for d, n in kepu.groupby("district").size().items()}
    return {str(i): counts for i in ids}


def record_form(target_id: str, districts: pd.DataFrame, targets: pd.DataFrame, lang: str, *,
                save: Callable[..., int]) -> None:
    """A form for one value of the chosen target; a bad entry says why and saves nothing."""
    target = targets.set_index("id").loc[target_id].to_dict() | {"id": target_id}
    with st.form(f"prog_form_{target['id']}", clear_on_submit=False):
        st.markdown(f"**{t('prog_record', lang)}** · {md_escape(target_label(target, lang))}")
        c = st.columns(3)
        year = c[0].number_input(t("prog_year", lang), min_value=progress.FIRST_YEAR,
                                 max_value=progress.LAST_YEAR, value=date.today().year - 1, step=1,
                                 key="prog_year")
        options = ["", *districts.name_zh.tolist()]
        names = dict(zip(districts.name_zh, districts.get("name_en", districts.name_zh), strict=True))
        district = c[1].selectbox(t("prog_district", lang), options, key=f"prog_district_{lang}",
                                  format_func=lambda d: t("prog_city", lang) if d == "" else
                                  (names.get(d, d) if lang == "en" else d))
        value = c[2].text_input(t("prog_value", lang), key="prog_value")
        c = st.columns(3)
        low = c[0].text_input(t("prog_low", lang), key="prog_low")
        high = c[1].text_input(t("prog_high", lang), key="prog_high")
        seen = c[2].date_input(t("prog_date", lang), value=date.today(), max_value=date.today(),
                               key="prog_date", format="YYYY-MM-DD")
        source = st.text_input(t("prog_source", lang), key="prog_source", max_chars=300)
        note = st.text_input(t("prog_note", lang), key="prog_note", max_chars=300)
        if not st.form_submit_button(t("prog_save", lang)):
            return
    row = {"target_id": target["id"], "year": year, "district": district, "value": value, "low": low,
           "high": high, "source": source, "observed_on": str(seen), "note": note}
    try:
        version = save([row], kind="recorded")
    except AtlasError as exc:
        st.error(exc.message(lang))
        return
    st.session_state["prog_flash"] = t("prog_saved", lang, v=version)
    st.rerun()


def measure_now(measured: dict[str, Measurement], lang: str, *, save: Callable[..., int],
                district_coverage: pd.DataFrame | None, district_counts: dict[str, dict[str, float]]) -> None:
    """A button that records what the atlas measures now, dated today (never saved on page view)."""
    n = sum(m.how != "none" for m in measured.values())
    today = date.today()
    st.caption(t("prog_measure_help", lang, n=n, day=today.isoformat()))
    if st.button(t("prog_measure_button", lang), key="prog_measure"):
        rows = progress.measured_rows(measured, on=today, district_coverage=district_coverage,
                                      district_counts=district_counts)
        try:
            version = save(rows, kind="measured")
        except AtlasError as exc:
            st.error(exc.message(lang))
            return
        st.session_state["prog_flash"] = t("prog_saved", lang, v=version)
        st.rerun()


def files_panel(values: pd.DataFrame, targets: pd.DataFrame, districts: pd.DataFrame, lang: str, *,
                can_edit: bool, save: Callable[..., int]) -> None:
    """Export the current values as CSV/XLSX (briefing tables); import a file (all rows or none)."""
    st.caption(t("prog_files_help", lang))
    files = values_downloads(values, targets, districts, lang)
    for col, d in zip(st.columns(len(files)), files, strict=True):
        col.download_button(d.label, d.make, d.file_name, d.mime, key=f"prog_dl_{d.file_name}")
    if not can_edit:
        return
    upload = st.file_uploader(t("prog_import_file", lang), type=["csv", "xlsx"], key="prog_upload")
    if upload is not None and st.button(t("prog_import_button", lang), key="prog_import"):
        try:
            rows = run_guarded(progress.read_values_file, bytes(upload.getbuffer()), upload.name,
                               step=("导入记录值", "importing values"))
            version = save(rows, kind="imported")
        except AtlasError as exc:
            st.error(exc.message(lang))
            return
        st.session_state["prog_flash"] = t("prog_imported", lang, n=len(rows), v=version)
        st.rerun()


def show_progress(targets: pd.DataFrame, values: pd.DataFrame, districts: pd.DataFrame, lang: str) -> None:
    """The chosen target's trajectory, verdict, per-district values, history and record form."""
    st.caption(t("prog_intro", lang))
    if flash := st.session_state.pop("prog_flash", None):
        st.success(flash)
    records = targets.to_dict("records")
    by_id = {str(r["id"]): r for r in records}
    measured_first = sorted(by_id, key=lambda i: by_id[i]["measure"] == "none")
    # the widget's key carries the language: a keyed selectbox keeps showing its old label when
    # only format_func changes; the choice itself lives on under "prog_target"
    current = st.session_state.get("prog_target")
    chosen = st.selectbox(t("prog_pick", lang), measured_first, key=f"prog_target_{lang}",
                          index=measured_first.index(current) if current in by_id else 0,
                          format_func=lambda i: target_label(by_id[i], lang))
    st.session_state["prog_target"] = str(chosen)
    target = by_id[str(chosen)]
    cur = progress.current_values(values)
    traj = progress.trajectory(target, cur)
    verdict = progress.assess(target, traj)
    st.altair_chart(trajectory_chart(traj, verdict, lang), width="stretch")
    st.caption(md_escape(trajectory_text(traj, target, lang)))
    n_years = traj[traj.kind != "target"].pipe(lambda d: d[d.value.notna() | (d.low.notna() & d.high.notna())]
                                               ).year.nunique()
    verdict_box(target, verdict, int(n_years), lang)
    mine = cur[(cur.target_id == target["id"]) & (cur.district != progress.CITY)] if not cur.empty else cur
    if not mine.empty:
        year = int(mine.year.max())
        st.markdown(f"**{t('prog_districts', lang, year=year)}**")
        unit = str(target["unit_en"] if lang == "en" else target["unit_zh"])
        chart = district_values_chart(mine[mine.year == year], districts, lang, unit)
        st.altair_chart(chart, width="stretch")
    mine_all = values[values.target_id == target["id"]] if not values.empty else values
    with st.expander(t("prog_history", lang), expanded=False):
        if mine_all.empty:
            st.caption(t("prog_no_history", lang))
        else:
            st.dataframe(history_table(mine_all, str(target["id"]), districts, lang), hide_index=True,
                         width="stretch", key="prog_history_table")
