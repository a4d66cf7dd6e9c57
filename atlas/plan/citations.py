"""Sources as citations: a ``source`` cell as texts a reader of each language can read, with links.

Used by cards, map popups and downloads through :func:`citations`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse


@dataclass(frozen=True)
class Citation:
    """One source, as a reader sees it: a text and, where known, its link."""

    text: str
    url: str | None = None


#: Publishers of the web sites our sources cite, by domain suffix.
PUBLISHERS: dict[str, tuple[str, str]] = {
    "kjj.ningbo.gov.cn": ("宁波市科学技术局", "Ningbo Science and Technology Bureau"),
    "nbhtz.gov.cn": ("宁波国家高新区管委会", "Ningbo National High-tech Zone"),
    "bl.gov.cn": ("北仑区人民政府", "Beilun District Government"),
    "ningbo.gov.cn": ("宁波市人民政府", "Ningbo Municipal Government"),
    "daily.cnnb.com.cn": ("宁波日报", "Ningbo Daily"),
    "cnnb.com.cn": ("中国宁波网", "cnnb.com.cn"),
    "zjol.com.cn": ("浙江在线", "Zhejiang Online"),
    "nimte.cas.cn": ("中国科学院宁波材料技术与工程研究所", "NIMTE, Chinese Academy of Sciences"),
    "chinadaily.com.cn": ("中国日报", "China Daily"),
    "eitech.edu.cn": ("宁波东方理工大学", "Eastern Institute of Technology, Ningbo"),
    "wikipedia.org": ("维基百科", "Wikipedia"),
    "qianzhan.com": ("前瞻网", "qianzhan.com"),
    "ningbolife.com": ("Ningbo Life", "Ningbo Life"),
}

_URL = re.compile(r"https?://[^\s;；，（）]+")
_GITHUB = re.compile(r"github:([\w.-]+/[\w.-]+)@([0-9a-f]{6,40})")
_PAREN = re.compile(r"\s*[（(]([^（）()]*)[）)]")
_CJK = re.compile(r"[\u3400-\u9fff]")

_PHRASES: dict[str, tuple[str, str]] = {
    "estimate; no coordinate source found": ("位置为估计值，未找到坐标来源",
                                             "estimated position; no coordinate source found"),
    "URL not recorded": ("未记录网址", "URL not recorded"),
}

#: Research-trail wording rewritten for Chinese readers, applied in order.
_REWRITES: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\b(?:article|news)\b"), " "),
    (re.compile(r"^mirror of\s*$"), "转载"),
    (re.compile(r"^mirror of\s+"), "转载自 "),
    (re.compile(r"^(?:footer |journal )?address:?\s*"), "地址："),
    (re.compile(r"\s{2,}"), " "),
)


def _publisher(url: str, lang: str) -> str:
    host = (urlparse(url).hostname or "").lower()
    for suffix, (zh, en) in PUBLISHERS.items():
        if host == suffix or host.endswith("." + suffix):
            return en if lang == "en" else zh
    return host.removeprefix("www.").removeprefix("m.")


def readable(text: str, lang: str) -> str:
    """``text`` if a reader of ``lang`` can read it (rewritten), else "" (English notes in zh)."""
    text = text.strip(" ;,:")
    for phrase, (zh, en) in _PHRASES.items():
        if text == phrase:
            return en if lang == "en" else zh
    if lang == "en":
        return text
    for pattern, repl in _REWRITES:
        text = pattern.sub(repl, text).strip()
    cjk = len(_CJK.findall(text))
    return text if cjk and cjk >= len(re.findall(r"[A-Za-z]", text)) / 2 else ""


def _remarks(text: str, lang: str) -> str:
    """Keep parenthesised remarks a reader of ``lang`` can read (Chinese ones in zh mode)."""
    def keep(m: re.Match[str]) -> str:
        inner = readable(m.group(1), lang)
        return ("" if not inner else f" ({inner})" if lang == "en" else f"（{inner}）")
    out = _PAREN.sub(keep, text).strip(" ;,")
    head, paren, tail = out.partition("（") if lang != "en" else (out, "", "")
    return (readable(head, lang) + paren + tail).strip() if lang != "en" else out


def _one_citation(part: str, lang: str) -> Citation | None:
    part = part.strip()
    if not part:
        return None
    for phrase, (zh, en) in _PHRASES.items():
        if part == phrase:
            return Citation(en if lang == "en" else zh)
    if m := _GITHUB.search(part):
        repo, sha = m.group(1), m.group(2)
        osm = "OSM" in part or "OpenStreetMap" in part
        if lang == "en":
            text = (("© OpenStreetMap contributors, " if osm else "")
                    + f"via {repo} on GitHub (commit {sha[:7]})")
        else:
            text = (("© OpenStreetMap 贡献者，" if osm else "")
                    + f"经 GitHub 仓库 {repo} 整理（提交 {sha[:7]}）")
        return Citation(text, f"https://github.com/{repo}/tree/{sha}")
    if m := _URL.search(part):
        url = m.group(0)
        if url.count("(") > url.count(")"):  # a wiki title such as Baoguo_Temple_(Zhejiang)
            url += ")"
        rest = _remarks(part.replace(url, "", 1), lang)
        sep = ("" if lang != "en" else " ") if rest.startswith(("（", "(")) else \
            ("：" if lang != "en" else ": ")
        return Citation(_publisher(url, lang) + (sep + rest if rest else ""), url)
    if "find_string" in part or "public GitHub" in part:
        return Citation("公开 GitHub 文件（检索记录）" if lang != "en" else "a public GitHub file")
    text = _remarks(part, lang)
    return Citation(text) if text else None


def citations(source: Any, lang: str = "zh") -> list[Citation]:
    """A ``source`` cell as human-readable citations with links.

    ``"github:owner/repo@sha (OSM extract…) file feature X"`` becomes "© OpenStreetMap 贡献者，
    经 GitHub 仓库 owner/repo 整理（提交 sha）" linking to the repository at that commit; a URL
    becomes its publisher's name linking to the URL; English research notes are left out of
    Chinese text. Parts separated by ``;`` give one citation each.
    """
    if source is None or (isinstance(source, float) and source != source) or not str(source).strip():
        return []
    parts = re.split(r"\s+;\s+|；", str(source))
    out = [c for c in (_one_citation(p, lang) for p in parts) if c is not None]
    return list(dict.fromkeys(out))
