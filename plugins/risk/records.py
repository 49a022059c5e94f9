"""Early-warning factors from what the records and the visits say.

- ``situation``: the child's current situation (在籍未在校, 疑似辍学 …).
- ``enrollment``: a 学籍 status other than 在读 (休学, 转出 …) on the school list.
- ``failed_visit``: a recent visit or persuasion attempt that failed (无法联系, 不在家, 监护人拒绝 …).
- ``reasons``: the reasons written for absences and on the record (外出打工, 务农, 厌学 …): 鹿角 2024 names
  学习困难、外出打工等辍学高风险倾向学生.
"""
from kbtui import hookimpl
from kbtui.api import Hit, RiskFactor, cn_date, to_date, words_in

ATTENDING = ("", "在读")


def situation(child, params):
    points = params["points"].get(child.situation, 0)
    return Hit(points, f"当前情况为“{child.situation}”") if points else None


def enrollment(child, params):
    state = str(child.record.get("enrollment_status") or "").strip()
    if state in ATTENDING or "school" not in (child.record.get("sources") or ()):
        return None
    points = params["points"].get(state, params["other"])
    return Hit(points, f"学籍状态为“{state}”") if points else None


def failed_visit(child, params):
    failures = [(_date(e.get("date"), None), f"{e.get('how') or '走访'}未果：{e.get('note')}", False)
                for e in child.visits() if words_in(e.get("note"), params["words"])]
    failures += [(_date(a.get("date"), None), f"{a.get('how') or '劝返'}未果：{a.get('result')}",
                  bool(a.get("refused")))
                 for a in child.attempts() if a.get("refused") or words_in(a.get("result"), params["words"])]
    failures = [f for f in failures if f[0] is not None]
    if not failures:
        return None
    day, what, refused = max(failures, key=lambda f: f[0])
    if (child.today - day).days > params["within_days"]:
        return None
    return Hit(params["refused"] if refused else params["points"], f"{cn_date(day)}{what}")


def reasons(child, params):
    recent = [d for d in child.absences
              if (child.today - _date(d.get("start"), child.today)).days <= params["within_days"]]
    texts = [str(d.get("reason") or "") for d in recent]
    texts.append(str(child.record.get("status_reason") or ""))
    texts += [str(c.get("reason") or "") for c in child.cases]
    texts = [t for t in texts if t]
    if not texts:
        return None
    found = {w: p for w, p in params["points"].items() if p and any(w in t for t in texts)}
    if not found:
        return None
    shown = [w for w in found if not any(w != other and w in other for other in found)]   # 打工 in 外出打工
    return Hit(max(found.values()), f"缺课或辍学原因写有“{'、'.join(shown)}”")


def _date(value, default):
    try:
        return to_date(value)
    except ValueError:
        return default


FACTORS = (
    RiskFactor("situation", "当前情况", situation,
               {"points": {"在籍未在校": 25, "疑似辍学": 40, "辍学": 60, "失学": 60}},
               "按儿童当前的核实情况计分", "熨斗镇2022（筛查预警清单）；国家通行口径（疑似辍学）"),
    RiskFactor("enrollment", "学籍变动", enrollment, {"points": {"休学": 15, "转出": 20, "转学": 20}, "other": 10},
               "学籍名单上的学籍状态不是“在读”（休学、转出等；其他状态计 other 分）",
               "山亭区2019（一生一籍，人籍一致，籍随人走）；鹿角镇2024（衔接好转入、转出）"),
    RiskFactor("failed_visit", "走访未果", failed_visit,
               {"points": 20, "refused": 30, "within_days": 60,
                "words": ["无法联系", "联系不上", "未见到", "没见到", "不在家", "家中无人", "拒绝", "拒不", "失联",
                          "不配合"]},
               "within_days 天内最近一次走访或劝返没有结果（说明中有 words 中的词；监护人拒不送返计 refused 分）",
               "鹿角镇2024（经劝返仍不到校或无法联系上的）；双城区2020（劝返无效报上一级）"),
    RiskFactor("reasons", "缺课原因", reasons,
               {"points": {"外出打工": 25, "打工": 25, "务农": 15, "厌学": 20, "学习困难": 15, "早婚": 30,
                           "监护人不重视": 15}, "within_days": 120},
               "within_days 天内的缺课原因、儿童的原因或案卷原因写有 points 中的词，取其中最高分",
               "鹿角镇2024（学习困难、外出打工等辍学高风险倾向学生）；双城区2020（学困、厌学）"),
)


@hookimpl
def kbtui_register_risk_factors(registry):
    for factor in FACTORS:
        registry.add(factor.id, factor)
