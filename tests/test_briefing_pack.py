"""The whole briefing pack, written once by the command line (``export-briefing``; the session
fixture ``briefing_pack`` in tests/conftest.py) and read by every test about it: one map per
district, and the same district figures in the app and in the pack's CSVs.

The tests reading the pack live in this one module so that pytest-xdist (``--dist loadscope``)
runs them on one worker, which builds the pack once.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pypdf import PdfReader

from atlas import fmt
from tests.apptest_support import run_page as _run

ROOT = Path(__file__).resolve().parent.parent
COV_PAGE = "pages/3_覆盖缺口_Coverage.py"




def test_cli_writes_one_map_per_district(briefing_pack):
    """The command's whole pack (``export-briefing --out DIR --dpi 40``: every district), written
    once per run for the tests that read it (tests/conftest.py)."""
    assert briefing_pack.rc == 0
    out = briefing_pack.out
    pngs = sorted(p.name for p in out.glob("3302*.png"))
    pdfs = sorted(p.name for p in out.glob("3302*.pdf"))
    csvs = sorted(p.name for p in out.glob("3302*_coverage.csv"))
    assert len(pngs) == len(pdfs) == len(csvs) == 10
    # each district page is its coverage briefing: figures, table and gaps beside the map
    text = PdfReader(str(next(out.glob("330212*.pdf")))).pages[0].extract_text()
    assert "15分钟科普服务圈覆盖简报" in text and "各区县覆盖情况" in text and "至多（直线上限）" in text
    assert (out / "city_coverage.pdf").exists() and (out / "city_coverage.png").exists()
    assert (out / "atlas.gpkg").exists() and (out / "atlas.html").exists()
    assert (out / "city.pdf").stat().st_size > 10_000


@pytest.mark.parametrize("district", ["江北区", "鄞州区"])
def test_the_app_and_the_briefing_csv_show_the_same_district_figures(briefing_pack, district):
    """江北 read 1.97 % in the app and 1.40 % in the briefing CSV: one computation now. The CSVs
    are the command's whole pack (``export-briefing``, every district; tests/conftest.py)."""
    at = _run(COV_PAGE)
    at.selectbox(key="cov_scope").select(district).run()
    assert not at.exception
    app_table = at.dataframe[0].value
    # people headers on the page and in the briefing CSV say how people were placed (one helper)
    from atlas.coverage.summary import demand_label
    people = demand_label("area-uniform", "zh", column="population")
    assert "常住人口（人）" not in app_table.columns and people in app_table.columns
    app = app_table.set_index("范围").loc[district]
    assert briefing_pack.rc == 0
    csv = next(briefing_pack.out.glob(f"*_{district}_coverage.csv"))
    exported = pd.read_csv(csv, encoding="utf-8-sig").set_index("范围").loc[district]
    both = sorted(set(app.index) & set(exported.index))
    # offline: the bounds and the labelled estimate, the same in both places (one function)
    assert {"覆盖率上限（%）", "覆盖率估计（%）", people} <= set(both)
    for col in both:  # the same figure (the CSV writes people as whole numbers)
        a, b = app[col], exported[col]
        numbers = all(isinstance(v, int | float | np.number) and not pd.isna(v) for v in (a, b))
        assert (float(a) == float(b)) if numbers else str(a) == str(b), (col, a, b)
    # and the headline metric of the page is the same upper bound
    assert at.metric[0].value == "≤ " + fmt.pct(float(exported["覆盖率上限（%）"]))
    summary = pd.read_csv(briefing_pack.out / "coverage_by_district.csv", encoding="utf-8-sig")
    assert summary.set_index("范围").loc[district, "覆盖率上限（%）"] == exported["覆盖率上限（%）"]
