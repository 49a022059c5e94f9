"""Helpers for the campaign tests: a data folder with synthetic children, people, a fixed "today"."""
from __future__ import annotations

from pathlib import Path

from kbtui.profiles import find_profile
from kbtui.services.demo import make_children
from kbtui.services.workspace import Workspace

OPERATOR = "tester"


def make_workspace(tmp_path: Path, profile: str, children: int = 300, seed: int = 11) -> Workspace:
    ws = Workspace.create(tmp_path / "data", find_profile(profile), operator=OPERATOR)
    plan = make_children(ws.profile, children, seed)
    ws.store.insert_many(plan.records, OPERATOR)
    return ws


def pending_ids(ws, statuses=("待核实", "缓学待核实", "在籍未在校")) -> list[str]:
    ctx = ws.context()
    return sorted(r["id_number"] for r in ws.store.all()
                  if ctx.classify(r).in_campaign and ctx.classify(r).situation in statuses)
