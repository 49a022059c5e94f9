"""Issue 19.1: nobody runs code as the data owner through a plugin.

A plugin runs with the rights of whoever runs kbtui: on a township server the service account owning every
child's data. The attack: a user allowed to log in, not in operators.toml (or a 村干部), puts a 644 plugin in
a 755 folder of their own and runs ``sudo -u kbtui kbtui --plugins-dir ~/plug plugins``; before, the plugin
ran as the service account and read every village file. Now plugins load only from folders (and files, and
every folder above them) owned by the data owner or root and writable by nobody else, ``--plugins-dir``
only for a 镇管理员, and nothing of a plugin folder runs before the operator is known.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from kbtui.plugin_manager import FOLDER, PluginHost, folder_problem
from kbtui.services.access import operator_admin
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.other_users import (
    CADRE,
    SERVICE,
    STRANGER,
    chown_tree,
    kbtui_as,
    needs_root,
    remove,
    shared_folder,
    warm_up,
)

STEAL = '''
import os
import kbtui

_seen = 0
_folder = {children!r}
for _name in os.listdir(_folder):
    with open(os.path.join(_folder, _name), "rb") as _fh:
        _seen += len(_fh.read())
with open({marker!r}, "w") as _out:
    _out.write("uid %d read %d bytes of village files" % (os.getuid(), _seen))


@kbtui.hookimpl
def kbtui_register_checks(registry):
    registry.add("窃取", lambda record, ctx: [])
'''


def plugin_folder(where: Path, owner: int, children: Path, marker: Path, mode: int = 0o755) -> Path:
    where.mkdir(parents=True)
    (where / "steal.py").write_text(STEAL.format(children=str(children), marker=str(marker)), encoding="utf-8")
    os.chmod(where / "steal.py", 0o644)
    os.chmod(where, mode)
    chown_tree(where, owner)
    return where


@pytest.fixture
def server():
    """/tmp/kbtui-users-*/: ``data`` owned by the service account (0700) with 镇管理员 ``tester`` and 村干部
    ``cadre``; ``home/mallory/plug`` the stranger's own 755 folder holding a 644 plugin; ``drop`` where the
    plugin leaves its marker (1777)."""
    base = shared_folder()
    os.chmod(base, 0o755)
    data = base / "data"
    assert run_cli("demo", "--no-tui", "--children", "60", "--seed", "3", data_dir=data).exit_code == 0
    admin = Workspace.open(data, "tester")
    operator_admin.add_operator(admin, "cadre", "村干部", "村干部", ["高峰村"])
    chown_tree(data, SERVICE)
    drop = base / "drop"
    drop.mkdir()
    os.chmod(drop, 0o1777)
    marker = drop / "stolen.txt"
    (base / "home").mkdir(mode=0o755)
    mallory = plugin_folder(base / "home" / "mallory" / "plug", STRANGER, data / "store" / "children", marker)
    os.chown(mallory.parent, STRANGER, STRANGER)
    own = plugin_folder(base / "srv-plugins", SERVICE, data / "store" / "children", marker)
    warm_up("--data-dir", str(data), "--operator", "tester", "--plugins-dir", str(own), "plugins", "--json")
    marker.unlink(missing_ok=True)
    yield {"base": base, "data": data, "mallory": mallory, "own": own, "marker": marker}
    remove(base)


def as_operator(server, uid_login: tuple[int, str], *args: str):
    """``sudo -u kbtui kbtui --data-dir DATA ARGS`` by the operator ``(uid, login)``."""
    uid, login = uid_login
    return kbtui_as(SERVICE, "--data-dir", str(server["data"]), *args, sudo_user=login, sudo_uid=uid)


@needs_root
def test_an_unregistered_user_cannot_run_a_plugin_as_the_service_account(server):
    for command in (["plugins"], ["plugins", "--json"], ["stats"]):
        result = as_operator(server, (STRANGER, "mallory"), "--plugins-dir", str(server["mallory"]), *command)
        assert result.exit_code == 1, result.output
        assert "不是本数据目录的操作员" in result.output and "mallory" in result.output
        assert "steal" not in result.output and "Traceback" not in result.output
        assert not server["marker"].exists(), server["marker"].read_text()


@needs_root
def test_a_village_cadre_may_not_name_a_plugin_folder(server):
    result = as_operator(server, (CADRE, "cadre"), "--plugins-dir", str(server["own"]), "stats")
    assert result.exit_code == 1
    assert "只有镇管理员可以用 --plugins-dir 加载插件目录" in result.output and "村干部" in result.output
    assert not server["marker"].exists()
    assert as_operator(server, (CADRE, "cadre"), "stats").exit_code == 0     # without it, work goes on


@needs_root
def test_a_town_admin_loads_only_folders_of_the_service_account_or_root(server):
    refused = as_operator(server, (1000, "tester"), "--plugins-dir", str(server["mallory"]), "plugins", "--json")
    assert refused.exit_code == 0, refused.output
    warnings = json.loads(refused.output[refused.output.index("{"):])["warnings"]
    assert any(str(server["mallory"]) in w and f"所有者是 uid {STRANGER}" in w for w in warnings), warnings
    assert not server["marker"].exists()
    # the service account's own folder (755, file 644) is the set-up the README describes
    loaded = as_operator(server, (1000, "tester"), "--plugins-dir", str(server["own"]), "plugins", "--json")
    assert loaded.exit_code == 0, loaded.output
    plugins = {p["name"]: p for p in json.loads(loaded.output[loaded.output.index("{"):])["plugins"]}
    assert plugins["steal"]["origin"] == FOLDER and plugins["steal"]["error"] is None
    assert server["marker"].read_text().startswith(f"uid {SERVICE} read ")


@needs_root
def test_without_a_data_folder_no_plugin_folder_is_loaded(server):
    nowhere = server["base"] / "nothing-here"
    result = kbtui_as(SERVICE, "--data-dir", str(nowhere), "--plugins-dir", str(server["mallory"]), "plugins",
                      sudo_user="mallory", sudo_uid=STRANGER)
    assert result.exit_code == 1 and "--plugins-dir 只能在打开数据目录时由镇管理员使用" in result.output
    assert not server["marker"].exists()
    listed = kbtui_as(SERVICE, "--data-dir", str(nowhere), "plugins", "--json", sudo_user="mallory",
                      sudo_uid=STRANGER)
    assert listed.exit_code == 0
    origins = {p["origin"] for p in json.loads(listed.output)["plugins"]}
    assert FOLDER not in origins and origins        # the installation's own plugins only


@needs_root
def test_a_user_who_cannot_read_the_data_folder_gets_a_chinese_message(server):
    result = kbtui_as(STRANGER, "--data-dir", str(server["data"]), "stats")
    assert result.exit_code == 1
    assert f"数据目录 {server['data']} 属于 uid {SERVICE}，不能以 uid {STRANGER} 的身份打开" in result.output
    assert f"sudo -u uid {SERVICE} kbtui" in result.output
    assert "Invalid value" not in result.output and "Error:" not in result.output


@needs_root
def test_a_data_folder_of_ones_own_does_not_make_one_town_admin_of_the_service_account(server):
    """The same attack through a data folder the stranger made up, naming themselves 镇管理员 in its
    operators.toml (all 644 in a 755 folder): the service account opens only its own data folders."""
    fake = server["mallory"].parent / "fake"
    fake.mkdir(mode=0o755)
    data = server["data"]
    for name in ("meta.json", "profile.toml"):
        (fake / name).write_bytes((data / name).read_bytes())
    (fake / "operators.toml").write_text('[operators.mallory]\nname = "m"\nrole = "镇管理员"\n', encoding="utf-8")
    for entry in fake.iterdir():
        os.chmod(entry, 0o644)
    chown_tree(fake, STRANGER)
    result = kbtui_as(SERVICE, "--data-dir", str(fake), "--plugins-dir", str(server["mallory"]), "plugins",
                      sudo_user="mallory", sudo_uid=STRANGER)
    assert result.exit_code == 1, result.output
    assert f"属于 uid {STRANGER}，不能以 uid {SERVICE} 的身份打开" in result.output
    assert not server["marker"].exists()


def test_run_as_root_only_roots_plugin_folders_are_trusted(tmp_path):
    """The service account's code must not run as root: root working on its data folder loads only root's."""
    from kbtui.services.workspace import trusted_uids

    folder = tmp_path / "data"
    folder.mkdir()
    if os.geteuid() == 0:
        assert trusted_uids(folder) == frozenset({0})
        os.chown(folder, SERVICE, SERVICE)
        assert trusted_uids(folder) == frozenset({0})
    else:
        assert trusted_uids(folder) == frozenset({0, os.geteuid()})


# --- the ownership rules, one by one (in process, as root) ---------------------------------------

@pytest.fixture
def tree(tmp_path):
    base = tmp_path / "srv"
    base.mkdir(mode=0o755)
    return base


def good_folder(where: Path) -> Path:
    where.mkdir(parents=True, exist_ok=True)
    os.chmod(where, 0o755)
    (where / "county.py").write_text("X = 1\n", encoding="utf-8")
    os.chmod(where / "county.py", 0o644)
    return where


TRUSTED = frozenset({0, SERVICE})


@needs_root
def test_a_folder_owned_by_someone_else_is_refused(tree):
    folder = good_folder(tree / "plug")
    assert folder_problem(folder, TRUSTED) is None
    os.chown(folder, STRANGER, STRANGER)
    assert "所有者是 uid 54322" in folder_problem(folder, TRUSTED)
    assert not PluginHost([folder], trusted_uids=TRUSTED).pm.has_plugin("county")


@needs_root
def test_a_file_owned_by_someone_else_is_skipped(tree):
    folder = good_folder(tree / "plug")
    os.chown(folder / "county.py", STRANGER, STRANGER)
    host = PluginHost([folder], trusted_uids=TRUSTED)
    assert not host.pm.has_plugin("county")
    assert any("插件文件" in w and "county.py" in w and "已跳过" in w for w in host.warnings)


@needs_root
@pytest.mark.parametrize("mode,says", [(0o775, "同组用户可写"), (0o757, "其他用户可写")])
def test_a_folder_above_that_others_may_write_is_refused(tree, mode, says):
    folder = good_folder(tree / "a" / "b" / "plug")
    os.chmod(tree / "a", mode)
    problem = folder_problem(folder, TRUSTED)
    assert problem and str(tree / "a") in problem and says in problem
    os.chmod(tree / "a", 0o755)
    os.chown(tree / "a", STRANGER, STRANGER)        # who owns a folder above may swap what is below
    assert "所有者是 uid 54322" in folder_problem(folder, TRUSTED)


@needs_root
def test_a_sticky_folder_above_is_accepted_like_tmp(tree):
    folder = good_folder(tree / "shared" / "plug")
    os.chmod(tree / "shared", 0o1777)
    assert folder_problem(folder, TRUSTED) is None
    os.chmod(tree / "shared", 0o0777)
    assert "其他用户可写" in folder_problem(folder, TRUSTED)


@needs_root
def test_a_symlink_is_judged_by_where_it_leads(tree):
    theirs = good_folder(tree / "theirs")
    os.chown(theirs, STRANGER, STRANGER)
    link = tree / "plug"
    link.symlink_to(theirs)
    assert "所有者是 uid 54322" in folder_problem(link, TRUSTED)
    mine = good_folder(tree / "mine")
    (mine / "county.py").unlink()
    os.chown(theirs / "county.py", STRANGER, STRANGER)
    (mine / "county.py").symlink_to(theirs / "county.py")
    host = PluginHost([mine], trusted_uids=TRUSTED)
    assert not host.pm.has_plugin("county") and any("uid 54322" in w for w in host.warnings)


@needs_root
def test_a_package_with_a_foreign_module_or_bytecode_is_refused(tree):
    folder = good_folder(tree / "plug")
    package = folder / "county_pkg"
    package.mkdir(mode=0o755)
    (package / "__init__.py").write_text("from . import rules\n", encoding="utf-8")
    (package / "rules.py").write_text("Y = 2\n", encoding="utf-8")
    for f in package.iterdir():
        os.chmod(f, 0o644)
    assert PluginHost([folder], trusted_uids=TRUSTED).pm.has_plugin("county_pkg")
    os.chown(package / "rules.py", STRANGER, STRANGER)
    host = PluginHost([folder], trusted_uids=TRUSTED)
    assert not host.pm.has_plugin("county_pkg") and any("rules.py" in w for w in host.warnings)
    cache = folder / "__pycache__"
    cache.mkdir(mode=0o755, exist_ok=True)
    os.chown(cache, STRANGER, STRANGER)             # bytecode Python would run instead of county.py
    assert "__pycache__" in folder_problem(folder, TRUSTED)


def test_a_cadre_with_plugins_dir_is_refused_before_any_plugin_loads(tmp_path, empty_workspace_dir):
    """The same refusal in process (no other uid needed): the plugin's module is never imported."""
    marker = tmp_path / "ran.txt"
    folder = good_folder(tmp_path / "plug")
    (folder / "county.py").write_text(f"open({str(marker)!r}, 'w').write('ran')\n", encoding="utf-8")
    admin = Workspace.open(empty_workspace_dir, "tester")
    operator_admin.add_operator(admin, "cadre", "村干部", "村干部", ["高峰村"])
    refused = run_cli("--plugins-dir", str(folder), "plugins", data_dir=empty_workspace_dir, operator="cadre")
    assert refused.exit_code == 1 and "只有镇管理员可以用 --plugins-dir" in refused.output
    stranger = run_cli("--plugins-dir", str(folder), "plugins", data_dir=empty_workspace_dir, operator="nobody")
    assert stranger.exit_code == 1 and "不是本数据目录的操作员" in stranger.output
    assert not marker.exists()
    allowed = run_cli("--plugins-dir", str(folder), "plugins", data_dir=empty_workspace_dir, operator="tester")
    assert allowed.exit_code == 0 and marker.exists()


def test_plugin_warnings_are_printed_once(tmp_path, empty_workspace_dir):
    folder = good_folder(tmp_path / "plug")
    (folder / "county.py").write_text("def oops(:\n", encoding="utf-8")
    for command in (["plugins"], ["stats"]):
        result = run_cli("--plugins-dir", str(folder), *command, data_dir=empty_workspace_dir)
        assert result.exit_code == 0, result.output
        assert result.stderr.count("插件 county") == 1, result.stderr
