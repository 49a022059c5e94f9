"""Plugin discovery: stock, entry points, folders; failures are warnings; disabling; duplicates."""
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from kbtui.plugin_manager import FOLDER, STOCK, PluginHost
from kbtui.registry import DuplicateError, Registry
from tests.conftest import run_cli

GOOD_PLUGIN = '''
import dataclasses
import kbtui
from kbtui.domain.status import Kind, Situation
from kbtui.domain.ledger import Ledger, field_column

@kbtui.hookimpl
def kbtui_register_statuses(registry):
    registry.add(Situation("随迁回流待核实", Kind.PENDING, description="county status"))

@kbtui.hookimpl
def kbtui_register_ledgers(registry):
    registry.add("county-list", Ledger(
        id="county-list", title="{township}{year}年县里要的名单",
        columns=(field_column("姓名", "name"),), include=lambda record, ctx: True))
'''


def write(folder: Path, name: str, text: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    os.chmod(folder, 0o755)
    path = folder / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_folder_plugin_registers_status_and_ledger(tmp_path, empty_workspace_dir):
    write(tmp_path / "county", "county.py", GOOD_PLUGIN)
    result = run_cli("--plugins-dir", str(tmp_path / "county"), "plugins", "--json", data_dir=empty_workspace_dir)
    assert result.exit_code == 0, result.output
    plugins = {p["name"]: p for p in json.loads(result.stdout)["plugins"]}
    assert plugins["county"]["origin"] == FOLDER
    assert plugins["county"]["registers"]["台账"] == ["county-list"]
    assert plugins["county"]["registers"]["状态"] == ["随迁回流待核实"]


def test_broken_plugin_is_a_warning_not_a_crash(tmp_path, empty_workspace_dir):
    folder = tmp_path / "broken"
    write(folder, "syntax_error.py", "def oops(:\n")
    write(folder, "raises_in_hook.py", '''
        import kbtui
        @kbtui.hookimpl
        def kbtui_register_ledgers(registry):
            raise RuntimeError("表格模板丢失")
    ''')
    result = run_cli("--plugins-dir", str(folder), "stats", data_dir=empty_workspace_dir)
    assert result.exit_code == 0, result.output
    assert "插件 syntax_error" in result.stderr and "加载失败" in result.stderr
    assert "插件 raises_in_hook 的 kbtui_register_ledgers 出错" in result.stderr
    assert "表格模板丢失" in result.stderr


def test_disable_plugins_by_name(tmp_path, monkeypatch):
    write(tmp_path / "p", "county.py", GOOD_PLUGIN)
    monkeypatch.setenv("KBTUI_DISABLE_PLUGINS", "county, other")
    host = PluginHost([tmp_path / "p"])
    info = {p.name: p for p in host.plugins}["county"]
    assert "禁用" in info.error
    assert not host.pm.has_plugin("county")


def test_world_writable_plugin_folder_is_refused(tmp_path):
    folder = tmp_path / "open"
    write(folder, "county.py", GOOD_PLUGIN)
    os.chmod(folder, 0o777)
    host = PluginHost([folder])
    assert not host.pm.has_plugin("county")
    assert any("其他用户可写" in w for w in host.warnings)


def test_duplicate_registration_is_refused_with_a_clear_message(tmp_path):
    write(tmp_path / "a", "first.py", GOOD_PLUGIN)
    write(tmp_path / "b", "second.py", GOOD_PLUGIN)
    host = PluginHost([tmp_path / "a", tmp_path / "b"])
    host.collect("kbtui_register_ledgers", Registry("台账"), kind="台账")
    assert any("已由插件 first 登记" in w and "second" in w for w in host.warnings)
    registry = Registry("台账")
    registry.add("x", 1)
    with pytest.raises(DuplicateError, match="不能重复登记"):
        registry.add("x", 2)


def test_stock_plugins_are_loaded_as_stock():
    host = PluginHost()
    assert host.plugins, "the stock plugins ship with kbtui"
    assert all(p.origin == STOCK for p in host.plugins if "." in p.name)


def test_entry_point_plugin_is_discovered(tmp_path):
    """An installed plugin (dist-info with an entry point in group 'kbtui') is found."""
    site = tmp_path / "site"
    write(site, "county_ep.py", GOOD_PLUGIN)
    dist = site / "county_ep-1.0.dist-info"
    dist.mkdir()
    (dist / "METADATA").write_text("Metadata-Version: 2.1\nName: county-ep\nVersion: 1.0\n")
    (dist / "entry_points.txt").write_text("[kbtui]\ncounty_ep = county_ep\n")
    code = ("import json; from kbtui.plugin_manager import PluginHost; h = PluginHost(); "
            "print(json.dumps([[p.name, p.origin, p.error] for p in h.plugins], ensure_ascii=False))")
    env = {**os.environ, "PYTHONPATH": str(site)}
    out = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True)
    plugins = {name: (origin, error) for name, origin, error in json.loads(out.stdout)}
    assert plugins["county_ep"] == ("已安装", None)


def _adds_itself(name: str, marker: str = "") -> str:
    return f'''
        import kbtui
        from kbtui.domain.ledger import Ledger, field_column

        @kbtui.hookimpl{marker}
        def kbtui_register_ledgers(registry):
            registry.add("{name}", Ledger(id="{name}", title="{name}", columns=(field_column("姓名", "name"),),
                                        include=lambda record, ctx: True))
    '''


def test_tryfirst_and_trylast_are_honoured(tmp_path):
    """Plain implementations run in load order (stock, then folders by name); tryfirst before all of
    them, trylast after."""
    folder = tmp_path / "order"
    write(folder, "a_plain.py", _adds_itself("a_plain"))
    write(folder, "b_first.py", _adds_itself("b_first", "(tryfirst=True)"))
    write(folder, "c_last.py", _adds_itself("c_last", "(trylast=True)"))
    write(folder, "d_plain.py", _adds_itself("d_plain"))
    host = PluginHost([folder])
    names = host.collect("kbtui_register_ledgers", Registry("台账"), kind="台账").names()
    ours = [n for n in names if n in {"a_plain", "b_first", "c_last", "d_plain"}]
    assert ours == ["b_first", "a_plain", "d_plain", "c_last"]
    assert names[0] == "b_first" and names[-1] == "c_last"
    assert names.index("d_plain") > names.index("school-age"), "stock ledgers come before folder plugins"
    info = {p.name: p for p in host.plugins}
    assert info["b_first"].registers == {"台账": ["b_first"]}
    assert info["c_last"].registers == {"台账": ["c_last"]}
    assert not host.warnings


WRAPPERS = '''
import dataclasses
import kbtui

@kbtui.hookimpl(wrapper=True)
def kbtui_register_ledgers(registry):
    result = yield
    # after every other plugin: retitle the stock ledger, whoever registered it
    stock = registry["school-age"]
    registry.replace("school-age", dataclasses.replace(stock, title="{township}适龄儿童名册（县定）"))
    return result
'''

OLD_STYLE = '''
import kbtui

SEEN = []

@kbtui.hookimpl(hookwrapper=True)
def kbtui_register_statuses(registry):
    SEEN.append("before")
    outcome = yield
    outcome.get_result()
    SEEN.append("after")
'''

BROKEN_WRAPPER = '''
import kbtui

@kbtui.hookimpl(wrapper=True)
def kbtui_register_ledgers(registry):
    result = yield
    raise RuntimeError("包装插件坏了")
'''


def test_hook_wrappers_run_around_the_others(tmp_path):
    folder = tmp_path / "wrap"
    write(folder, "a_wrapper.py", WRAPPERS)
    write(folder, "b_county.py", _adds_itself("county-list"))
    write(folder, "c_old_style.py", OLD_STYLE)
    write(folder, "d_broken.py", BROKEN_WRAPPER)
    host = PluginHost([folder])
    ledgers = host.collect("kbtui_register_ledgers", Registry("台账"), kind="台账")
    assert ledgers["school-age"].title == "{township}适龄儿童名册（县定）"
    assert "county-list" in ledgers, "the wrapped implementations ran"
    info = {p.name: p for p in host.plugins}
    assert info["a_wrapper"].registers == {"台账": ["school-age"]}
    assert info["b_county"].registers == {"台账": ["county-list"]}
    assert any("插件 d_broken 的 kbtui_register_ledgers 出错" in w and "包装插件坏了" in w for w in host.warnings)

    from kbtui.domain.status import StatusRegistry
    statuses = host.collect("kbtui_register_statuses", StatusRegistry(), kind="状态")
    assert "在籍在校" in statuses
    import kbtui_local_plugins.c_old_style as old_style
    assert old_style.SEEN == ["before", "after"]
