"""The supply side of the 15-minute science service circle: which 科普 points are in play.

Two shipped layers hold 科普 points of different kinds: ``kepu_sites`` (科普 bases and venues:
museums, science centres, designated 科普教育基地) and ``kepu_galleries`` (1,183 community and
village 科普画廊, grassroots points). Coverage, siting, exports and the dashboard all take
their sites from :func:`supply_sites`, so "bases", "galleries" or "both" mean the same set
everywhere.

A source can be silent about a whole district: the 科普画廊 system lists no gallery for 奉化区
and 宁海县 (absence of data, not of galleries). The provenance record beside the layer's file
says so (``districts_without_rows``); :func:`districts_without_data` reads it and
:func:`supply_sites` passes it on (``attrs["districts_without_data"]``), so coverage figures show
those districts as "no data in source" instead of ranking them as the worst covered.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import TYPE_CHECKING

import geopandas as gpd
import numpy as np
import pandas as pd

from atlas import settings
from atlas.errors import ValidationError

if TYPE_CHECKING:
    from collections.abc import Mapping

#: Supply choices: the layers each one draws on, and bilingual labels.
SUPPLY_CHOICES: dict[str, tuple[tuple[str, ...], str, str]] = {
    "bases": (("kepu_sites",), "科普场馆/基地", "Science-popularisation bases and venues"),
    "galleries": (("kepu_galleries",), "科普画廊（社区/村）", "Community science galleries"),
    "both": (("kepu_sites", "kepu_galleries"), "场馆/基地 + 画廊", "Bases and venues + galleries"),
}

#: ``supply_kind`` of the rows each layer contributes.
KIND_OF_LAYER: dict[str, str] = {"kepu_sites": "base", "kepu_galleries": "gallery"}

SUPPLY_COLUMNS: tuple[str, ...] = ("id", "name_zh", "supply_kind", "layer", "district", "capacity",
                                   "capacity_source", "est_error_m")

#: What each supply layer holds, in words (zh, en), for notes about missing data.
LAYER_WORDS: dict[str, tuple[str, str]] = {
    "kepu_sites": ("科普场馆/基地", "science-popularisation bases and venues"),
    "kepu_galleries": ("科普画廊", "science galleries"),
}


def districts_without_data(choice: str = "both", *, geodata_dir: Path | None = None
                           ) -> dict[str, tuple[str, ...]]:
    """Districts where a layer of the supply choice has no row in its source.

    Read from the provenance record beside each layer's file (``districts_without_rows``; e.g.
    the 科普画廊 source lists none for 奉化区 and 宁海县). Coverage there is unknown: a point
    of another district's row that happens to lie there does not make the source cover it.

    Parameters
    ----------
    choice : {"bases", "galleries", "both"}
        The supply choice (:data:`SUPPLY_CHOICES`).
    geodata_dir : pathlib.Path, optional
        Where the layers' files are (default the shipped geodata/).

    Returns
    -------
    dict of str to tuple of str
        District name -> the layer ids silent about it (empty when every source covers all).

    """
    from atlas.data.catalogue import load_catalogue
    from atlas.data.provenance import read_provenance

    _check(choice)
    gdir = Path(geodata_dir) if geodata_dir is not None else settings.GEODATA_DIR
    sources = {lyr.id: lyr.source for lyr in load_catalogue()}
    out: dict[str, list[str]] = {}
    for lid in SUPPLY_CHOICES[choice][0]:
        if lid not in sources:
            continue
        for d in read_provenance(gdir / sources[lid]).get("districts_without_rows", []):
            out.setdefault(str(d), []).append(lid)
    return {d: tuple(v) for d, v in sorted(out.items())}


@functools.lru_cache(maxsize=1)
def _english_names() -> dict[str, str]:
    from atlas.data.geodata import load_population

    pop = load_population()
    return dict(zip(pop.district_zh.astype(str), pop.district_en.astype(str), strict=True))


def missing_note(districts: list[str], layers: list[str], lang: str = "zh") -> str:
    """Why these districts have no coverage figure: their supply source lists no row there."""
    if lang == "en":
        districts = [_english_names().get(d, d) for d in districts]
    what = "、".join(LAYER_WORDS.get(x, (x, x))[0] for x in layers) if lang != "en" else \
        " and ".join(LAYER_WORDS.get(x, (x, x))[1] for x in layers)
    if lang == "en":
        return (f"{', '.join(districts)}: the source of the {what} lists no row there (missing data, "
                "not missing sites); left out of the coverage figures")
    return f"{'、'.join(districts)}：{what}源数据没有这里的记录（缺数据，不是没有设施），不计入覆盖率"


def supply_label(choice: str, lang: str = "zh") -> str:
    """Bilingual label of a supply choice."""
    _check(choice)
    _, zh, en = SUPPLY_CHOICES[choice]
    return en if lang == "en" else zh


def _check(choice: str) -> None:
    if choice not in SUPPLY_CHOICES:
        raise ValidationError(f"未知的科普点集合：{choice}（可选 bases、galleries、both）",
                              f"Unknown supply choice: {choice} (bases, galleries or both)")


def _shipped_frames(layer_ids: tuple[str, ...]) -> dict[str, gpd.GeoDataFrame]:
    from atlas.data.catalogue import layer_frame, load_catalogue, read_source

    layers = {lyr.id: lyr for lyr in load_catalogue()}
    return {i: layer_frame(layers[i], read_source(layers[i].source)) for i in layer_ids if i in layers}


def supply_sites(choice: str = "both", *, frames: Mapping[str, gpd.GeoDataFrame] | None = None,
                 capacity: str | None = None, default_capacity: float = 1.0,
                 added: gpd.GeoDataFrame | None = None,
                 extra: Mapping[str, gpd.GeoDataFrame] | None = None) -> gpd.GeoDataFrame:
    """The positioned 科普 points of a supply choice, in one schema.

    Parameters
    ----------
    choice : {"bases", "galleries", "both"}
        Which shipped layers supply the service: see :data:`SUPPLY_CHOICES`.
    frames : mapping of layer id to GeoDataFrame, optional
        Layer features already loaded (e.g. the app's cached frames); default: read the
        shipped catalogue.
    capacity : str, optional
        A numeric column giving each site's capacity (e.g. ``annual_visits`` for bases).
        Rows without a positive value, and every row when ``None``, get ``default_capacity``.
    default_capacity : float
        Capacity of a site with no figure (default 1: every site counts once).
    added : geopandas.GeoDataFrame, optional
        Planner's candidate sites (``id``, ``name_zh`` and points, WGS84) appended as
        ``supply_kind = "added"``.
    extra : mapping of layer id to GeoDataFrame, optional
        Further point layers in play (e.g. a planner's imported list), appended with
        ``supply_kind = "layer"`` and their layer id.

    Returns
    -------
    geopandas.GeoDataFrame
        Columns :data:`SUPPLY_COLUMNS` and point geometry (WGS84), unplaced rows left out.
        ``attrs`` holds ``choice``, ``n_unplaced`` (rows left out for lack of a position),
        ``layers`` (the layers used) and ``districts_without_data``
        (:func:`districts_without_data`: where a layer's source is silent).

    Raises
    ------
    atlas.errors.ValidationError
        For an unknown choice or a capacity below zero.

    """
    _check(choice)
    if not np.isfinite(default_capacity) or default_capacity < 0:
        raise ValidationError("容量须为非负数", "Capacity must be zero or more")
    layer_ids = SUPPLY_CHOICES[choice][0]
    src = dict(frames) if frames is not None else _shipped_frames(layer_ids)
    parts, unplaced = [], 0
    for lid in layer_ids:
        f = src.get(lid)
        if f is None or f.empty:
            continue
        placed = ~(f.geometry.isna() | f.geometry.is_empty)
        unplaced += int((~placed).sum())
        parts.append(_rows(f[placed], kind=KIND_OF_LAYER.get(lid, lid), layer=lid, capacity=capacity,
                           default_capacity=default_capacity))
    for lid, f in (extra or {}).items():
        placed = ~(f.geometry.isna() | f.geometry.is_empty)
        unplaced += int((~placed).sum())
        parts.append(_rows(f[placed].to_crs(settings.CRS_WGS84), kind="layer", layer=lid, capacity=capacity,
                           default_capacity=default_capacity))
    if added is not None and len(added):
        a = added.to_crs(settings.CRS_WGS84)
        parts.append(_rows(a.assign(district=a.get("district", ""), est_error_m=np.nan), kind="added",
                           layer="scenario", capacity=None, default_capacity=default_capacity))
    wgs = settings.CRS_WGS84
    out = (gpd.GeoDataFrame(pd.concat(parts, ignore_index=True), geometry="geometry", crs=wgs)
           if parts else gpd.GeoDataFrame({c: [] for c in SUPPLY_COLUMNS}, geometry=[], crs=wgs))
    out.attrs.update(choice=choice, n_unplaced=unplaced, layers=list(layer_ids),
                     districts_without_data=districts_without_data(choice))
    return out


def _rows(f: gpd.GeoDataFrame, *, kind: str, layer: str, capacity: str | None,
          default_capacity: float) -> gpd.GeoDataFrame:
    n = len(f)
    cap = np.full(n, float(default_capacity))
    cap_src = np.full(n, "default", dtype=object)
    if capacity is not None and capacity in f.columns:
        v = pd.to_numeric(f[capacity], errors="coerce").to_numpy(dtype=float)
        if (v < 0).any():
            raise ValidationError(f"容量列 {capacity} 含负数",
                                  f"Capacity column {capacity} has negative values")
        known = np.isfinite(v) & (v > 0)
        cap[known] = v[known]
        cap_src[known] = capacity

    def col(c: str) -> np.ndarray:
        return f[c].astype(str).to_numpy() if c in f.columns else np.full(n, "", dtype=object)

    err = pd.to_numeric(f["est_error_m"], errors="coerce").to_numpy(dtype=float) \
        if "est_error_m" in f.columns else np.full(n, np.nan)
    return gpd.GeoDataFrame({
        "id": col("id"), "name_zh": col("name_zh"), "supply_kind": kind, "layer": layer,
        "district": col("district"), "capacity": cap, "capacity_source": cap_src, "est_error_m": err,
    }, geometry=f.geometry.to_numpy(), crs=settings.CRS_WGS84)


def gallery_counts(galleries: gpd.GeoDataFrame) -> pd.DataFrame:
    """Galleries per 街道/镇, from the rows' own attributes (no street polygons needed).

    Parameters
    ----------
    galleries : geopandas.GeoDataFrame
        The ``kepu_galleries`` layer (``district_claimed``, ``street``, ``flag``).

    Returns
    -------
    pandas.DataFrame
        ``district`` (as the source states it, functional zones kept), ``street``, ``galleries``
        and ``flagged`` (rows whose point lies in another district or repeats another's),
        sorted by district then count.

    """
    df = pd.DataFrame({"district": galleries.district_claimed.astype(str).to_numpy(),
                       "street": galleries.street.astype(str).to_numpy(),
                       "flagged": (galleries.flag.astype(str) != "").to_numpy()})
    out = df.groupby(["district", "street"], sort=True).agg(galleries=("flagged", "size"),
                                                            flagged=("flagged", "sum")).reset_index()
    return out.sort_values(["district", "galleries"], ascending=[True, False]).reset_index(drop=True)
