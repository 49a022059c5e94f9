"""The README's workflow section (一次排查的工作流程), run as written from a fresh ``init`` on small realistic
workbooks: every command line of the block is read from README.md and run through the CLI in the folder
holding the workbooks; the TUI step (F4 visits) is done with ``kbtui visit``, as a cadre would from the shell.

If the README changes, this test runs the new commands; a command that fails for the person who just ran
``init`` fails here.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import openpyxl
from click.testing import CliRunner

from kbtui.cli import cli
from tests.helpers.imports import body
from tests.helpers.township_books import (
    ABSENT,
    Child,
    attendance_book,
    children,
    classes,
    people_book,
    police_book,
    pupils,
    school_book,
)

README = Path(__file__).resolve().parents[2] / "README.md"
OPERATOR = "tester"       # the person running init (a 镇管理员 from then on) and every step after


def workflow_lines() -> list[str]:
    text = README.read_text(encoding="utf-8")
    section = text[text.index("## 一次排查的工作流程"):]
    block = re.search(r"```bash\n(.*?)```", section, re.S).group(1)
    lines = []
    for line in block.splitlines():
        command = line.split("  #")[0].split(" #")[0].strip()
        lines += [part.strip() for part in command.split(";") if part.strip()]
    return lines


def test_the_workflow_block_is_what_this_test_expects():
    lines = workflow_lines()
    assert lines[0].startswith("export KBTUI_DATA_DIR=")
    assert "kbtui init --profile shuangshan-2024" in lines
    assert "kbtui" in lines                                   # step 5: the TUI
    assert any(line.startswith("kbtui review --level 村/校核查") for line in lines)


class Shell:
    """Runs ``kbtui …`` lines the way a shell would: in ``cwd``, with the exported variables."""

    def __init__(self, cwd: Path, monkeypatch):
        self.cwd = cwd
        self.env: dict[str, str] = {}
        monkeypatch.chdir(cwd)

    def __call__(self, line: str):
        words = shlex.split(line)
        if words[0] == "export":
            name, _, value = words[1].partition("=")
            self.env[name] = str(self.cwd / value.lstrip("/")) if name == "KBTUI_DATA_DIR" else value
            return None
        assert words[0] == "kbtui", line
        result = CliRunner().invoke(cli, ["--operator", OPERATOR, *words[1:]], env=self.env, catch_exceptions=False)
        assert result.exit_code == 0, (line, result.output)
        assert "Traceback" not in result.output
        return result

    def json(self, line: str) -> dict:
        return json.loads(self(line + " --json").stdout)


def visit_everyone_pending(shell: Shell) -> dict[str, str]:
    """Step 5 (F4 in the TUI) from the shell: a finding for every child still to be visited."""
    found = {}
    pending = [c for c in children() if c.id_number not in {p.id_number for p in pupils()} and 6 <= c.age <= 15]
    findings = ["外地就读", "在籍在校", "疑似辍学", "延缓入学"]
    for n, child in enumerate(pending):
        status = findings[n % len(findings)] if child.age > 6 else "延缓入学"
        school = {"外地就读": " --school 广东东莞长安中学", "在籍在校": " --school 铜梁区第二中学"}.get(status, "")
        visitor = {"高峰村": "王支书", "尖山村": "赵主任", "长堰村": "黄支书"}[child.village]
        shell(f"kbtui visit {child.id_number} --status {status}{school} --visitor {visitor} --visitor 吴老师"
              + (" --reason 厌学" if status == "疑似辍学" else ""))
        found[child.id_number] = status
    return found


def fill_in_phone(ledger: Path, id_number: str, phone: str) -> None:
    """What the village does with the exported ledger: write a new phone number and hand it back."""
    book = openpyxl.load_workbook(ledger)
    sheet = book.worksheets[0]
    header_row = next(r for r in sheet.iter_rows() if r[0].value == "序号")
    col = {c.value: c.column for c in header_row}
    for row in sheet.iter_rows(min_row=header_row[0].row + 1):
        if row[col["身份证号"] - 1].value == id_number:
            row[col["联系电话"] - 1].value = phone
    book.save(ledger)


def test_the_readme_workflow_runs_as_written(tmp_path, monkeypatch, store_backend):
    """On both backends: the data folder's own store, and a district database named by KBTUI_DATABASE_URL
    (the README's ``init`` line then creates a folder whose data live in the database)."""
    police_book(tmp_path / "派出所户籍名单.xlsx")
    school_book(tmp_path / "双山小学学籍.xlsx")
    people_book(tmp_path / "工作人员名单.xlsx")
    attendance_book(tmp_path / "六年级2班9月考勤表.xlsx")
    absent = next(c for c, grade, class_name in classes() if (grade, class_name) == ("六年级", "2班"))
    shell = Shell(tmp_path, monkeypatch)
    if store_backend.name == "postgresql":
        shell.env["KBTUI_DATABASE_URL"] = store_backend.spec
    visited: dict[str, str] = {}
    awaiting_before_review = 0
    for line in workflow_lines():
        if line == "kbtui":                                     # 5. F4 in the TUI: the same from the shell
            visited = visit_everyone_pending(shell)
            awaiting_before_review = len(shell.json("kbtui review --level 村/校核查 --village 高峰村 "
                                                    "--list")["awaiting"])
            continue
        result = shell(line)
        out = result.output if result is not None else ""
        if line.startswith("kbtui init"):
            assert "创建人" in out
        elif line.startswith("kbtui import police"):
            assert "新增儿童 30 人" in out
        elif line.startswith("kbtui import school"):
            assert f"已更新 {len(pupils())} 人" in out
        elif line.startswith("kbtui people import"):
            assert "新增 9 人" in out
        elif line.startswith("kbtui assign"):
            assert len(shell.json("kbtui tasks")["tasks"]) > 0
        elif line.startswith("kbtui review"):
            assert awaiting_before_review > 0
            assert f"“村/校核查”通过 {awaiting_before_review} 条" in out
        elif line.startswith("kbtui ledger export"):
            ledger = tmp_path / shlex.split(line)[-1]
            header, *rows = body(ledger)
            col = {h: i for i, h in enumerate(header)}
            by_id = {r[col["身份证号"]]: r for r in rows}
            away = [i for i, s in visited.items() if s in ("外地就读", "在籍在校")]
            assert away and all(i in by_id for i in away)
            assert all(by_id[i][col["排查人"]] in ("王支书、吴老师", "赵主任、吴老师", "黄支书、吴老师") for i in away)
            # … the village fills it in and hands it back: kbtui ledger import
            fill_in_phone(ledger, away[0], "13912345678")
            back = shell(f"kbtui ledger import {ledger.name} --yes").output
            assert "13912345678" in back
        elif line.startswith("kbtui absence import"):
            assert "登记缺课 1 条" in out and "未导入 0 行" in out
            away = shell.json("kbtui absence list")
            assert [(a["name"], a["start"]) for a in away] == [(absent.name, f"2024-09-{ABSENT[0]}")]
        elif line.startswith("kbtui risk list"):
            assert f"{absent.name}（" in out and "连续缺课" in out         # away since the 23rd: on the list
        elif line == "kbtui escalation due":
            step_8(shell, out, visited, absent)
        elif line.startswith("kbtui report export"):
            assert (tmp_path / shlex.split(line)[-1]).exists()
    data = Path(shell.env["KBTUI_DATA_DIR"])
    assert (data / "store").exists() == (store_backend.name == "tinydb")
    stats = json.loads(CliRunner().invoke(cli, ["--data-dir", str(data), "--operator", OPERATOR, "stats", "--json"],
                                          env=shell.env).stdout)
    assert stats["pending"] == 0                               # every child of the cohort has a situation
    child = json.loads(CliRunner().invoke(cli, ["--data-dir", str(data), "--operator", OPERATOR, "audit", "log",
                                                "--child", away_id(visited), "--json"], env=shell.env).stdout)
    assert "ledger-import" in [e["action"] for e in child["entries"]]
    verified = shell("kbtui audit verify").output
    assert verified.startswith("日志完整"), verified


def away_id(visited: dict[str, str]) -> str:
    return next(i for i, s in visited.items() if s in ("外地就读", "在籍在校"))


def step_8(shell: Shell, out: str, visited: dict[str, str], away: Child) -> None:
    """劝返事项: the pupil the attendance sheet shows away for a week, and every child the visits of step 5
    found 疑似辍学 (一生一案: a case to open at once, whatever the absences say); opening them takes the
    finding's item off the list."""
    due = json.loads(shell("kbtui escalation due --json").stdout)
    found = {i for i, s in visited.items() if s == "疑似辍学"}
    assert found
    to_open = {a["id_number"] for a in due if (a["ladder"], a["rung"]) == ("finding", "case")}
    assert to_open == found, (to_open, found)
    assert ("national", "suspected") in {(a["ladder"], a["rung"]) for a in due if a["id_number"] == away.id_number}
    assert "走访发现失学辍学·立案（一生一案）" in out and f"{away.name}（" in out
    opened = shell("kbtui escalation advance").output
    assert f"新立案卷 {len(found) + 1} 件" in opened, opened
    cases = json.loads(shell("kbtui case list --json").stdout)
    assert {c["id_number"] for c in cases} == found | {away.id_number}
    again = json.loads(shell("kbtui escalation due --json").stdout)
    assert not [a for a in again if a["ladder"] == "finding"]
