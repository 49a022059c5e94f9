"""The report model: grouping, fixed rows, sections, checked totals, rates, header bands, variants."""
import datetime as dt

import pytest

from kbtui.domain.report import (
    Report,
    ReportContext,
    ReportError,
    by_field,
    count,
    percent,
    rate,
    total_of,
)
from kbtui.profiles import parse_profile
from kbtui.services.reporting.reports import sum_ranges

PROFILE = parse_profile({
    "locality": {"township": "清河镇", "villages": ["东村", "西村", "南村"]},
    "campaign": {"year": 2025},
    "cohorts": {"local": {"ages": [6, 15]}},
})


def kid(village, school="", boy=True, note=""):
    return {"village": village, "school": school, "sex": "男" if boy else "女", "note": note}


KIDS = [kid("东村", "一小"), kid("东村", "一小", False), kid("西村", "二小"), kid("北村", "一小", False), kid("")]

REPORT = Report(
    id="sex",
    title="{township}{year}年男女统计",
    include=lambda r, ctx: True,
    columns=(
        count("男", "boys", lambda r, ctx: r["sex"] == "男", group="人数"),
        count("女", "girls", lambda r, ctx: r["sex"] == "女", group="人数"),
        total_of("小计", "all", ["boys", "girls"], group="人数"),
        rate("男生占比（%）", "share", ["boys"], ["all"]),
    ),
    notes=("注：{township}男生占比＝男÷小计×100%。",),
)


def ctx(village=None):
    return ReportContext(PROFILE, dt.date(2025, 9, 20), village=village)


def test_rows_fixed_villages_then_the_others_and_a_checked_total():
    rows = REPORT.rows_for(KIDS, ctx())
    assert [r.label for r in rows] == ["东村", "西村", "南村", "北村", "（未填）", "合计"]
    assert [r.values["all"] for r in rows] == [2, 1, 0, 1, 1, 5]
    assert rows[0].values["share"] == 50.0 and rows[2].values["share"] == ""
    assert rows[-1].values == {"boys": 3, "girls": 2, "all": 5, "share": 60.0}
    assert rows[-1].parts == (0, 1, 2, 3, 4)
    assert REPORT.title_for(ctx()) == "清河镇2025年男女统计"
    assert REPORT.notes_for(ctx()) == ["注：清河镇男生占比＝男÷小计×100%。"]
    assert REPORT.table(rows, ctx())[-1][:3] == ["", "合计", 3]


def test_one_village_only():
    rows = REPORT.rows_for([k for k in KIDS if k["village"] == "西村"], ctx("西村"))
    assert [r.label for r in rows] == ["西村", "合计"]


def test_sections_make_subtotals_and_leftovers_go_to_a_last_one():
    report = REPORT.but(sections=lambda ctx: [("东片小计", ["东村", "南村"]), ("西片小计", ["西村"])])
    rows = report.rows_for(KIDS, ctx())
    assert [(r.label, r.kind, r.values["all"]) for r in rows] == [
        ("东村", "data", 2), ("南村", "data", 0), ("东片小计", "subtotal", 2), ("西村", "data", 1),
        ("西片小计", "subtotal", 1), ("北村", "data", 1), ("（未填）", "data", 1), ("其他小计", "subtotal", 2),
        ("合计", "total", 5)]
    assert rows[-1].parts == (0, 1, 3, 5, 6)


def test_header_band_over_grouped_columns():
    assert REPORT.header_groups(ctx()) == [("", 2), ("人数", 3), ("", 1)]
    assert [h for h, _ in REPORT.headers(ctx())] == ["序号", "村（社区）", "男", "女", "小计", "男生占比（%）"]


def test_variants_rename_add_remove_regroup():
    variant = (REPORT.renamed({"男": "男生", "村（社区）": "村名", "girls": "女生"})
               .with_columns(count("备注", "noted", lambda r, c: bool(r["note"])), after="girls")
               .without_columns("share")
               .but(title="{township}男女生人数"))
    headers = [h for h, _ in variant.headers(ctx())]
    assert headers == ["序号", "村名", "男生", "女生", "备注", "小计"]
    assert variant.title_for(ctx()) == "清河镇男女生人数"
    assert REPORT.title_for(ctx()) == "清河镇2025年男女统计"          # the stock one is unchanged
    by_school = REPORT.but(group_by=by_field("school", "（无学校）"), label_header="学校")
    assert by_school.groups is None
    rows = by_school.rows_for(KIDS, ctx())
    assert [(r.label, r.values["all"]) for r in rows] == [("一小", 3), ("二小", 1), ("（无学校）", 1), ("合计", 5)]
    with pytest.raises(ReportError, match="没有“无此列”列"):
        REPORT.with_columns(count("x", "x", lambda r, c: True), after="无此列").columns_for(ctx())


def test_percent_rounds_half_up_like_excel():
    assert percent(1, 8) == 12.5 and percent(1, 3) == 33.33 and percent(2, 3) == 66.67
    assert percent(1, 400) == 0.25 and percent(1, 800) == 0.13       # 0.125 → 0.13 (Python's round gives 0.12)
    assert percent(5, 0) == ""


def test_sum_ranges_for_the_formulas():
    assert sum_ranges("D", 5, (0, 1, 2, 4, 6, 7)) == ["D5:D7", "D9", "D11:D12"]
    assert sum_ranges("D", 5, ()) == ["0"]
