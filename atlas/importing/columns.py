"""Which column of an imported list plays which role (name, lon, lat, address, district, ...).

From the column names first (Chinese and English headers, matched as whole words), then from
the values (coordinates in numbers, names in text), saying when the planner must confirm the
guess: :func:`guess_mapping`. :func:`is_header_cell` helps the readers find the header row.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from atlas.importing.cells import numbers

ROLES = ("name", "lon", "lat", "address", "district", "category", "level")

#: Known column names by role, matched as whole tokens (English) or whole words and word
#: endings (Chinese: "场馆名称" is a name, "百度经度" a longitude), never as substrings of other
#: words ("name" is not in "Unnamed: 1", "site" not in "Website").
HEADER_ALIASES: dict[str, tuple[str, ...]] = {
    "name": ("名称", "名字", "site name", "name", "title", "site", "venue"),
    "lon": ("经度", "东经", "lon", "lng", "long", "longitude", "x"),
    "lat": ("纬度", "北纬", "lat", "latitude", "y"),
    "address": ("地址", "address", "addr"),
    "district": ("区县", "区县市", "县市区", "所在区", "区域", "行政区", "district", "county"),
    "category": ("类别", "类型", "分类", "种类", "category", "type", "kind"),
    "level": ("级别", "等级", "level", "grade"),
}


def header_tokens(header: str, *, brackets: bool = False) -> list[str]:
    """The words of a column name: camelCase split, lower case, runs of letters, digits or Chinese.

    Bracketed remarks (units, datums: "经度(百度)") are dropped unless ``brackets``.
    """
    h = re.sub(r"([a-z])([A-Z])", r"\1 \2", str(header))  # camelCase -> two words
    if not brackets:
        h = re.sub(r"[（(\[【].*?[)）\]】]", " ", h)  # units and datums in brackets
    return re.findall(r"[a-z]+|\d+|[\u4e00-\u9fff]+", h.lower())


def header_roles(header: str) -> dict[str, int]:
    """Roles a column name may play, with a score: 2 = the whole name is an alias, 1 = a token is.

    English aliases match whole tokens (or token sequences: "site name"); Chinese aliases match
    a whole word or its ending ("场馆名称", "百度经度"). ``x``/``y`` count only on their own.
    """
    toks = header_tokens(header)
    joined = " ".join(toks)
    out: dict[str, int] = {}
    for role, aliases in HEADER_ALIASES.items():
        for a in aliases:
            if joined == a or "".join(toks) == a:
                out[role] = 2
                break
            if a in ("x", "y"):
                if toks in (["point", a], ["coord", a], [a, "coord"]):
                    out[role] = max(out.get(role, 0), 1)
                continue
            if a.isascii():
                words = a.split()
                if any(toks[i:i + len(words)] == words for i in range(len(toks))):
                    out[role] = max(out.get(role, 0), 1)
            elif any(t.endswith(a) for t in toks):
                out[role] = max(out.get(role, 0), 1)
    return out


def is_header_cell(text: str) -> bool:
    """Whether a cell reads like a known column name (used to find the header row)."""
    return bool(header_roles(text)) and len(str(text)) <= 40


def guess_columns(columns: list[str]) -> dict[str, str | None]:
    """Guess which column plays each role from the column names alone.

    Each role takes the best-scoring unused column (whole-name matches first, then token
    matches, leftmost on a tie). :func:`guess_mapping` also looks at the values and says when
    the guess is ambiguous.
    """
    return guess_mapping_from_names([str(c) for c in columns])[0]


def guess_mapping_from_names(columns: list[str]) -> tuple[dict[str, str | None], dict[str, list[str]]]:
    """The mapping by names, and for each role the columns that tie for it (ambiguous when > 1)."""
    scores = {c: header_roles(c) for c in columns}
    out: dict[str, str | None] = {}
    ties: dict[str, list[str]] = {}
    used: set[str] = set()
    for role in ROLES:
        cands = [(sc[role], c) for c, sc in scores.items() if role in sc and c not in used]
        if not cands:
            out[role] = None
            continue
        top = max(sc for sc, _ in cands)
        best = [c for sc, c in cands if sc == top]
        out[role] = best[0]
        used.add(best[0])
        if len(best) > 1:
            ties[role] = best
    return out, ties


@dataclass
class ColumnGuess:
    """The guessed mapping and why it may need the user's confirmation.

    ``ambiguous`` maps a role to the columns that fit it equally well (or to the one column
    whose values do not fit); ``inferred`` lists roles guessed from the values because no
    column name fits; ``notes`` are bilingual explanations.
    """

    mapping: dict[str, str | None]
    ambiguous: dict[str, list[str]] = field(default_factory=dict)
    inferred: list[str] = field(default_factory=list)
    notes: list[tuple[str, str]] = field(default_factory=list)

    @property
    def needs_confirmation(self) -> bool:
        """True when the page must ask the user to confirm the mapping."""
        return bool(self.ambiguous or self.inferred or not self.mapping.get("name"))


_URL = re.compile(r"^(https?://|www\.)", re.I)


def _shares(values: pd.Series) -> tuple[float, float, float, np.ndarray]:
    v = values.astype(str).str.strip()
    v = v[v != ""]
    if v.empty:
        return 0.0, 0.0, 0.0, np.zeros(0)
    num = numbers(v)
    ok = np.isfinite(num)
    frac = np.mod(np.abs(num[ok]), 1) > 0
    return (float(ok.mean()), float(v.str.match(_URL).mean()),
            float(frac.mean()) if ok.any() else 0.0, num[ok])


def _infer_coordinates(df: pd.DataFrame, cols: list[str], guess: ColumnGuess) -> None:
    lon_c, lat_c = [], []
    for c in cols:
        numeric, _, fractional, nums = _shares(df[c])
        if numeric < 0.8 or fractional < 0.5 or not len(nums):
            continue
        if ((nums >= 73) & (nums <= 136)).mean() > 0.8:
            lon_c.append(c)
        elif ((nums >= 3) & (nums <= 54)).mean() > 0.8:
            lat_c.append(c)
    for role, cands in (("lon", lon_c), ("lat", lat_c)):
        if not guess.mapping.get(role) and cands:
            guess.mapping[role] = cands[0]
            guess.inferred.append(role)
    if {"lon", "lat"} & set(guess.inferred):
        lon, lat = guess.mapping["lon"], guess.mapping["lat"]
        guess.notes.append((f"没有列名像经度/纬度，按数值推测为 {lon} / {lat}",
                            f"No column is named like lon/lat; guessed {lon} / {lat} from the values"))


def _check_name_column(df: pd.DataFrame, cols: list[str], guess: ColumnGuess) -> None:
    name = guess.mapping.get("name")
    if name:
        numeric, url, _, _ = _shares(df[name])
        if numeric + url >= 0.5:
            guess.ambiguous["name"] = [name]
            guess.notes.append((f"名称列“{name}”的内容大多是数字或网址，请确认",
                                f"The name column '{name}' holds mostly numbers or URLs: please confirm"))
        return
    taken = {c for c in guess.mapping.values() if c}
    best, best_score = None, 0.0
    for c in cols:
        if c in taken:
            continue
        numeric, url, _, _ = _shares(df[c])
        text = df[c].astype(str).str.strip()
        filled = float(text.ne("").mean())
        distinct = text[text != ""].nunique() / max(1, int(text.ne("").sum()))  # names rarely repeat
        score = filled * (1 - numeric - url) * distinct
        if score > best_score + 1e-9:
            best, best_score = c, score
    if best is not None and best_score >= 0.3:
        guess.mapping["name"] = best
        guess.inferred.append("name")
        guess.notes.append((f"没有列名像“名称”，按内容推测为“{best}”，请确认",
                            f"No column is named like a name; guessed '{best}' from its values: "
                            "please confirm"))


def guess_mapping(df: pd.DataFrame) -> ColumnGuess:
    """Guess the column mapping from names and values, and say when the user must confirm it.

    Geometry files map lon/lat to the geometry's position (``geom_lon``/``geom_lat``): the
    geometry wins over coordinate properties.
    """
    sample = df.head(2000)
    cols = [c for c in df.columns if not str(c).startswith(("_", "geom_"))]
    mapping, ties = guess_mapping_from_names(cols)
    guess = ColumnGuess(mapping=mapping, ambiguous=dict(ties))
    for role, cands in ties.items():
        guess.notes.append((f"“{role}”可对应多列：{'、'.join(cands)}，已选 {cands[0]}，请确认",
                            f"Several columns fit '{role}': {', '.join(cands)}; chose {cands[0]}: "
                            "please confirm"))
    if "geom_lon" in df.columns and df.geom_lon.ne("").any():
        guess.mapping["lon"], guess.mapping["lat"] = "geom_lon", "geom_lat"
        guess.ambiguous.pop("lon", None)
        guess.ambiguous.pop("lat", None)
    else:
        for role in ("lon", "lat"):
            c = guess.mapping.get(role)
            if c and _shares(sample[c])[0] < 0.5 and sample[c].astype(str).str.strip().ne("").any():
                guess.ambiguous[role] = [c]
                guess.notes.append((f"“{c}”列的内容大多不是数字，请确认坐标列",
                                    f"Column '{c}' holds mostly non-numbers: please confirm the coordinates"))
        _infer_coordinates(sample, [c for c in cols if c not in {mapping.get("name")}], guess)
    _check_name_column(sample, cols, guess)
    return guess

