"""Every workbook kbtui writes goes through the excel package's guard: a value beginning with = + - @ (a
village's name, a persuader, a note, the hidden marker of an exported ledger) is saved as text, never as a
formula, in a case's 劝返情况记录, a legal document, a report and a ledger (its marker sheet included)."""
from __future__ import annotations

import json
import re
from pathlib import Path

import openpyxl
import pytest

from kbtui.excel.documents import write_letter
from kbtui.services.workspace import Workspace
from tests.conftest import run_cli

ROOT = Path(__file__).resolve().parents[2]
RISKY_VILLAGES = ["=1+1村", "+高峰村", "-尖山村", "@长堰村"]


def cli(data: Path, *args: str) -> str:
    result = run_cli(*args, data_dir=data)
    assert result.exit_code == 0, result.output
    return result.output


def cells_with(path: Path, texts: set[str]) -> dict[str, list]:
    """text → the cells (of any sheet, hidden ones included) holding it."""
    found: dict[str, list] = {t: [] for t in texts}
    for ws in openpyxl.load_workbook(path).worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.value in found:
                    found[cell.value].append(cell)
    return found


def assert_text_cells(path: Path, texts: set[str]) -> None:
    for text, cells in cells_with(path, texts).items():
        assert cells, f"{text!r} is not in {path.name}"
        for cell in cells:
            assert cell.data_type == "s" and cell.quotePrefix, (
                f"{cell.parent.title}!{cell.coordinate} {text!r} would be evaluated (type {cell.data_type})")


@pytest.fixture(scope="module")
def town(tmp_path_factory) -> Path:
    """A demo township whose profile names villages beginning with a formula sign."""
    folder = tmp_path_factory.mktemp("risky")
    text = (ROOT / "config" / "shuangshan-2024.toml").read_text(encoding="utf-8")
    text = re.sub(r"^villages = \[.*\]", "villages = " + json.dumps(RISKY_VILLAGES, ensure_ascii=False), text,
                  count=1, flags=re.M)
    profile = folder / "risky-2024.toml"
    profile.write_text(text, encoding="utf-8")
    data = folder / "data"
    result = run_cli("demo", "--no-tui", "--children", "80", "--profile", str(profile), data_dir=data)
    assert result.exit_code == 0, result.output
    return data


def a_child(data: Path) -> str:
    return next(r["id_number"] for r in Workspace.open(data, "tester").store.all())


def test_a_case_record_keeps_formula_like_entries_as_text(town, tmp_path):
    kid = a_child(town)
    cli(town, "case", "open", kid, "--on", "2024-10-10", "--reason", "家庭经济困难", "--persuader", "=张老师")
    cli(town, "case", "attempt", kid, "--on", "2024-10-11", "--by", "+李主任", "--how", "电话",
        "--result", "-家长说下周回来", "--note", "@备注")
    out = tmp_path / "record.xlsx"
    cli(town, "case", "record", kid, "-o", str(out))
    assert_text_cells(out, {"=张老师", "+李主任", "-家长说下周回来"})


def test_a_legal_document_keeps_a_formula_like_line_as_text(tmp_path):
    out = tmp_path / "letter.xlsx"
    write_letter(out, "责令限期改正通知书", ["=HYPERLINK(\"http://x\")", "", "+1", "@SUM(A1)", "-2"], {})
    assert_text_cells(out, {'=HYPERLINK("http://x")', "+1", "@SUM(A1)", "-2"})
    ws = openpyxl.load_workbook(out).active
    assert ws["A1"].value == "责令限期改正通知书" and ws.page_setup.orientation == "portrait"
    assert ws.page_setup.paperSize == 9 and ws.sheet_properties.pageSetUpPr.fitToPage


def test_a_report_keeps_formula_like_village_names_as_text(town, tmp_path):
    out = tmp_path / "report.xlsx"
    cli(town, "report", "export", "statistics", "-o", str(out))
    assert_text_cells(out, set(RISKY_VILLAGES))


def test_a_ledger_and_its_marker_keep_formula_like_values_as_text(town, tmp_path):
    out = tmp_path / "ledger.xlsx"
    cli(town, "ledger", "export", "in-school-local", "--village", "=1+1村", "-o", str(out))
    book = openpyxl.load_workbook(out)
    marker = book["_kbtui"]
    assert marker.sheet_state == "hidden"
    village = next(row[1] for row in marker.iter_rows() if row[0].value == "village")
    assert village.value == "=1+1村" and village.data_type == "s" and village.quotePrefix
    # and the marker still says which ledger and village this is when the file comes back
    back = json.loads(cli(town, "ledger", "import", str(out), "--dry-run", "--json"))
    assert back["ledger"] == "in-school-local"
