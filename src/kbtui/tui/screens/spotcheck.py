"""督导检查 screen (专项督导检查): draw the sample (D), record a child's spot-check finding (Enter), show
only the mismatches (M), write the printable list (E)."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen
from textual.widgets import DataTable

from kbtui.errors import StoreError
from kbtui.excel.errors import ExcelWriteError
from kbtui.services.campaign import spotcheck
from kbtui.services.campaign.visits import finding_choices
from kbtui.tui.screens.dialogs import PickerScreen, PromptDialog
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.bars import inline_pairs
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.path_input import path_lines
from kbtui.tui.widgets.shown import Static


class SpotcheckScreen(Screen):
    SUB_TITLE = "专项督导检查"
    DEFAULT_CSS = """
    #spot-head { height: auto; padding: 0 1; }
    #spot-table { height: 1fr; }
    """
    BINDINGS = [
        Binding("d", "draw", "抽取名单", id="spotcheck.draw"),
        Binding("enter", "record", "登记督查结果", id="spotcheck.record"),
        Binding("m", "toggle_mismatches", "只看不一致", id="spotcheck.mismatches"),
        Binding("e", "export", "导出名单", id="spotcheck.export"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static(id="spot-head")
        yield ListTable(id="spot-table")
        yield KeyBar()

    def on_mount(self) -> None:
        self.only_mismatches = False
        table = self.query_one(DataTable)
        for label in ("家庭类型", "村（社区）", "组", "监护人", "电话", "儿童", "排查结果", "督查结果"):
            table.add_column(label)
        table.focus()
        self.reload()

    def reload(self) -> None:
        workspace = self.app.workspace
        table = self.query_one(DataTable)
        table.clear()
        head = self.query_one("#spot-head", Static)
        found = spotcheck.current_draw(workspace)
        sizes = inline_pairs(spotcheck.sizes(workspace).items(), "户") or "配置中没有 [spotcheck]"
        if not found:
            head.update(f"尚未抽取督查名单（按配置抽取：{sizes}）。按 D 抽取。")
            return
        mismatched = {m["id_number"] for m in spotcheck.mismatches(workspace)}
        for row, full in zip(spotcheck.screen_rows(workspace), spotcheck.list_rows(workspace)):
            _n, family, village, group, guardian, phone, name, _shown_id, earlier, result, _by, _note = row
            id_number = full[7]
            if self.only_mismatches and id_number not in mismatched:
                continue
            mark = f"{result}（不一致）" if id_number in mismatched else result
            table.add_row(family, village, group, guardian, phone, name, earlier, mark, key=id_number)
        p = spotcheck.progress(workspace)
        head.update(f"督查名单：{len(found['households'])} 户 {p['drawn']} 人（随机种子 {found['seed']}），"
                    f"已登记 {p['checked']} 人，不一致 {p['mismatches']} 人"
                    + ("　[仅显示不一致]" if self.only_mismatches else "") + "\nEnter 登记督查结果　空格 看整行")

    def action_toggle_mismatches(self) -> None:
        self.only_mismatches = not self.only_mismatches
        self.reload()

    def action_draw(self) -> None:
        def seed_given(text: str | None) -> None:
            if text is None:
                return
            try:
                seed = int(text)
            except ValueError:
                self.notify("随机种子应为整数", severity="error")
                return
            try:
                spotcheck.draw(self.app.workspace, seed, replace=True)
            except StoreError as err:
                self.notify(str(err), severity="error")
                return
            self.reload()

        self.app.push_screen(PromptDialog("随机种子（整数；相同种子抽出相同名单。重新抽取会作废原名单）",
                                        value=self.app.today.strftime("%Y%m%d")), seed_given)

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        event.stop()
        self.action_record()

    def action_record(self) -> None:
        table = self.query_one(ListTable)
        if not table.row_count:
            return
        id_number = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        row = dict(table.row_detail())
        options = [(label, label) for label in finding_choices(self.app.workspace)]

        def chosen(status: str | None) -> None:
            if not status:
                return
            try:
                result = spotcheck.record_result(self.app.workspace, id_number, status)
            except StoreError as err:
                self.notify(str(err), severity="error")
                return
            verdict = "一致" if result["match"] else f"不一致（排查为“{result['earlier']}”）"
            self.notify(f"{result['name']}：{status}，{verdict}")
            self.reload()

        detail = "　".join(f"{label} {value}" for label, value in row.items() if value)
        self.app.push_screen(PickerScreen(f"督查核实的情况：{row.get('儿童', '')}", options, detail=detail), chosen)

    def action_export(self) -> None:
        self.export()

    @work(thread=True, group="spotcheck-export")
    def export(self) -> None:
        workspace = self.app.workspace
        path = workspace.folder("exports") / f"专项督导检查名单-{self.app.today:%Y%m%d}.xlsx"
        try:
            n = spotcheck.export_list(workspace, path, self.app.today)
        except (StoreError, OSError, ExcelWriteError) as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return
        self.app.call_from_thread(self.notify, f"已导出 {n} 人：\n{path_lines(path)}", timeout=10)
