"""The export page (Streamlit AppTest, no browser): a refused export is said, the rest still works."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

PAGE = str(Path(__file__).resolve().parent.parent / "pages" / "4_导出_Export.py")


def test_a_map_that_cannot_be_made_is_said_and_the_layer_data_is_still_offered(monkeypatch):
    from atlas.staticmap import style

    # a machine without a CJK font: the static map is refused with a bilingual ExportError
    monkeypatch.setattr(style, "CJK_FONT_FILES", ())
    monkeypatch.setattr(style, "CJK_FAMILIES", ("No Such CJK Font",))
    at = AppTest.from_file(PAGE, default_timeout=120)
    at.session_state["lang"] = "en"
    at.run()
    at.button(key="ex_png_make").click().run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "No Chinese font found: install fonts-noto-cjk (sudo apt-get install fonts-noto-cjk)"]
    assert "ex_png" not in at.session_state
    labels = [w.proto.label for w in at.get("download_button")]
    assert labels.count("CSV") >= 2 and labels.count("CSV") == labels.count("GeoJSON")
