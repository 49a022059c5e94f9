"""The 比对 rules of issue 3, as a table on the 双山 2024 profile."""
import pytest

from kbtui.domain.classify import classify
from kbtui.profiles import find_profile, load_profile

PROFILE = load_profile(find_profile("shuangshan-2024"))


def child(birth, sources, **extra):
    return {"id_number": "x", "birth_date": birth, "sources": sources, **extra}


@pytest.mark.parametrize("record, cohort, situation", [
    (child("2012-05-01", ["police", "school"], school="双山小学", enrollment_status="在读"), "local", "在籍在校"),
    (child("2012-05-01", ["police", "school"], school="双山小学", enrollment_status="休学"), "local", "在籍未在校"),
    (child("2012-05-01", ["police"]), "local", "待核实"),
    (child("2018-08-31", ["police"]), "local", "缓学待核实"),      # age 6 on 2024-08-31
    (child("2018-09-01", ["police"]), None, "不在排查范围"),        # age 5
    (child("2008-08-31", ["police"]), None, "不在排查范围"),        # age 16
    (child("2008-09-01", ["police"]), "local", "待核实"),          # age 15
    (child("2013-01-01", ["school"], school="双山小学", enrollment_status="在读"), "nonlocal", "在籍在校"),
    # 13: outside 6–12
    (child("2011-08-31", ["school"], school="双山小学", enrollment_status="在读"), None, "在籍在校"),
    (child("2013-01-01", ["school"], school="别的小学", enrollment_status="在读"), None, "在籍在校"),
    (child("2012-05-01", ["police"], status="外地就读"), "local", "外地就读"),    # a finding wins
])
def test_classification(record, cohort, situation):
    c = classify(record, PROFILE)
    assert (c.cohort, c.situation) == (cohort, situation)


def test_yundou_builds_its_cohort_from_the_poverty_list():
    yundou = load_profile(find_profile("yundou-2022"))
    assert classify(child("2010-01-01", ["poverty"]), yundou).cohort == "local"
    assert classify(child("2010-01-01", ["police"]), yundou).cohort is None
