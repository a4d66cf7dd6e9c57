"""A failed online download ends the Service areas page's progress bar with the reason (zh/en).

The page downloads through osmnx from the stand-in Overpass server (tests/overpass_stub.py),
which answers with the failures real servers send.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from atlas.i18n import t
from tests.overpass_stub import StubOverpass

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "2_科普服务圈_Service_areas.py")
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def _extract() -> str:
    """A small real OSM extract for the stub to serve (any: every answer here is a failure)."""
    found = sorted(FIXTURES.glob("*.osm*"))
    assert found, "tests/fixtures holds an OSM file"
    return str(found[0])


@pytest.fixture
def stub(monkeypatch, tmp_path):
    import osmnx as ox

    monkeypatch.setenv("ATLAS_CACHE_DIR", str(tmp_path))
    with StubOverpass(_extract()) as s:
        monkeypatch.setattr(ox.settings, "overpass_url", s.url)
        yield s


@pytest.mark.parametrize(("failure", "lang", "reason"), [
    ("504", "zh", "超时（HTTP 504）"),
    ("429", "en", "is busy (HTTP 429 Too Many Requests)"),
    ("remark", "zh", "未能完成查询（runtime error: Query timed out"),
    ("html200", "en", "did not answer with OSM data"),
])
def test_a_failed_download_ends_the_bar_with_its_reason(stub, failure, lang, reason):
    stub.failures = [failure]
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["lang"] = lang
    at.run()
    bars = at.get("progress")
    assert [b.proto.text for b in bars] == [""]  # nothing started yet
    next(b for b in at.button if b.label == t("sa_download", lang)).click().run()
    assert not at.exception
    (bar,) = at.get("progress")
    text = bar.proto.text.replace("\\", "")  # the bar's text is Markdown-escaped
    assert text.startswith("失败：" if lang == "zh" else "Failed: ")
    assert reason in text
    assert stub.url in text  # which server failed
    assert [e.value for e in at.error] and reason in at.error[0].value


def test_an_unreachable_server_says_so_on_the_bar(monkeypatch, tmp_path):
    import osmnx as ox

    monkeypatch.setattr(ox.settings, "overpass_url", "http://127.0.0.1:9/api")  # nothing listens
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["lang"] = "en"
    at.run()
    next(b for b in at.button if b.label == t("sa_download", "en")).click().run()
    (bar,) = at.get("progress")
    assert "Cannot reach the OSM download service" in bar.proto.text.replace("\\", "")


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_the_page_says_where_to_get_an_extract_where_to_put_it_and_how_long(lang, monkeypatch, tmp_path):
    from atlas import settings

    monkeypatch.setattr(settings, "OSM_DIR", tmp_path / "osm")
    at = AppTest.from_file(PAGE, default_timeout=240)
    at.session_state["lang"] = lang
    at.run()
    text = " ".join(m.value for m in at.markdown if "Geofabrik" in m.value or "ATLAS_OSM_DIR" in m.value
                    or "CPU" in m.value)
    for needle in ("download.geofabrik.de", "asia/china/zhejiang-latest.osm.pbf", "asia/china-latest.osm.pbf",
                   "85 MB", "extract.bbbike.org", "ATLAS_OSM_DIR", "200 MB", "osm"):
        assert needle in text, needle
    assert f"`{tmp_path / 'osm'}`" in text
    if lang == "en":  # one language at a time
        assert not any("\u4e00" <= ch <= "\u9fff" for ch in text)
