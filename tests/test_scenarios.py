"""Hypothetical sites belong to a named scenario: badge, numbering, renaming, removal, old saves."""

from __future__ import annotations

import pytest

from atlas.analysis.scenarios import Scenario, badge, load_scenarios, save_scenario, site_label, sites_frame
from atlas.errors import ValidationError


def test_the_badge_names_the_count_and_the_scenario_in_each_language():
    assert badge(5, "A", "zh") == "含 5 个假设站点 · 方案 A"
    assert badge(5, "A", "en") == "Includes 5 hypothetical sites · scenario A"
    assert badge(1, "东部加密", "en") == "Includes 1 hypothetical site · scenario 东部加密"
    assert badge(2, "方案乙", "zh") == "含 2 个假设站点 · 方案乙"  # no "方案 方案乙"
    assert badge(0, "A", "zh") == "" and Scenario().badge("zh") == ""
    assert badge(3, "\x00\n  ", "zh").endswith("方案 A")  # a blank or control-only name reads as the default


def test_candidates_are_numbered_renamed_and_removed_and_numbers_are_not_reused():
    s = Scenario()
    for lon in (121.50, 121.52, 121.54):
        s.add_site(lon, 29.85)
    assert s.labels("zh") == ["候选点 1", "候选点 2", "候选点 3"]
    assert s.labels("en") == ["Candidate 1", "Candidate 2", "Candidate 3"]
    s.rename_site(s.sites[1]["id"], "  社区中心\x07 ")
    s.remove_site(s.sites[0]["id"])
    s.add_site(121.56, 29.85)
    assert s.labels("zh") == ["社区中心", "候选点 3", "候选点 4"]
    s.rename_site(s.sites[0]["id"], "")  # an empty name brings the number back
    assert s.labels("zh")[0] == "候选点 2"
    with pytest.raises(ValidationError):
        s.remove_site("nope")
    frame = sites_frame(s, "en")
    assert list(frame.name_zh) == ["Candidate 2", "Candidate 3", "Candidate 4"]
    assert list(frame.number) == [2, 3, 4]
    assert s.badge("zh") == "含 3 个假设站点 · 方案 A"


def test_scenarios_saved_before_numbering_read_with_numbers(tmp_path):
    old = Scenario("旧方案", sites=[{"id": "new001", "name": "候选点", "lon": 121.5, "lat": 29.8},
                                   {"id": "new002", "name": "文化站", "lon": 121.6, "lat": 29.8}])
    save_scenario(old, folder=tmp_path)
    (back,) = load_scenarios(folder=tmp_path)
    assert back.labels("zh") == ["候选点 1", "文化站"] and site_label(back.sites[0], "en", 0) == "Candidate 1"
    back.add_site(121.55, 29.85)
    assert back.labels("zh")[-1] == "候选点 3"
