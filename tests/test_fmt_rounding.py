"""Every rounding helper of atlas.fmt rounds halves up (away from zero), as people expect.

Python's round() and numpy round halves to even: 1,125 m read "1,120 m" and 250 people "200".
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

from atlas import fmt


@pytest.mark.parametrize(("value", "ndigits", "expected"), [
    (1125.0, -1, 1130.0), (1135.0, -1, 1140.0), (250.0, -2, 300.0), (350.0, -2, 400.0),
    (0.25, 1, 0.3), (0.125, 2, 0.13), (2.5, 0, 3.0), (-2.5, 0, -3.0), (-1125.0, -1, -1130.0),
    (1124.9, -1, 1120.0), (49.0, -2, 0.0), (0.0, 1, 0.0),
])
def test_round_half_up(value, ndigits, expected):
    assert fmt.round_half_up(value, ndigits) == expected


def test_round_half_up_keeps_missing_and_infinite():
    assert math.isnan(fmt.round_half_up(None)) and math.isnan(fmt.round_half_up(float("nan")))
    assert fmt.round_half_up(float("inf")) == float("inf")


@pytest.mark.parametrize(("func", "value", "text"), [
    (fmt.metres, 1125, "1,130 m"), (fmt.metres, 865.0, "870 m"), (fmt.metres, 12_250, "12.3 km"),
    (fmt.metres, -1125, "-1,130 m"), (fmt.metres, -3, "0 m"),
    (fmt.people, 250, "300"), (fmt.people, 1_050, "1,100"), (fmt.people, 3_244_950, "3,245,000"),
    (fmt.people, -250, "-300"), (fmt.people, 49, "< 100"),
    (fmt.pct, 0.25, "0.3 %"), (fmt.pct, 12.45, "12.5 %"), (fmt.pct, -0.25, "-0.3 %"),
    (fmt.km2, 0.125, "0.13 km²"), (fmt.km2, 12.5, "13 km²"),
    (fmt.budget, 1125.0, "1,125 m"), (fmt.budget, 800, "800 m"),
])
def test_every_text_helper_rounds_halves_up(func, value, text):
    assert func(value) == text


def test_signed_percentages_and_ranges_round_halves_up():
    assert fmt.pct(0.85, sign=True) == "+0.9 %"
    assert fmt.pct(-0.85, sign=True) == "-0.9 %"
    assert fmt.pct_range(1.25, 2.05) == "1.3–2.1 %"
    assert fmt.pct_range(1.25, 1.30) == "1.3 %"
    assert fmt.count(2.5) == "3" and fmt.count(1234.5, "en", unit_en="sites") == "1,235 sites"


def test_round_people_and_tables_round_halves_up_as_numbers_and_text():
    assert fmt.round_people(250) == 300.0 and fmt.round_people(-250) == -300.0
    df = pd.DataFrame({"population": [250.0, 1_050.0], "pct_covered": [0.25, np.nan],
                       "metres": [1125.0, 865.0], "area_km2": [0.125, 3.0], "budget_m": [1125.0, 800.0]})
    num = fmt.table(df, "en")
    assert num["Residents"].tolist() == [300.0, 1_100.0]
    assert num["Covered (%)"].iloc[0] == 0.3 and math.isnan(num["Covered (%)"].iloc[1])
    assert num["Walking distance (m)"].tolist() == [1130.0, 870.0]
    assert num["Area (km²)"].iloc[0] == 0.13
    assert num["Budget (m)"].tolist() == [1125.0, 800.0]  # a setting, shown as set
    text = fmt.table(df, "en", keep_numeric=False)
    assert text["Residents"].tolist() == ["300", "1,100"]
    assert text["Covered (%)"].tolist() == ["0.3 %", fmt.MISSING]
    assert text["Walking distance (m)"].tolist() == ["1,130 m", "870 m"]
    assert text["Budget (m)"].tolist() == ["1,125 m", "800 m"]


def test_supply_data_missing_reads_as_words():
    assert fmt.method_label("supply_data_missing", "zh") == "数据缺失（源数据无记录）"
    assert fmt.method_label("supply_data_missing", "en") == "no data in source"
