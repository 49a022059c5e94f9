"""残疾儿童: the list of disabled children of the campaign (by placement or by compliance) and the
placement screen of one child (assessment, placement, teaching plan, home-delivery sessions). Keyboard only;
every change goes through ``kbtui.services.disability.placements``."""
from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from rich.cells import cell_len
from textual.app import ComposeResult
from textual.binding import Binding
from textual.containers import VerticalScroll
from textual.screen import Screen
from textual.widgets import DataTable

from kbtui.domain.disability_placement import CONCLUSIONS
from kbtui.services.disability import placement_check as pc
from kbtui.services.disability import placements as pl
from kbtui.tui.screens.dialogs import FormDialog, FormField
from kbtui.tui.textual_words import AppHeader
from kbtui.tui.widgets.bars import inline_pairs
from kbtui.tui.widgets.keybar import KeyBar
from kbtui.tui.widgets.list_table import ListTable
from kbtui.tui.widgets.shown import DetailStatic, Static

GROUPINGS = ("compliance", "option")
GROUP_LABEL = {"compliance": "按达标情况", "option": "按安置方式"}


def _today(app) -> dt.date:
    return getattr(app, "today", None) or dt.date.today()


class PlacementForm(FormDialog[bool]):
    """A placement form: ``submit(values)`` saves through ``services.disability.placements`` and returns the message to
    show; a refusal (Chinese message) stays in the form with everything typed. Returns True once saved."""

    def __init__(self, title: str, fields: list[FormField], submit: Callable[[dict[str, str]], str]) -> None:
        super().__init__(title, fields)
        self.submit = submit

    def accept(self, values: dict) -> bool:
        self.app.notify(self.submit(values), title="已保存")
        return True


class PlacementScreen(Screen):
    """One child's assessment, placement, teaching plan and sessions."""

    SUB_TITLE = "残疾儿童安置"
    DEFAULT_CSS = """
    PlacementScreen #placement-info { height: auto; padding: 0 1; }
    PlacementScreen #sessions { height: auto; max-height: 12; }
    """
    BINDINGS = [
        Binding("a", "assess", "评估", id="placement.assess"),
        Binding("p", "place", "安置", id="placement.place"),
        Binding("s", "session", "送教记录", id="placement.session"),
        Binding("escape", "back", "返回", id="placement.back"),
    ]

    def __init__(self, id_number: str) -> None:
        super().__init__()
        self.id_number = id_number
        self.view: dict = {}

    def compose(self) -> ComposeResult:
        yield AppHeader()
        with VerticalScroll():
            yield DetailStatic(id="placement-info")
            yield ListTable(id="sessions")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one("#sessions", DataTable)
        for label in ("送教日期", "教师", "课时", "内容"):
            table.add_column(label)
        self.refresh_view()

    def refresh_view(self) -> None:
        workspace = self.app.workspace
        self.view = pc.child_view(workspace, self.id_number, _today(self.app))
        self.query_one("#placement-info", Static).update("\n".join(self._lines()))
        table = self.query_one("#sessions", DataTable)
        table.clear()
        for s in self.view["sessions"]:
            table.add_row(s["date"], s.get("teacher", ""), str(s.get("periods", "")), s.get("content", ""))
        table.display = bool(self.view["sessions"])

    def _lines(self) -> list[str]:
        # the sessions are in the table: leave them out of the text
        lines = pc.describe_view(dict(self.view, sessions=[]))
        if self.view["sessions"]:
            lines.append(f"送教记录 {len(self.view['sessions'])} 次（下表）：")
        lines.append("按 A 登记评估，P 安置，S 登记送教，Esc 返回")
        return lines

    # --- forms -----------------------------------------------------------------------------------
    def _open(self, title: str, fields: list[FormField], submit: Callable[[dict[str, str]], str]) -> None:
        def done(saved: bool | None) -> None:
            if saved:
                self.refresh_view()

        self.app.push_screen(PlacementForm(title, fields, submit), done)

    def action_assess(self) -> None:
        workspace, today = self.app.workspace, _today(self.app)

        def submit(v: dict[str, str]) -> str:
            doc = pl.assess(workspace, self.id_number, date=v["date"], members=v["members"],
                            conclusion=v["conclusion"], recommend=v["recommend"] or None,
                            review=v["review"] or None, note=v["note"])
            return f"已登记评估：{doc['conclusion']}，建议{doc['recommend']}"

        self._open(f"专家委员会评估 —— {self.view['child']['name']}", [
            FormField("date", "评估日期", today.isoformat()),
            FormField("members", "专家委员会成员（顿号分隔）", placeholder="如 王建国、刘芳、陈医生"),
            FormField("conclusion", "评估结论", placeholder="、".join(CONCLUSIONS)),
            FormField("recommend", "建议安置方式（空则按结论）",
                      placeholder="、".join(o.name for o in pl.options(workspace))),
            FormField("review", "复评日期（可空）"),
            FormField("note", "备注（可空）"),
        ], submit)

    def action_place(self) -> None:
        workspace, today = self.app.workspace, _today(self.app)
        current = self.view.get("placement") or {}
        recommended = (self.view["assessments"][-1].get("recommend") if self.view["assessments"] else "") or ""

        def submit(v: dict[str, str]) -> str:
            evidence = pl.split_names(v["evidence"])
            decision = pl.place(workspace, self.id_number, v["option"], school=v["school"], teachers=v["teachers"],
                                plan=v["plan"], start=v["start"] or None, date=v["date"] or None,
                                evidence=evidence, today=today)
            flags = "；".join(f.message for f in decision.flags)
            return f"已安置为“{decision.option.name}”" + (f"。提醒：{flags}" if flags else "")

        self._open(f"安置 —— {self.view['child']['name']}", [
            FormField("option", "安置方式", current.get("option") or recommended,
                      "、".join(o.name for o in pl.options(workspace))),
            FormField("school", "安置学校（送教学校 / 机构名称）",
                      current.get("school") or self.view["child"]["school"]),
            FormField("teachers", "送教（辅导）教师，顿号分隔", "、".join(current.get("teachers") or [])),
            FormField("plan", "教学计划（送教上门必填）", current.get("plan") or ""),
            FormField("start", "送教开始日期（空则为安置日期）", current.get("start") or ""),
            FormField("date", "安置日期", today.isoformat()),
            FormField("evidence", "已具备的证明材料，顿号分隔", "、".join(current.get("evidence") or [])),
        ], submit)

    def action_session(self) -> None:
        workspace, today = self.app.workspace, _today(self.app)
        teachers = (self.view.get("placement") or {}).get("teachers") or [""]
        rule = pl.frequency_rule(workspace)

        def submit(v: dict[str, str]) -> str:
            doc = pl.log_session(workspace, self.id_number, date=v["date"], teacher=v["teacher"],
                                 periods=v["periods"], content=v["content"], today=today)
            return f"已登记送教：{doc['date']} {doc['teacher']} {doc['periods']}课时"

        self._open(f"登记送教 —— {self.view['child']['name']}", [
            FormField("date", "送教日期", today.isoformat()),
            FormField("teacher", "送教教师", teachers[0]),
            FormField("periods", "课时数", str(rule.periods if rule and rule.periods else "")),
            FormField("content", "送教内容"),
        ], submit)

    def action_back(self) -> None:
        self.dismiss()


class DisabledChildrenScreen(Screen):
    """适龄残疾儿童 grouped by compliance (达标情况) or by placement option; Enter opens a child."""

    DEFAULT_CSS = """
    DisabledChildrenScreen #disabled-summary { height: auto; max-height: 3; padding: 0 1; }
    DisabledChildrenScreen #disabled { height: 1fr; }
    """
    BINDINGS = [
        Binding("g", "toggle_group", "分组", id="disabled.group"),
        Binding("enter", "open_child", "打开", id="disabled.open"),
        Binding("r", "reload", "刷新", id="disabled.reload"),
    ]
    COLUMNS = {"compliance": ("达标情况", "姓名", "村（社区）", "残疾", "安置方式", "学校（机构）"),
               "option": ("安置方式", "姓名", "村（社区）", "残疾", "达标情况", "学校（机构）")}

    def __init__(self) -> None:
        super().__init__()
        self.grouping = GROUPINGS[0]
        self.items: list[pc.ChildPlacement] = []

    def compose(self) -> ComposeResult:
        yield AppHeader()
        yield Static(id="disabled-summary")
        yield ListTable(id="disabled")
        yield KeyBar()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        self.action_reload()
        table.focus()

    def on_screen_resume(self) -> None:
        if self.items:
            self.action_reload()

    def action_reload(self) -> None:
        self.items = pc.disabled_children(self.app.workspace, _today(self.app))
        self.show()

    def _group(self, item: pc.ChildPlacement) -> str:
        return item.compliance if self.grouping == "compliance" else item.option

    def show(self) -> None:
        table = self.query_one(DataTable)
        table.clear(columns=True)
        if self.grouping == "compliance":
            order = {k: i for i, k in enumerate(pc.COMPLIANCE_ORDER)}
            key = lambda i: (order.get(i.compliance, 99), i.record.get("village") or "")  # noqa: E731
        else:
            ranks = {o.name: o.order for o in pl.options(self.app.workspace)}
            key = lambda i: (ranks.get(i.option, 999), i.record.get("village") or "")  # noqa: E731
        rows = []
        for item in sorted(self.items, key=key):
            r = item.record
            first, other = (item.compliance, item.option) if self.grouping == "compliance" else \
                (item.option, item.compliance)
            rows.append((r["id_number"], (first, r.get("name") or "", r.get("village") or "",
                                          f"{r.get('disability_category') or ''}{r.get('disability_grade') or ''}",
                                          other, (item.placement or {}).get("school") or "")))
        labels = self.COLUMNS[self.grouping]
        for n, label in enumerate(labels):
            width = max([cell_len(label)] + [cell_len(cells[n]) for _key, cells in rows])
            table.add_column(label, width=min(width, 16))
        for key_, cells in rows:
            table.add_row(*cells, key=key_)
        counts: dict[str, int] = {}
        for item in sorted(self.items, key=key):
            counts[self._group(item)] = counts.get(self._group(item), 0) + 1
        self.query_one("#disabled-summary", Static).update(
            f"适龄残疾儿童 {len(self.items)} 人，{GROUP_LABEL[self.grouping]}（G 切换）："
            + inline_pairs(counts.items()))

    def action_toggle_group(self) -> None:
        self.grouping = GROUPINGS[(GROUPINGS.index(self.grouping) + 1) % len(GROUPINGS)]
        self.show()

    def action_open_child(self) -> None:
        table = self.query_one(DataTable)
        if not table.row_count:
            return
        key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value
        self.app.push_screen(PlacementScreen(key))

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        if event.data_table.id == "disabled":
            event.stop()
            self.app.push_screen(PlacementScreen(event.row_key.value))
