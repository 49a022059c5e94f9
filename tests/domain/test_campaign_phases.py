"""Campaign phases against a given day: the seeds' deadlines (双山 9/6…9/25, 熨斗 10/8…10/28)."""
import datetime as dt

import pytest

from kbtui.domain import campaign as cp
from kbtui.profiles import find_profile, load_profile
from kbtui.services.campaign.campaigns import profile_campaign


@pytest.fixture(scope="module")
def shuangshan():
    return profile_campaign(load_profile(find_profile("shuangshan-2024")))


@pytest.fixture(scope="module")
def yundou():
    return profile_campaign(load_profile(find_profile("yundou-2022")))


def test_shuangshan_current_phase_and_days_left(shuangshan):
    status = cp.current_phase(shuangshan.phases, dt.date(2024, 9, 10))
    assert status.name == "精准排查对象" and status.days_left == 3
    overdue = [s.name for s in cp.overdue_phases(shuangshan.phases, dt.date(2024, 9, 10))]
    assert overdue == ["全面动员部署"]
    # the deadline day itself is still current
    assert cp.current_phase(shuangshan.phases, dt.date(2024, 9, 13)).days_left == 0
    # 上门入户排查 and 梳理建立台账 share 9/20: both current
    states = {s.name: s.state for s in cp.phase_statuses(shuangshan.phases, dt.date(2024, 9, 18))}
    assert states["上门入户排查"] == states["梳理建立台账"] == cp.CURRENT
    assert states["专项督导检查"] == cp.UPCOMING
    assert cp.current_phase(shuangshan.phases, dt.date(2024, 9, 26)) is None
    assert len(cp.overdue_phases(shuangshan.phases, dt.date(2024, 9, 26))) == 5


def test_yundou_submission_at_18h(yundou):
    before = dt.datetime(2022, 10, 19, 17, 59)
    after = dt.datetime(2022, 10, 19, 18, 1)
    assert cp.current_phase(yundou.phases, before).name == "上交附件1、2、3"
    assert "上交附件1、2、3" in [s.name for s in cp.overdue_phases(yundou.phases, after)]
    # phases with a start: preparation and survey overlap on 10/10
    states = {s.name: s.state for s in cp.phase_statuses(yundou.phases, dt.date(2022, 10, 10))}
    assert states["准备阶段"] == states["入户调查"] == cp.CURRENT
    assert states["县局复核"] == cp.UPCOMING
    review = next(s for s in cp.phase_statuses(yundou.phases, dt.date(2022, 10, 21)) if s.name == "县局复核")
    assert review.start == dt.date(2022, 10, 26) and review.days_left == 7


def test_visit_phase_named_or_guessed(shuangshan, yundou):
    assert cp.visit_phase(shuangshan).name == "上门入户排查"
    assert cp.visit_deadline(yundou) == dt.datetime(2022, 10, 17, 23, 59)
    guessed = cp.Campaign("x", "x", 2025, shuangshan.phases, visit_phase=None)
    assert cp.visit_phase(guessed).name == "上门入户排查"
    empty = cp.Campaign("y", "y", 2025)
    assert cp.visit_deadline(empty) is None


def test_is_late():
    due = dt.datetime(2024, 9, 20, 23, 59)
    assert not cp.is_late(due, dt.date(2024, 9, 20))
    assert cp.is_late(due, dt.date(2024, 9, 21))
    assert cp.is_late(dt.date(2024, 9, 20), dt.datetime(2024, 9, 21, 0, 1))
    assert not cp.is_late(None, dt.date(2030, 1, 1))


def test_parse_phase_arg_and_round_trip():
    phase = cp.parse_phase_arg("入户排查=2025-03-01..03-20", 2025)
    assert phase.start == dt.date(2025, 3, 1) and phase.end == dt.datetime(2025, 3, 20, 23, 59)
    assert cp.parse_phase_arg("上交=2025-03-21 18:00", 2025).end.hour == 18
    with pytest.raises(ValueError, match="名称=截止日期"):
        cp.parse_phase_arg("没有日期", 2025)
    with pytest.raises(ValueError, match="看不懂"):
        cp.parse_phase_arg("排查=下周一", 2025)
    campaign = cp.Campaign("2025-spring", "春期", 2025, (phase,), "入户排查")
    assert cp.Campaign.from_doc(campaign.as_doc()) == campaign


def test_every_profile_has_phases_and_a_visit_phase():
    from kbtui.profiles import available_profiles

    for name, path in available_profiles().items():
        campaign = profile_campaign(load_profile(path))
        assert campaign.phases, name
        assert cp.find_phase(campaign.phases, campaign.visit_phase), name
