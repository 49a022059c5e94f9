"""Early-warning factors from attendance, counted in school days (the school calendar).

- ``attendance``: the rate over the last ``window`` school days; school early-warning systems flag below
  80–88 %.
- ``streak``: the current or a recent run of days absent without leave; 双城 2020 (seed 003) acts at 3 and
  7 school days and at one month (about 20 school days), 鹿角 2024 (seed 002) at 48 hours.
- ``relapse``: absent again after coming back (复学后再缺课): 山亭 2019 asks for 返校就读学生关爱帮扶.
"""
import datetime as dt

from kbtui import hookimpl
from kbtui.api import Hit, RiskFactor, band_points, cn_date


def attendance(child, params):
    if not child.record.get("school"):
        return None                      # not at a school: nothing to count
    days = child.ctx.school_days_back(params["window"])
    if len(days) < params["min_days"]:
        return None
    absent = child.absent_days(days, excused=params["count_excused"])
    rate = 100 * (len(days) - absent) / len(days)
    points = band_points(rate, params["bands"], below=True)
    if not points:
        return None
    what = "缺课（含请假）" if params["count_excused"] else "无故缺课"
    return Hit(points, f"近{len(days)}个上课日{what}{absent}天，出勤率{rate:.0f}%")


def streak(child, params):
    episode = child.latest_episode()
    if episode is None:
        return None
    days = [d for d in episode.counted if d <= child.today]
    if not days:
        return None
    away = episode.away_on(child.today)
    if not away:
        since = child.ctx.calendar.count(days[-1] + dt.timedelta(days=1), child.today)
        if since > params["recent"]:
            return None
    points = band_points(len(days), params["bands"])
    if not points:
        return None
    when = f"自{cn_date(episode.first)}起" + ("至今未返校" if away else f"，{cn_date(episode.returned_on)}返校")
    return Hit(points, f"连续无故缺课{len(days)}个上课日（{when}）")


def relapse(child, params):
    returns = child.returns()
    if not returns:
        return None
    back = returns[-1]
    if (child.today - back).days > params["within_days"]:
        return None
    days = [d for e in child.episodes for d in e.counted if back <= d <= child.today]
    if not days:
        return None
    return Hit(params["points"], f"{cn_date(back)}劝返复学后又无故缺课{len(days)}天")


FACTORS = (
    RiskFactor("attendance", "出勤率", attendance,
               {"window": 20, "min_days": 5, "bands": [[80, 30], [90, 15]], "count_excused": False},
               "近 window 个上课日的出勤率低于 bands 的界限时计分（默认低于80%计30分，低于90%计15分）",
               "学校预警系统通行口径（出勤率低于80%—88%）"),
    RiskFactor("streak", "连续缺课", streak,
               {"bands": [[2, 10], [3, 20], [7, 35], [20, 50]], "recent": 10},
               "正在缺课或 recent 个上课日内刚结束的一次缺课，按连续无故缺课的上课日数计分",
               "双城区2020（3日、7日、一个月）；鹿角镇2024（48小时）"),
    RiskFactor("relapse", "复学后再缺课", relapse, {"points": 30, "within_days": 90},
               "劝返复学后 within_days 天内又无故缺课",
               "山亭区2019（做好返校就读学生关爱帮扶）；鹿角镇2024（保证不再出现新增辍学）"),
)


@hookimpl
def kbtui_register_risk_factors(registry):
    for factor in FACTORS:
        registry.add(factor.id, factor)
