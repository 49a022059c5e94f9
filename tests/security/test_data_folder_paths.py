"""Issue 19, point 1: a path an operator names must not reach the data folder's own files.

kbtui runs as the service account owning the data folder (``sudo -u kbtui kbtui``), so every ``-o`` of an
export, ``restore --into``, an import's list and an evidence file were opened with its rights: a 村干部's
``kbtui ledger export in-school-local -o /srv/kbtui/data/operators.toml`` replaced the operators file
with a workbook, ``kbtui import police …/store/children/高峰村.json`` or ``kbtui evidence … 照片=…/journal.key``
read the data folder's own files. Now outputs go only outside the data folder or into its exports/ (the app
itself also writes rejects/), inputs come only from outside it (or exports/ and rejects/), symlinks and
``..`` resolved, an existing file is replaced only when it is a workbook kbtui wrote, and under sudo only
what the operator could read or write themselves is read or written (tests with real uids, as root).
"""
from __future__ import annotations

import hashlib
import json
import os
import shutil
from pathlib import Path

import openpyxl
import pytest
from textual.widgets import Select

from kbtui.domain import roles as R
from kbtui.excel import saving
from kbtui.excel.errors import ExcelWriteError
from kbtui.services.access import access, operator_admin
from kbtui.services.campaign import spotcheck
from kbtui.services.escalation import cases
from kbtui.services.workspace import Workspace
from kbtui.tui.screens.exporting import ExportScreen
from kbtui.tui.screens.importing import ImportScreen
from kbtui.tui.widgets.path_input import complete_path
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
from tests.helpers.tui import make_app, run_async, settle

VILLAGE = "高峰村"
PROTECTED = ("operators.toml", "profile.toml", "meta.json", "journal/journal.jsonl", "journal/journal.key",
             "journal/journal.head")


def digests(data: Path) -> dict[str, str]:
    """Every file of the data folder but exports/ and rejects/ → its SHA-256."""
    found = {}
    for path in sorted(data.rglob("*")):
        rel = path.relative_to(data)
        if path.is_file() and rel.parts[0] not in ("exports", "rejects"):
            found[str(rel)] = hashlib.sha256(path.read_bytes()).hexdigest()
    return found


@pytest.fixture
def data(tui_data: Path) -> Path:
    ws = Workspace.open(tui_data, "tester")
    operator_admin.add_operator(ws, "cadre", "村干部", R.VILLAGE_CADRE, [VILLAGE])
    kid = next(r for r in ws.store.all() if r.get("village") == VILLAGE and ws.context().classify(r).in_campaign)
    cases.open_case(ws, kid["id_number"], on="2024-09-05", reason="学习困难/厌学")
    spotcheck.draw(ws, 3)
    return tui_data


def case_key(data: Path) -> str:
    return cases.all_cases(Workspace.open(data, "tester"))[0]["key"]


EXPORTS = {
    "ledger": lambda out, key: ["ledger", "export", "in-school-local", "-o", out],
    "report": lambda out, key: ["report", "export", "statistics", "-o", out],
    "spotcheck": lambda out, key: ["spotcheck", "list", "-o", out],
    "case-record": lambda out, key: ["case", "record", key, "-o", out],
    "document": lambda out, key: ["escalation", "document", key, "order", "--force", "-o", out],
    "risk": lambda out, key: ["risk", "export", "-o", out],
}


def export(data: Path, what: str, out: Path | str, login: str = "tester"):
    return run_cli(*EXPORTS[what](str(out), case_key(data)), data_dir=data, operator=login)


@pytest.mark.parametrize("what", EXPORTS)
def test_no_export_lands_in_the_data_folder_itself(data, tmp_path, what):
    before = digests(data)
    link = tmp_path / "链接"
    link.symlink_to(data)                                   # a folder of one's own that leads there
    (tmp_path / "上级").mkdir()
    targets = [data / "operators.xlsx", data / "store" / "children" / f"{VILLAGE}.xlsx",
               data / "journal" / "journal.xlsx", data / "attachments" / "证明.xlsx", data / "backups" / "x.xlsx",
               link / "operators.xlsx", tmp_path / "上级" / ".." / "链接" / "store" / "台账.xlsx"]
    targets += [data / name for name in PROTECTED]         # the files themselves (not even named .xlsx)
    for target in targets:
        result = export(data, what, target, login="cadre" if what != "spotcheck" else "tester")
        assert result.exit_code == 1, (target, result.output)
        assert "Traceback" not in result.output and result.output.count("错误：") == 1, result.output
        assert ("数据目录" in result.output and "不能被导出的文件覆盖" in result.output) or \
            "应以 .xlsx" in result.output, (target, result.output)
    assert digests(data) == before                         # not a byte of the data folder changed
    assert not list(data.rglob("*.xlsx")) or all(p.relative_to(data).parts[0] in ("exports", "rejects")
                                                 for p in data.rglob("*.xlsx"))
    inside = export(data, what, data / "exports" / "导出.xlsx")      # its own exports/ is where they go
    assert inside.exit_code == 0, inside.output
    assert (data / "exports" / "导出.xlsx").is_file()


def test_the_attack_of_the_issue_is_refused_in_so_many_words(data):
    """The issue's own command: the operators file stays, the message says where exports may go."""
    before = (data / "operators.toml").read_bytes()
    result = run_cli("ledger", "export", "in-school-local", "-o", str(data / "operators.toml"), data_dir=data,
                     operator="cadre")
    assert result.exit_code == 1
    assert (data / "operators.toml").read_bytes() == before
    renamed = run_cli("ledger", "export", "in-school-local", "-o", str(data / "store" / "operators.xlsx"),
                      data_dir=data, operator="cadre")
    assert renamed.exit_code == 1
    assert f"在数据目录 {data} 中" in renamed.output and "exports/" in renamed.output, renamed.output


def test_an_existing_file_is_replaced_only_when_kbtui_wrote_it(data, tmp_path):
    theirs = tmp_path / "派出所名单.xlsx"
    wb = openpyxl.Workbook()
    wb.active.append(["姓名", "身份证号"])
    wb.save(theirs)
    before = theirs.read_bytes()
    result = export(data, "ledger", theirs)
    assert result.exit_code == 1 and "已存在，且不是本系统导出的表格" in result.output, result.output
    assert theirs.read_bytes() == before
    ours = tmp_path / "台账.xlsx"
    assert export(data, "ledger", ours).exit_code == 0
    again = export(data, "report", ours)                  # our own export: replaced, as before
    assert again.exit_code == 0, again.output
    assert "统计" in openpyxl.load_workbook(ours).active.title or ours.stat().st_size > 0
    text = tmp_path / "通知书.txt"
    text.write_text("别人的文件", encoding="utf-8")
    doc = export(data, "document", text)
    assert doc.exit_code == 1 and "已存在" in doc.output and text.read_text(encoding="utf-8") == "别人的文件"


def test_a_symlink_in_place_of_the_file_is_not_written_through(data, tmp_path):
    before = digests(data)
    trap = tmp_path / "台账.xlsx"
    trap.symlink_to(data / "operators.toml")
    result = export(data, "ledger", trap)
    assert result.exit_code == 1 and "不是普通文件" in result.output, result.output
    assert trap.is_symlink() and digests(data) == before


def test_a_folder_swapped_for_a_symlink_after_the_check_is_caught_as_it_is_written(data, tmp_path):
    """The ``-o`` folder was checked when the command started; an export takes a while, and the folder is the
    operator's own: swapped for a symlink into the data folder meanwhile, the write checks it again as opened."""
    before = digests(data)
    mine = tmp_path / "我的"
    mine.mkdir()
    target = mine / "台账.xlsx"
    ws = Workspace.open(data, "tester")

    def write(properties):
        shutil.rmtree(mine)
        mine.symlink_to(data / "store")                      # after every check made so far
        wb = openpyxl.Workbook()
        saving.atomic_save(wb, target)
        return 1

    with pytest.raises(ExcelWriteError, match="数据目录"):
        access.export_file(ws, "台账", target, write)
    assert digests(data) == before
    assert not list((data / "store").glob("*.xlsx")) and not list((data / "store").glob(".*tmp*"))


def test_a_restore_into_the_data_folder_is_refused(data, tmp_path):
    made = json.loads(run_cli("backup", "--json", data_dir=data).stdout)
    link = tmp_path / "链接"
    link.symlink_to(data)
    before = digests(data)
    for into in (data / "恢复", data / "exports" / "恢复", data / "store" / "恢复", link / "恢复"):
        result = run_cli("restore", made["file"], "--into", str(into), data_dir=data)
        assert result.exit_code == 1 and "数据目录" in result.output, (into, result.output)
        assert not into.exists()
    assert {k: v for k, v in digests(data).items() if not k.startswith("backups/")} == \
        {k: v for k, v in before.items() if not k.startswith("backups/")}
    ok = run_cli("restore", made["file"], "--into", str(tmp_path / "恢复"), data_dir=data)
    assert ok.exit_code == 0, ok.output


# --------------------------------------------------------------------------- reading

def test_no_list_or_evidence_is_read_from_the_data_folder(data, tmp_path):
    village_file = data / "store" / "children" / f"{VILLAGE}.json"
    assert village_file.is_file()
    disguised = tmp_path / "名单.csv"
    disguised.symlink_to(village_file)                      # a symlink of one's own does not help
    kid = next(r["id_number"] for r in Workspace.open(data, "tester").store.all() if r.get("village") == VILLAGE)
    attempts = [
        ["import", "police", str(village_file)], ["import", "police", str(disguised)],
        ["import", "police", str(tmp_path / ".." / tmp_path.name / "名单.csv")],
        ["people", "import", str(data / "operators.toml")],
        ["absence", "import", str(data / "journal" / "journal.jsonl")],
        ["ledger", "import", str(village_file)],
        ["evidence", kid, f"照片={data / 'journal' / 'journal.key'}"],
        ["visit", kid, "--status", "在籍在校", "--school", "双山小学", "--evidence", f"证明={disguised}"],
        ["init", "--profile", str(data / "profile.toml")],
    ]
    before = digests(data)
    for args in attempts:
        extra = ["--data-dir", str(tmp_path / "新目录")] if args[0] == "init" else []
        result = run_cli(*extra, *args, data_dir=None if extra else data, operator="cadre")
        assert result.exit_code != 0, (args, result.output)
        assert "数据目录" in result.output and "Traceback" not in result.output, (args, result.output)
    after = digests(data)
    assert after == before, set(after) ^ set(before)
    assert not (data / "attachments").exists() or not any((data / "attachments").rglob("*key*"))


def test_a_filled_in_ledger_from_exports_and_a_fixed_rejects_file_may_be_read(data, tmp_path):
    """exports/ and rejects/ hold workbooks kbtui wrote for people: the round trip reads them back."""
    out = data / "exports" / "台账.xlsx"
    assert export(data, "ledger", out).exit_code == 0
    result = run_cli("ledger", "import", str(out), "--dry-run", data_dir=data)
    assert result.exit_code == 0, result.output


def test_path_completion_does_not_show_the_data_folder_s_files(data):
    assert complete_path(f"{data}/e") == f"{data}/exports/"
    assert complete_path(f"{data}/o") is None                          # operators.toml
    assert complete_path(f"{data}/s") is None                          # store/
    assert complete_path(f"{data}/store/") is None
    assert complete_path(f"{data}/journal/j") is None


# --------------------------------------------------------------------------- under sudo, with real uids

EXCHANGE = 54330         # the group of one operator's exchange folder (the operator and the service account)


@pytest.fixture
def server():
    """/tmp/kbtui-users-*/: ``data`` owned by the service account with 村干部 ``cadre`` (uid CADRE);
    ``svc`` a folder only the service account may use (its home, say); ``exchange`` the cadre's exchange
    folder (owner CADRE, group EXCHANGE which the service account is in too, 2770)."""
    base = shared_folder()
    os.chmod(base, 0o755)
    data = base / "data"
    assert run_cli("demo", "--no-tui", "--children", "60", "--seed", "3", data_dir=data).exit_code == 0
    operator_admin.add_operator(Workspace.open(data, "tester"), "cadre", "村干部", R.VILLAGE_CADRE, [VILLAGE])
    chown_tree(data, SERVICE)
    svc = base / "svc"
    svc.mkdir(mode=0o700)
    os.chown(svc, SERVICE, SERVICE)
    exchange = base / "exchange"
    exchange.mkdir()
    os.chown(exchange, CADRE, EXCHANGE)
    os.chmod(exchange, 0o2770)
    other = base / "other"                                # a stranger's folder the service account may write
    other.mkdir()
    os.chown(other, STRANGER, SERVICE)
    os.chmod(other, 0o770)
    warm_up("--data-dir", str(data), "--operator", "tester", "ledger", "export", "in-school-local", "-o",
            str(base / "warm.xlsx"))
    yield {"base": base, "data": data, "svc": svc, "exchange": exchange, "other": other}
    remove(base)


def as_cadre(server, *args: str):
    return kbtui_as(SERVICE, "--data-dir", str(server["data"]), *args, sudo_user="cadre", sudo_uid=CADRE,
                    sudo_gid=EXCHANGE, groups=(EXCHANGE,))


@needs_root
def test_under_sudo_nothing_is_written_where_the_operator_could_not_write(server):
    for folder in (server["svc"], server["other"]):
        target = folder / "台账.xlsx"
        result = as_cadre(server, "ledger", "export", "in-school-local", "-o", str(target))
        assert result.exit_code == 1, result.output
        assert "您（cadre）自己没有在文件夹" in result.output and "交换文件夹" in result.output, result.output
        assert not target.exists()


@needs_root
def test_under_sudo_nothing_is_read_that_the_operator_could_not_read(server):
    secret = server["svc"] / "名单.csv"
    secret.write_text("姓名,身份证号\n张三,500224201001011234\n", encoding="utf-8")
    os.chown(secret, SERVICE, SERVICE)
    os.chmod(secret, 0o600)
    kid = next(r["id_number"] for r in Workspace.open(server["data"], "tester").store.all()
               if r.get("village") == VILLAGE)
    for args in (["import", "police", str(secret)], ["people", "import", str(secret)],
                 ["evidence", kid, f"照片={secret}"]):
        result = as_cadre(server, *args)
        assert result.exit_code == 1, (args, result.output)
        assert "您（cadre）自己没有读取" in result.output and "张三" not in result.output, (args, result.output)
    assert not (server["data"] / "attachments").exists() or not any((server["data"] / "attachments").rglob("*.csv"))


@needs_root
def test_under_sudo_the_exchange_folder_works_both_ways(server):
    """The README's set-up: the cadre drops a list into their exchange folder and takes the export from there."""
    exchange = server["exchange"]
    names = exchange / "户籍名单.csv"
    names.write_text("姓名,身份证号,性别,村（社区）,户籍地址\n"
                     "王五,50022420100101123X,男,高峰村,高峰村1组\n", encoding="utf-8")
    os.chown(names, CADRE, EXCHANGE)
    os.chmod(names, 0o640)
    imported = as_cadre(server, "import", "police", str(names), "--dry-run")
    assert imported.exit_code == 0, imported.output
    assert "共 1 行数据" in imported.output and "未导入 0 行" in imported.output, imported.output
    target = exchange / "台账.xlsx"
    exported = as_cadre(server, "ledger", "export", "in-school-local", "-o", str(target))
    assert exported.exit_code == 0, exported.output
    st = target.stat()
    assert (st.st_uid, st.st_gid, st.st_mode & 0o777) == (SERVICE, EXCHANGE, 0o640)
    from tests.helpers.other_users import as_user
    assert as_user(CADRE, lambda: len(target.read_bytes()), groups=(EXCHANGE,)) > 0   # the cadre can take it
    default = as_cadre(server, "ledger", "export", "in-school-local")     # no -o: the data folder's exports/
    assert default.exit_code == 0, default.output
    assert all(p.stat().st_mode & 0o777 == 0o600 for p in (server["data"] / "exports").glob("*.xlsx"))


# --------------------------------------------------------------------------- the TUI's path prompts

@run_async
async def test_the_tui_export_and_import_prompts_refuse_the_data_folder(data):
    before = digests(data)
    app = make_app(data, start="export")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ExportScreen)
        app.screen.query_one(Select).value = next(iter(app.workspace.ledgers))
        app.screen.query_one("#export-path").value = str(data / "journal" / "台账.xlsx")
        await pilot.press("ctrl+s")
        await settle(app, pilot)
        text = str(app.screen.query_one("#export-result").render())
        assert "导出失败" in text and "数据目录" in text, text
    app = make_app(data, start="import")
    async with app.run_test(size=(80, 24)) as pilot:
        await settle(app, pilot)
        assert isinstance(app.screen, ImportScreen)
        app.screen.query_one(Select).value = "police"
        app.screen.query_one("#import-path").value = str(data / "store" / "children" / f"{VILLAGE}.json")
        app.screen.query_one("#import-path").focus()
        await pilot.press("enter")
        await settle(app, pilot)
        text = str(app.screen.query_one("#import-result").render())
        assert "数据目录" in text, text
    assert digests(data) == before
