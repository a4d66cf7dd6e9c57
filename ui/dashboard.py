"""Drawing of the 规划指标 (plan indicators) page; the figures come from atlas.plan.indicators."""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from atlas import fmt
from atlas.data.names import task_title, unit_name
from atlas.i18n import t
from atlas.plan.indicators import HOW, SECTIONS, Measurement
from ui import common
from ui.cards import md_escape


def target_text(row: Any, lang: str) -> str:
    """"≥ 200 家", "≈ 30 家", "(no figure)" for one target row."""
    unit = row.unit_en if lang == "en" else row.unit_zh
    if pd.isna(row.target_2027):
        return t("dash_no_figure", lang)
    value = f"{row.target_2027:,.4g}" if row.target_2027 < 1e4 else f"{row.target_2027:,.0f}"
    return f"{row.comparator} {value} {unit}".strip()


def targets_table(targets: pd.DataFrame, measured: dict[str, Measurement], tasks: dict[int, Any],
                  lang: str, progress_cols: dict[str, tuple[str, str]] | None = None) -> pd.DataFrame:
    """One row per target, as people read it: the answer first, all in view at 1280 px.

    What, the 2027 value, the latest, the progress and the atlas's value come first, then the
    baseline and where the plan sets it.

    ``progress_cols`` (:func:`ui.progress_view.status_columns`) gives the latest recorded value
    and the progress status; then the value the atlas measures now and how.

    Targets the atlas measures come first; the others keep the plan's order.
    """
    from ui.progress_view import baseline_text

    en = lang == "en"
    rows = []
    first = targets.assign(_none=[measured[i].how == "none" for i in targets.id])
    for r in first.sort_values("_none", kind="stable").itertuples():
        m = measured[r.id]
        where = (f"{t('dash_task', lang)} {r.task}" if r.task else SECTIONS[r.section][en])
        unit = r.unit_en if en else r.unit_zh
        rows.append({
            t("dash_col_indicator", lang): r.indicator_en if en else r.indicator_zh,
            t("dash_col_target", lang): target_text(r, lang),
            **({t("prog_col_latest", lang): progress_cols[r.id][0],
                t("prog_col_status", lang): progress_cols[r.id][1]} if progress_cols else {}),
            t("dash_col_now", lang): m.text(unit if m.how == "count" else "%", lang)
            if m.how != "none" else "—",
            t("dash_col_baseline", lang): baseline_text(r, lang),
            t("dash_col_where", lang): where,
            t("dash_col_how", lang): HOW[m.how][en],
            t("dash_col_detail", lang): m.detail(lang),
            **({} if en else {t("dash_col_quote", lang): r.quote}),  # the plan's words are Chinese
        })
    return pd.DataFrame(rows)


def show_targets(table: pd.DataFrame, targets: pd.DataFrame, measured: dict[str, Measurement],
                 lang: str) -> None:
    """The targets table, then every measured target's explanation in full (cells truncate long text)."""
    wide = {t(k, lang): st.column_config.TextColumn(t(k, lang), width="large")
            for k in ("dash_col_detail", "dash_col_quote")}
    wide[t("dash_col_indicator", lang)] = st.column_config.TextColumn(t("dash_col_indicator", lang),
                                                                      width="medium")
    st.dataframe(table, hide_index=True, width="stretch", key="dash_targets", column_config=wide)
    en = lang == "en"
    lines = []
    for r in targets.itertuples():
        m = measured[r.id]
        if m.how != "none" and m.detail(lang):
            unit = r.unit_en if en else r.unit_zh
            now = m.text(unit if m.how == "count" else "%", lang)
            name = md_escape(r.indicator_en if en else r.indicator_zh)
            lines.append(f"- **{name}** · {md_escape(now)}{': ' if en else '：'}{md_escape(m.detail(lang))}")
    if lines:
        st.markdown(f"**{t('dash_details', lang)}**  \n" + "\n".join(lines))


def show_summary(targets: pd.DataFrame, measured: dict[str, Measurement], features: pd.DataFrame,
                 lang: str) -> None:
    """Headline counts: targets extracted, measured, not measurable; tasks without features."""
    n_meas = sum(m.how != "none" for m in measured.values())
    none = int(((features.placed + features.unplaced) == 0).sum())
    c = st.columns(4)
    c[0].metric(t("dash_targets", lang), len(targets))
    c[1].metric(t("dash_measured", lang), n_meas)
    c[2].metric(t("dash_not_measurable", lang), len(targets) - n_meas)
    c[3].metric(t("dash_tasks_without", lang), f"{none} / {len(features)}")


#: District-table indicators, in the order shown (those present in the table).
DISTRICT_COLUMNS = ("population", "kepu_sites", "kepu_per_100k", "galleries", "hightech_parks", "poles",
                    "labs_universities", "pct_estimate", "pct_upper")

#: Small multiples per row: three fit the content column at 1440 px with labels.
CHARTS_PER_ROW = 3


def district_table(table: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The district comparison as shown: names in ``lang``, people rounded, a note where data is missing."""
    cols = [c for c in DISTRICT_COLUMNS if c in table]
    shown = table[["district", *cols]].copy()
    if lang == "en" and "district_en" in table:
        shown["district"] = table.district_en.to_numpy()
    if "population" in shown:
        shown["population"] = shown.population.map(fmt.round_people)
    if "note" in table and table.note.astype(bool).any():
        shown["note"] = table.note.to_numpy()
    return shown


#: District-table column widths (px) where the short header needs more than Streamlit's "small".
WIDTHS = {"kepu_per_100k": 92, "hightech_parks": 100, "poles": 80}


def coverage_range(estimate: Any, upper: Any, lang: str) -> str:
    """Coverage as one range: the estimate, then the bound: "≈ 27.7 % (≤ 61.3 %)", "约 27.7 %（≤ 61.3 %）"."""
    if fmt._missing(upper):
        return t("dash_no_data", lang)
    if lang == "en":
        return ("" if fmt._missing(estimate) else f"≈ {fmt.pct(estimate)} ") + f"(≤ {fmt.pct(upper)})"
    return ("" if fmt._missing(estimate) else f"约 {fmt.pct(estimate)}") + f"（≤ {fmt.pct(upper)}）"


def show_districts(table: pd.DataFrame, lang: str) -> None:
    """Sortable district table with in-cell bars, then small multiples of the same indicators.

    A district whose data is missing shows no bar and says so (never a 0 that ranks it last).
    """
    shown = district_table(table, lang)
    if {"pct_estimate", "pct_upper"} <= set(shown):  # estimate and bound as one range, answer first
        shown.insert(1, "coverage", [coverage_range(e, u, lang) for e, u in zip(
            shown.pop("pct_estimate"), shown.pop("pct_upper"), strict=True)])
    cols = [c for c in DISTRICT_COLUMNS if c in shown]
    cfg: dict[str, Any] = {
        "district": st.column_config.TextColumn(fmt.header("district", lang), width="small"),
        "coverage": st.column_config.TextColumn(t("dash_short_coverage", lang), width=140,
                                                help=t("dash_ind_coverage", lang))}
    for c in cols:  # short headers, the full name as their tooltip: the table fits at 1280 px
        top = float(pd.to_numeric(shown[c], errors="coerce").max() or 1.0)
        cfg[c] = st.column_config.ProgressColumn(
            t(f"dash_short_{c}", lang), help=t(f"dash_ind_{c}", lang), min_value=0.0, width=WIDTHS.get(c, 75),
            max_value=max(top, 1e-9), format="%,.0f" if c == "population" else
            ("%.2f" if c == "kepu_per_100k" else "%d"))
    st.dataframe(shown.drop(columns="note", errors="ignore"), hide_index=True, width="stretch",
                 column_config=cfg, key="dash_districts", placeholder=t("dash_no_data", lang))
    if "note" in shown:  # notes under the table, where they are read (a column would not fit)
        sep = ": " if lang == "en" else "："
        st.caption("  \n".join(f"**{md_escape(d)}**{sep}{md_escape(n)}"
                               for d, n in zip(shown.district, shown.note, strict=True) if n))
    charts = [c for c in chart_columns(shown, cols) if not c.startswith("pct_")]
    if "pct_upper" in table and pd.to_numeric(table.pct_upper, errors="coerce").notna().any():
        st.altair_chart(coverage_range_chart(table, lang), width="stretch")
        st.caption(t("prog_range_note", lang))
    for start in range(0, len(charts), CHARTS_PER_ROW):
        row = st.columns(CHARTS_PER_ROW)
        for slot, c in zip(row, charts[start:start + CHARTS_PER_ROW], strict=False):
            with slot:
                st.altair_chart(district_chart(shown, c, lang), width="stretch")


def coverage_range_chart(table: pd.DataFrame, lang: str) -> Any:
    """The districts' 15-minute coverage as one range each: lower to upper bound, the estimate marked.

    Districts without data are listed last with a grey "no data" label, never a bar of 0.
    """
    from ui.progress_view import district_values_chart

    cols = {"low": "pct_lower", "value": "pct_estimate", "high": "pct_upper"}
    df = pd.DataFrame({"district": table.district.to_numpy(),
                       **{k: pd.to_numeric(table[c], errors="coerce").to_numpy() if c in table else np.nan
                          for k, c in cols.items()}})
    df["low"] = df.low.where(df.low.notna() | df.high.isna(), 0.0)  # "at most x %": the range is 0–x
    districts = table.rename(columns={"district": "name_zh", "district_en": "name_en"})
    chart = district_values_chart(df, districts, lang, "%")
    return chart.properties(title=t("prog_range_title", lang))


def chart_columns(shown: pd.DataFrame, cols: list[str]) -> list[str]:
    """Indicators worth a chart: those where the districts differ (one value everywhere says nothing)."""
    return [c for c in cols if pd.to_numeric(shown[c], errors="coerce").dropna().nunique() > 1]


def district_chart(shown: pd.DataFrame, col: str, lang: str) -> Any:
    """One indicator across districts: bars, largest first; missing data as a grey "no data" line last."""
    import altair as alt

    df = pd.DataFrame({"district": shown.district.astype(str).to_numpy(),
                       "value": pd.to_numeric(shown[col], errors="coerce").to_numpy()})
    missing = df.value.isna()
    ranked = df[~missing].sort_values("value", ascending=False, kind="stable")
    order = [*ranked.district, *df[missing].district]
    y = alt.Y("district:N", sort=order, title=None, axis=alt.Axis(labelOverlap=False, labelLimit=120))
    whole = col not in ("population", "kepu_per_100k") and not col.startswith("pct_")
    x_axis = alt.Axis(tickMinStep=1, format="d") if whole else alt.Axis()
    bars = alt.Chart(df[~missing]).mark_bar(color="#0072B2").encode(
        x=alt.X("value:Q", title=None, axis=x_axis), y=y,
        tooltip=[alt.Tooltip("district:N", title=fmt.header("district", lang)),
                 alt.Tooltip("value:Q", title=t(f"dash_ind_{col}", lang), format=",.2f")])
    layers = [bars]
    if missing.any():
        layers.append(alt.Chart(df[missing].assign(text=t("dash_no_data", lang))).mark_text(
            align="left", baseline="middle", color="#888888", fontStyle="italic").encode(
            x=alt.datum(0), y=y, text="text:N"))
    return alt.layer(*layers).properties(title=t(f"dash_ind_{col}", lang), height=alt.Step(22))


def counted(key: str, lang: str, n: int) -> str:
    """A counted phrase: the singular wording (``<key>_one``) for 1 where the language has one."""
    from atlas.i18n import counted as phrase

    return phrase(key, lang, n)


def show_tasks(features: pd.DataFrame, targets: pd.DataFrame, lang: str) -> None:
    """Every task: its features on the map (a link) or a plain statement that it has none."""
    per_task = targets[targets.task > 0].groupby("task").size()
    for r in features.itertuples():
        n_t = int(per_task.get(r.task, 0))
        title, lead = task_title(r._asdict(), lang), unit_name(r.lead_unit, lang)
        head = f"**{r.task}. {md_escape(title)}** · {t('lead_unit', lang)}: {md_escape(lead)}"
        head += f" · {counted('dash_n_targets', lang, n_t)}"
        if r.placed:  # a link that opens the map in this tab, zoomed to the task's features
            st.markdown(head)
            common.task_map_link(r.task, counted("dash_on_map", lang, r.placed))
            if r.unplaced:
                st.caption(counted("dash_unplaced", lang, r.unplaced))
            continue
        if r.unplaced:
            body = counted("dash_only_unplaced", lang, r.unplaced)
        else:
            body = t("no_features_for_task", lang)
        st.markdown(f"{head}  \n{body}")


@st.cache_data(show_spinner=False, ttl=3600)
def galleries_missing() -> tuple[str, ...]:
    """Districts the gallery source lists no row for (from its provenance record)."""
    from atlas.analysis.supply import districts_without_data

    return tuple(districts_without_data("galleries"))


@st.cache_data(show_spinner=False, ttl=3600)
def coverage_figures(added: tuple[tuple[float, float], ...] = ()
                     ) -> tuple[dict[str, Any] | None, pd.DataFrame | None]:
    """The 15-minute coverage by every 科普 point (bases and galleries): city row, district table.

    From the single coverage-summary function; offline the figures are bounds. The city row's
    ``note``/``note_en`` name the districts left out for want of supply data. ``added`` are a
    chosen scenario's hypothetical sites (lon, lat), none for the plan's state
    (:mod:`ui.scenario_choice`).
    """
    from atlas.analysis.demand import proxy_demand
    from atlas.analysis.supply import supply_sites
    from atlas.coverage.summary import coverage_summary
    from atlas.data.geodata import load_districts, load_population

    demand = proxy_demand(load_districts(), load_population())
    s = coverage_summary(demand, supply_sites("both"), network=None, supply="both")
    if added:
        import geopandas as gpd

        lon, lat = zip(*added, strict=True)
        s = s.with_added_sites(gpd.GeoDataFrame(geometry=gpd.points_from_xy(lon, lat), crs="EPSG:4326"))
    return {**dict(s.city()), "note_en": s.city(lang="en").note}, s.by_district()
