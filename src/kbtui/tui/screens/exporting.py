"""导出 screen: choose a ledger, optionally one village and a checking level (as the CLI's ``--village`` and
``--level``), a file path (with completion), export in a worker with a progress bar.

Writing goes through ``services.reporting.ledger_export.export_ledger`` (the printable form); the result names the file.
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

from kbtui.domain.checking import LEVELS
from kbtui.services.reporting.ledger_export import export_ledger
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.path_input import PathSuggester, path_lines
from kbtui.tui.widgets.shown import Static
from kbtui.tui.widgets.text_input import TextInput

WHOLE = "__all__"
HINT = "选择台账（可只导出一个村，或只导出已通过某级核查的记录），Ctrl+S 导出。"


class ExportScreen(Screen):
    SUB_TITLE = "导出台账"
    BINDINGS = [
        Binding("ctrl+s", "export", "导出", id="export.run"),
        Binding("escape", "reset", "重新选择", id="export.reset"),
    ]

    def compose(self) -> ComposeResult:
        workspace = self.app.workspace
        ctx = workspace.context(self.app.today)
        options = [(ledger.title_for(ctx), lid) for lid, ledger in workspace.ledgers.items()]
        villages = workspace.villages_with_children()
        yield AppHeader()
        with VerticalScroll(id="export-form"):
            with Horizontal(classes="form-row"):
                yield Label("台账", classes="form-label")
                yield Select(options, prompt="选择台账", id="export-ledger", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("村（社区）", classes="form-label")
                yield Select([(workspace.whole_label(), WHOLE)] + [(v, v) for v in villages], value=WHOLE,
                             allow_blank=False, id="export-village", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("核查级别", classes="form-label")
                yield Select([("全部（不论是否核查）", WHOLE)] + [(f"已通过{lv}", lv) for lv in LEVELS[1:]],
                             value=WHOLE, allow_blank=False, id="export-level", compact=True)
            with Horizontal(classes="form-row"):
                yield Label("保存到", classes="form-label")
                yield TextInput(placeholder="留空则存入数据目录 exports/，按 → 补全", id="export-path",
                            classes="form-input", suggester=PathSuggester((".xlsx",)))
            yield ProgressBar(id="export-progress", show_eta=False)
            yield Static(HINT, id="export-result")
        yield KeyBar()

    def on_mount(self) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one("#export-ledger", Select).focus()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def action_export(self) -> None:
        ledger = self.query_one("#export-ledger", Select).value
        if not isinstance(ledger, str):
            self.notify("请先选择台账", severity="warning")
            return
        path = self.query_one("#export-path", Input).value.strip()
        village, level = (self.query_one(f"#export-{name}", Select).value for name in ("village", "level"))
        self._export(ledger, Path(path).expanduser() if path else None,
                     None if village == WHOLE else str(village), None if level == WHOLE else str(level))

    @work(thread=True, exclusive=True, group="export")
    def _export(self, ledger: str, path: Path | None, village: str | None = None,
                level: str | None = None) -> None:
        bar = self.query_one(ProgressBar)
        last = [0.0]

        def progress(*args) -> None:
            done, total = (args[-2], args[-1]) if len(args) >= 2 else (args[0], None)
            now = time.monotonic()
            if now - last[0] < 0.1 and done != total:
                return
            last[0] = now
            self.app.call_from_thread(self._show_progress, bar, done, total)

        try:
            result = export_ledger(self.app.workspace, ledger, path, progress=progress, today=self.app.today,
                                   village=village, level=level)
        except Exception as err:  # noqa: BLE001 - the service's errors carry Chinese messages
            self.app.call_from_thread(self._done, Text(f"导出失败：{err}", style="bold"), True)
            return
        where = getattr(result, "path", result)
        count = getattr(result, "rows", None)
        text = Text()
        text.append("已导出" + (f"（{count} 行）" if count is not None else "") + "：\n", style="bold")
        text.append(path_lines(where))
        self.app.call_from_thread(self._done, text, False)

    def _show_progress(self, bar: ProgressBar, done: int, total: int | None) -> None:
        bar.display = True
        bar.update(total=total, progress=done)
        self.query_one("#export-result", Static).update(f"正在导出… {done}/{total or '?'}")

    def _done(self, text: Text, failed: bool) -> None:
        self.query_one(ProgressBar).display = False
        self.query_one("#export-result", Static).update(text)
        self.notify(text.plain, severity="error" if failed else "information")

    def action_reset(self) -> None:
        self.query_one("#export-result", Static).update(HINT)
        self.query_one("#export-ledger", Select).focus()
