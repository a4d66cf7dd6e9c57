"""One language at a time: every page's visible text, maps included, in the language chosen.

Each page is loaded in a real browser in Chinese, then switched to English; the text a planner sees (the
page's ``innerText``, every table's cells in view and the text of every map frame: legend,
labels, attribution, notices) is
scanned for the other language: any Chinese character (or full-width punctuation) in English,
any Latin word in Chinese other than the few a Chinese planner reads as they are (below).
"""

from __future__ import annotations

import re

import pytest

from tests.e2e_support import needs_chromium, settle

pytestmark = [pytest.mark.e2e, needs_chromium]

PAGES = ("/", "/tasks", "/service_areas", "/coverage", "/export", "/import", "/indicators")

#: Chinese characters, CJK and full-width punctuation: none may show in the English UI.
CJK = re.compile(r"[\u3000-\u303f\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\uff00-\uffef]")
#: Latin words a Chinese UI shows as they are: names of formats, standards, units, data sets and
#: tools that have no Chinese name in use (a Chinese planner reads "PNG", "WGS84", "km²", "OSM").
ALLOWED_LATIN = {
    # file formats and extensions
    "png", "pdf", "html", "csv", "xlsx", "xls", "zip", "json", "geojson", "geopackage", "gpkg",
    "geotiff", "tif", "tiff", "shapefile", "shp", "osm", "pbf", "gz", "bz2", "graphml", "xml", "txt",
    # coordinate systems, standards and grids
    "wgs84", "gcj", "bd", "cgcs2000", "epsg", "utm", "h3", "gps",
    # units
    "km", "m", "mb", "gb", "kb", "dpi", "ms", "s", "min", "h",
    # data sets, their sources and licences, tools named as such
    "openstreetmap", "odbl", "leaflet", "amap", "cnmaps", "data", "worldpop", "osmnx", "nominatim",
    "e2sfca", "mclp", "lscp", "qgis", "sqlite", "postgis", "geofabrik", "bbbike", "osmium", "cpu",
}
#: Identifiers typed or read as they are, not words: environment variables (ATLAS_OSM_DIR),
#: server folders, web addresses and file names, command lines and their options, the plan's
#: target codes (T03a).
IDENTIFIERS = re.compile(
    r"\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"             # environment variables
    r"|(?<![\w.])[/~][\w./-]+"                         # folders
    r"|\b[\w-]+(?:/[\w.-]+)+"                          # paths in a download site
    r"|\b[a-z0-9-]+(?:\.[a-z0-9-]+)+\b"                # host names and file names
    r"|(?<![\w-])--?[a-z][\w-]*"                        # command-line options
    r"|\b(?:export-briefing|build-network|atlas batch|osmium extract)\b"  # commands
    r"|\bT\d{2}[a-z]?\b")                              # target codes

#: Map frames (streamlit-folium iframes): their text is part of the page.
_TEXT_JS = r"""() => {
    // icons (ligature names), the skip link, Streamlit's toolbar; the language switch, which names
    // each language in its own words
    const skip = "[data-testid=stIconMaterial], [data-testid=stSkipLink], .stSkipLink, noscript, "
               + "[data-testid=stHeader], [data-testid=stToolbar], [data-testid=stStatusWidget], "
               + ".st-key-lang_radio";
    const visible = (root, skip) => {
        // innerText of the live tree (layout-aware), minus the skipped elements
        const hidden = [...root.querySelectorAll(skip), ...root.querySelectorAll("a[href='#stMain']")];
        const saved = hidden.map(e => [e, e.style.display]);
        hidden.forEach(e => { e.style.display = "none"; });
        let t = root.innerText;
        saved.forEach(([e, d]) => { e.style.display = d; });
        // a frame not laid out yet gives its textContent, <noscript> included: never shown
        root.querySelectorAll("noscript").forEach(n => {
            const s = n.textContent.trim();
            if (s) t = t.split(s).join("");
        });
        return t;
    };
    const out = [visible(document.body, skip)];
    // a dataframe draws its cells on a canvas: read them from its accessibility table (the rows
    // and columns in view), one cell a line
    document.querySelectorAll("[data-testid=stDataFrame] table").forEach(t => {
        out.push([...t.querySelectorAll("th, td")].map(c => c.textContent.trim()).join("\n"));
    });
    document.querySelectorAll("iframe").forEach(f => {
        // the same skips inside a map or component frame (its <noscript> is never shown)
        try {
            if (f.contentDocument && f.contentDocument.body) out.push(visible(f.contentDocument.body, skip));
        }
        catch (e) { /* another origin: not ours */ }
    });
    return out.join("\n");
}"""


def _offending(text: str, lang: str) -> list[str]:
    """The lines of ``text`` that hold the other language."""
    bad = []
    for line in text.splitlines():
        if lang == "en":
            if CJK.search(line):
                bad.append(line)
        else:
            words = {w.lower() for w in re.findall(r"[A-Za-z][A-Za-z0-9]*", IDENTIFIERS.sub(" ", line))}
            if words - ALLOWED_LATIN:
                bad.append(f"{line}   <- {sorted(words - ALLOWED_LATIN)}")
    return bad


def _open(browser, app_url, path):
    """``path`` opened in a new session (in Chinese, the app's first language), maps drawn."""
    page = browser.new_page(viewport={"width": 1440, "height": 900})
    page.route(re.compile("openstreetmap.org|autonavi.com|tianditu.gov.cn"), lambda r: r.abort())
    for _ in range(3):  # a session may start before Streamlit knows the pages: it then opens
        page.goto(app_url + path)  # the main page with an English notice; ask again (see report)
        page.wait_for_selector("[data-testid=stMain]", timeout=90_000)
        settle(page, timeout_ms=120_000)
        if "Page not found" not in page.locator("body").inner_text():
            break
    page.wait_for_timeout(3000)  # maps draw their legends and labels; widget texts are put in place
    settle(page, timeout_ms=120_000)
    return page


@pytest.fixture(scope="module")
def warm_app(app_url, browser):
    """The app after one first visit: a fresh server's very first session may open on another
    page than the one asked for (Streamlit learns the pages from st.navigation's first run) and
    says so in English; that is Streamlit's start-up, not a page's text."""
    page = browser.new_page()
    page.goto(app_url)
    page.wait_for_selector("[data-testid=stMain]", timeout=90_000)
    settle(page, timeout_ms=120_000)
    page.close()
    return app_url


def test_the_scan_finds_the_other_language():
    assert _offending("Coverage 覆盖率", "en") and _offending("覆盖率（converted）", "zh")
    assert _offending("导出（全角）", "en") and _offending("Choose options", "zh")
    assert not _offending("下载 PNG（300 dpi）· WGS84 · 5 km", "zh")
    assert not _offending("放入 /srv/osm（环境变量 ATLAS_OSM_DIR）· T03a", "zh")
    assert _offending("直线近似圈（euclidean-proxy）", "zh")
    assert not _offending("Geofabrik（download.geofabrik.de）asia/china/zhejiang-latest.osm.pbf："
                          "osmium extract -b 1,2,3,4 zhejiang-latest.osm.pbf -o ningbo.osm.pbf", "zh")
    assert not _offending("Download PNG (300 dpi)", "en")


@pytest.mark.parametrize("path", PAGES)
def test_each_page_shows_one_language(warm_app, browser, path):
    """In Chinese, then in English after the switch in the sidebar (one session, as a planner)."""
    page = _open(browser, warm_app, path)
    bad = []
    for lang in ("zh", "en"):
        if lang == "en":
            _switch(page, "English")
            page.wait_for_timeout(1500)  # maps redraw their legends and labels
            settle(page, timeout_ms=120_000)
        text = page.evaluate(_TEXT_JS)
        assert len(text) > 100, text
        bad += [f"({lang}) {line}" for line in _offending(text, lang)]
    page.close()
    assert not bad, f"{path}: other-language text:\n" + "\n".join(bad[:40])


def _chosen(page, label: str) -> str:
    """What the selectbox or multiselect labelled ``label`` shows: its label, the chosen option(s)."""
    box = page.locator("[data-testid=stSelectbox], [data-testid=stMultiSelect]").filter(
        has=page.locator("[data-testid=stWidgetLabel]", has_text=label)).first
    js = "b => b.innerText + '\\n' + [...b.querySelectorAll('input')].map(i => i.value).join('\\n')"
    return str(box.evaluate(js))


def _switch(page, to: str) -> None:
    page.locator("[data-testid=stSidebar]").get_by_text(to, exact=True).click()
    settle(page, timeout_ms=120_000)
    page.wait_for_timeout(1500)  # the widgets take their new values after the run
    settle(page, timeout_ms=120_000)


@pytest.mark.parametrize(("path", "boxes"), [
    ("/service_areas", {"分析范围（区县）": ("Area (district)", "海曙区", "Haishu"),
                        "站点图层": ("Site layers", "科普场馆", "Science-popularisation sites")}),
    ("/indicators", {"覆盖率按哪些站点计算": ("Coverage counts which sites", "规划现状（不含假设站点）",
                                             "The plan as it stands (no hypothetical site)")}),
])
def test_chosen_options_follow_a_language_switch_and_back(warm_app, browser, path, boxes):
    """A keyed selectbox showed its Chinese choice after a switch to English, and a multiselect lost
    its choice: each widget's chosen option reads in the new language, and the choice is kept."""
    page = _open(browser, warm_app, path)
    for zh_label, (_, zh, _) in boxes.items():
        assert zh in _chosen(page, zh_label)
    for lang in ("English", "中文", "English"):
        _switch(page, lang)
        for zh_label, (en_label, zh, en) in boxes.items():
            shown = _chosen(page, en_label if lang == "English" else zh_label)
            assert (en if lang == "English" else zh) in shown, (lang, shown)
            assert (not CJK.search(shown)) if lang == "English" else en not in shown, shown
    page.close()
