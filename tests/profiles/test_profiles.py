import datetime as dt

import pytest

from kbtui.profiles import ProfileError, available_profiles, find_profile, load_profile, parse_profile

SEED_PROFILES = {
    "shuangshan-2024": ("双山镇", 2024, (6, 15), dt.date(2008, 9, 1)),
    "yundou-2022": ("熨斗镇", 2022, (6, 15), dt.date(2006, 9, 1)),
    "lujiao-2024": ("鹿角镇", 2024, (6, 15), dt.date(2008, 9, 1)),
    "shuangcheng-2020": ("双城区", 2020, (6, 15), dt.date(2004, 9, 1)),
    "shanting-2019": ("山亭区", 2019, (6, 14), dt.date(2004, 9, 1)),
}


@pytest.mark.parametrize("name", sorted(SEED_PROFILES))
def test_seed_profiles_load(name):
    township, year, ages, born_from = SEED_PROFILES[name]
    profile = load_profile(find_profile(name))
    local = profile.cohorts["local"].window
    assert (profile.township, profile.year, (local.low, local.high)) == (township, year, ages)
    assert local.born_from == born_from
    assert profile.phases, "every seed profile carries its phases"


def test_yundou_villages_schools_and_source():
    profile = load_profile(find_profile("yundou-2022"))
    assert len(profile.villages) == 14 and "熨斗社区" in profile.villages
    assert profile.schools == ["熨斗初级中学", "熨斗镇中心小学"]
    assert profile.cohorts["local"].source == "poverty"
    assert profile.phases[3].end == dt.datetime(2022, 10, 19, 18, 0)


def test_lujiao_villages_and_schools():
    profile = load_profile(find_profile("lujiao-2024"))
    assert len(profile.villages) == 7 and len(profile.schools) == 3


def test_issue_example_shape_is_accepted():
    data = {
        "locality": {"province": "重庆市", "county": "铜梁区", "township": "双山镇", "villages": ["…"],
                     "schools": ["双山小学"]},
        "campaign": {"year": 2024, "cutoff": "08-31", "title": "双山镇2024年秋期…"},
        "cohorts": {"local": {"ages": [6, 15]}, "nonlocal": {"ages": [6, 12], "schools": ["双山小学"]}},
        "extra": {"kept": True},
    }
    profile = parse_profile(data)
    assert profile.cohorts["nonlocal"].schools == ("双山小学",)
    assert profile.data["extra"]["kept"]


@pytest.mark.parametrize("mutate, message", [
    (lambda d: d.pop("locality"), "缺少 [locality]"),
    (lambda d: d["campaign"].pop("year"), "缺少 [campaign] year"),
    (lambda d: d["campaign"].update(cutoff="8月31日"), "cutoff"),
    (lambda d: d["cohorts"]["local"].update(ages=[15, 6]), "ages 应为"),
    (lambda d: d.pop("cohorts"), "cohorts.local"),
    (lambda d: d["campaign"].update(phases=[{"name": "排查", "end": "九月"}]), "日期“九月”看不懂"),
])
def test_bad_profiles_get_chinese_messages(mutate, message):
    data = {"locality": {"township": "某镇"}, "campaign": {"year": 2024},
            "cohorts": {"local": {"ages": [6, 15]}}}
    mutate(data)
    with pytest.raises(ProfileError) as err:
        parse_profile(data)
    assert message in str(err.value)


def test_toml_syntax_error_and_unknown_name(tmp_path):
    bad = tmp_path / "bad.toml"
    bad.write_text("[locality\n", encoding="utf-8")
    with pytest.raises(ProfileError, match="格式错误"):
        load_profile(bad)
    with pytest.raises(ProfileError, match="可用的有"):
        find_profile("nowhere-1999")
    assert set(SEED_PROFILES) <= set(available_profiles())
