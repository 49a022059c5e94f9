"""The people register: entered by hand or imported from an Excel register with titles and messy roles."""
import json

import openpyxl
import pytest

from kbtui.services.campaign import people
from tests.conftest import run_cli
from tests.helpers.campaign import make_workspace


def write_register(path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["熨斗镇2022年义务教育控辍保学工作人员分工表"])
    ws.append(["序号", "姓名", "职务", "单位", "联系电话", "包保范围"])
    ws.append([1, "李 倩", "熨斗镇宣传委员", "熨斗镇", "139 1234 5678", ""])
    ws.append([2, "周卫", "校长", "熨斗镇中心小学", "13912345679", ""])
    ws.append([3, "冯海军", "副校长", "熨斗镇中心小学", "", ""])
    ws.append([4, "万强", "教师", "熨斗镇中心小学", "", "中河村、板长村/1组"])
    ws.append([5, "程尚江", "校长", "熨斗初级中学", "", ""])
    ws.append([6, "某某", "厨师", "熨斗初级中学", "", ""])
    ws.append([7, "", "教师", "熨斗初级中学", "", ""])
    ws.append([8, "周卫", "校长", "熨斗镇中心小学", "", ""])
    ws.append(["填表人：", "", "", "", "", ""])
    wb.save(path)


def test_import_register(tmp_path):
    ws = make_workspace(tmp_path, "yundou-2022", 10)
    path = tmp_path / "人员.xlsx"
    write_register(path)
    result = people.import_people(ws, path)
    assert (result.added, result.updated) == (5, 0)
    reasons = dict(result.rejected)
    assert "厨师" in reasons[8] and "姓名不能为空" in reasons[9] and "重复" in reasons[10]
    li = people.find_person(ws, "李倩")
    assert li["role"] == "镇领导" and li["title"] == "熨斗镇宣传委员" and li["phone"] == "13912345678"
    assert people.find_person(ws, "冯海军")["role"] == "学校领导"
    assert people.find_person(ws, "万强")["covers"] == ["中河村", "板长村/1组"]
    again = people.import_people(ws, path)
    assert (again.added, again.updated, again.unchanged) == (0, 0, 5)


def test_people_cli(tmp_path):
    ws = make_workspace(tmp_path, "lujiao-2024", 10)
    ok = run_cli("people", "add", "王徐川", "--role", "支部书记", "--unit", "周家村", "--phone", "13800000000",
                 data_dir=ws.root)
    assert ok.exit_code == 0 and "王徐川（周家村）村干部" in ok.output
    run_cli("people", "add", "王徐川", "--role", "教师", "--unit", "鹿角中学", data_dir=ws.root)
    dup = run_cli("people", "add", "王徐川", "--role", "村干部", "--unit", "周家村", data_dir=ws.root)
    assert dup.exit_code == 1 and "已在人员名单中" in dup.output
    bad = run_cli("people", "add", "张三", "--role", "厨师", data_dir=ws.root)
    assert bad.exit_code == 1 and "不认识" in bad.output
    listing = json.loads(run_cli("people", "list", "--json", data_dir=ws.root).stdout)
    assert len(listing["people"]) == 2
    text = run_cli("people", "list", "--role", "村干部", data_dir=ws.root).output
    assert "王徐川  村干部  周家村  13800000000  [政府线]" in text and "共 1 人" in text
    # two people of one name: told apart by 姓名@单位
    with pytest.raises(people.PeopleError, match="姓名@单位"):
        people.find_person(ws, "王徐川")
    assert people.find_person(ws, "王徐川@鹿角中学")["role"] == "教师"
    csv = tmp_path / "p.csv"
    csv.write_text("姓名,职务,单位\n冉奎,支部书记,红专村\n", encoding="utf-8")
    imported = run_cli("people", "import", str(csv), data_dir=ws.root)
    assert imported.exit_code == 0 and "新增 1 人" in imported.output
