"""Several campaigns in one data folder: findings per campaign, the record carries on."""
import datetime as dt
import json

from kbtui.services.campaign import campaigns, visits
from kbtui.services.campaign.overview import campaign_overview
from tests.conftest import run_cli
from tests.helpers.campaign import make_workspace, pending_ids


def test_new_campaign_keeps_children_and_separates_findings(tmp_path):
    ws = make_workspace(tmp_path, "shuangshan-2024", 200)
    child = pending_ids(ws)[0]
    visits.record_finding(ws, child, "外地就读", school="广东某小学", date="2024-09-12", today=dt.date(2024, 9, 12),
                          evidence=["就读证明（纸质）"])
    found_before = {r["id_number"]: r.get("status") for r in ws.store.all()}
    assert [c.id for c in campaigns.list_campaigns(ws)] == ["2024-autumn"]

    result = run_cli("campaign", "new", "2025-spring", "--title", "双山镇2025年春期排查", "--year", "2024",
                     "--phase", "入户排查=2025-03-20", "--phase", "督导=2025-03-01..2025-03-31",
                     "--visit-phase", "入户排查", data_dir=ws.root)
    assert result.exit_code == 0, result.output
    ws.store.refresh()
    assert campaigns.current_campaign_id(ws) == "2025-spring"
    record = ws.store.get(child)
    assert record["status"] is None and record["school"] == "广东某小学"     # child facts carry on
    assert record["findings"]["2024-autumn"]["status"] == "外地就读"
    assert record["findings"]["2024-autumn"]["evidence"][0]["description"] == "就读证明（纸质）"
    assert all(r.get("status") is None for r in ws.store.all())
    overview = campaign_overview(ws, dt.date(2025, 3, 10))
    assert overview["current_phase"] == "入户排查" and overview["days_left"] == 10
    assert overview["campaigns"] == 2

    visits.record_finding(ws, child, "辍学", reason="外出打工/务农", date="2025-03-05", today=dt.date(2025, 3, 5))
    listing = json.loads(run_cli("campaign", "list", "--json", data_dir=ws.root).stdout)
    assert [c["id"] for c in listing["campaigns"]] == ["2024-autumn", "2025-spring"]
    assert listing["current"] == "2025-spring"

    assert run_cli("campaign", "switch", "2024-autumn", data_dir=ws.root).exit_code == 0
    ws.store.refresh()
    assert {r["id_number"]: r.get("status") for r in ws.store.all()} == found_before
    record = ws.store.get(child)
    assert record["findings"]["2025-spring"]["status"] == "辍学"
    assert record["findings"]["2025-spring"]["status_reason"] == "外出打工/务农"
    assert campaigns.findings_of(record, "2025-spring", "2024-autumn")["status"] == "辍学"
    assert campaigns.findings_of(record, "2024-autumn", "2024-autumn")["status"] == "外地就读"
    # switching again to the same campaign changes nothing
    assert campaigns.switch_campaign(ws, "2024-autumn") == 0


def test_interrupted_switch_can_be_run_again(tmp_path):
    ws = make_workspace(tmp_path, "shuangshan-2024", 50)
    marked = next(r for r in ws.store.all() if r.get("status"))
    campaigns.new_campaign(ws, "2025-spring", "春期", 2025, switch=False)
    # simulate a crash after the marker was written and half the records moved
    campaigns.set_current(ws, "2025-spring", switching=True, switching_from="2024-autumn")
    ws.store.update(marked["id_number"], campaigns.switch_changes(marked, "2024-autumn", "2025-spring"), "tester")
    campaigns.switch_campaign(ws, "2025-spring")
    again = ws.store.get(marked["id_number"])
    assert again["findings"]["2024-autumn"]["status"] == marked["status"] and again["status"] is None
    assert all(r.get("finding_campaign") == "2025-spring" for r in ws.store.all())


def test_campaign_errors_are_chinese(tmp_path):
    ws = make_workspace(tmp_path, "yundou-2022", 20)
    bad = run_cli("campaign", "switch", "2099", data_dir=ws.root)
    assert bad.exit_code == 1 and "没有编号为“2099”的排查工作" in bad.output
    dup = run_cli("campaign", "new", "2022-autumn", "--year", "2022", data_dir=ws.root)
    assert dup.exit_code == 1 and "已存在" in dup.output
    phase = run_cli("campaign", "new", "x", "--year", "2023", "--phase", "入户", data_dir=ws.root)
    assert phase.exit_code == 2 and "名称=截止日期" in phase.output
    status = run_cli("campaign", "status", "--today", "2022-10-19", data_dir=ws.root)
    assert status.exit_code == 0 and "当前阶段：上交附件1、2、3" in status.output
