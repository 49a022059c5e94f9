"""Files and identity: private folder and files, refusal of folders/configs/plugins others can write,
the OS login taken from the real uid (not $USER), and formula-looking cells exported as text."""
from __future__ import annotations

import os
import stat
from pathlib import Path

import openpyxl
import pytest

from kbtui.plugin_manager import PluginHost
from kbtui.services.access import operators
from kbtui.services.workspace import Workspace, WorkspaceError
from tests.conftest import run_cli


def test_a_new_data_folder_is_private(empty_workspace_dir: Path):
    for here, _dirs, files in os.walk(empty_workspace_dir):
        assert stat.S_IMODE(os.stat(here).st_mode) == 0o700, here
        for name in files:
            assert stat.S_IMODE(os.stat(Path(here) / name).st_mode) == 0o600, name


@pytest.mark.parametrize("mode", [0o777, 0o770, 0o707, 0o720])
def test_a_data_folder_writable_by_others_is_refused_with_the_reason(empty_workspace_dir: Path, mode):
    os.chmod(empty_workspace_dir, mode)
    try:
        result = run_cli("stats", data_dir=empty_workspace_dir)
        assert result.exit_code == 1
        assert "可被其他用户写入" in result.output and "chmod 700" in result.output
        with pytest.raises(WorkspaceError):
            Workspace.open(empty_workspace_dir, "tester")
    finally:
        os.chmod(empty_workspace_dir, 0o700)
    assert run_cli("stats", data_dir=empty_workspace_dir).exit_code == 0


def test_an_operators_file_others_can_change_is_refused(empty_workspace_dir: Path):
    path = empty_workspace_dir / operators.OPERATORS_FILE
    os.chmod(path, 0o620)
    result = run_cli("stats", data_dir=empty_workspace_dir)
    assert result.exit_code == 1 and "操作员配置" in result.output and "chmod 600" in result.output


def test_a_broken_operators_file_is_refused_with_the_entry(empty_workspace_dir: Path):
    path = empty_workspace_dir / operators.OPERATORS_FILE
    path.write_text('[operators.tester]\nrole = "校长"\n', encoding="utf-8")
    os.chmod(path, 0o600)
    result = run_cli("stats", data_dir=empty_workspace_dir)
    assert result.exit_code == 1 and "tester" in result.output and "校长" in result.output


def test_a_folder_made_before_operators_gets_its_owner_as_admin(empty_workspace_dir: Path):
    (empty_workspace_dir / operators.OPERATORS_FILE).unlink()
    assert run_cli("stats", data_dir=empty_workspace_dir).exit_code == 0
    assert operators.load_operators(empty_workspace_dir)["tester"].role == "镇管理员"


def test_the_os_login_comes_from_the_uid_not_from_the_environment(monkeypatch):
    import pwd

    real = pwd.getpwuid(os.getuid()).pw_name
    monkeypatch.setenv("USER", "zhenzhang")
    monkeypatch.setenv("LOGNAME", "zhenzhang")
    monkeypatch.delenv("SUDO_USER", raising=False)
    assert operators.os_login() == real


def test_under_sudo_to_the_service_account_the_caller_is_the_operator(monkeypatch):
    monkeypatch.setattr(os, "getuid", lambda: 990)             # the kbtui service account
    monkeypatch.setenv("SUDO_USER", "lisi")
    monkeypatch.setenv("SUDO_UID", "1001")
    assert operators.os_login() == "lisi"
    monkeypatch.setenv("SUDO_UID", "990")                      # not a real sudo hop: ignored
    monkeypatch.setattr("pwd.getpwuid", lambda uid: type("P", (), {"pw_name": "kbtui"})())
    assert operators.os_login() == "kbtui"


PLUGIN = '''
import kbtui

@kbtui.hookimpl
def kbtui_register_checks(registry):
    registry.add("恶意检查", lambda record, ctx: [])
'''


@pytest.mark.parametrize("mode,loaded", [(0o755, True), (0o775, False), (0o757, False)])
def test_plugins_load_only_from_folders_others_cannot_write(tmp_path: Path, mode, loaded):
    folder = tmp_path / "plugins"
    folder.mkdir()
    (folder / "county_check.py").write_text(PLUGIN, encoding="utf-8")
    os.chmod(folder / "county_check.py", 0o644)
    os.chmod(folder, mode)
    host = PluginHost([folder])
    assert any(p.name == "county_check" for p in host.plugins) is loaded
    if not loaded:
        assert any("可写" in w and str(folder) in w for w in host.warnings)


def test_a_plugin_file_others_can_write_is_skipped(tmp_path: Path):
    folder = tmp_path / "plugins"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "county_check.py").write_text(PLUGIN, encoding="utf-8")
    os.chmod(folder / "county_check.py", 0o666)
    host = PluginHost([folder])
    assert not any(p.name == "county_check" for p in host.plugins)
    assert any("county_check.py" in w for w in host.warnings)


def test_formula_looking_values_are_exported_as_text(tui_data: Path, tmp_path: Path):
    ws = Workspace.open(tui_data, "tester")
    ledger = ws.ledgers["in-school-local"]
    child = ledger.members(list(ws.store.all()), ws.context())[0]
    ws.store.update(child["id_number"], {"name": '=HYPERLINK("http://x.example","点我")'}, "tester")
    out = tmp_path / "台账.xlsx"
    assert run_cli("ledger", "export", "in-school-local", "-o", str(out), data_dir=tui_data).exit_code == 0
    book = openpyxl.load_workbook(out)
    cells = [c for row in book.worksheets[0].iter_rows() for c in row
             if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert cells and all(c.data_type == "s" for c in cells)
