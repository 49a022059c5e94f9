"""The profile's sections are read once, typed, when it loads: a wrong value is refused then, in Chinese,
naming the file, the section and the key; every stock profile loads and its settings are what the file says."""
from __future__ import annotations

import re
from pathlib import Path

import pytest

from kbtui.domain.home_delivery import FrequencyRule
from kbtui.profiles import ProfileError, available_profiles, load_profile
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
SHUANGSHAN = ROOT / "config" / "shuangshan-2024.toml"
CORE_SECTIONS = ("campaign", "ledgers", "reports", "escalation", "visits", "spotcheck", "checking",
                 "responsibility", "backup", "disability", "calendar", "risk", "import", "plugins")


def with_extra(tmp_path: Path, extra: str, name: str = "bad.toml") -> Path:
    """Shuangshan's profile with ``extra`` TOML appended (a section the stock file does not have: TOML
    refuses a table written twice)."""
    text = SHUANGSHAN.read_text(encoding="utf-8")
    path = tmp_path / name
    path.write_text(text + "\n" + extra + "\n", encoding="utf-8")
    return path


def replaced(tmp_path: Path, old: str, new: str, name: str = "bad.toml") -> Path:
    text = SHUANGSHAN.read_text(encoding="utf-8")
    assert old in text
    path = tmp_path / name
    path.write_text(text.replace(old, new, 1), encoding="utf-8")
    return path


BAD_APPENDED = [
    ('[backup]\nkeep = "十份"', "[backup] 中 keep 的值“十份”应为正整数"),
    ("[backup]\nkeep = 0", "[backup] 中 keep 的值“0”应为正整数"),
    ('[visits]\ncommon = "在籍在校"', "[visits] 中 common 应为文字列表"),
    ('[checking.roles]\n"省复核" = ["督学"]', "[checking.roles] 中 省复核 没有“省复核”这一核查级别"),
    ('[checking.roles]\n"镇核查" = "校长"', "[checking.roles] 中 镇核查 应为文字列表"),
    ('[responsibility]\n"双山小学" = "双山社区"', "[responsibility] 中 双山小学 应为文字列表"),
    ('[import.synonyms]\nname = "名字"', "[import.synonyms] 中 name 应为文字列表"),
    ('[plugins]\ndirs = "my-plugins"', "[plugins] 中 dirs 应为文字列表"),
    ('[risk]\nlevel = 3', "[risk] 中的“level”不认识，可用的有：levels、factors"),
]
BAD_REPLACED = [
    ('term = ["2024-09-01", "2025-01-17"]', 'term = ["2024-09-01", "2025年1月17日"]',
     "[calendar] 中 term 的“2025年1月17日”应为日期（如 2024-09-01）"),
    ('holidays = ["2024-09-16",', 'holidays = ["9月16日",',
     "[calendar] 中 holidays 的“9月16日”应为日期（如 2024-09-01）"),
    ('term = ["2024-09-01", "2025-01-17"]', 'term = ["2025-01-17", "2024-09-01"]',
     "[calendar] 学期 2025-01-17 至 2024-09-01：结束日期早于开学日期"),
    ("home_delivery = { per_week = 1, periods = 2 }", 'home_delivery = { per_week = "每周一次" }',
     "[disability] home_delivery 的 per_week“每周一次”应为非负整数"),
    ('"脱贫户" = 5', '"脱贫户" = "五户"', "[spotcheck] 中 脱贫户 的值“五户”应为非负整数"),
    ('local_label = "双山籍"', "local_label = 1", "[ledgers] 中 local_label 的值“1”应为文字"),
    ('ladders = ["finding", "national", "legal"]', 'ladders = "national"', "[escalation] 中 ladders 应为文字列表"),
    ('enabled = ["statistics"]', "enabled = true", "[reports] 中 enabled 应为文字列表"),
    ('"高" = 60', '"高" = "六十"', "[risk.levels] 中“高”的分数“六十”应为正整数"),
    ('visit_phase = "上门入户排查"', "visit_phase = 3", "[campaign] 中 visit_phase 的值“3”应为文字"),
]


@pytest.mark.parametrize("extra, message", BAD_APPENDED, ids=[m for _e, m in BAD_APPENDED])
def test_a_bad_section_is_refused_on_load_naming_file_section_and_key(tmp_path, extra, message):
    path = with_extra(tmp_path, extra)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert str(err.value).startswith(f"配置文件 {path} 的 {message}"), str(err.value)


@pytest.mark.parametrize("old, new, message", BAD_REPLACED, ids=[m for _o, _n, m in BAD_REPLACED])
def test_a_bad_value_in_a_stock_section_is_refused_on_load(tmp_path, old, new, message):
    path = replaced(tmp_path, old, new)
    with pytest.raises(ProfileError) as err:
        load_profile(path)
    assert str(err.value).startswith(f"配置文件 {path} 的 {message}"), str(err.value)


def test_kbtui_init_with_a_bad_profile_says_where_and_creates_nothing(tmp_path):
    path = replaced(tmp_path, 'holidays = ["2024-09-16",', 'holidays = ["9月16日",')
    data = tmp_path / "data"
    result = run_cli("init", "--profile", str(path), data_dir=data)
    assert result.exit_code == 1
    assert f"错误：配置文件 {path} 的 [calendar] 中 holidays 的“9月16日”应为日期（如 2024-09-01）" in result.output
    assert "Traceback" not in result.output
    assert not data.exists()


@pytest.mark.parametrize("command", [("stats",), ("tui",), ("backup",), ()])
def test_opening_a_folder_whose_profile_was_broken_says_where(empty_workspace_dir, command):
    profile = empty_workspace_dir / "profile.toml"
    profile.write_text(profile.read_text(encoding="utf-8") + '\n[backup]\nkeep = "十份"\n', encoding="utf-8")
    result = run_cli(*command, data_dir=empty_workspace_dir)
    assert result.exit_code == 1
    assert f"错误：配置文件 {profile} 的 [backup] 中 keep 的值“十份”应为正整数" in result.output
    assert "Traceback" not in result.output


@pytest.mark.parametrize("name", sorted(available_profiles()))
def test_every_stock_profile_loads_and_its_settings_are_typed(name):
    profile = load_profile(available_profiles()[name])
    s = profile.settings
    assert s.spotcheck_sizes and all(isinstance(n, int) and n > 0 for n in s.spotcheck_sizes.values())
    assert s.ladders and s.ladders[0] == "finding" and s.ladders[-1] == "legal"
    assert s.calendar.school.terms and s.calendar.delivery.terms == s.calendar.school.terms
    assert s.risk.levels[0][1] > s.risk.levels[-1][1]
    assert profile.ledgers is None or all(isinstance(i, str) for i in profile.ledgers)


def test_shuangshan_and_yundou_settings_are_what_their_files_say():
    shuangshan = load_profile(available_profiles()["shuangshan-2024"]).settings
    assert shuangshan.spotcheck_sizes == {"脱贫户": 5, "监测户": 5, "一般农户": 10}
    assert (shuangshan.ledgers.local_label, shuangshan.ledgers.nonlocal_label) == ("双山籍", "非双山籍")
    assert shuangshan.home_delivery == FrequencyRule(per_week=1, periods=2)
    assert shuangshan.term_name == "秋期" and shuangshan.visit_phase == "上门入户排查"
    assert shuangshan.reports == ("statistics",) and shuangshan.backup_keep is None
    yundou = load_profile(available_profiles()["yundou-2022"]).settings
    assert yundou.checking_roles["县复核"] == ("县教育局", "督学")
    assert yundou.responsibility.schools_for_village("金星村") == ["熨斗初级中学"]
    assert yundou.ledgers.local_label == "本镇籍" and yundou.home_delivery is None


def test_a_plugins_own_section_stays_readable(tmp_path):
    path = with_extra(tmp_path, '[liushou]\nsource = "民政办"\n', name="plugin.toml")
    assert load_profile(path).section("liushou") == {"source": "民政办"}


CORE_READ = re.compile(r"\.section\(\s*[\"'](" + "|".join(CORE_SECTIONS) + r")[\"']")


def test_nothing_reads_a_core_section_raw():
    """Services, domain and stock plugins read the typed settings; ``section()`` is for a plugin's own table."""
    found = [f"{p.relative_to(ROOT)}:{n}" for folder in ("src", "plugins") for p in (ROOT / folder).rglob("*.py")
             for n, line in enumerate(p.read_text(encoding="utf-8").splitlines(), 1) if CORE_READ.search(line)]
    assert not found, "read profile.settings instead of profile.section(…): " + ", ".join(found)
