"""人员 screen: the people register with each person's children (both lines); add a person, import a
register from Excel, assign by the profile's rule."""
from __future__ import annotations

from textual import work
from textual.app import ComposeResult
from textual.binding import Binding
from textual.screen import Screen

from kbtui.domain import responsibility as resp
from kbtui.errors import StoreError
from kbtui.services.campaign import people as people_svc
from kbtui.services.campaign import responsibility as resp_svc
from kbtui.tui.screens.dialogs import ConfirmScreen, FormDialog, FormField, PromptDialog
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.path_input import PathSuggester
from kbtui.tui.widgets.shown import DataTable, Static


class PersonForm(FormDialog):
    """Register one person through ``services.campaign.people`` (a refusal stays in the form); returns the person.
    Enter saves from any field: after name, role and unit the rest is optional."""

    ENTER_SAVES = True
    HINT = "Tab 下一项　Enter 保存　Esc 取消"

    def __init__(self) -> None:
        super().__init__("登记工作人员", [
            FormField("name", "姓名"),
            FormField("role", "职务", placeholder="村干部、组长、校长、班主任、教师…"),
            FormField("unit", "单位", placeholder="村（社区）或学校"),
            FormField("phone", "联系电话"),
            FormField("covers", "包保范围", placeholder="如 金星村/3组、三年级1班（可空）"),
        ])

    def accept(self, values: dict) -> dict:
        return people_svc.add_person(self.app.workspace, **values)


class PeopleScreen(Screen):
    SUB_TITLE = "人员与分工"
    DEFAULT_CSS = """
    #people-table { height: 1fr; }
    #people-status { height: auto; padding: 0 1; color: $text-muted; }
    """
    BINDINGS = [
        Binding("a", "add", "登记人员", id="people.add"),
        Binding("i", "import", "导入名单", id="people.import"),
        Binding("g", "assign", "按规则分配", id="people.assign"),
        Binding("r", "reload", "刷新", id="people.reload"),
    ]

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield ListTable(id="people-table")
        yield Static(id="people-status")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        for label in ("姓名", "职务", "线", "单位", "电话", "包保范围", "负责儿童"):
            table.add_column(label)
        self.action_reload()
        table.focus()

    def action_reload(self) -> None:
        self.load()

    @work(thread=True, exclusive=True, group="people")
    def load(self) -> None:
        workspace = self.app.workspace
        found = people_svc.list_people(workspace)
        load = {}
        for item in resp_svc.workload(workspace):
            load[item["person"]] = load.get(item["person"], 0) + item["children"]
        self.app.call_from_thread(self.show, found, load)

    def show(self, found: list[dict], load: dict[str, int]) -> None:
        table = self.query_one(DataTable)
        table.clear()
        for p in found:
            line = resp.LINE_LABELS.get(resp.line_of(p.get("role")), "其他")
            table.add_row(p["name"], p.get("role") or "", line, p.get("unit") or "", p.get("phone") or "",
                          "、".join(p.get("covers") or ()), str(load.get(p["name"], "")), key=p["key"])
        self.query_one("#people-status", Static).update(
            f"共 {len(found)} 人。a 登记　i 从 Excel 导入　g 按规则分配责任人（{self.rule_text()}）")

    def rule_text(self) -> str:
        rules = resp_svc.rules(self.app.workspace)
        if rules.school_villages:
            return "学校分片包村"
        return rules.model or "按村、组、班级"

    def action_add(self) -> None:
        def saved(person: dict | None) -> None:
            if person:
                self.notify(f"已登记：{people_svc.person_label(person)}")
                self.action_reload()

        self.app.push_screen(PersonForm(), saved)

    def action_import(self) -> None:
        def chosen(path: str | None) -> None:
            if path:
                self.run_import(path)

        self.app.push_screen(PromptDialog("导入人员名单：Excel 或 CSV 文件路径（需有“姓名”“职务”列）",
                                          "/home/…/人员名单.xlsx，按 → 补全",
                                          suggester=PathSuggester((".xlsx", ".xls", ".csv"))), chosen)

    @work(thread=True, group="people-import")
    def run_import(self, path: str) -> None:
        try:
            result = people_svc.import_people(self.app.workspace, path)
        except StoreError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return
        message = f"新增 {result.added} 人，更新 {result.updated} 人，未导入 {len(result.rejected)} 行"
        if result.rejected:
            message += "：" + "；".join(f"第{r}行 {m}" for r, m in result.rejected[:3])
        self.app.call_from_thread(self.notify, message, timeout=10)
        self.app.call_from_thread(self.action_reload)

    def action_assign(self) -> None:
        def confirmed(yes: bool | None) -> None:
            if yes:
                self.run_assign()

        self.app.push_screen(ConfirmScreen("按规则为排查范围内还没有责任人的儿童分配双线责任人？"), confirmed)

    @work(thread=True, group="people-assign")
    def run_assign(self) -> None:
        try:
            result = resp_svc.assign_by_rule(self.app.workspace)
        except StoreError as err:
            self.app.call_from_thread(self.notify, str(err), severity="error")
            return
        self.app.call_from_thread(
            self.notify, f"已分配 {result['changed']} 名儿童；仍缺政府线 {result['unassigned_gov']} 人，"
                         f"缺教育线 {result['unassigned_edu']} 人", timeout=10)
        self.app.call_from_thread(self.action_reload)
