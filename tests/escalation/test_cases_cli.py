"""一生一案 through the CLI: open, attempts, legal documents, 劝返复学, 动态销号 (双城 2020 profile)."""
import json

import openpyxl
import pytest

from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.escalation import KID, KID2


def cli(data, *args):
    result = run_cli(*args, data_dir=data)
    assert result.exit_code == 0, result.output
    return result


def fails(data, *args) -> str:
    result = run_cli(*args, data_dir=data)
    assert result.exit_code == 1, result.output
    return result.output


def test_case_lifecycle_with_legal_steps(data, tmp_path):
    cli(data, "absence", "add", KID, "--from", "2020-09-14")
    cli(data, "escalation", "advance", "--on", "2020-10-14")
    [case] = json.loads(cli(data, "case", "list", "--json").stdout)
    key = case["key"]
    assert key.startswith("C20201014-") and case["opened_how"].startswith("自动立案")
    assert "已有未销号的案卷" in fails(data, "case", "open", KID)
    assert "不在规定的列表中" in fails(data, "case", "edit", key, "--reason", "不想上")
    cli(data, "case", "edit", key, "--reason", "学习困难/厌学", "--support", "学业辅导", "--support", "心理疏导",
        "--persuader", "刘校长")
    cli(data, "case", "attempt", key[:12], "--on", "2020-10-15", "--by", "刘校长", "--how", "家访",
        "--result", "监护人答应考虑", "--rung", "shuangcheng:principal-month")
    cli(data, "case", "attempt", KID, "--on", "2020-10-16", "--by", "刘校长", "--how", "约谈",
        "--result", "监护人拒绝送返", "--refused")
    due = {a["rung"]: a for a in json.loads(cli(data, "escalation", "due", "--on", "2020-10-16", "--json").stdout)}
    assert "principal-month" not in due                        # done by the first attempt
    assert due["order"]["ladder"] == "legal" and due["order"]["role"] == "镇政府"
    assert due["order"]["due"] == "2020-10-19"
    # 责令限期改正通知书, printable, with child, guardian and deadline
    order = tmp_path / "order.xlsx"
    cli(data, "escalation", "document", key, "order", "-o", str(order), "--on", "2020-10-17")
    text = "\n".join(str(c.value) for row in openpyxl.load_workbook(order).active.iter_rows() for c in row
                     if c.value)
    assert "责令限期改正通知书" in text and "王建国" in text and "王小明" in text and KID in text
    assert "2020年11月1日前" in text and "义务教育法" in text and "2020年10月16日明确拒绝" in text
    due = {a["rung"] for a in json.loads(cli(data, "escalation", "due", "--on", "2020-10-20", "--json").stdout)}
    assert "order" not in due                                   # issuing the notice is the action
    # overdue: 督促监护令 through the justice office, on day 19 after the refusal
    legal_due = [a for a in json.loads(cli(data, "escalation", "due", "--on", "2020-11-03", "--json").stdout)
                 if a["ladder"] == "legal"]
    assert [(a["rung"], a["role"]) for a in legal_due] == [("supervision", "司法所")]
    supervision = tmp_path / "supervision.txt"
    cli(data, "escalation", "document", key, "supervision", "-o", str(supervision), "--on", "2020-11-04")
    letter = supervision.read_text(encoding="utf-8")
    assert letter.startswith("督促监护令") and "司法所" in letter and "2020年10月17日" in letter
    assert "没有名为“nope”的文书步骤" in fails(data, "escalation", "document", key, "nope", "-o",
                                                str(tmp_path / "x.txt"))
    # back at school: 劝返复学 then 动态销号
    assert "尚未记录劝返复学" in fails(data, "case", "close", key)
    cli(data, "case", "return", key, "--on", "2020-11-09", "--school", "双城区第一小学")
    assert json.loads(cli(data, "escalation", "due", "--on", "2020-11-10", "--json").stdout) == []
    cli(data, "case", "close", key, "--on", "2020-11-20")
    shown = json.loads(cli(data, "case", "show", key, "--json").stdout)
    assert shown["status"] == "closed" and shown["returned_on"] == "2020-11-09"
    assert shown["outcome"].startswith("劝返复学") and len(shown["attempts"]) == 2
    assert [d["title"] for d in shown["documents"]] == ["责令限期改正通知书", "督促监护令"]
    assert cli(data, "case", "list", "--json").stdout.strip() == "[]"
    assert len(json.loads(cli(data, "case", "list", "--all", "--json").stdout)) == 1   # kept in history
    record = Workspace.open(data, "tester").store.get(KID)
    assert record["status"] == "劝返复学"
    assert [(h["status"], h["how"]) for h in record["status_history"]][-3:] == [
        ("疑似辍学", "双城区控辍保学逐级劝返流程·校长一个月"), ("劝返复学", "劝返复学"), ("劝返复学", "动态销号")]
    absences = json.loads(cli(data, "absence", "list", KID, "--json").stdout)
    assert absences[0]["returned_on"] == "2020-11-09"
    assert "已销号" in fails(data, "case", "attempt", key, "--result", "x")
    # a new case may open later (一生一案 keeps the old one)
    cli(data, "case", "open", KID, "--on", "2020-12-01", "--reason", "外出打工/务农")


def test_case_record_workbook(data, tmp_path):
    cli(data, "case", "open", KID2, "--on", "2020-10-10", "--reason", "家庭经济困难", "--support", "资助帮扶",
        "--persuader", "张老师")
    cli(data, "case", "attempt", KID2, "--on", "2020-10-11", "--by", "张老师", "--how", "电话",
        "--result", "=家长说下周回来")
    out = tmp_path / "record.xlsx"
    cli(data, "case", "record", KID2, "-o", str(out))
    ws = openpyxl.load_workbook(out).active
    cells = [c for row in ws.iter_rows() for c in row if c.value is not None]
    text = " ".join(str(c.value) for c in cells)
    assert "劝返情况记录" in text and "李小红" in text and "家庭经济困难" in text and "资助帮扶" in text
    assert "填表人" in text and "审核人" in text
    risky = next(c for c in cells if str(c.value).startswith("=家长"))
    assert risky.data_type == "s"                       # never a formula


def test_absence_return_records_the_return_on_the_case(data):
    cli(data, "absence", "add", KID, "--from", "2020-09-14")
    cli(data, "escalation", "advance", "--on", "2020-10-20")
    cli(data, "absence", "return", KID, "--on", "2020-10-21")
    [case] = json.loads(cli(data, "case", "list", "--json").stdout)
    assert case["status"] == "returned" and case["return_school"] == "双城区第一小学"
    assert "没有未返校的缺课记录" in fails(data, "absence", "return", KID, "--on", "2020-10-22")


@pytest.mark.parametrize("args, message", [
    (("case", "show", "C999"), "找不到案卷"),
    (("case", "open", "110101201001011234"), "找不到身份证号"),
])
def test_friendly_errors(data, args, message):
    assert message in fails(data, *args)
