"""Issue 19.9 (access): a township server's files.

- read-only roles (督导, 县复核) may read the visit tasks (``kbtui tasks`` stored them first and was refused);
- reads work on a read-only data folder (they took a write lock, refused on a read-only mount);
- what root writes in a data folder stays the service account's (``operators add`` as root left
  operators.toml root's, 0600: the service account could not open the data folder any more).
"""
from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from kbtui.services.campaign import tasks
from kbtui.services.workspace import Workspace
from kbtui.store import layout
from kbtui.store.storage import pending_path
from tests.conftest import run_cli
from tests.helpers.access import configure
from tests.helpers.other_users import SERVICE, chown_tree, kbtui_as, needs_root, owners, remove, shared_folder, warm_up

# --- tasks for read-only roles ---------------------------------------------------------------------

@pytest.mark.parametrize("login", ["sup", "county"])
def test_read_only_roles_see_the_visit_tasks(scoped, login):
    tasks_file = layout.collections_dir(scoped) / "tasks"        # one file per village (store.sharded)
    shutil.rmtree(tasks_file, ignore_errors=True)      # nothing stored yet: the report reads the records
    expected = json.loads(run_cli("tasks", "--json", data_dir=scoped, operator="tester").output)
    assert expected["totals"]["assigned"] > 0
    shutil.rmtree(tasks_file, ignore_errors=True)
    result = run_cli("tasks", "--json", data_dir=scoped, operator=login)
    assert result.exit_code == 0, result.output
    seen = json.loads(result.output)
    assert seen["totals"] == expected["totals"] and seen["by_village"] == expected["by_village"]
    assert not tasks_file.exists()                     # a read-only role stores nothing
    text = run_cli("tasks", "--overdue", "--today", "2024-10-01", data_dir=scoped, operator=login)
    assert text.exit_code == 0 and "走访任务" in text.output and "逾期" in text.output


def test_sync_stores_nothing_for_a_read_only_role(scoped):
    tasks_file = layout.collections_dir(scoped) / "tasks"        # one file per village (store.sharded)
    shutil.rmtree(tasks_file, ignore_errors=True)
    ws = Workspace.open(scoped, "sup")
    assert tasks.sync_tasks(ws) == {"created": 0, "updated": 0, "closed": 0, "reopened": 0}
    assert not tasks_file.exists()
    assert tasks.sync_tasks(Workspace.open(scoped, "tester"))["created"] > 0


# --- a read-only data folder -----------------------------------------------------------------------

READS = (["stats", "--json"], ["check", "--json"], ["campaign", "list"], ["campaign", "status"],
         ["tasks", "--json"], ["people", "list"], ["operators", "list"], ["case", "list"], ["placement", "list"],
         ["escalation", "due"], ["ledger", "list"], ["report", "list"], ["audit", "verify"],
         ["audit", "log", "--since", "2024-01-01"], ["plugins"])


@pytest.fixture
def read_only_copy(tui_data, tmp_path):
    """``tui_data`` seen through a read-only bind mount (``mount -o remount,bind,ro``)."""
    if os.geteuid() != 0:
        pytest.skip("mounting needs root")
    source, mount = tmp_path / "source", tmp_path / "ro"
    shutil.copytree(tui_data, source / "data")
    mount.mkdir()
    if subprocess.run(["mount", "--bind", str(source), str(mount)], capture_output=True).returncode:
        pytest.skip("bind mounts are not allowed here")
    try:
        if subprocess.run(["mount", "-o", "remount,bind,ro", str(mount)], capture_output=True).returncode:
            pytest.skip("read-only remounts are not allowed here")
        yield source / "data", mount / "data"
    finally:
        subprocess.run(["umount", str(mount)], check=True)


@pytest.mark.parametrize("login", ["tester", "sup", "cadre"])
def test_every_read_works_on_a_read_only_mount(read_only_copy, login):
    writable, read_only = read_only_copy
    configure(writable)                               # one operator per role (seen through the mount)
    with pytest.raises(OSError):
        (read_only / "probe").write_text("x")
    for command in READS:
        result = run_cli(*command, data_dir=read_only, operator=login)
        assert result.exit_code == 0, (command, result.output)
        assert "无法锁定" not in result.output and "只读" not in result.output
    same = json.loads(run_cli("stats", "--json", data_dir=read_only, operator=login).output)
    assert same == json.loads(run_cli("stats", "--json", data_dir=writable, operator=login).output)
    # a write says why it cannot be done, in Chinese, and nothing else happens
    child = next(iter(Workspace.open(writable, "tester").raw_store.all()))
    refused = run_cli("visit", child["id_number"], "--status", "在籍在校", data_dir=read_only, operator="tester")
    assert refused.exit_code == 1 and "只读" in refused.output and "Traceback" not in refused.output


def test_a_pending_file_left_by_a_killed_writer_does_not_stop_a_read_only_reader(read_only_copy):
    writable, read_only = read_only_copy
    state = layout.collections_dir(writable) / "people.json"
    pending_path(state).write_bytes(b'{"_default": {}, "_tx": {"id": "never-journaled", "n": 1}}')
    result = run_cli("people", "list", data_dir=read_only)
    assert result.exit_code == 0, result.output
    assert "共 0 人" not in result.output            # the installed file, not the dead writer's
    assert pending_path(state).exists()                # settled by the next writer that can


# --- root writes keep the service account's ownership ---------------------------------------------

@needs_root
def test_what_root_writes_in_a_data_folder_stays_the_service_accounts(tmp_path):
    base = shared_folder()
    try:
        os.chmod(base, 0o755)
        data = base / "data"
        assert run_cli("demo", "--no-tui", "--children", "60", "--seed", "5", data_dir=data).exit_code == 0
        chown_tree(data, SERVICE)
        warm_up("--data-dir", str(data), "--operator", "tester", "stats")
        child = next(iter(Workspace.open(data, "tester").raw_store.all()))["id_number"]
        paper = tmp_path / "证明.txt"
        paper.write_text("就读证明", encoding="utf-8")
        # an administrator working as root on the server (no sudo -u)
        for command in (["operators", "add", "lisi", "--role", "村干部", "--village", "高峰村"],
                        ["visit", child, "--status", "在籍在校", "--date", dt.date.today().isoformat(),
                         "--evidence", f"就读证明={paper}"],
                        ["ledger", "export", "in-school-local"],
                        ["backup"],
                        ["people", "add", "李老师", "--role", "教师", "--unit", "双山小学"]):
            result = run_cli(*command, data_dir=data, operator="tester")
            assert result.exit_code == 0, (command, result.output)
        foreign = {name: uid for name, uid in owners(data).items() if uid != SERVICE}
        assert not foreign, foreign
        assert (data / "operators.toml").stat().st_mode & 0o777 == 0o600
        # and the service account (sudo -u kbtui kbtui) still opens and reads everything
        result = kbtui_as(SERVICE, "--data-dir", str(data), "operators", "list", sudo_user="lisi", sudo_uid=1001)
        assert result.exit_code == 0, result.output
        assert "lisi" in result.output
    finally:
        remove(base)


def test_a_profile_others_can_change_is_refused(empty_workspace_dir: Path):
    """The profile names the plugin folders and every rule: like operators.toml, nobody else may write it."""
    profile = empty_workspace_dir / "profile.toml"
    os.chmod(profile, 0o660)
    result = run_cli("stats", data_dir=empty_workspace_dir)
    assert result.exit_code == 1 and "配置文件" in result.output and f"chmod 600 {profile}" in result.output
    os.chmod(profile, 0o600)
    assert run_cli("stats", data_dir=empty_workspace_dir).exit_code == 0
