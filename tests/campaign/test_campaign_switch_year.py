"""A campaign of another year counts ages on its own cutoff day (the record carries on, the cohort moves)."""
import datetime as dt

from kbtui.domain.idcard import make_id
from kbtui.services.campaign import campaigns
from kbtui.services.workspace import Workspace


def test_next_years_campaign_counts_ages_on_its_own_cutoff(empty_workspace_dir):
    ws = Workspace.open(empty_workspace_dir, "tester")
    born = dt.date(2019, 8, 31)          # 5 on 2024-08-31, 6 on 2025-08-31
    child = {"id_number": make_id("500224", born, 11), "name": "王小明", "sex": "男",
             "birth_date": born.isoformat(), "village": "高峰村", "sources": ["police"]}
    ws.store.insert_many([child], "tester")
    c = ws.context().classify(ws.store.get(child["id_number"]))
    assert (c.age, c.cohort, c.situation) == (5, None, "不在排查范围")

    campaigns.new_campaign(ws, "2025-autumn", "双山镇2025年秋期大排查", 2025)
    c = ws.context().classify(ws.store.get(child["id_number"]))
    assert (c.age, c.cohort, c.situation) == (6, "local", "缓学待核实")
    assert ws.campaign_profile.cutoff.date == dt.date(2025, 8, 31)
    assert ws.profile.year == 2024                  # the first campaign stays the profile's

    campaigns.switch_campaign(ws, ws.profile.campaign_id)
    assert ws.context().classify(ws.store.get(child["id_number"])).cohort is None
