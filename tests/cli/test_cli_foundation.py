"""The foundation commands, driven as a user types them."""
import json
import os
import stat

from kbtui.profiles import find_profile, load_profile
from kbtui.services.demo import make_children
from tests.conftest import run_cli


def test_help_is_chinese_and_lists_every_command():
    result = run_cli("--help")
    assert result.exit_code == 0
    assert "控辍保学工作台" in result.output and "数据目录" in result.output
    for command in ("demo", "init", "plugins", "stats", "check"):
        assert command in result.output
        sub = run_cli(command, "--help")
        assert sub.exit_code == 0
        assert any("\u4e00" <= ch <= "\u9fff" for ch in sub.output), command


def test_init_makes_a_private_data_folder(tmp_path):
    data = tmp_path / "d"
    result = run_cli("init", "--profile", "yundou-2022", data_dir=data)
    assert result.exit_code == 0, result.output
    assert "已创建数据目录" in result.output
    assert stat.S_IMODE(data.stat().st_mode) == 0o700
    for path in data.rglob("*"):
        expected = 0o700 if path.is_dir() else 0o600
        assert stat.S_IMODE(path.stat().st_mode) == expected, path
    again = run_cli("init", "--profile", "yundou-2022", data_dir=data)
    assert again.exit_code == 1 and "已经初始化过" in again.output


def test_init_by_path_and_unknown_profile(tmp_path):
    path = find_profile("lujiao-2024")
    ok = run_cli("init", "--profile", str(path), data_dir=tmp_path / "a")
    assert ok.exit_code == 0, ok.output
    bad = run_cli("init", "--profile", "atlantis-2030", data_dir=tmp_path / "b")
    assert bad.exit_code == 1 and "没有名为“atlantis-2030”的配置" in bad.output


def test_commands_without_a_data_folder_say_what_to_do(tmp_path):
    result = run_cli("stats", data_dir=tmp_path / "nothing")
    assert result.exit_code == 1
    assert "不是 kbtui 数据目录" in result.output and "kbtui init" in result.output


def test_group_writable_data_folder_is_refused(empty_workspace_dir):
    os.chmod(empty_workspace_dir, 0o770)
    result = run_cli("stats", data_dir=empty_workspace_dir)
    assert result.exit_code == 1 and "chmod 700" in result.output


def test_demo_data_is_realistic(demo_dir):
    stats = json.loads(run_cli("stats", "--json", data_dir=demo_dir).stdout)
    assert stats["children"] == 1500
    assert len(stats["by_village"]) == 8
    for situation in ("在籍在校", "待核实", "缓学待核实", "在籍未在校", "外地就读", "疑似辍学", "辍学", "延缓入学",
                      "随班就读", "送教上门", "不在排查范围"):
        assert stats["by_status"].get(situation, 0) > 0, situation
    assert stats["by_cohort"]["nonlocal"] > 0
    assert stats["pending"] > 0


def test_demo_same_seed_same_data():
    profile = load_profile(find_profile("shuangshan-2024"))
    a = make_children(profile, 300, seed=5).records
    b = make_children(profile, 300, seed=5).records
    c = make_children(profile, 300, seed=6).records
    assert a == b and a != c
    assert len({r["id_number"] for r in a}) == 300
    assert sum("残疾" in r["key_groups"] for r in make_children(profile, 2000, seed=1).records) > 10


def test_demo_twice_reuses_and_reset_rebuilds(tmp_path):
    data = tmp_path / "demo"
    assert run_cli("demo", "--no-tui", "--children", "50", data_dir=data).exit_code == 0
    again = run_cli("demo", "--no-tui", "--children", "60", data_dir=data)
    assert "演示数据已存在" in again.output
    reset = run_cli("demo", "--no-tui", "--children", "60", "--reset", "--json", data_dir=data)
    assert json.loads(reset.stdout)["children"] == 60


def test_demo_refuses_a_real_data_folder(empty_workspace_dir):
    result = run_cli("demo", "--no-tui", "--reset", data_dir=empty_workspace_dir)
    assert result.exit_code == 1 and "正式数据目录" in result.output


def test_stats_json_counts(demo_dir):
    stats = json.loads(run_cli("stats", "--json", data_dir=demo_dir).stdout)
    assert sum(stats["by_status"].values()) == stats["children"] == sum(stats["by_village"].values())
    assert {"children", "by_status", "by_village", "ledgers", "pending"} <= set(stats)


def test_check_lists_problems_in_chinese(demo_copy):
    from kbtui.services.workspace import Workspace

    ws = Workspace.open(demo_copy, "tester")
    some = next(r for r in ws.store.all() if r.get("status") is None and r["sex"] == "男")
    ws.store.update(some["id_number"], {"sex": "女", "status": "初中已毕业"}, "tester")
    result = run_cli("check", data_dir=demo_copy)
    assert result.exit_code == 0
    assert f"{some['name']}（{some['id_number']}）【性别】性别“女”与身份证号（男）不一致" in result.output
    assert "疑似重复" in result.output
    data = json.loads(run_cli("check", "--json", data_dir=demo_copy).stdout)
    assert data["count"] == len(data["problems"]) > 0


def test_plugins_lists_origin(demo_dir):
    result = run_cli("plugins", data_dir=demo_dir)
    assert result.exit_code == 0
    assert "[内置]" in result.output
