"""Operators of every role on a demo folder (the access tests): who they are, what their scope holds."""
from __future__ import annotations

from pathlib import Path

from kbtui.domain import roles as R
from kbtui.services.access import operator_admin, operators
from kbtui.services.access.scope import Scope
from kbtui.services.workspace import Workspace

VILLAGE = "高峰村"


SCHOOL = "双山小学"


OPERATORS = {
    "edu": (R.EDU_OFFICER, {}),
    "cadre": (R.VILLAGE_CADRE, {"villages": [VILLAGE]}),
    "school": (R.SCHOOL, {"schools": [SCHOOL]}),
    "sup": (R.SUPERVISOR, {}),
    "county": (R.COUNTY_REVIEW, {}),
}


def configure(data: Path) -> Workspace:
    """Add one operator per role (tester, who made the folder, is 镇管理员)."""
    admin = Workspace.open(data, "tester")
    for login, (role, scope) in OPERATORS.items():
        operator_admin.add_operator(admin, login, f"{role}{login}", role, scope.get("villages"), scope.get("schools"))
    return admin


def scope_of(admin: Workspace, login: str) -> Scope:
    scope = Scope(operators.load_operators(admin.root)[login],
                         lambda: admin.raw_store.collection("people").all())
    return scope


def inside_and_outside(admin: Workspace, login: str) -> tuple[dict, dict]:
    scope = scope_of(admin, login)
    records = list(admin.raw_store.all())
    inside = next(r for r in records if scope.allows(r) and r.get("name"))
    outside = next(r for r in records if not scope.allows(r) and r.get("name"))
    return inside, outside
