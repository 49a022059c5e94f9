"""Terminal escape injection (issue 19, point 8): an imported address holding ``ESC ] 0 ; … BEL`` was stored
as is and printed raw by ``audit log``; rejection messages echoed such cells and retitled the terminal.

Now text fields lose control characters on import (``domain.normalize``), and whatever the CLI prints
from data or files shows them as visible symbols (␛ ␇ …, ``domain.controls``); JSON escapes them.
The last test runs the CLI in a real terminal (tmux) and reads the window title back.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
import time
from pathlib import Path

import openpyxl
import pytest

from kbtui.domain.controls import escape_controls, strip_controls
from kbtui.domain.normalize import normalize_name, normalize_text
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.imports import OPERATOR, cid, init_data

TITLE = "\x1b]0;被入侵\x07"
CONTROLS = ("\x1b", "\x07", "\x9b", "\u202e", "\x7f")


def clean_output(text: str) -> bool:
    return not any(c in text for c in CONTROLS)


@pytest.mark.parametrize("raw, text", [
    (f"双山镇{TITLE}高峰村", "双山镇]0;被入侵高峰村"),
    ("高峰村\x1b[2J\x1b[H", "高峰村[2J[H"),
    ("\u202e村峰高", "村峰高"),
    ("a\x9b31mb\x7f", "a31mb"),
    ("一组\t二组\n三组", "一组 二组 三组"),
])
def test_text_fields_lose_control_characters_on_import(raw, text):
    assert normalize_text(raw) == text
    assert normalize_name("张\x1b\x07\u202e三") == "张三"


def test_escape_and_strip():
    assert escape_controls(f"a{TITLE}b\r\nc\td\u202e") == "a␛]0;被入侵␇b␍\nc\td�"
    assert escape_controls("a\nb\tc", keep_breaks=False) == "a␊b␉c"
    assert strip_controls("a\x00b\x1fc\x85d\u2066e\u2069") == "abcde"
    assert len(escape_controls(TITLE)) == len(TITLE)          # one symbol for one character


@pytest.fixture
def data(tmp_path: Path) -> Path:
    return init_data(tmp_path)


def _police(path: Path, rows: list[list]) -> Path:
    """A police list as CSV (a spreadsheet program would refuse the control characters; a file need not)."""
    lines = ["身份证号,姓名,户籍地址,联系电话", *(",".join(map(str, row)) for row in rows)]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def _police_xlsx(path: Path, address: str) -> Path:
    """The same as an .xlsx written part by part, the address with raw control bytes in its XML."""
    from tests.helpers.raw_workbooks import CHILD, HEADER, shared, sheet_xml, workbook

    return workbook(path, sheet_xml(HEADER + CHILD), shared(address))


def test_an_imported_address_is_stored_clean_and_rejections_show_the_cell_harmlessly(data, tmp_path):
    good, bad = cid("2015-03-04", 11), cid("2015-03-05", 13)
    path = _police(tmp_path / "户籍.csv", [[good, "张三", f"双山镇{TITLE}高峰村", "13800138000"],
                                           [bad, "李四", "双山镇", f"{TITLE}138"]])
    result = run_cli("import", "police", str(path), data_dir=data, operator=OPERATOR)
    assert result.exit_code == 0, result.output
    assert clean_output(result.output), repr(result.output)
    assert "␛]0;被入侵␇138" in result.output                  # the rejected cell, quoted visibly
    ws = Workspace.open(data, OPERATOR)
    assert ws.store.get(good)["household_address"] == "双山镇]0;被入侵高峰村"
    rejects = next((data / "rejects").glob("*.xlsx"))
    reasons = [r[-2] for r in openpyxl.load_workbook(rejects).active.iter_rows(values_only=True) if r and r[-1] == 3]
    assert reasons and "␛]0;被入侵␇138" in reasons[0]


def test_a_name_in_shared_strings_with_control_bytes(data, tmp_path):
    """The 姓名 of an .xlsx (a shared string) holding ESC and BEL: the child's name is stored clean."""
    path = _police_xlsx(tmp_path / "户籍.xlsx", f"张{TITLE.replace('0', '')}三")
    result = run_cli("import", "police", str(path), data_dir=data, operator=OPERATOR)
    assert result.exit_code == 0 and clean_output(result.output), repr(result.output)
    from tests.helpers.raw_workbooks import ID1
    assert Workspace.open(data, OPERATOR).store.get(ID1)["name"] == "张];被入侵三"


def test_data_already_holding_control_characters_is_printed_harmlessly(data):
    """Records written before the import stripped them, or typed on the command line."""
    ws = Workspace.open(data, OPERATOR)
    kid = cid("2015-03-04", 11)
    ws.store.insert({"id_number": kid, "name": "张三", "village": "高峰村"}, OPERATOR)
    ws.store.update(kid, {"current_address": f"高峰村{TITLE}", "note": "\u202e注备\x1b[8m隐藏"}, OPERATOR)
    assert run_cli("visit", kid, "--status", "在籍在校", "--note", f"走访{TITLE}", data_dir=data).exit_code == 0
    for args in (["audit", "log"], ["check"], ["stats"], ["review", "--level", "村/校核查", "--list"]):
        result = run_cli(*args, data_dir=data, operator=OPERATOR)
        assert clean_output(result.output), (args, repr(result.output))
    log = run_cli("audit", "log", data_dir=data, operator=OPERATOR).output
    assert "高峰村␛]0;被入侵␇" in log and "走访␛]0;被入侵␇" in log and "�注备␛[8m隐藏" in log
    as_json = run_cli("audit", "log", "--json", data_dir=data, operator=OPERATOR).output
    assert clean_output(as_json)
    assert "\\u001b]0;被入侵\\u0007" in as_json and "\\u202e注备" in as_json
    entries = json.loads(as_json)["entries"]                  # the JSON still holds the real text
    assert any(e["changes"].get("current_address", [None, None])[1] == f"高峰村{TITLE}" for e in entries)


def test_an_error_message_quoting_input_is_harmless(data):
    result = run_cli("case", "show", f"无此案{TITLE}", data_dir=data, operator=OPERATOR)
    assert result.exit_code == 1 and clean_output(result.output), repr(result.output)


@pytest.mark.skipif(shutil.which("tmux") is None, reason="needs tmux for a real terminal")
def test_the_terminal_title_stays_in_a_real_terminal(data, tmp_path):
    ws = Workspace.open(data, OPERATOR)
    kid = cid("2015-03-04", 11)
    ws.store.insert({"id_number": kid, "name": "张三", "village": "高峰村", "note": f"x{TITLE}"}, OPERATOR)
    session = f"kbtui-title-{tmp_path.name}"[:40]
    command = f"{sys.executable} -m kbtui --data-dir {data} --operator {OPERATOR} audit log; sleep 30"
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "120", "-y", "30", command], check=True)
    try:
        for _ in range(100):
            pane = subprocess.run(["tmux", "capture-pane", "-p", "-t", session], capture_output=True, text=True).stdout
            if "共 " in pane:
                break
            time.sleep(0.1)
        title = subprocess.run(["tmux", "display-message", "-p", "-t", session, "#{pane_title}"],
                               capture_output=True, text=True).stdout.strip()
        assert "被入侵" not in title, title
        assert "x␛]0;被入侵␇" in pane
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session], capture_output=True)
