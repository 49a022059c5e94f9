"""A whole campaign, 熨斗 and 双山: people, assignment, visits, checking at every level, spot check, ledgers.

Everything goes through the services the CLI and the TUI call, with "today" injected on the seeds' dates.
"""
import datetime as dt

import openpyxl
import pytest

from kbtui.domain import checking as chk
from kbtui.domain.checking import Checker
from kbtui.services.campaign import checking, people, responsibility, spotcheck, tasks, visits
from kbtui.services.campaign.overview import campaign_overview
from tests.helpers.campaign import make_workspace, pending_ids

# What the visitors find for each derived situation (and the evidence they bring back).
FINDINGS = {
    "待核实": [("外地就读", "外地学校就读证明"), ("在籍在校", None), ("辍学", None), ("户籍迁出", "派出所证明")],
    "缓学待核实": [("延缓入学", "县教育局缓学批复"), ("在籍在校", None)],
    "在籍未在校": [("休学", "休学审批表"), ("疑似辍学", None)],
}

SETUPS = {
    "yundou-2022": {
        "visit_day": dt.date(2022, 10, 14), "before": dt.date(2022, 10, 12), "after": dt.date(2022, 10, 18),
        "current": "入户调查",
        "staff": [("程尚江", "校长", "熨斗初级中学"), ("周卫", "校长", "熨斗镇中心小学"),
                  ("刘辉", "副校长", "熨斗初级中学"), ("冯海军", "副校长", "熨斗镇中心小学"),
                  ("万强", "教师", "熨斗镇中心小学"), ("陈明勇", "教师", "熨斗镇中心小学"),
                  ("张诗鑫", "教师", "熨斗初级中学"), ("初中教师甲", "教师", "熨斗初级中学"),
                  ("李倩", "宣传委员", "熨斗镇"), ("包校督学", "督学", "石泉县教体局")],
        "local_checkers": lambda ws, village: Checker(
            *(("程尚江", ("校长",), "熨斗初级中学") if village in ws.profile.section("responsibility")["熨斗初级中学"]
              else ("周卫", ("校长",), "熨斗镇中心小学"))),
        "town": Checker("程尚江", ("校长",), "熨斗初级中学"),      # the two principals lead the town check
        "county": Checker("包校督学", ("督学",), "石泉县教体局"),
    },
    "shuangshan-2024": {
        "visit_day": dt.date(2024, 9, 16), "before": dt.date(2024, 9, 15), "after": dt.date(2024, 9, 21),
        "current": "上门入户排查",
        "staff": [("双山小学校长", "校长", "双山小学"), ("教师一", "教师", "双山小学"), ("教师二", "教师", "双山小学"),
                  ("教师三", "教师", "双山小学"), ("镇长", "镇长", "双山镇"), ("区教委督学", "督学", "铜梁区教委")],
        "local_checkers": lambda ws, village: Checker(f"{village}书记", ("村干部",), village),
        "town": Checker("镇长", ("镇领导",), "双山镇"),
        "county": Checker("区教委督学", ("督学",), "铜梁区教委"),
    },
}


def write_register(path, ws, staff):
    wb = openpyxl.Workbook()
    sheet = wb.active
    sheet.append([f"{ws.profile.township}控辍保学工作人员名单"])
    sheet.append(["序号", "姓名", "职务", "单位", "联系电话"])
    rows = list(staff) + [(f"{v}书记", "村党支部书记", v) for v in ws.profile.villages]
    for n, (name, role, unit) in enumerate(rows, 1):
        sheet.append([n, name, role, unit, f"1390000{n:04d}"])
    wb.save(path)
    return len(rows)


@pytest.mark.parametrize("profile", ["yundou-2022", "shuangshan-2024"])
def test_whole_campaign(tmp_path, profile):
    setup = SETUPS[profile]
    ws = make_workspace(tmp_path, profile, 400, seed=3)

    # people and assignment by rule: every campaign child gets both lines
    register = tmp_path / "人员名单.xlsx"
    expected_people = write_register(register, ws, setup["staff"])
    assert people.import_people(ws, register).added == expected_people
    assigned = responsibility.assign_by_rule(ws)
    assert assigned["unassigned_gov"] == assigned["unassigned_edu"] == 0
    if profile == "yundou-2022":   # schools split the villages
        middle = {p["name"] for p in people.list_people(ws, unit="熨斗初级中学")}
        for record in ws.store.all():
            if record.get("responsible_edu") and record["village"] in ("金星村", "双坪村"):
                assert record["responsible_edu"] in middle

    # where the campaign is; tasks before the visits
    overview = campaign_overview(ws, setup["before"])
    assert overview["current_phase"] == setup["current"] and overview["days_left"] > 0
    need = pending_ids(ws)
    assert overview["tasks"]["assigned"] == overview["tasks"]["open"] == len(need) > 10

    # visits: every task done, evidence attached where the situation needs it
    proof = tmp_path / "证明.pdf"
    proof.write_bytes(b"%PDF-1.4 proof")
    ctx = ws.context()
    for n, id_number in enumerate(need):
        record = ws.store.get(id_number)
        options = FINDINGS[ctx.classify(record).situation]
        status, evidence = options[n % len(options)]
        visits.record_finding(
            ws, id_number, status, date=setup["visit_day"], today=setup["visit_day"], how="入户",
            school="双山小学" if status == "在籍在校" and profile == "shuangshan-2024" else
            ("熨斗镇中心小学" if status == "在籍在校" else None),
            reason="外出打工/务农" if status in ("辍学", "疑似辍学") else None,
            visitors=[record.get("responsible_gov"), record.get("responsible_edu")],
            evidence=[{"description": evidence, "path": str(proof)}] if evidence else ())
    report = tasks.task_report(ws, setup["after"])
    assert report["totals"]["done"] == len(need) and report["totals"]["late"] == 0
    visited = [ws.store.get(i) for i in need]
    assert all(r["check_level"] == "录入" for r in visited)
    from kbtui.services.intake.checks import missing_evidence

    assert not any(missing_evidence(r, ws.statuses) for r in visited)

    # checking, level by level; one finding sent back by the town and corrected
    for village in sorted({r["village"] for r in ws.store.all()}):
        waiting = [r["id_number"] for r in checking.awaiting(ws, "村/校核查", village)]
        result = checking.review_many(ws, waiting, "村/校核查", checker=setup["local_checkers"](ws, village))
        assert not result["skipped"], result["skipped"][:2]
    wrong = need[0]
    checking.review(ws, wrong, "镇核查", checker=setup["town"], reject="走访记录与学籍系统不符")
    town = checking.review_many(ws, [r["id_number"] for r in checking.awaiting(ws, "镇核查")], "镇核查",
                                checker=setup["town"])
    assert not town["skipped"]
    county = checking.review_many(ws, [r["id_number"] for r in checking.awaiting(ws, "县复核")], "县复核",
                                  checker=setup["county"])
    assert county["passed"] == town["passed"] and not county["skipped"]
    summary = checking.level_summary(ws)
    assert summary["退回"] == 1 and summary["县复核"] == county["passed"]
    assert summary["村/校核查"] == summary["镇核查"] == 0
    # the returned one: visited again, then through all levels
    visits.record_finding(ws, wrong, "在籍在校", school=ws.profile.schools[0], date=setup["after"],
                          today=setup["after"])
    for level, who in (("村/校核查", setup["local_checkers"](ws, ws.store.get(wrong)["village"])),
                       ("镇核查", setup["town"]), ("县复核", setup["county"])):
        checking.review(ws, wrong, level, checker=who)
    assert checking.level_summary(ws)["退回"] == 0

    # 专项督导检查: reproducible sample, one mismatch found
    first = spotcheck.draw(ws, seed=2024)
    assert spotcheck.draw(ws, seed=2024, replace=True)["households"] == first["households"]
    drawn = spotcheck.drawn_ids(ws)
    assert drawn
    ctx = ws.context()
    for id_number in drawn[1:]:
        situation = ctx.classify(ws.store.get(id_number)).situation
        if ws.statuses.kind_of(situation).value not in ("pending", "outside"):
            spotcheck.record_result(ws, id_number, situation)
    spotcheck.record_result(ws, drawn[0], "辍学", note="督查时未在校")
    mismatched = [m["id_number"] for m in spotcheck.mismatches(ws)]
    assert drawn[0] in mismatched or ctx.classify(ws.store.get(drawn[0])).situation == "辍学"
    assert spotcheck.export_list(ws, tmp_path / "督查名单.xlsx") == len(drawn)

    # ledgers: all findings, and only those reviewed by the county
    records = list(ws.store.all())
    lctx = ws.context(setup["after"])
    if ws.ledgers:
        from kbtui.services.reporting.ledger_export import export_ledger

        for ledger_id, ledger in ws.ledgers.items():
            members = ledger.members(records, lctx)
            everything = export_ledger(ws, ledger_id, tmp_path / f"{ledger_id}.xlsx", today=setup["after"])
            reviewed = export_ledger(ws, ledger_id, tmp_path / f"{ledger_id}-县复核.xlsx", today=setup["after"],
                                     level="县复核")
            assert everything.rows == len(members)
            assert reviewed.rows == sum(1 for r in members if chk.checked_at_least(r, "县复核"))
    else:
        # no ledger of this profile is registered yet: check the filter on the campaign's children
        in_campaign = [r for r in records if lctx.classify(r).in_campaign]
        reviewed = [r for r in in_campaign if chk.checked_at_least(r, "县复核")]
        assert {r["id_number"] for r in visited} <= {r["id_number"] for r in reviewed}
    overview = campaign_overview(ws, setup["after"])
    assert overview["tasks"]["late"] == 0 and overview["checking"]["退回"] == 0
