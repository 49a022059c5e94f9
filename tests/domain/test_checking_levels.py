"""Checking levels as pure rules: order, roles, units, sending back, and the ledger filter."""
import pytest

from kbtui.domain import checking as chk


def finding(**extra):
    return {"id_number": "x", "name": "张三", "village": "金星村", "school": "", "status": "外地就读", **extra}


cadre = chk.Checker("王支书", ("村干部",), "金星村")
other_cadre = chk.Checker("李支书", ("村干部",), "双坪村")
principal = chk.Checker("程校长", ("校长",), "熨斗初级中学")
town = chk.Checker("李倩", ("镇领导",), "熨斗镇")
county = chk.Checker("督学", ("督学",), "石泉县教体局")


def step(record, level, who, reason=None):
    assert chk.may_take(who, level, record) is None
    assert chk.step_error(record, level, reject=reason is not None) is None
    return {**record, **chk.apply_step(record, level, who, "2022-10-20T10:00:00", reason)}


def test_levels_in_order_with_history():
    record = finding()
    assert chk.current_level(record) == chk.ENTERED
    assert chk.next_level(record) == chk.LOCAL_CHECK
    record = step(record, "村/校核查", cadre)
    record = step(record, "镇核查", town)
    record = step(record, "县复核", county)
    assert chk.current_level(record) == chk.COUNTY_REVIEW and chk.next_level(record) is None
    assert [(h["level"], h["by"], h["result"]) for h in record["check_history"]] == [
        ("村/校核查", "王支书", "通过"), ("镇核查", "李倩", "通过"), ("县复核", "督学", "通过")]


def test_no_skipping_and_no_repeating():
    record = finding()
    assert "不能跳级" in chk.step_error(record, "镇核查", reject=False)
    record = step(record, "村核查", cadre)          # alias
    assert "已通过" in chk.step_error(record, "村/校核查", reject=False)


def test_roles_and_units():
    record = finding()
    assert "须由" in chk.may_take(county, "村/校核查", record)
    assert "不能核查金星村" in chk.may_take(other_cadre, "村/校核查", record)
    # a school covering the village (熨斗: 初级中学 takes 金星村) may check it
    assert chk.may_take(principal, "村/校核查", record, schools_of_village=["熨斗初级中学"]) is None
    assert chk.may_take(principal, "村/校核查", record) is not None
    assert chk.may_take(principal, "镇核查", record) is None      # principals lead the town check
    assert "须由" in chk.may_take(cadre, "镇核查", record)
    # a profile may replace a level's roles
    assert chk.may_take(cadre, "镇核查", record, overrides={"镇核查": ["村干部"]}) is None
    assert "自动完成" in chk.may_take(cadre, "录入", record)
    assert "尚未核实" in chk.may_take(cadre, "村/校核查", {"village": "金星村"}, situation_known=False)


def test_sent_back_then_checked_again_from_the_start():
    record = step(finding(), "村/校核查", cadre)
    record = step(record, "镇核查", town, reason="缺少外地学校就读证明")
    assert chk.is_returned(record) and chk.current_level(record) == chk.ENTERED
    assert "被退回" in chk.step_error(record, "村/校核查", reject=False)
    assert not chk.checked_at_least(record, "村/校核查")
    record = {**record, **chk.after_new_finding(record)}
    record = step(record, "村/校核查", cadre)
    assert chk.checked_at_least(record, "村/校核查") and not chk.checked_at_least(record, "镇核查")
    assert record["check_history"][1]["reason"] == "缺少外地学校就读证明"


def test_checked_at_least_for_ledger_export():
    entered, checked = finding(), finding(check_level="镇核查")
    derived = {"id_number": "y"}
    assert all(chk.checked_at_least(r, "录入") for r in (entered, checked, derived))
    assert [chk.checked_at_least(r, "镇核查") for r in (entered, checked, derived)] == [False, True, False]
    with pytest.raises(chk.CheckingError, match="可用的有"):
        chk.checked_at_least(entered, "省复核")


def test_level_counts():
    records = [finding(), finding(check_level="镇核查"), finding(check_returned={"level": "镇核查"}), {}]
    counts = chk.level_counts(records)
    assert counts == {"录入": 1, "村/校核查": 0, "镇核查": 1, "县复核": 0, "退回": 1}
