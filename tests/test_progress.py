"""Progress against the plan: recorded values, versions, trajectory, on-track, files, bad rows."""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import pytest

from atlas.data.geodata import load_districts, load_sites
from atlas.errors import UploadError, ValidationError
from atlas.plan import progress
from atlas.plan.indicators import load_targets, measure_targets

TODAY = date(2026, 12, 1)


@pytest.fixture(scope="module")
def targets():
    return load_targets()


@pytest.fixture(scope="module")
def districts():
    return load_districts()


def row(tid="T23a", year=2024, value="150", **kw):
    seen = kw.pop("observed_on", None) or f"{int(float(year)) + 1}-03-01"
    return {"target_id": tid, "year": year, "district": kw.pop("district", ""), "value": value,
            "source": kw.pop("source", "市科协年报"), "observed_on": seen, **kw}


def target(targets, tid):
    return targets.set_index("id").loc[tid].to_dict() | {"id": tid}


def points(years_values, kind="recorded"):
    return pd.DataFrame([{"year": y, "value": v, "low": lo, "high": hi, "kind": kind}
                         for y, v, lo, hi in years_values], columns=["year", "value", "low", "high", "kind"])


# --- on track ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("series", "status", "projected"), [
    ([(2024, 150.0), (2025, 170.0)], "on_track", 210.0),     # +20 a year reaches 200 in 2027
    ([(2024, 150.0), (2025, 160.0)], "behind", 180.0),       # +10 a year: 180 < 200
    ([(2023, 100.0), (2024, 150.0), (2025, 150.0)], "behind", 150.0),  # the last two points only
    ([(2022, 120.0), (2026, 200.0)], "on_track", 220.0),     # uneven spacing: per-year slope
])
def test_on_track_is_the_line_through_the_last_two_years(targets, series, status, projected):
    a = progress.assess(target(targets, "T23a"), points([(y, v, np.nan, np.nan) for y, v in series]))
    assert a.status == status
    assert a.projected == pytest.approx(projected)
    assert a.years == (series[-2][0], series[-1][0])


def test_a_rank_is_on_track_when_it_falls_to_the_target(targets):
    t = target(targets, "T01a")  # rank ≤ 10
    assert progress.assess(t, points([(2024, 14.0, np.nan, np.nan), (2025, 12.0, np.nan, np.nan)])
                           ).status == "on_track"  # 12 -> 8 by 2027
    assert progress.assess(t, points([(2024, 14.0, np.nan, np.nan), (2025, 13.0, np.nan, np.nan)])
                           ).status == "behind"


def test_a_lower_bound_is_no_point_of_the_line(targets):
    t = target(targets, "T23a")
    seen = points([(2024, 150.0, np.nan, np.nan), (2025, 170.0, np.nan, np.nan),
                   (2026, np.nan, 28.0, np.nan)])
    a = progress.assess(t, seen)  # "at least 28" in 2026 says nothing against 170 in 2025
    assert a.years == (2024, 2025) and a.status == "on_track"


def test_fewer_than_two_years_or_no_figure(targets):
    t = target(targets, "T23a")
    assert progress.assess(t, points([])).status == "not_enough_data"
    assert progress.assess(t, points([(2025, 150.0, np.nan, np.nan)])).status == "not_enough_data"
    # two values for the same year are one year, not two points
    same_year = points([(2025, 150.0, np.nan, np.nan), (2025, 160.0, np.nan, np.nan)])
    assert progress.assess(t, same_year).status == "not_enough_data"
    no_figure = target(targets, "T23b")  # the plan gives the 15-minute circle no figure
    assert progress.assess(no_figure, points([(2024, 1, np.nan, np.nan), (2025, 2, np.nan, np.nan)])
                           ).status == "no_target"


def test_ranges_project_both_ends(targets):
    t = target(targets, "T04d")  # = 10 districts
    straddle = points([(2024, np.nan, 4.0, 6.0), (2025, np.nan, 6.0, 9.0)])  # lows -> 10, highs -> 15
    a = progress.assess(t, straddle)
    assert (a.status, a.projected_low, a.projected_high) == ("on_track", 10.0, 15.0)
    a = progress.assess(t, points([(2024, np.nan, 4.0, 6.0), (2025, np.nan, 4.0, 8.0)]))
    assert (a.status, a.projected_low, a.projected_high) == ("uncertain", 4.0, 12.0)
    assert progress.assess(t, points([(2024, np.nan, 4.0, 6.0), (2025, np.nan, 4.0, 6.0)])).status == "behind"


def test_the_plan_baseline_is_a_point_of_the_trajectory(targets):
    t = target(targets, "T09h")  # 世界500强: 0 at the plan's writing
    traj = progress.trajectory(t, progress.load_values(folder=None).iloc[0:0])
    assert traj.kind.tolist() == ["baseline", "target"]
    assert traj.value.tolist() == [0.0, 1.0]
    bounded = progress.trajectory(target(targets, "T04d"), pd.DataFrame())
    assert bounded.iloc[0][["low", "high", "year"]].tolist() == [4.0, 6.0, 2023]


# --- saving, versions --------------------------------------------------------------------------


def test_saved_values_are_versions_and_the_last_is_current(tmp_path, targets, districts):
    kw = {"targets": targets, "districts": districts, "folder": tmp_path, "today": TODAY}
    assert progress.save_values([row(value="150"), row(year=2025, value="160")], **kw) == 1
    assert progress.save_values([row(value="155", note="更正")], user="王工", **kw) == 2
    history = progress.load_values(folder=tmp_path)
    assert len(history) == 3 and history.version.tolist() == [1, 1, 2]
    cur = progress.current_values(history)
    assert cur[["year", "value"]].to_numpy().tolist() == [[2024, 155.0], [2025, 160.0]]
    assert cur.saved_by.tolist() == ["王工", ""]
    traj = progress.trajectory(target(targets, "T23a"), history)
    assert traj.kind.tolist() == ["recorded", "recorded", "target"]
    assert progress.assess(target(targets, "T23a"), traj).projected == pytest.approx(170.0)


BAD = [
    (row(tid="X99"), "未知的指标编号", "unknown target id"),
    (row(year=2040), "年份应为", "year must be"),
    (row(year="2024.5", observed_on="2025-03-01"), "年份应为", "year must be"),
    (row(district="火星区"), "未知的区县", "unknown district"),
    (row(source=" "), "缺少来源", "no source"),
    (row(observed_on="2024/13/01"), "日期应为", "date must be"),
    (row(observed_on="2027-01-01"), "日期在将来", "in the future"),
    (row(year=2025, observed_on="2024-06-01"), "日期早于", "before the year"),
    (row(value=""), "缺少数值", "no value"),
    (row(value="很多"), "不是数字", "not a number"),
    (row(value="-3"), "不能为负", "cannot be negative"),
    (row(tid="T23d", value="120"), "不能超过 100%", "cannot exceed 100"),
    (row(value="5", low="6"), "下限 ≤ 数值 ≤ 上限", "low ≤ value ≤ high"),
]


@pytest.mark.parametrize(("bad", "zh", "en"), BAD)
def test_a_bad_row_is_refused_with_its_reason_and_nothing_is_saved(tmp_path, targets, districts, bad, zh, en):
    kw = {"targets": targets, "districts": districts, "folder": tmp_path, "today": TODAY}
    progress.save_values([row(value="100")], **kw)
    with pytest.raises(ValidationError) as err:
        progress.save_values([row(year=2025, value="120"), bad], **kw)
    assert "第 2 行" in err.value.zh and zh in err.value.zh
    assert "row 2" in err.value.en and en in err.value.en
    assert "nothing was saved" in err.value.en
    assert progress.load_values(folder=tmp_path).value.tolist() == [100.0]  # the good row 1 too


def test_good_variants_are_accepted(targets, districts):
    good, bad = progress.validate_rows([
        row(district="Yinzhou"), row(district="鄞州区"), row(district="全市"), row(value="1,234"),
        row(tid="t23a"), row(tid="S01", value="-2.5"), row(tid="T23b", value=None, low="40", high="60"),
    ], targets=targets, districts=districts, today=TODAY)
    assert bad == []
    assert [g["district"] for g in good[:3]] == ["鄞州区", "鄞州区", ""]
    assert good[3]["value"] == 1234.0 and good[4]["target_id"] == "T23a"


# --- files -------------------------------------------------------------------------------------


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_export_then_import_gives_the_same_values(tmp_path, targets, districts, lang, fmt):
    """The page's download (headers, districts and how-recorded in ``lang``) imports back as saved."""
    from atlas.io.downloads import values_downloads

    kw = {"targets": targets, "districts": districts, "today": TODAY}
    rows = [row(value="150"), row(year=2025, value="171.5", note="含 “引号”, 逗号"),
            row(district="海曙区", value="12"), row(tid="T23b", value="", low="40.5", high="66")]
    progress.save_values(rows, folder=tmp_path / "a", **kw)
    files = values_downloads(progress.load_values(folder=tmp_path / "a"), targets, districts, lang)
    data = next(f for f in files if f.file_name.endswith(fmt)).make()
    if fmt == "csv":
        head = data.decode("utf-8-sig").splitlines()[0]
        assert head.startswith("指标编号,年份,区县" if lang == "zh" else "Target ID,Year,District")
        assert ("Haishu" in data.decode("utf-8-sig")) == (lang == "en")
    back = progress.read_values_file(data, f"values.{fmt}")
    progress.save_values(back, kind="imported", folder=tmp_path / "b", **kw)
    cols = ["target_id", "year", "district", "value", "low", "high", "source", "observed_on", "note"]
    a = progress.current_values(progress.load_values(folder=tmp_path / "a"))[cols]
    b = progress.current_values(progress.load_values(folder=tmp_path / "b"))[cols]
    pd.testing.assert_frame_equal(a, b)


def test_a_file_with_bad_rows_saves_nothing_and_says_which(tmp_path, targets, districts):
    text = ("宁波市科技指标记录表\n"  # a title row above the header is skipped
            "指标编号,年份,区县,数值,来源,日期\n"
            "T23a,2024,,150,年报,2025-03-01\n"
            "T23a,2031,,150,年报,2025-03-01\n"
            "T99,2024,,1,年报,2025-03-01\n")
    rows = progress.read_values_file(text.encode("gb18030"), "v.csv")
    with pytest.raises(ValidationError) as err:
        progress.save_values(rows, kind="imported", targets=targets, districts=districts,
                             folder=tmp_path, today=TODAY)
    assert "第 2 行" in err.value.zh and "第 3 行" in err.value.zh and "第 1 行" not in err.value.zh
    assert progress.load_values(folder=tmp_path).empty


def test_files_that_cannot_be_values_are_refused(targets):
    with pytest.raises(ValidationError, match="年份"):
        progress.read_values_file("指标编号,数值,来源,日期\nT23a,1,x,2025-01-01\n".encode(), "v.csv")
    with pytest.raises(UploadError):
        progress.read_values_file(b"PK\x03\x04 not really a zip", "v.xlsx")
    with pytest.raises(UploadError):
        progress.read_values_file(b"a,b\n", "v.json")
    with pytest.raises(UploadError):
        progress.read_values_file(b"x" * (progress.MAX_BYTES + 1), "v.csv")


# --- measured by the atlas ---------------------------------------------------------------------


def test_measured_values_are_recorded_with_their_date(tmp_path, targets, districts):
    sites = load_sites()
    city = {"method": "straight-line-bounds", "pct_lower": 20.0, "pct_upper": 70.0, "pct_estimate": 45.0,
            "certain_gap_population": 1000}
    measured = measure_targets(targets, sites=sites, districts=districts, coverage_city=city)
    cov = pd.DataFrame({"district": ["海曙区", "奉化区", "北仑区"], "pct_lower": [30.0, np.nan, np.nan],
                        "pct_estimate": [50.0, np.nan, 17.0], "pct_upper": [80.0, np.nan, 49.0]})
    rows = progress.measured_rows(measured, on=TODAY, district_coverage=cov,
                                  district_counts={"T23a": {"海曙区": 7}})
    progress.save_values(rows, kind="measured", targets=targets, districts=districts, folder=tmp_path,
                         today=TODAY)
    cur = progress.current_values(progress.load_values(folder=tmp_path))
    assert set(cur.target_id) == {"T03a", "T04d", "T23a", "T23b"}  # the four the atlas measures
    assert (cur.observed_on == "2026-12-01").all() and (cur.kind == "measured").all()
    cover = cur[(cur.target_id == "T23b") & (cur.district == "")].iloc[0]
    assert (cover.low, cover.value, cover.high) == (20.0, 45.0, 70.0)  # a range with its estimate
    # no row where data is missing; "at most 49 %" is the range 0–49 %
    assert cur[(cur.target_id == "T23b")].district.tolist() == ["", "北仑区", "海曙区"]
    beilun = cur[(cur.target_id == "T23b") & (cur.district == "北仑区")].iloc[0]
    assert (beilun.low, beilun.value, beilun.high) == (0.0, 17.0, 49.0)
    poles = cur[cur.target_id == "T03a"].iloc[0]  # verified..listed: a range, not "about 0"
    assert np.isnan(poles.value) and poles.low <= poles.high
    kepu = cur[(cur.target_id == "T23a") & (cur.district == "")].iloc[0]
    # the atlas's list is incomplete: at least that many, not a value to draw a trend through
    assert kepu.low == float((sites.category == "kepu_site").sum())
    assert np.isnan(kepu.value) and np.isnan(kepu.high)


@pytest.mark.parametrize(("args", "lang", "text"), [
    ((None, 150.0, None, "家"), "zh", "150 家"),
    ((0.0, 27.456, 61.7, "%"), "zh", "0–61.7 %（约 27.5）"),
    ((0.0, 27.456, 61.7, "%"), "en", "0–61.7 % (about 27.5)"),
    ((11.0, None, None, "名"), "zh", "≥ 11 名"),
    ((4.0, None, 6.0, "个"), "zh", "4–6 个"),
    ((None, 13000.0, None, "家"), "zh", "13,000 家"),
])
def test_values_read_as_people_read_them(args, lang, text):
    from ui.progress_view import value_text

    assert value_text(*args, lang=lang) == text


def test_xlsx_keeps_formula_like_text_as_text():
    import io

    import openpyxl
    import pandas as pd

    from atlas.plan.progress import to_xlsx

    table = pd.DataFrame({"source": ["=HYPERLINK(\"http://x\",\"y\")", "+1", "plain"],
                          "value": [1.0, 2.0, 3.0]})
    ws = openpyxl.load_workbook(io.BytesIO(to_xlsx(table))).active
    cells = [ws.cell(row=r, column=1) for r in (2, 3, 4)]
    assert [c.data_type for c in cells] == ["s", "s", "s"]  # no formula cell
    assert cells[0].value.endswith("=HYPERLINK(\"http://x\",\"y\")") and cells[2].value == "plain"
    assert [ws.cell(row=r, column=2).value for r in (2, 3, 4)] == [1.0, 2.0, 3.0]
