"""Feature cards: one site's details, plan tasks, accuracy and its sources as citations."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from atlas import fmt
from atlas.data.geodata import CATEGORIES, POSITION_STATUS, parse_tasks
from atlas.data.names import display_name, district_name, task_title, unit_name, units_text
from atlas.i18n import field_label, t
from atlas.plan.citations import citations

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text: Any) -> str:
    """Escape Markdown so that untrusted text shows as text in st.markdown."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def citation_markdown(source: Any, lang: str = "zh") -> str:
    """A source cell as Markdown citations: escaped text, linked where a web address is known."""
    items = []
    for c in citations(source, lang):
        url = (c.url or "").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
        items.append(f"[{md_escape(c.text)}](<{url}>)" if url.startswith(("http://", "https://"))
                     else md_escape(c.text))
    return ("; " if lang == "en" else "；").join(items)


def site_card(row: Any, tasks: dict[int, dict[str, Any]], lang: str) -> None:
    """Render one site's card: names, not ids; sources as citations; notes the reader can read."""
    name = display_name(row, lang)
    st.markdown(f"#### {md_escape(name)}")
    cat = CATEGORIES.get(row["category"], (row["category"],) * 2)[lang == "en"]
    status = str(row["position_status"])
    status_text = POSITION_STATUS.get(status, (status, status))[lang == "en"]
    err = row["est_error_m"]
    err_text = f"±{err:,.0f} m" if err == err and err else "—"
    district = district_name(row["district"], lang) or "—"
    st.markdown(f"**{t('category', lang)}**: {md_escape(cat)} · **{t('district', lang)}**: "
                f"{md_escape(district)} · **{t('est_error', lang)}**: {err_text}")
    if status != "sourced":
        st.warning(f"{t('accuracy', lang)}: {status_text}")
    else:
        st.success(f"{t('accuracy', lang)}: {status_text}"
                   + (" ({})" if lang == "en" else "（{}）").format(
                       md_escape(fmt.position_method(row["position_method"], lang))))
    if not row["membership_verified"]:
        st.info(t("membership_unverified", lang))
    if row.get("district_check") == "mismatch":
        claimed = "/".join(district_name(x, lang) for x in str(row["district_claimed"]).split("/"))
        st.caption(f"{field_label('district_claimed', lang)}: {md_escape(claimed)}"
                   f" ≠ {md_escape(district_name(row['district'], lang))}")
    _tasks(row, tasks, lang)
    if row.get("level"):
        st.markdown(f"**{field_label('level', lang)}**: {md_escape(fmt.level_label(row['level'], lang))}")
    if row.get("address"):
        st.markdown(f"**{field_label('address', lang)}**: {md_escape(row['address'])}")
    cites = citation_markdown(row.get("source"), lang)
    if cites:
        st.markdown(f"**{field_label('source', lang)}**: {cites}")
    note = fmt.readable_note(row.get("note"), lang)
    if note:
        st.markdown(f"**{field_label('note', lang)}**")
        st.text(note)  # plain text: notes may come from a planner's upload


def _tasks(row: Any, tasks: dict[int, dict[str, Any]], lang: str) -> None:
    nums = parse_tasks(row["policy_tasks"])
    st.markdown(f"**{t('tasks', lang)}**")
    if not nums:
        st.caption(t("not_named", lang))
    for n in nums:
        task = tasks.get(n)
        if task is None:
            continue
        st.markdown(f"- **{n}. {md_escape(task_title(task, lang))}** — {t('lead_unit', lang)}: "
                    f"{md_escape(unit_name(task['lead_unit'], lang))}; {t('units', lang)}: "
                    f"{md_escape(units_text(task['units'], lang))}")
