"""Demo data for disabled children: assessments, placements and home-delivery sessions (``kbtui demo``)."""
from __future__ import annotations

import datetime as dt
from typing import Any

from kbtui.domain import status as st
from kbtui.domain.disability_placement import (
    CAN_LEARN_ORDINARY,
    CANNOT_LEARN,
    EXEMPTION,
    HOME_DELIVERY,
    MAINSTREAM,
    NEEDS_HOME_DELIVERY,
    NEEDS_SPECIAL_SCHOOL,
    SPECIAL_SCHOOL,
)
from kbtui.domain.home_delivery import FrequencyRule
from kbtui.services.disability.placements import (
    ASSESSMENTS,
    PLACEMENTS,
    SESSIONS,
    assessment_summary,
    frequency_rule,
    history_with,
    placement_summary,
    school_calendar,
)
from kbtui.services.workspace import Workspace
from kbtui.store.edits import Changes

__all__ = ["DEMO_MEMBERS", "DEMO_CONCLUSION", "DEMO_OPTION", "make_demo"]

DEMO_MEMBERS = ["县教育局 王建国", "县残联 刘芳", "县人民医院 陈医生", "县特殊教育学校 周老师"]
DEMO_CONCLUSION = {"随班就读": CAN_LEARN_ORDINARY, "特校就读": NEEDS_SPECIAL_SCHOOL,
                   "送教上门": NEEDS_HOME_DELIVERY}
DEMO_OPTION = {"随班就读": MAINSTREAM, "特校就读": SPECIAL_SCHOOL, "送教上门": HOME_DELIVERY}


def make_demo(workspace: Workspace, plan: Any, rng: Any) -> None:
    """Assessments, placements and home-delivery sessions for the demo's disabled children (batched).

    Most placed children are assessed; a few are left without assessment, one child studying at home is
    exempted, some home deliveries fall behind the profile's rule, and unvisited ones stay unplaced.
    """
    if not len(workspace.placements):      # the disability plugins are disabled
        return
    ctx = workspace.context()
    year = workspace.profile.year
    rule = frequency_rule(workspace) or FrequencyRule(1, 2)
    calendar = school_calendar(workspace)
    term = calendar.terms[0] if calendar.terms else (dt.date(year, 9, 1), dt.date(year + 1, 1, 15))
    today = dt.date.today()
    assessments: list[dict[str, Any]] = []
    placements: list[dict[str, Any]] = []
    sessions: list[dict[str, Any]] = []
    updates: list[tuple[str, Changes]] = []
    exempted = False
    for record in workspace.store.all():
        if not record.get("disability_category") or not ctx.classify(record).in_campaign:
            continue
        situation = record.get("status")
        changes: dict[str, Any] = {"disability_source": rng.choice(("残联", "残联", "入户", "学校"))}
        if situation is None and ctx.classify(record).situation == st.IN_SCHOOL and rng.random() < 0.8:
            situation = "随班就读"              # in an ordinary class on the school list
            changes["status"] = situation
            changes["status_history"] = history_with(record, situation, dt.date(year, 9, 2).isoformat(),
                                                     workspace.operator,
                                                 "专家委员会评估安置", "安置方式：随班就读")
        if situation in DEMO_OPTION:
            option, conclusion = DEMO_OPTION[situation], DEMO_CONCLUSION[situation]
        elif situation is None and not record.get("school") and not exempted:
            exempted = True
            situation, option, conclusion = "免予入学", EXEMPTION, CANNOT_LEARN
        else:                                   # not visited yet: stays without placement
            updates.append((record["id_number"], changes))
            continue
        assessed = dt.date(year, 6, 10 + rng.randrange(15))
        assessment = None
        if option == EXEMPTION or rng.random() < 0.85:
            assessment = {"key": f"demo-a-{record['id_number']}", "id_number": record["id_number"],
                          "date": assessed.isoformat(), "members": DEMO_MEMBERS, "conclusion": conclusion,
                          "recommend": option, "review_date": dt.date(year + 2, 6, 30).isoformat(), "note": ""}
            assessments.append(assessment)
            changes["assessment"] = assessment_summary(assessment)
        decided = dt.date(year, 9, 2) + dt.timedelta(days=rng.randrange(6))
        school = record.get("school") or (workspace.profile.schools or ["中心小学"])[0]
        if option != EXEMPTION and not record.get("student_no"):
            changes.update(school=school, student_no="G" + record["id_number"])
        doc = {"key": f"demo-p-{record['id_number']}", "id_number": record["id_number"], "option": option,
               "situation": situation, "date": decided.isoformat(), "school": "" if option == EXEMPTION else school,
               "teachers": [], "plan": "", "start": "", "evidence": [], "fields": {},
               "review_date": assessment["review_date"] if assessment else "",
               "assessment": assessment["key"] if assessment else "", "note": "演示数据", "active": True,
               "flags": []}
        if option == SPECIAL_SCHOOL:
            doc["evidence"] = ["特殊教育学校入学通知书"]
        if option == EXEMPTION:
            doc["evidence"] = ["监护人申请"]
        if option == HOME_DELIVERY:
            teachers = [rng.choice(("张", "李", "王", "刘", "陈")) + "老师" for _ in range(2)]
            start = dt.date(year, 9, 9)
            doc.update(teachers=sorted(set(teachers)), plan="个别化教育计划：生活适应、语文、数学、康复训练",
                       start=start.isoformat(), evidence=["送教上门协议书"])
            behind = rng.random() < 0.35
            own = []
            for week, monday in enumerate(calendar.teaching_weeks(start, term[1], today)):
                for i in range(rule.per_week or 1):
                    if behind and week > 3 and rng.random() < 0.4:
                        continue
                    day = monday + dt.timedelta(days=min(4, i * 2 + rng.randrange(2)))
                    while day in calendar.holidays and day.weekday() < 4:
                        day += dt.timedelta(days=1)
                    own.append({"key": f"demo-s-{record['id_number']}-{week}-{i}", "id_number": record["id_number"],
                                "placement": doc["key"], "date": day.isoformat(),
                                "teacher": rng.choice(doc["teachers"]), "periods": rule.periods or 2,
                                "content": rng.choice(("生活自理训练", "语文：识字", "数学：认识数字", "康复训练",
                                                       "绘画与手工"))})
            sessions.extend(own)
            changes["home_delivery"] = {"sessions": len(own), "periods": sum(s["periods"] for s in own),
                                        "last": own[-1]["date"] if own else ""}
        placements.append(doc)
        changes["placement"] = placement_summary(doc)
        if situation == "免予入学":
            changes["status"] = situation
            changes["status_history"] = history_with(record, situation, decided.isoformat(), workspace.operator,
                                                 "专家委员会评估安置", "安置方式：免予入学")
        updates.append((record["id_number"], changes))
    store, operator = workspace.store, workspace.operator
    store.collection(ASSESSMENTS).insert_many(assessments, operator)
    store.collection(PLACEMENTS).insert_many(placements, operator)
    store.collection(SESSIONS).insert_many(sessions, operator)
    store.apply_many(updates, operator, action="demo")
