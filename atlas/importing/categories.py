"""Which atlas category a row of a list without a category column belongs to, from its name.

A list of 1,183 community science galleries has no category column; filing every row under one
default (科普场馆) would be wrong. :func:`guess_categories` reads the words a name carries
(科普画廊, 社区, 村, 实验室, 大学, 科技馆 …); the planner confirms the guesses on the page, and
rows whose name says nothing are left unclassified (an empty code) for the planner.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

#: (pattern, category), first match wins: the more specific words come first.
NAME_RULES: tuple[tuple[str, str], ...] = (
    (r"画廊", "kepu_gallery"),
    (r"实验室|研究院|研究所|研究中心", "lab"),
    (r"大学|学院", "university"),
    (r"高新区|高新技术产业|产业园|科技园", "hightech_park"),
    (r"科技馆|博物馆|科普馆|图书馆|科学馆|天文馆|展览馆|纪念馆", "kepu_site"),
    (r"科普教育基地|科普基地|科学中心|探索中心", "kepu_site"),
    # a community's, village's or town's own board (before the places below: 青少年宫路社区)
    (r"社区|村|街道|居委|居民委|小区|家园|花园|镇政府|乡政府", "kepu_gallery"),
    # places that host 科普 activities without the word in their name
    (r"少年宫|青少年活动中心|文化中心|文化馆|文化宫|学校|中学|小学", "kepu_site"),
)

#: The value a planner picks to have categories guessed from names.
GUESS = "guess"


def guess_categories(names: pd.Series) -> np.ndarray:
    """Each name's category code by :data:`NAME_RULES` (``""`` where no rule applies).

    Parameters
    ----------
    names : pandas.Series
        The rows' names.

    Returns
    -------
    numpy.ndarray
        Category codes (object dtype).

    """
    text = names.astype(str).fillna("")
    out = np.full(len(text), "", dtype=object)
    for pattern, code in NAME_RULES:
        hit = text.str.contains(pattern, regex=True).to_numpy() & (out == "")
        out[hit] = code
    return out


def category_counts(codes: np.ndarray) -> dict[str, int]:
    """How many rows each guessed code has (``""``: no guess), largest first."""
    counts = pd.Series(codes, dtype=object).value_counts()
    return {str(k): int(v) for k, v in counts.items()}


__all__ = ["GUESS", "NAME_RULES", "category_counts", "guess_categories"]
