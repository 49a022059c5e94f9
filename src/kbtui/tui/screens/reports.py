"""报表 screen: choose a report (and a village), preview its rows with the totals and the notes, export it.

Reports are computed and exported in worker threads (``services.reporting.reports``); the preview is a DataTable
whose first rows are the villages (or schools), then the subtotals and the 合计 row.
Registered by the stock plugin ``ledgers.screens`` (palette: 报表).
"""
from __future__ import annotations

from pathlib import Path

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import Horizontal, VerticalScroll
from textual.screen import Screen
from textual.widgets import Input, Label, Select

from kbtui.domain.report import ReportError
from kbtui.services.reporting import reports as rs
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.path_input import PathSuggester, path_lines
from kbtui.tui.widgets.shown import DataTable, Static
from kbtui.tui.widgets.text_input import TextInput

WHOLE = "__all__"


class ReportsScreen(Screen):
    SUB_TITLE = "报表"
    DEFAULT_CSS = """
    ReportsScreen #report-choice { width: 1fr; }
    ReportsScreen #report-village { width: 18; }
    ReportsScreen #report-table { height: 1fr; }
    ReportsScreen #report-notes-box { height: auto; max-height: 4; }
    ReportsScreen #report-notes { color: $text-muted; }
    ReportsScreen #report-status { height: auto; max-height: 3; }
    """
    BINDINGS = [
        Binding("ctrl+s", "export", "导出", id="reports.export"),
        Binding("ctrl+r", "refresh", "重新统计", id="reports.refresh"),
        Binding("escape", "focus_choice", "选择报表", show=False, id="reports.choose"),
    ]

    def compose(self) -> ComposeResult:
        workspace = self.app.workspace
        infos = rs.list_reports(workspace, self.app.today)
        villages = workspace.villages_with_children()
        yield AppHeader()
        with Horizontal(classes="form-row"):
            yield Select([(i.title, i.id) for i in infos], prompt="选择报表", id="report-choice",
                         value=infos[0].id if infos else Select.BLANK)
            yield Select([(workspace.whole_label(), WHOLE)] + [(v, v) for v in villages], value=WHOLE,
                         allow_blank=False, id="report-village")
        yield ListTable(id="report-table")
        with VerticalScroll(id="report-notes-box"):
            yield Static("", id="report-notes")
        with Horizontal(classes="form-row"):
            yield Label("保存到", classes="form-label")
            yield TextInput(placeholder="留空则存入数据目录 exports/，按 → 补全", id="report-path",
                            classes="form-input",
                        suggester=PathSuggester((".xlsx",)))
        yield Static("选择报表预览，Ctrl+S 导出。", id="report-status")
        yield KeyBar()

    def on_mount(self) -> None:
        self.built: rs.BuiltReport | None = None
        choice = self.query_one("#report-choice", Select)
        choice.focus()
        if choice.value is Select.BLANK:
            self.query_one("#report-status", Static).update("本配置没有启用任何报表（配置文件 [reports] enabled）。")
        else:
            self.action_refresh()

    # --- choosing and computing ----------------------------------------------------------------
    def on_select_changed(self, event: Select.Changed) -> None:
        event.stop()
        self.action_refresh()

    def selection(self) -> tuple[str | None, str | None]:
        report = self.query_one("#report-choice", Select).value
        village = self.query_one("#report-village", Select).value
        return ((report if isinstance(report, str) else None),
                (village if village not in (WHOLE, Select.BLANK) else None))

    def action_refresh(self) -> None:
        report, village = self.selection()
        if report is None:
            return
        self.query_one("#report-status", Static).update("正在统计……")
        self.compute(report, village)

    @work(thread=True, exclusive=True, group="report-build")
    def compute(self, report: str, village: str | None) -> None:
        try:
            built = rs.build_report(self.app.workspace, report, village=village, today=self.app.today)
        except ReportError as err:
            self.app.call_from_thread(self.show_error, str(err))
            return
        self.app.call_from_thread(self.show, built)

    def show_error(self, message: str) -> None:
        self.query_one("#report-status", Static).update(f"统计失败：{message}")
        self.notify(message, severity="error")

    def show(self, built: rs.BuiltReport) -> None:
        self.built = built
        table = self.query_one(DataTable)
        table.clear(columns=True)
        for header in rs.preview_headers(built):
            table.add_column(header)
        for n, row in enumerate(built.table()):
            table.add_row(*(rs.cell_text(v) for v in row), key=str(n))
        self.query_one("#report-notes", Static).update("\n".join(built.notes))
        self.query_one("#report-status", Static).update(
            f"《{built.title}》{len(built.rows) - 1} 行（含小计）和合计；Ctrl+S 导出。")

    def action_focus_choice(self) -> None:
        self.query_one("#report-choice", Select).focus()

    # --- exporting -----------------------------------------------------------------------------
    def on_input_submitted(self, event: Input.Submitted) -> None:
        event.stop()
        self.action_export()

    def action_export(self) -> None:
        report, village = self.selection()
        if report is None:
            self.notify("请先选择报表", severity="warning")
            return
        text = self.query_one("#report-path", Input).value.strip()
        self.query_one("#report-status", Static).update("正在导出……")
        self.export(report, village, Path(text).expanduser() if text else None)

    @work(thread=True, exclusive=True, group="report-export")
    def export(self, report: str, village: str | None, path: Path | None) -> None:
        try:
            result = rs.export_report(self.app.workspace, report, path, village=village, today=self.app.today)
        except ReportError as err:
            self.app.call_from_thread(self.show_error, str(err))
            return
        self.app.call_from_thread(self.exported, result)

    def exported(self, result: rs.ReportExport) -> None:
        text = f"已导出《{result.title}》：{path_lines(result.path)}"
        self.query_one("#report-status", Static).update(text)
        self.notify(text)
