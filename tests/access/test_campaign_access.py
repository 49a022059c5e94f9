"""Issue 19.2: the township's campaigns are administered by the roles that administer the whole township.

The attack: a 村干部 ran ``campaign new``; the switch moved only their own village's children, and when the
admin switched back, the children of every other village had their findings filed under the wrong campaign
(1,268 children, in-school-local 3,236 → 2,421). Here in small: a village role is refused (Chinese message,
nothing changed), and a switch by a role that may (镇管理员, 教育专干: ``roles.CAMPAIGNS``) and back leaves
every child's findings and every ledger count as they were.
"""
from __future__ import annotations

import json

import pytest

from kbtui.domain import roles as R
from kbtui.services.access.operators import AccessDenied
from kbtui.services.campaign import campaigns
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.access import VILLAGE

FIRST = "2024-autumn"


def findings(data) -> dict[str, tuple]:
    """Every child's campaign-scoped fields as the admin's unscoped store holds them."""
    ws = Workspace.open(data, "tester")
    return {r["id_number"]: (r.get("finding_campaign") or FIRST,
                             tuple(json.dumps(r.get(k), ensure_ascii=False, sort_keys=True)
                                   for k in campaigns.PER_CAMPAIGN_FIELDS),
                             json.dumps(r.get("findings") or {}, ensure_ascii=False, sort_keys=True))
            for r in ws.raw_store.all()}


def ledger_counts(data) -> dict:
    result = run_cli("stats", "--json", data_dir=data, operator="tester")
    assert result.exit_code == 0, result.output
    stats = json.loads(result.output)
    return {"ledgers": stats["ledgers"], "by_status": stats["by_status"], "pending": stats["pending"]}


def test_only_township_roles_may_administer_campaigns():
    """By capability: the roles that see the whole township and may change it, nobody else."""
    allowed = {name for name, role in R.ROLES.items() if role.may(R.CAMPAIGNS)}
    assert allowed == {R.TOWN_ADMIN, R.EDU_OFFICER, R.DISTRICT_ADMIN, R.DISTRICT_BUREAU}   # issue 17: the district's
    assert all(R.ROLES[name].scope == R.ALL and R.ROLES[name].may(R.WRITE) for name in allowed)


@pytest.mark.parametrize("login", ["cadre", "school", "sup", "county"])
def test_other_roles_cannot_create_or_switch_the_campaign(scoped, login):
    assert run_cli("campaign", "new", "2025-spring", "--year", "2025", "--no-switch", data_dir=scoped).exit_code == 0
    before = findings(scoped)
    counts = ledger_counts(scoped)
    made = run_cli("campaign", "new", "2025-autumn", "--year", "2025", data_dir=scoped, operator=login)
    assert made.exit_code == 1, made.output
    assert "不能新建或切换排查工作" in made.output and "镇管理员、教育专干" in made.output
    switched = run_cli("campaign", "switch", "2025-spring", data_dir=scoped, operator=login)
    assert switched.exit_code == 1 and "不能新建或切换排查工作" in switched.output
    assert "Traceback" not in made.output + switched.output
    listing = json.loads(run_cli("campaign", "list", "--json", data_dir=scoped, operator=login).output)
    assert listing["current"] == FIRST and [c["id"] for c in listing["campaigns"]] == [FIRST, "2025-spring"]
    # what the admin did after the cadre in the attack: switch back to the township's campaign
    assert run_cli("campaign", "switch", FIRST, data_dir=scoped, operator="tester").exit_code == 0
    assert findings(scoped) == before and ledger_counts(scoped) == counts


def test_a_switch_moves_every_child_and_back_leaves_everything_as_it_was(scoped):
    before = findings(scoped)
    counts = ledger_counts(scoped)
    outside = [i for i, (_c, fields, _f) in before.items()
               if Workspace.open(scoped, "tester").raw_store.get(i)["village"] != VILLAGE and fields[0] != "null"]
    assert outside, "children with findings in other villages"
    # the 教育专干 (whole township, may change it) opens a new campaign: every child moves, not only a scope
    made = run_cli("campaign", "new", "2025-spring", "--year", "2025", data_dir=scoped, operator="edu")
    assert made.exit_code == 0, made.output
    moved = findings(scoped)
    assert {campaign for campaign, _fields, _f in moved.values()} == {"2025-spring"}
    assert all(json.loads(fields[0]) is None for _c, fields, _f in moved.values())      # no status yet
    assert all(FIRST in json.loads(f) for i, (_c, _fields, f) in moved.items() if i in outside)
    # and the 镇管理员 switches back: every child's findings and every ledger count as before
    back = run_cli("campaign", "switch", FIRST, data_dir=scoped, operator="tester")
    assert back.exit_code == 0, back.output
    after = findings(scoped)
    assert {i: (c, fields) for i, (c, fields, _f) in after.items()} == \
        {i: (c, fields) for i, (c, fields, _f) in before.items()}
    assert ledger_counts(scoped) == counts


def test_the_switch_service_refuses_a_village_role_before_touching_anything(scoped):
    ws = Workspace.open(scoped, "cadre")
    with pytest.raises(AccessDenied, match="不能新建或切换排查工作"):
        campaigns.new_campaign(ws, "x", "x", 2025)
    with pytest.raises(AccessDenied):
        campaigns.switch_campaign(ws, FIRST)
    assert [c.id for c in campaigns.list_campaigns(ws)] == [FIRST]
