"""The import page's steps (pages/5_导入_Import.py), one function each.

Reading and checking run in a worker process with a time and memory budget (atlas.guard), so a
hostile file costs the server nothing beyond its budget. What reading detected (delimiter,
header row, title rows, merged cells, layers) is shown; an ambiguous column mapping must be
confirmed; the datum is the planner's explicit choice, with what the column names suggest beside
it, and is checked against every reference available; the page says when no check was possible.

A step that still needs an answer (a layer, a confirmation, the datum) or that failed stops the
page run (``st.stop()``), as the page did before it was split into steps.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import streamlit as st

from atlas import fmt
from atlas.data.geodata import CATEGORIES
from atlas.errors import AtlasError
from atlas.geo.datum import DATUMS, datum_label
from atlas.geo.datumcheck import datum_report
from atlas.guard import run_guarded
from atlas.i18n import t
from atlas.importing import (
    GUESS,
    ROLES,
    ImportResult,
    category_counts,
    datum_from_headers,
    guess_mapping,
    read_table,
    shape_kinds,
    to_sites,
    validate,
)
from atlas.io.downloads import csv_bytes
from atlas.readers import DELIMITER_NAMES, LayerChoiceError, ReadInfo
from atlas.userlayers import save_user_layer
from ui import auth, common
from ui.cards import md_escape
from ui.tables import show_table

ENCODINGS = {"utf-8": "UTF-8", "utf-8-sig": "UTF-8 (BOM)", "utf-16": "UTF-16", "gb18030": "GBK/GB18030"}
#: What the uploader offers: a .shp alone is taken too, to say that a Shapefile's parts go in a zip.
FILE_TYPES = ["csv", "txt", "xlsx", "geojson", "json", "gpkg", "zip", "shp"]


def _pick(pair: tuple[str, str], lang: str) -> str:
    """The Chinese or English half of a bilingual note."""
    return pair[1] if lang == "en" else pair[0]


# --- reading --------------------------------------------------------------------------------

def uploader(lang: str) -> Any:
    """The file input; the uploaded file, or None."""
    return st.file_uploader(t("imp_upload", lang), type=FILE_TYPES, key="imp_file",
                            help=t("imp_upload_help", lang))


def read(up: Any, lang: str) -> tuple[pd.DataFrame, str]:
    """Read the upload (asking which layer or sheet when it must) and say what reading found.

    Returns the table and the file key (:func:`file_key`) of the per-file widgets.
    """
    data = up.getvalue()
    digest = hashlib.sha256(data).hexdigest()
    layer_key = f"imp_layer_{digest[:12]}"
    try:
        df = read_upload(data, up.name, st.session_state.get(layer_key), digest)
    except LayerChoiceError as exc:  # the message names the file's layers: escaped
        st.warning(md_escape(exc.message(lang)))
        pick_layer(exc.options, layer_key, read=None, lang=lang)
        st.stop()
    except AtlasError as exc:
        st.error(md_escape(exc.message(lang)))
        if options := st.session_state.get(f"{layer_key}_options"):  # another sheet can be chosen
            pick_layer(options, layer_key, read=st.session_state.get(layer_key), lang=lang)
        st.stop()
    show_read_info(df, up.name, lang)
    info = df.attrs["read_info"]
    if len(info.layers) > 1 or len(info.sheets) > 1:
        options = info.layers if len(info.layers) > 1 else info.sheets
        st.session_state[f"{layer_key}_options"] = options
        pick_layer(options, layer_key, read=info.layer if len(info.layers) > 1 else info.sheet, lang=lang)
    return df, file_key(digest, info)


def read_upload(data: bytes, name: str, layer: str | None, digest: str) -> pd.DataFrame:
    """Read once per (file, layer) and keep the table in the session (reruns are free)."""
    key = (digest, name, layer)
    cache = st.session_state.setdefault("imp_tables", {})
    if key not in cache:
        cache.clear()
        cache[key] = run_guarded(read_table, data, name, layer=layer, step=("读取文件", "reading"))
    return cache[key]


def file_key(digest: str, info: ReadInfo) -> str:
    """The suffix of the per-file widget keys: the file and the layer or sheet read.

    The answers given for one file -- the column mapping and its confirmation, the datum,
    shapes, category, error radius and layer name -- are widgets keyed by it: another file starts
    afresh, so an earlier file's tick, datum or layer name never carries over (clearing a
    widget's state does not reset what the browser shows; a new key does).
    """
    return hashlib.sha256(f"{digest}|{info.layer or info.sheet}".encode()).hexdigest()[:12]


def show_read_info(df: pd.DataFrame, name: str, lang: str) -> None:
    """What reading found: format, encoding, delimiter, header row and bilingual notes."""
    info = df.attrs["read_info"]
    parts = [t("imp_n_rows", lang, n=f"{len(df):,}"), md_escape(name),
             "Shapefile" if info.format == "shapefile" else info.format.upper()]
    if info.encoding:
        parts.append(ENCODINGS.get(info.encoding, info.encoding))
    if info.delimiter:
        parts.append(f"{t('imp_delimiter', lang)}: {_pick(DELIMITER_NAMES[info.delimiter], lang)}")
    if info.format in ("csv", "txt", "xlsx", "xlsm"):
        parts.append(t("imp_header_row", lang, row=info.header_row))
    st.caption(f"{t('imp_read_as', lang)}: " + " · ".join(parts))
    for note in dict.fromkeys(info.notes):  # the same note once
        st.info(md_escape(_pick(note, lang)))


def pick_layer(options: list[str], key: str, *, read: str | None, lang: str) -> None:
    """Layer/sheet choice (one widget per file); a change re-reads the file on the next run.

    ``read`` is the layer or sheet that was read; with none read yet (the file asks which one),
    nothing is preselected, so that picking the first option is a choice that reads it too.
    """
    st.selectbox(t("imp_layer_pick", lang), options, key=key, placeholder=t("imp_layer_pick", lang),
                 index=options.index(read) if read in options else None)


# --- the planner's answers ------------------------------------------------------------------

def mapping_widgets(df: pd.DataFrame, fk: str, lang: str) -> dict[str, str | None]:
    """One selectbox per role, preset with the guess; asks for confirmation when it is ambiguous."""
    guess = guess_mapping(df)
    st.subheader(t("imp_mapping", lang))
    options = ["", *[c for c in df.columns if not str(c).startswith("_")]]
    mapping: dict[str, str | None] = {}
    for c, role in zip(st.columns(len(ROLES)), ROLES, strict=True):
        g = guess.mapping.get(role)
        pick = c.selectbox(t(f"imp_role_{role}", lang), options,
                           index=options.index(g) if g in options else 0, key=f"imp_map_{role}_{fk}",
                           format_func=lambda o: o or t("imp_none", lang))
        mapping[role] = pick or None
    if guess.needs_confirmation:
        notes = " ".join(_pick(n, lang) for n in guess.notes)
        st.warning(md_escape(t("imp_confirm_needed", lang) + notes))
        if not st.checkbox(t("imp_confirm", lang), key=f"imp_confirm_{fk}"):
            st.stop()
    else:
        for note in guess.notes:
            st.info(md_escape(_pick(note, lang)))
    return mapping


def answers(mapping: dict[str, str | None], fk: str, lang: str) -> tuple[str, str, float]:
    """The datum (asked explicitly, stops until given), default category and error radius.

    What the coordinate columns' names say about the datum is shown beside the choice, as a
    suggestion: nothing is preselected.
    """
    a, b, c = st.columns(3)
    datum = a.radio(t("imp_datum", lang), DATUMS, index=None, key=f"imp_datum_{fk}",
                    format_func=lambda d: datum_label(d, lang))
    if hint := datum_from_headers([mapping.get("lon"), mapping.get("lat")]):
        a.info(t("imp_datum_hint", lang, datum=datum_label(hint, lang)))
    default_cat = category_choice(b, has_column=bool(mapping.get("category")), fk=fk, lang=lang)
    err_m = c.number_input(t("imp_error_m", lang), 1.0, 5000.0, 50.0, key=f"imp_err_{fk}")
    if datum is None:
        st.info(t("imp_datum", lang))
        st.stop()
    return str(datum), str(default_cat), float(err_m)


def category_choice(box: Any, *, has_column: bool, fk: str, lang: str) -> str:
    """The category of rows without one.

    For a file without a category column the names are read
    (:func:`atlas.importing.guess_categories`) unless the planner picks one category: never a
    silent 科普场馆 for every row (a list of galleries is not a list of venues).
    """
    options = [GUESS, *CATEGORIES] if not has_column else list(CATEGORIES)
    return str(box.selectbox(t("imp_cat_none" if not has_column else "imp_default_cat", lang), options,
        index=0 if not has_column else options.index("kepu_site"), key=f"imp_cat_{fk}",
        format_func=lambda k: t("imp_cat_guess", lang) if k == GUESS else CATEGORIES[k][lang == "en"]))


def show_guessed_categories(result: ImportResult, lang: str) -> None:
    """The categories read from the names, by count, for the planner to confirm (or change)."""
    counts = category_counts(result.table.category_code.to_numpy())
    parts = [f"{CATEGORIES[k][lang == 'en'] if k else t('imp_cat_unknown', lang)} {fmt.count(n, lang)}"
             for k, n in counts.items()]
    st.info(t("imp_cat_guessed", lang, counts=" · ".join(parts)))


# --- checking -------------------------------------------------------------------------------

def check(df: pd.DataFrame, mapping: dict[str, str | None], *, datum: str, default_cat: str,
          fk: str, lang: str) -> ImportResult:
    """Check the rows (in the worker) once per file and answers; stops the page on a refusal."""
    key = (fk, tuple(mapping.items()), datum, default_cat)
    cache = st.session_state.setdefault("imp_results", {})
    if key not in cache:
        cache.clear()
        try:
            cache[key] = run_guarded(validate, df, mapping, datum=datum, districts=common.districts(),
                                     default_category=default_cat, step=("检查", "checking"))
        except AtlasError as exc:
            st.error(exc.message(lang))
            st.stop()
    return cache[key]


def show_check(result: ImportResult, fk: str, lang: str) -> str:
    """Counts, datum checks, the shapes choice, the rows and the problem report.

    Returns how lines and polygons are kept (``"point"`` or ``"keep"``).
    """
    st.subheader(t("imp_check", lang))
    counts = result.counts()
    for col, status in zip(st.columns(3), ("ok", "unplaced", "error"), strict=True):
        col.metric(fmt.method_label(status, lang), fmt.count(counts.get(status, 0), lang))
    if not result.mapping.get("category") and st.session_state.get(f"imp_cat_{fk}") == GUESS:
        show_guessed_categories(result, lang)
    show_datum_checks(result, lang)
    shapes = shapes_choice(result, fk, lang)
    show_table(result.display_table(lang), lang, key="imp_rows")
    st.download_button(t("imp_report", lang), csv_bytes(result.error_report(lang)),
                       "import_problems.csv", "text/csv")
    return shapes


def coordinates_headline(result: ImportResult, lang: str) -> bool:
    """Say it first when every row's coordinates are swapped or in metres (True if so).

    No datum can be checked then, and the fix is in the file (swap the columns, convert the
    projected coordinates), not in the datum choice.
    """
    reasons = result.table.reasons
    with_coords = reasons.map(lambda rs: "no_coordinates" not in rs)
    total = int(with_coords.sum())
    for code, key in (("swapped_lonlat", "imp_all_swapped"), ("projected_metres", "imp_all_metres")):
        n = int((with_coords & reasons.map(lambda rs, c=code: c in rs)).sum())
        if total and n == total:
            st.error(t(key, lang, n=fmt.count(n, lang), total=fmt.count(total, lang)))
            return True
    return False


def show_datum_checks(result: ImportResult, lang: str) -> None:
    """Every datum check that applied; a warning when another datum fits clearly better."""
    st.session_state[f"imp_suggested_{result.datum}"] = None
    if coordinates_headline(result, lang):
        return
    district = result.table.district_found.replace("", np.nan).dropna()
    net = common.cached_network_for(str(district.mode().iloc[0])) if len(district) else None
    report = datum_report(result, sites=common.sites(), districts=common.districts(), net=net)
    st.session_state[f"imp_suggested_{result.datum}"] = report.suggest
    verdict = report.verdict  # the conclusion is made from the evidence listed under it
    lines = "\n".join(f"- {md_escape(c.message(lang))}" for c in report.checks if c.method != "none")
    show = {"ok": st.success, "warn": st.warning, "unknown": st.info}[verdict.level]
    show(md_escape(verdict.message(lang)) + ("\n\n" + lines if lines else ""))


def shapes_choice(result: ImportResult, fk: str, lang: str) -> str:
    """How lines and polygons are kept: as representative points or as shapes."""
    kinds = {k for k, v in shape_kinds(result).items() if v and k in ("line", "polygon", "point", "other")}
    if not kinds & {"line", "polygon", "other"}:
        return "point"
    if len(kinds) > 1:
        st.info(t("imp_shapes_mixed", lang))
        return "point"
    return str(st.radio(t("imp_shapes", lang), ["point", "keep"], key=f"imp_shapes_{fk}",
                        horizontal=True,
                        format_func=lambda k: t(f"imp_shapes_{k}", lang)))


# --- saving ---------------------------------------------------------------------------------

def save(result: ImportResult, filename: str, fk: str, *, datum: str, err_m: float, shapes: str,
         lang: str) -> None:
    """The layer name and the save button: the valid rows become a new version of the layer."""
    name = st.text_input(t("imp_layer_name", lang), value=Path(filename).stem, key=f"imp_name_{fk}")
    confirmed = True
    if best := st.session_state.get(f"imp_suggested_{datum}"):  # the check says another datum fits
        confirmed = st.checkbox(t("imp_keep_datum", lang, chosen=datum_label(datum, lang),
                                  best=datum_label(best, lang)), key=f"imp_keep_datum_{fk}_{datum}")
    if st.button(t("imp_save", lang), key="imp_save_btn", disabled=result.ok.empty or not confirmed):
        try:
            user = auth.editor_name()
            saved = save_user_layer(name, to_sites(result, layer_name=name, est_error_m=err_m,
                                                   shapes=shapes),
                                    note=f"{filename}; datum {datum}", user=user)
            st.success(saved_text(saved.n, lang))
        except AtlasError as exc:
            st.error(exc.message(lang))


def saved_text(version: int, lang: str) -> str:
    """What a save says: a new layer (version 1) or a new version with the earlier ones kept."""
    return t("imp_saved_first" if version == 1 else "imp_saved", lang) + f"v{version}"
