"""专项督导检查: a reproducible sample by family type, the printable list, results and mismatches."""
import json

import openpyxl
import pytest

from kbtui.services.campaign import spotcheck
from tests.conftest import run_cli
from tests.helpers.campaign import make_workspace


@pytest.fixture
def ws(tmp_path):
    return make_workspace(tmp_path, "shuangshan-2024", 600)


def test_sample_sizes_from_the_profile_and_reproducible(ws):
    assert spotcheck.sizes(ws) == {"脱贫户": 5, "监测户": 5, "一般农户": 10}
    first = spotcheck.draw(ws, seed=42)
    counts = {}
    for h in first["households"]:
        counts[h["family_type"]] = counts.get(h["family_type"], 0) + 1
    assert counts == {"脱贫户": 5, "监测户": 5, "一般农户": 10}
    with pytest.raises(spotcheck.SpotcheckError, match="--replace"):
        spotcheck.draw(ws, seed=42)
    same = spotcheck.draw(ws, seed=42, replace=True)
    assert same["households"] == first["households"]
    other = spotcheck.draw(ws, seed=43, replace=True)
    assert other["households"] != first["households"]
    short = spotcheck.draw(ws, seed=1, wanted={"特困供养": 3}, replace=True)
    assert short["shortfall"] == {"特困供养": 3} and short["households"] == []


def test_results_against_the_earlier_finding(ws, tmp_path):
    spotcheck.draw(ws, seed=7)
    ids = spotcheck.drawn_ids(ws)
    ctx = ws.context()
    a, b = ids[0], ids[1]
    same = ctx.classify(ws.store.get(a)).situation
    assert spotcheck.record_result(ws, a, same if same not in ("待核实", "缓学待核实", "在籍未在校") else "在籍在校")
    result = spotcheck.record_result(ws, b, "辍学", note="家中务农")
    assert result["drawn"] and not result["match"]
    mismatched = [m["id_number"] for m in spotcheck.mismatches(ws)]
    assert b in mismatched
    with pytest.raises(spotcheck.SpotcheckError, match="不是可登记"):
        spotcheck.record_result(ws, a, "待核实")
    path = tmp_path / "督查名单.xlsx"
    assert spotcheck.export_list(ws, path) == len(ids)
    sheet = openpyxl.load_workbook(path).active
    assert "专项督导检查名单" in sheet["A1"].value
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert any(row[7] == b and row[9] == "辍学" for row in values if len(row) > 9)


def test_spotcheck_cli(ws, tmp_path):
    out = tmp_path / "list.xlsx"
    drawn = run_cli("spotcheck", "draw", "--seed", "3", "-o", str(out), data_dir=ws.root)
    assert drawn.exit_code == 0, drawn.output
    assert "脱贫户 5 户" in drawn.output and out.exists()
    again = json.loads(run_cli("spotcheck", "draw", "--seed", "3", "--replace", "--json", data_dir=ws.root).stdout)
    first_child = again["households"][0]["children"][0]
    rec = run_cli("spotcheck", "record", first_child, "--status", "辍学", data_dir=ws.root)
    assert rec.exit_code == 0 and "督查结果" in rec.output
    mism = run_cli("spotcheck", "mismatches", data_dir=ws.root)
    assert first_child in mism.output or "不一致 0 人" in mism.output
    assert "抽查" in mism.output
    no_profile = make_workspace(tmp_path / "y", "yundou-2022", 20)
    assert spotcheck.sizes(no_profile)        # 熨斗 got example sizes
