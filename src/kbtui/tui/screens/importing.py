"""导入 screen: list type, path with completion, preview (a dry run), import with a progress bar, result.

Reading and checking run in a worker (``services.intake.importer``); the rejects workbook is named in the result.
"""
from __future__ import annotations

import time
from pathlib import Path

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, ProgressBar, Select

from kbtui.services.intake.importer import prepare_import
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.path_input import PathSuggester, path_lines
from kbtui.tui.widgets.shown import Static
from kbtui.tui.widgets.text_input import TextInput

EXCEL = (".xlsx", ".xlsm", ".xls", ".ods", ".csv")


LEDGER_FILL = "ledger-fill"       # not a list source: opens the 台账回填 screen (screens/ledger_import.py)


class ImportScreen(Screen):
    SUB_TITLE = "导入名单"
    BINDINGS = [
        Binding("ctrl+r", "preview", "预览", id="import.preview"),
        Binding("ctrl+s", "commit", "导入", id="import.commit"),
        Binding("escape", "reset", "重新选择", id="import.reset"),
        Binding("ctrl+l", "ledger_fill", "台账回填", id="import.ledger_fill"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with VerticalScroll(id="import-form"):
            with Horizontal(classes="form-row"):
                yield Label("名单类型", classes="form-label")
                kinds = [(source.label, name) for name, source in self.app.workspace.sources.items()]
                yield Select(kinds + [("已填写的台账（回填）", LEDGER_FILL)], prompt="选择名单类型",
                             allow_blank=True, id="import-source")
            with Horizontal(classes="form-row"):
                yield Label("文件路径", classes="form-label")
                yield TextInput(placeholder="输入路径，按 → 补全，Enter 预览", id="import-path", classes="form-input",
                            suggester=PathSuggester(EXCEL))
            with Horizontal(classes="form-row"):
                yield Label("学校（可选）", classes="form-label")
                yield TextInput(placeholder="学籍名单没有学校列时填写", id="import-school", classes="form-input")
            yield ProgressBar(id="import-progress", show_eta=False)
            yield Static("选择名单类型和文件，Enter 或 Ctrl+R 预览，确认后 Ctrl+S 导入。", id="import-result")
        yield KeyBar()

    def on_mount(self) -> None:
        self.prepared = None
        self.query_one("#import-progress").display = False
        self.query_one(Select).focus()

    def on_select_changed(self, event: Select.Changed) -> None:
        if event.value == LEDGER_FILL:
            event.select.clear()
            self.action_ledger_fill()

    def action_ledger_fill(self) -> None:
        """A filled-in ledger is read back on its own screen (preview child by child, Y to apply)."""
        path = self.query_one("#import-path", Input).value.strip()
        if "ledger-import" not in self.app.nav:
            self.notify("台账回填界面未启用", severity="error")
            return
        self.app.action_open_screen("ledger-import")
        prefill = getattr(self.app.screen, "prefill", None)
        if prefill is not None:
            prefill(path)

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        if event.input.id == "import-path":
            self.action_preview()
        else:
            self.focus_next()

    def _progress_cb(self):
        bar = self.query_one(ProgressBar)
        last = [0.0, ""]

        def progress(stage: str, done: int, total: int) -> None:
            now = time.monotonic()
            if stage == last[1] and now - last[0] < 0.1 and done != total:
                return
            last[0], last[1] = now, stage
            self.app.call_from_thread(self._show_progress, bar, stage, done, total)

        return progress

    def _show_progress(self, bar: ProgressBar, stage: str, done: int, total: int) -> None:
        bar.display = True
        bar.update(total=total or None, progress=done)
        self.query_one("#import-result", Static).update(f"正在{stage}… {done}/{total or '?'}")

    def action_preview(self) -> None:
        source = self.query_one(Select).value
        path = self.query_one("#import-path", Input).value.strip()
        if source in (Select.BLANK, None) or not isinstance(source, str):
            self.notify("请先选择名单类型", severity="warning")
            self.query_one(Select).focus()
            return
        if not path:
            self.notify("请输入文件路径", severity="warning")
            self.query_one("#import-path").focus()
            return
        self.prepared = None
        self._preview(source, Path(path).expanduser(), self.query_one("#import-school", Input).value.strip())

    @work(thread=True, exclusive=True, group="import")
    def _preview(self, source: str, path: Path, school: str) -> None:
        try:
            prepared = prepare_import(self.app.workspace, source, path, defaults={"school": school},
                                      progress=self._progress_cb())
            result = prepared.preview()
        except Exception as err:  # noqa: BLE001 - ImportFailed / ExcelReadError carry Chinese messages
            self.app.call_from_thread(self._failed, err)
            return
        self.app.call_from_thread(self._previewed, prepared, result)

    def _failed(self, err: Exception) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one("#import-result", Static).update(Text(f"无法导入：{err}", style="bold"))
        self.notify(str(err), severity="error", timeout=8)

    def _previewed(self, prepared, result) -> None:
        self.prepared = prepared
        self.query_one(ProgressBar).display = False
        text = summary(result)
        text.append("\n确认无误后按 Ctrl+S 导入；按 Esc 重新选择。", style="bold")
        self.query_one("#import-result", Static).update(text)

    def action_commit(self) -> None:
        if self.prepared is None:
            self.notify("请先预览（Enter 或 Ctrl+R）", severity="warning")
            return
        prepared, self.prepared = self.prepared, None
        self._commit(prepared)

    @work(thread=True, exclusive=True, group="import")
    def _commit(self, prepared) -> None:
        prepared.progress = self._progress_cb()
        try:
            result = prepared.commit()
        except Exception as err:  # noqa: BLE001
            self.app.call_from_thread(self._failed, err)
            return
        self.app.call_from_thread(self._committed, result)

    def _committed(self, result) -> None:
        self.query_one(ProgressBar).display = False
        self.app.data_version = getattr(self.app, "data_version", 0) + 1
        self.query_one("#import-result", Static).update(summary(result))
        self.notify(f"导入完成：新增 {result.imported} 人，更新 {result.updated} 人，未导入 {result.rejected} 行")

    def action_reset(self) -> None:
        self.prepared = None
        self.query_one("#import-result", Static).update(
            "选择名单类型和文件，Enter 或 Ctrl+R 预览，确认后 Ctrl+S 导入。")
        self.query_one("#import-path", Input).focus()


def summary(result) -> Text:
    text = Text()
    title = "预览（尚未保存）" if result.dry_run else "导入完成"
    text.append(f"{title}：{Path(result.file).name}　工作表 {result.sheet}　表头在第 {result.header_row} 行\n",
                style="bold")
    text.append(f"共 {result.rows} 行：新增 {result.imported} 人，更新 {result.updated} 人，"
                f"未变 {result.unchanged} 人，"
                f"重复 {result.duplicates} 行，未导入 {result.rejected} 行，有提示 {result.warned} 行，"
                f"冲突 {result.conflicts} 处\n")
    if result.columns:
        text.append(f"识别的列：{result.columns_text()}\n")
    if result.duplicate_rows:
        shown = "、".join(f"第 {row} 行同第 {first} 行" for row, first in result.duplicate_rows[:8])
        more = f" 等 {len(result.duplicate_rows)} 行" if len(result.duplicate_rows) > 8 else ""
        text.append(f"重复的行（身份证号相同，合并为一人）：{shown}{more}\n")
    if result.unmatched_headers:
        text.append(f"未识别的列：{'、'.join(result.unmatched_headers)}\n")
    if result.rejects_file:
        text.append("未导入的行已写入：\n", style="bold")
        text.append(f"{path_lines(result.rejects_file)}\n")
    elif result.rejected and result.dry_run:
        text.append("导入时，未导入的行将写入数据目录 rejects/ 下的工作簿（含拒收原因）\n")
    for issue in result.issues[:12]:
        text.append(f"　{issue.text()}\n")
    if len(result.issues) > 12:
        text.append(f"　……另有 {len(result.issues) - 12} 条\n")
    if result.dry_run and result.samples:
        text.append("变化示例：\n", style="bold")
        for change in result.samples[:SAMPLES_SHOWN]:
            text.append(f"　{change.text()}\n")
    return text


SAMPLES_SHOWN = 5
