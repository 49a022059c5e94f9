"""The early-warning factor example of docs/plugins.md, dropped into a plugin folder as a county would, scores
children in ``kbtui risk show`` / ``risk list`` and is tuned by the profile like a stock factor."""
import json
import os
import re
from pathlib import Path

from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.risk import cli_ok, id_of, township

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
EXAMPLE = next(block for block in re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
               if "kbtui_register_risk_factors" in block and '"no_phone"' in block)


def test_the_guide_factor_scores_children(tmp_path):
    data = township(tmp_path)
    folder = tmp_path / "county"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "county_risk.py").write_text(EXAMPLE, encoding="utf-8")
    ws = Workspace.open(data, "tester")
    ws.store.update(id_of("陈芳"), {"guardian_phone": ""}, "tester")

    def cli(*args):
        result = run_cli("--plugins-dir", str(folder), *args, data_dir=data)
        assert result.exit_code == 0, result.output
        assert "警告" not in result.output, result.output
        return result.stdout

    plugins = json.loads(cli("plugins", "--json"))
    county = next(p for p in plugins["plugins"] if p["name"] == "county_risk")
    assert county["registers"] == {"预警因素": ["no_phone"]} and county["error"] is None
    shown = cli("risk", "show", id_of("陈芳"), "--on", "2025-10-17")
    assert "联系不上监护人：没有监护人联系电话，缺课时无法及时联系家长  +10" in shown
    # 陈芳 (随迁子女、返乡儿童 20) now scores 30; the children with a phone do not get the factor
    found = {c["name"]: c for c in json.loads(cli("risk", "list", "--on", "2025-10-17", "--json"))["children"]}
    assert found["陈芳"]["score"] == 30
    assert all("no_phone" not in {f["factor"] for f in c["factors"]} for n, c in found.items() if n != "陈芳")
    # the profile tunes it like a stock factor
    profile = data / "profile.toml"
    profile.write_text(profile.read_text(encoding="utf-8") + "\n[risk.factors.no_phone]\npoints = 15\n",
                       encoding="utf-8")
    assert "+15" in cli("risk", "show", id_of("陈芳"), "--on", "2025-10-17")
    assert "no_phone  联系不上监护人（county_risk）" in cli("risk", "factors")
    # without the plugin the profile's section names a factor nobody registered: said in Chinese
    without = run_cli("risk", "list", data_dir=data)
    assert without.exit_code == 1 and "因素“no_phone”没有登记" in without.output
    cli_ok(data, "stats")
