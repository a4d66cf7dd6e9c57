"""Drawing of the 规划指标 (plan indicators) page; the figures come from atlas.indicators."""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st

from atlas import fmt
from atlas.i18n import t
from atlas.indicators import HOW, SECTIONS, Measurement
from ui.cards import md_escape


def target_text(row: Any, lang: str) -> str:
    """"≥ 200 家", "≈ 30 家", "(no figure)" for one target row."""
    unit = row.unit_en if lang == "en" else row.unit_zh
    if pd.isna(row.target_2027):
        return t("dash_no_figure", lang)
    value = f"{row.target_2027:,.4g}" if row.target_2027 < 1e4 else f"{row.target_2027:,.0f}"
    return f"{row.comparator} {value} {unit}".strip()


def targets_table(targets: pd.DataFrame, measured: dict[str, Measurement], tasks: dict[int, Any],
                  lang: str) -> pd.DataFrame:
    """One row per target, as people read it: where it is, what, 2027 value, now, how measured.

    Targets the atlas measures come first; the others keep the plan's order.
    """
    en = lang == "en"
    rows = []
    first = targets.assign(_none=[measured[i].how == "none" for i in targets.id])
    for r in first.sort_values("_none", kind="stable").itertuples():
        m = measured[r.id]
        where = (f"{t('dash_task', lang)} {r.task}" if r.task else SECTIONS[r.section][en])
        unit = r.unit_en if en else r.unit_zh
        rows.append({
            t("dash_col_where", lang): where,
            t("dash_col_indicator", lang): r.indicator_en if en else r.indicator_zh,
            t("dash_col_target", lang): target_text(r, lang),
            t("dash_col_baseline", lang): "—" if pd.isna(r.baseline) else f"{r.baseline:,.0f} {unit}",
            t("dash_col_now", lang): m.text(unit if m.how == "count" else "%", lang)
            if m.how != "none" else "—",
            t("dash_col_how", lang): HOW[m.how][en],
            t("dash_col_detail", lang): m.detail(lang),
            t("dash_col_quote", lang): r.quote,
        })
    return pd.DataFrame(rows)


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


def show_districts(table: pd.DataFrame, lang: str) -> None:
    """Sortable district table with in-cell bars, then small multiples of the same indicators."""
    cols = [c for c in ("population", "kepu_sites", "kepu_per_100k", "galleries", "hightech_parks",
                        "poles", "labs_universities", "pct_estimate", "pct_upper") if c in table]
    shown = table[["district", *cols]].copy()
    if "population" in shown:
        shown["population"] = shown.population.map(fmt.round_people)
    cfg: dict[str, Any] = {"district": st.column_config.TextColumn(fmt.header("district", lang))}
    for c in cols:
        top = float(pd.to_numeric(shown[c], errors="coerce").max() or 1.0)
        pct = c.startswith("pct_")
        cfg[c] = st.column_config.ProgressColumn(
            t(f"dash_ind_{c}", lang), min_value=0.0, max_value=max(top, 1e-9),
            format="%.1f %%" if pct else ("%,.0f" if c == "population" else
                                          ("%.2f" if c == "kepu_per_100k" else "%d")))
    st.dataframe(shown, hide_index=True, width="stretch", column_config=cfg, key="dash_districts")
    _small_multiples(shown, cols, lang)


def _small_multiples(shown: pd.DataFrame, cols: list[str], lang: str) -> None:
    import altair as alt

    long = shown.melt(id_vars="district", value_vars=cols, var_name="indicator", value_name="value")
    long["indicator"] = long.indicator.map(lambda c: t(f"dash_ind_{c}", lang))
    long["value"] = pd.to_numeric(long.value, errors="coerce")
    chart = alt.Chart(long).mark_bar(color="#0072B2").encode(
        x=alt.X("value:Q", title=None),
        y=alt.Y("district:N", sort="-x", title=None),
        tooltip=["district", "indicator", alt.Tooltip("value:Q", format=",.2f")],
    ).properties(width=210, height=220).facet(
        facet=alt.Facet("indicator:N", title=None), columns=4,
    ).resolve_scale(x="independent", y="independent")
    st.altair_chart(chart, width="content")


def show_tasks(features: pd.DataFrame, targets: pd.DataFrame, lang: str) -> None:
    """Every task: its features on the map (a link) or a plain statement that it has none."""
    per_task = targets[targets.task > 0].groupby("task").size()
    for r in features.itertuples():
        n_t = int(per_task.get(r.task, 0))
        head = f"**{r.task}. {md_escape(r.title_zh)}** · {t('lead_unit', lang)}: {md_escape(r.lead_unit)}"
        head += f" · {t('dash_n_targets', lang, n=n_t)}"
        if r.placed:
            body = f"[{t('dash_on_map', lang, n=r.placed)} →](/?task={r.task})"
            if r.unplaced:
                body += f" · {t('dash_unplaced', lang, n=r.unplaced)}"
        elif r.unplaced:
            body = t("dash_only_unplaced", lang, n=r.unplaced)
        else:
            body = t("no_features_for_task", lang)
        st.markdown(f"{head}  \n{body}")


@st.cache_data(show_spinner=False, ttl=3600)
def coverage_figures() -> tuple[dict[str, Any] | None, pd.DataFrame | None]:
    """The 15-minute coverage by every 科普 point (bases and galleries): city row, district table.

    From the single coverage-summary function; offline the figures are bounds.
    """
    from atlas.coverage_summary import coverage_summary
    from atlas.demand import proxy_demand
    from atlas.geodata import load_districts, load_population
    from atlas.supply import supply_sites

    demand = proxy_demand(load_districts(), load_population())
    s = coverage_summary(demand, supply_sites("both"), network=None, supply="both")
    return dict(s.city()), s.by_district()
