"""Import fuzzing (hypothesis): workbooks as messy as real ones, and files that are no workbooks at all.

Whatever the file, an import never crashes: a whole-file problem is one Chinese message (ImportFailed /
ExcelReadError in the service, exit code 1 and ``错误``/``Error`` without a traceback in the CLI); otherwise
every row with a broken ID number is rejected with its reason in the rejects workbook, every good row is
imported, and every row with junk in its other cells is either imported or rejected with a reason.

The big-file case uses ``KBTUI_FUZZ_BIG_MB`` megabytes (default 8 in the suite, to stay fast on CI's two
cores); ``python benchmarks/run_all.py --big-import-mb 50`` runs the same generator and check at 50 MB.
"""
from __future__ import annotations

import datetime as dt
import os
import re
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from kbtui.excel.errors import ExcelReadError
from kbtui.excel.rejects import REASON_HEADER, ROW_NUMBER_HEADER
from kbtui.services.intake.importer import ImportFailed, import_list
from kbtui.services.workspace import Workspace
from kbtui.store import ChildStore
from tests.conftest import run_cli
from tests.helpers.imports import OPERATOR, POLICE_HEADER, cid, init_data

VILLAGES = ["高峰村", "尖山村", "长堰村", "永安村"]
NAMES = "张王李赵刘陈杨黄周吴"
GIVEN = "子涵欣怡梓轩浩宇雨萱思远佳俊杰诗琪明"
CJK = re.compile(r"[\u4e00-\u9fff]")
# bounded for CI: a fixed set of examples, no shrinking (a failure prints its whole example instead)
PHASES = (Phase.explicit, Phase.reuse, Phase.generate)
FUZZ = settings(max_examples=40, deadline=None, derandomize=True, phases=PHASES,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


def make_id(index: int) -> str:
    """A valid, unique ID number for row ``index`` (children born 2010–2017)."""
    born = dt.date(2010, 1, 1) + dt.timedelta(days=(index * 97) % 2900)
    return cid(born, index % 999 + 1)


def sex_of(id_number: str) -> str:
    return "男" if int(id_number[16]) % 2 else "女"


# -- rows -------------------------------------------------------------------------------------------

def _broken_ids(good: str) -> st.SearchStrategy[Any]:
    wrong_check = good[:17] + ("0" if good[17] != "0" else "1")
    return st.sampled_from([
        wrong_check, good[:16], good + "9", good[:10] + "AB" + good[12:], "", None, "   ", "无", True,
        1.5, dt.datetime(2015, 3, 4), "=A1", "=1/0", "#N/A", good[:6] + "20301301" + good[14:],
    ])


_junk_text = st.one_of(
    st.text(min_size=0, max_size=30),
    st.text(alphabet=st.sampled_from(list("\t\n\r\x7f\x85\u200b\u202e\ufeff\u3000 甲乙")), max_size=20),
    st.just("很长" * 16000),                     # ~32,000 characters: what a cell holds at most
    st.sampled_from(["=SUM(A1:A3)", "=HYPERLINK(\"http://x\")", "+86-138", "@user", "-1"]),
)
_junk_value = st.one_of(
    _junk_text, st.none(), st.booleans(), st.integers(-10**12, 10**15), st.floats(allow_nan=True),
    st.datetimes(min_value=dt.datetime(1899, 12, 31), max_value=dt.datetime(2100, 1, 1)),
    st.times(),
)


@st.composite
def row_specs(draw, index: int) -> dict[str, Any]:
    """One data row: ('good' | 'bad_id' | 'noisy', its cells)."""
    id_number = make_id(index)
    name = draw(st.sampled_from(NAMES)) + draw(st.text(alphabet=GIVEN, min_size=1, max_size=2))
    cells: list[Any] = [id_number, name, sex_of(id_number), f"{id_number[6:10]}.{id_number[10:12]}.{id_number[12:14]}",
                        draw(st.sampled_from(VILLAGES)), f"{draw(st.integers(1, 12))}组",
                        "", "监护人", "13800138000"]
    kind = draw(st.sampled_from(["good", "good", "bad_id", "noisy", "noisy"]))
    if kind == "bad_id":
        cells[0] = draw(_broken_ids(id_number))
    elif kind == "noisy":
        # junk in the other columns (the ID stays valid); the name may be junk too
        for j in draw(st.sets(st.integers(1, 8), min_size=1, max_size=4)):
            cells[j] = draw(_junk_value)
    return {"kind": kind, "id": id_number, "name": name, "cells": cells}


@st.composite
def workbooks(draw) -> dict[str, Any]:
    n = draw(st.integers(0, 25))
    first = draw(st.integers(0, 10_000))
    rows = [draw(row_specs(first + i)) for i in range(n)]
    return {
        "rows": rows,
        "title": draw(st.booleans()),
        "empty_first_sheet": draw(st.booleans()),
        "merge_villages": draw(st.booleans()),
        "merge_title": draw(st.booleans()),
        "blank_between": draw(st.booleans()),
        "footer": draw(st.booleans()),
        "text_ids": draw(st.booleans()),
    }


def write_workbook(path: Path, spec: dict[str, Any]) -> dict[int, dict[str, Any]]:
    """Write the spec with openpyxl; returns the spreadsheet row number of each data row."""
    import openpyxl
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    wb = openpyxl.Workbook()
    ws = wb.active
    if spec["empty_first_sheet"]:
        ws.title = "说明"
        ws = wb.create_sheet("名单")
    r = 1
    if spec["title"]:
        ws.cell(r, 1, "双山派出所适龄儿童户籍名单")
        if spec["merge_title"]:
            ws.merge_cells(start_row=r, start_column=1, end_row=r, end_column=len(POLICE_HEADER))
        r += 1
    for j, h in enumerate(POLICE_HEADER, 1):
        ws.cell(r, j, h)
    r += 1
    where: dict[int, dict[str, Any]] = {}
    for k, row in enumerate(spec["rows"]):
        if spec["blank_between"] and k == len(spec["rows"]) // 2:
            r += 1
        ws.cell(r, 1, k + 1)
        for j, value in enumerate(row["cells"], 2):
            if isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)   # openpyxl refuses them; real files cannot hold them
            cell = ws.cell(r, j, value)
            if j == 2 and spec["text_ids"]:
                cell.number_format = "@"
        where[r] = row
        r += 1
    if spec["merge_villages"]:
        # real lists merge a village down the rows of its children: same village in the merged block
        rows = sorted(where)
        for a, b in zip(rows, rows[1:]):
            if b == a + 1 and where[a]["kind"] == where[b]["kind"] == "good" and a not in _merged(ws):
                where[b]["cells"][4] = where[a]["cells"][4]
                ws.cell(b, 6).value = None
                ws.merge_cells(start_row=a, start_column=6, end_row=b, end_column=6)
    if spec["footer"]:
        ws.cell(r + 1, 1, "合计")
        ws.cell(r + 1, 2, f"{len(spec['rows'])}人")
        ws.cell(r + 2, 1, "填表人：张警官")
    wb.save(path)
    return where


def _merged(ws) -> set[int]:
    return {row for rng in ws.merged_cells.ranges for row in range(rng.min_row, rng.max_row + 1)}


def read_rejects(path: str | None) -> dict[int, str]:
    """Rejects workbook: original row number -> reason."""
    if not path:
        return {}
    from python_calamine import CalamineWorkbook

    grid = CalamineWorkbook.from_path(path).get_sheet_by_index(0).to_python()
    for i, line in enumerate(grid):
        if REASON_HEADER in line and ROW_NUMBER_HEADER in line:
            reason_col, row_col = line.index(REASON_HEADER), line.index(ROW_NUMBER_HEADER)
            out = {}
            for data in grid[i + 1:]:
                if len(data) > row_col and isinstance(data[row_col], (int, float)) and data[row_col]:
                    out[int(data[row_col])] = str(data[reason_col])
            return out
    raise AssertionError(f"no reason column in {path}")


# -- the oracle -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def template(tmp_path_factory) -> Path:
    return init_data(tmp_path_factory.mktemp("fuzz"))


def check_import(template: Path, path: Path, where: dict[int, dict[str, Any]] | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(template, data)
        workspace = Workspace.open(data, OPERATOR)
        try:
            result = import_list(workspace, "police", path)
        except (ImportFailed, ExcelReadError) as err:
            assert CJK.search(str(err)), str(err)          # one Chinese message for the whole file
            assert where is None or not any(r["kind"] == "good" for r in where.values()) \
                or _whole_file_reason(str(err)), str(err)
            assert len(ChildStore.open(data)) == 0
            return
        if where is None:
            return
        store = ChildStore.open(data)
        rejected = read_rejects(result.rejects_file)
        for number, row in where.items():
            if row["kind"] == "good":
                rec = store.get(row["id"])
                assert rec is not None, (number, row, rejected.get(number))
                assert rec["name"] == row["name"] and rec["village"] == row["cells"][4]
                assert number not in rejected or rejected[number].startswith("已导入"), rejected[number]
            elif row["kind"] == "bad_id":
                assert number in rejected and rejected[number].startswith("未导入："), (number, row["cells"][0])
                assert "身份证" in rejected[number], rejected[number]
                assert store.get(row["id"]) is None
            else:
                imported = store.get(row["id"]) is not None
                refused = rejected.get(number, "").startswith("未导入：")
                assert imported != refused, (number, row["cells"], rejected.get(number))
        assert result.rejected == sum(1 for r in rejected.values() if r.startswith("未导入"))
        assert store.journal.verify()[0]


def _whole_file_reason(message: str) -> bool:
    return any(w in message for w in ("表头", "列", "工作表", "文件"))


@FUZZ
@given(workbooks())
def test_fuzzed_workbooks_import_or_reject_row_by_row(template: Path, spec: dict[str, Any]):
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "户籍名单.xlsx"
        where = write_workbook(path, spec)
        check_import(template, path, where)


def test_rejects_workbook_keeps_numbers_after_a_time_value(template: Path, tmp_path: Path):
    """A time-typed cell (a name typed as 0:00) once turned every number of the rejects workbook (序号,
    原行号) into a date: the writer's shared cell style was changed by the time value."""
    rows = [{"kind": "noisy", "id": make_id(1), "name": "张佳",
             "cells": [make_id(1), dt.time(0, 0), "男", "", "高峰村", "1组", "", "监护人", 13800138000]}]
    spec = {"rows": rows, "title": False, "empty_first_sheet": False, "merge_villages": False, "merge_title": False,
            "blank_between": False, "footer": False, "text_ids": False}
    path = tmp_path / "名单.xlsx"
    write_workbook(path, spec)
    data = tmp_path / "data"
    shutil.copytree(template, data)
    result = import_list(Workspace.open(data, OPERATOR), "police", path)
    assert read_rejects(result.rejects_file) == {2: "未导入：姓名“00:00:00”中含有数字，请检查"}


# -- files that are not workbooks -------------------------------------------------------------------

def _not_a_workbook(kind: str, blob: bytes, folder: Path) -> Path:
    path = folder / "名单.xlsx"
    if kind == "random bytes":
        path.write_bytes(blob)
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "csv text":
        path.write_text("身份证号,姓名\n500224201503040110,张三\n", encoding="gbk")
    elif kind == "pdf":
        path.write_bytes(b"%PDF-1.4\n" + blob)
    elif kind == "zip of junk":
        with zipfile.ZipFile(path, "w") as zf:
            zf.writestr("hello.txt", blob)
    elif kind == "truncated xlsx":
        good = folder / "good.xlsx"
        write_workbook(good, {"rows": [], "title": True, "empty_first_sheet": False, "merge_villages": False,
                              "merge_title": False, "blank_between": False, "footer": False, "text_ids": False})
        data = good.read_bytes()
        path.write_bytes(data[: max(1, len(data) * (len(blob) % 299 + 1) // 301)])   # always cut short
    elif kind == "empty workbook":
        import openpyxl

        openpyxl.Workbook().save(path)
    elif kind == "xlsx without header":
        import openpyxl

        wb = openpyxl.Workbook()
        wb.active.append(["随便", "什么", 1, 2])
        wb.save(path)
    return path


NOT_WORKBOOKS = ["random bytes", "empty", "csv text", "pdf", "zip of junk", "truncated xlsx", "empty workbook",
                 "xlsx without header"]


@settings(max_examples=30, deadline=None, derandomize=True, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(NOT_WORKBOOKS), st.binary(min_size=1, max_size=300))
def test_files_that_are_not_workbooks(template: Path, kind: str, blob: bytes):
    with tempfile.TemporaryDirectory() as tmp:
        path = _not_a_workbook(kind, blob, Path(tmp))
        check_import(template, path, None)


# -- through the CLI --------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", NOT_WORKBOOKS)
def test_cli_whole_file_problems(template: Path, tmp_path: Path, kind: str):
    data = tmp_path / "data"
    shutil.copytree(template, data)
    path = _not_a_workbook(kind, bytes(range(256)) * 2, tmp_path)
    result = run_cli("import", "police", str(path), data_dir=data, operator=OPERATOR)
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output and CJK.search(result.output), result.output
    assert len(ChildStore.open(data)) == 0


@settings(max_examples=15, deadline=None, derandomize=True, phases=PHASES,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(workbooks())
def test_cli_fuzzed_workbooks(template: Path, spec: dict[str, Any]):
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(template, data)
        path = Path(tmp) / "户籍名单.xlsx"
        where = write_workbook(path, spec)
        from click.testing import CliRunner

        from kbtui.cli import cli

        result = CliRunner().invoke(cli, ["--data-dir", str(data), "--operator", OPERATOR,
                                          "import", "police", str(path)])
        assert result.exit_code in (0, 1), (result.output, result.exception)
        assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
        store = ChildStore.open(data)
        if result.exit_code == 1:
            assert CJK.search(result.output) and len(store) == 0
        for row in where.values():
            if row["kind"] == "good" and result.exit_code == 0:
                assert store.get(row["id"]) is not None
            if row["kind"] == "bad_id":
                assert store.get(row["id"]) is None


# -- one big file -----------------------------------------------------------------------------------

def write_big_list(path: Path, megabytes: float, bad_every: int = 1000) -> tuple[int, int]:
    """A police list of about ``megabytes`` MB (long free-text 备注 cells make the bulk); every
    ``bad_every``-th row has a broken ID number. Returns (rows, bad rows)."""
    import random

    from openpyxl import Workbook

    rng = random.Random(50)
    alphabet = [chr(c) for c in range(0x4E00, 0x4E00 + 3000)]
    wb = Workbook(write_only=True)
    ws = wb.create_sheet("户籍名单")
    ws.append(["大文件测试名单"])
    ws.append([*POLICE_HEADER, "备注"])
    rows = bad = 0
    target = megabytes * 1_000_000
    size = 0
    while size < target:
        rows += 1
        id_number = make_id(rows)
        if rows % bad_every == 0:
            id_number = id_number[:17] + ("0" if id_number[17] != "0" else "1")
            bad += 1
        note = "".join(rng.choices(alphabet, k=400))
        ws.append([rows, id_number, rng.choice(NAMES) + rng.choice(GIVEN), sex_of(make_id(rows)), None,
                   VILLAGES[rows % 4], f"{rows % 9 + 1}组", "", "监护人", "13800138000", note])
        size += 850       # ~ compressed bytes a row (measured)
    wb.save(path)
    return rows, bad


def check_big_import(template: Path, path: Path, rows: int, bad: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        data = Path(tmp) / "data"
        shutil.copytree(template, data)
        workspace = Workspace.open(data, OPERATOR)
        result = import_list(workspace, "police", path)
        assert result.imported == rows - bad and result.rejected == bad, result.counts()
        rejected = read_rejects(result.rejects_file)
        assert len(rejected) == bad and all("身份证" in r for r in rejected.values())
        return {"rows": rows, "imported": result.imported, "rejected": result.rejected}


@pytest.fixture(scope="session")
def big_list(tmp_path_factory) -> tuple[Path, int, int]:
    megabytes = float(os.environ.get("KBTUI_FUZZ_BIG_MB", "8"))
    path = tmp_path_factory.mktemp("big") / "大名单.xlsx"
    rows, bad = write_big_list(path, megabytes)
    return path, rows, bad


@pytest.mark.slow
def test_big_file(template: Path, big_list):
    path, rows, bad = big_list
    assert path.stat().st_size > 0.5 * float(os.environ.get("KBTUI_FUZZ_BIG_MB", "8")) * 1_000_000
    check_big_import(template, path, rows, bad)
