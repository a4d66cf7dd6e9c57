"""Feature cards: one site's details, plan tasks, source and accuracy."""

from __future__ import annotations

import re
from typing import Any

import streamlit as st

from atlas.geodata import CATEGORIES, POSITION_STATUS, parse_tasks
from atlas.i18n import field_label, t

_MD_SPECIAL = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$])")


def md_escape(text: Any) -> str:
    """Escape Markdown so that untrusted text shows as text in st.markdown."""
    return _MD_SPECIAL.sub(r"\\\1", str(text))


def site_card(row: Any, tasks: dict[int, dict[str, Any]], lang: str) -> None:
    """Render one site's card."""
    name = row["name_en"] if lang == "en" and row["name_en"] else row["name_zh"]
    st.markdown(f"#### {md_escape(name)}")
    cat = CATEGORIES.get(row["category"], (row["category"],) * 2)[lang == "en"]
    status = str(row["position_status"])
    status_text = POSITION_STATUS.get(status, (status, status))[lang == "en"]
    err = row["est_error_m"]
    err_text = f"±{err:,.0f} m" if err == err and err else "—"
    st.markdown(f"**{t('category', lang)}**: {md_escape(cat)} · **{t('district', lang)}**: "
                f"{md_escape(row['district'] or '—')} · **{t('est_error', lang)}**: {err_text}")
    if status != "sourced":
        st.warning(f"{t('accuracy', lang)}: {status_text}")
    else:
        st.success(f"{t('accuracy', lang)}: {status_text} ({md_escape(row['position_method'])})")
    if not row["membership_verified"]:
        st.info(t("membership_unverified", lang))
    if row.get("district_check") == "mismatch":
        st.caption(f"{field_label('district_claimed', lang)}: {md_escape(row['district_claimed'])}"
                   f" ≠ {md_escape(row['district'])}")
    nums = parse_tasks(row["policy_tasks"])
    st.markdown(f"**{t('tasks', lang)}**")
    if not nums:
        st.caption(t("not_named", lang))
    for n in nums:
        task = tasks.get(n)
        if task is None:
            continue
        st.markdown(f"- **{n}. {md_escape(task['title_zh'])}** — {t('lead_unit', lang)}: "
                    f"{md_escape(task['lead_unit'])}; {t('units', lang)}: "
                    f"{md_escape('、'.join(task['units']))}")
    for col in ("level", "address", "source", "note"):
        if row.get(col):
            st.markdown(f"**{field_label(col, lang)}**")
            st.text(str(row[col]))  # plain text: sources hold URLs and untrusted notes
