"""Chinese place names in Latin letters, for the English UI: pinyin for the name, English for the kind.

A name with no English form in the geodata (a 街道/镇, a 社区/村, an OpenStreetMap school, a
科普画廊's host) is written the way Chinese road signs and gazetteers write names in English
(GB/T 16159, GB/T 17733): the proper part in pinyin written as one word without tones, the
generic part (镇, 村, 小学, 医院 …) in English: 韩岭小学 -> "Hanling Primary School",
咸祥镇 球山村 -> "Xianxiang Town Qiushan Village", 古林镇卫生院 -> "Gulin Town Health Centre".
Pinyin comes from :mod:`pypinyin` (its phrase table reads 长春 "Changchun", 重庆 "Chongqing").
Full-width punctuation becomes ASCII; Latin letters and digits are kept as they are.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from functools import cache
from typing import Any

#: Generic parts of names (Chinese -> English), matched longest first at the end of a part.
GENERIC: dict[str, str] = {
    "街道办事处": "Subdistrict Office", "街道": "Subdistrict", "镇": "Town", "乡": "Township",
    "村": "Village", "新村": "New Village", "社区": "Community", "居委会": "Residents' Committee",
    "村委会": "Village Committee", "村民委员会": "Village Committee", "办公楼": "Office",
    "小学": "Primary School", "中学": "Middle School", "初级中学": "Junior High School",
    "高级中学": "Senior High School", "实验学校": "Experimental School", "学校": "School",
    "职业高级中学": "Vocational High School", "职业学校": "Vocational School",
    "幼儿园": "Kindergarten", "大学": "University", "学院": "College", "职业技术学院":
    "Vocational and Technical College", "校区": "Campus", "分校": "Branch School",
    "医院": "Hospital", "人民医院": "People's Hospital", "中医院": "Hospital of Traditional Chinese Medicine",
    "中医医院": "Hospital of Traditional Chinese Medicine", "卫生院": "Health Centre",
    "社区卫生服务中心": "Community Health Centre", "妇幼保健院": "Maternal and Child Health Hospital",
    "博物馆": "Museum", "科技馆": "Science and Technology Museum", "科普馆": "Science Museum",
    "科普画廊": "Science Gallery", "科普教育基地": "Science Education Base", "分馆": "Branch",
    "公园": "Park", "湿地公园": "Wetland Park", "青少年宫": "Youth Palace", "中心": "Centre",
    "有限公司": "Co., Ltd.", "新区": "New Area", "开发区": "Development Zone", "工业区": "Industrial Zone",
    "研究所": "Institute", "研究院": "Research Institute", "实验室": "Laboratory", "馆": "Hall",
    "办事处": "Office", "路": "Road", "大道": "Avenue", "市": "City", "区": "District", "县": "County",
}

#: Generics that end a part inside a longer name (集士港镇|广德湖小学, 二塘新村|办公楼).
_ADMIN = frozenset({"街道", "镇", "乡", "村", "新村", "社区", "市", "区", "县", "新区"})

#: Names with an English form of their own, whatever the caller knows.
NAMES_EN: dict[str, str] = {"全市": "Whole city", "中国科学院": "Chinese Academy of Sciences",
                            "宁波": "Ningbo", "浙江": "Zhejiang"}

_BY_LENGTH = sorted(GENERIC, key=len, reverse=True)
_DIGITS = dict(zip("一二三四五六七八九十", range(1, 11), strict=True))
_HAN = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_PUNCT = str.maketrans({"（": " (", "）": ")", "【": " [", "】": "]", "，": ", ", "、": ", ", "：": ": ",
                        "；": "; ", "《": "\u201c", "》": "\u201d", "·": " ", "。": ". ", "—": "-",
                        "～": "~", "\u3000": " "})
_NO_SPACE_BEFORE = " ([\u201c\u2018/-'\""
_NO_SPACE_AFTER = " )]\u201d\u2019,.;:/-'\""


@cache
def _pinyin(text: str) -> tuple[str, ...]:
    from pypinyin import lazy_pinyin

    return tuple(lazy_pinyin(text, v_to_u=True, errors=_no_reading))


def _no_reading(chars: str) -> Any:
    """A character pypinyin cannot read gives no letters (one empty syllable each, so spans align)."""
    return ["" for _ in chars]


def _word(syllables: tuple[str, ...]) -> str:
    """Syllables as one capitalised word, with an apostrophe before a, o, e (Xi'an)."""
    out = ""
    for s in syllables:
        out += ("'" if out and s[:1] in "aoe" else "") + s
    return out[:1].upper() + out[1:]


def _proper(syllables: tuple[str, ...]) -> str:
    """A proper part: one word up to three syllables, else words of two (the last of three)."""
    n, words, i = len(syllables), [], 0
    while i < n:
        k = n - i if n - i <= 3 else 2
        words.append(_word(syllables[i:i + k]))
        i += k
    return " ".join(w for w in words if w)


def _generic_at_end(text: str) -> str | None:
    return next((g for g in _BY_LENGTH if text.endswith(g)), None)


def _split(run: str) -> list[tuple[int, int]]:
    """Parts of a run of Han characters, each ending at an administrative generic or the end."""
    cuts, start = [], 0
    for j in range(2, len(run)):
        g = _generic_at_end(run[start:j])
        if g in _ADMIN and j - start - len(g) >= 2:
            cuts.append((start, j))
            start = j
    return [*cuts, (start, len(run))]


def _part(text: str, syl: tuple[str, ...]) -> list[str]:
    """One part: the proper name in pinyin, then its generics in English (peeled off its end)."""
    tail: list[str] = []
    j = len(text)
    # a one-character name stays with its generic, as on road signs (西村 -> "Xicun")
    while j > 0 and (g := _generic_at_end(text[:j])) is not None and j - len(g) != 1:
        tail.insert(0, GENERIC[g])
        j -= len(g)
    m = re.fullmatch("(.*?)第([一二三四五六七八九十])", text[:j])
    if m:  # 第二中学 -> No. 2 Middle School
        head = [_proper(syl[:len(m.group(1))])] if m.group(1) else []
        return [*head, f"No. {_DIGITS[m.group(2)]}", *tail]
    return [*([_proper(syl[:j])] if j else []), *tail]


def _run(run: str, known: Mapping[str, str]) -> list[str]:
    """English words for a run of Han characters: known names as they are, other parts romanised."""
    syl, words, i, rest = _pinyin(run), [], 0, 0
    names = sorted(known, key=len, reverse=True)
    while i <= len(run):
        hit = next((k for k in names if run.startswith(k, i)), None) if i < len(run) else ""
        if hit is None:
            i += 1
            continue
        for a, b in _split(run[rest:i]) if i > rest else []:
            words += _part(run[rest + a:rest + b], syl[rest + a:rest + b])
        if hit:
            words.append(known[hit])
            if run.startswith(("市", "区", "县"), i + len(hit)) and not known[hit].endswith("City"):
                hit += run[i + len(hit)]  # 宁波市 -> Ningbo City
                words.append(GENERIC[hit[-1]])
        i = rest = i + max(len(hit), 1)
    return [w for w in words if w]


def romanize(text: str, *, known: Mapping[str, str] | None = None) -> str:
    """``text`` with its Chinese in Latin letters: pinyin for proper parts, English for generic ones.

    Parameters
    ----------
    text : str
        A name as written in Chinese (may hold Latin letters, digits and full-width punctuation).
    known : mapping, optional
        Names with an official English form (e.g. districts: 宁海县 -> "Ninghai"), used as they are.

    Returns
    -------
    str
        The name with no Chinese character left (empty for empty input).

    """
    names = {**NAMES_EN, **(known or {})}
    src = unicodedata.normalize("NFKC", str(text).translate(_PUNCT))
    out, pos = "", 0
    for m in _HAN.finditer(src):
        out += src[pos:m.start()]
        after = src[m.end():m.end() + 1]
        out += ("" if not out or out[-1] in _NO_SPACE_BEFORE else " ") + " ".join(_run(m.group(), names)) \
            + ("" if not after or after in _NO_SPACE_AFTER else " ")
        pos = m.end()
    out += src[pos:]
    return re.sub(r"\s+", " ", re.sub(r"([(\[])\s+", r"\1", out)).strip()
