"""The filter dialog of the 儿童 list: one line per filter, Enter picks a value, Delete clears it.

On a district profile an operator who sees several towns also filters by 乡镇 (and the villages offered are
then that town's); villages are named with their town there (城头镇新村), since two towns may both have one."""
from __future__ import annotations

from dataclasses import replace

from textual.binding import Binding
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from kbtui.domain import status as st
from kbtui.services.children.child_list import ChildList, Filters
from kbtui.services.children.places import sees_several_towns
from kbtui.tui.screens.dialogs import Dialog, PickerScreen
from kbtui.tui.widgets.shown import Static, option

LABELS = {"town": "乡镇（街道）", "village": "村（社区）", "status": "核实情况", "school": "就读学校", "age": "年龄",
          "key_group": "重点群体", "ledger": "台账"}
ANY = "（全部）"
APPLY = "__apply"


class FilterScreen(Dialog[Filters | None]):
    BINDINGS = [
        Binding("ctrl+s", "apply", "应用", id="filters.apply"),
        Binding("delete,backspace", "clear_one", "清除此项", id="filters.clear_one"),
        Binding("ctrl+d", "clear_all", "全部清除", id="filters.clear_all"),
        Binding("escape", "cancel", "取消", id="filters.cancel"),
    ]

    def __init__(self, model: ChildList, filters: Filters) -> None:
        super().__init__()
        self.model = model
        self.filters = replace(filters)

    def body(self):
        yield Static("筛选儿童（Enter 选择，Delete 清除，Ctrl+S 应用）", classes="dialog-title")
        yield OptionList(*self._options(), id="filter-list")

    @property
    def keys(self) -> list[str]:
        """The filters offered: 乡镇 only to an operator who sees several towns of a district."""
        several = sees_several_towns(self.app.workspace)
        return [key for key in LABELS if several or key != "town"]

    def _options(self) -> list[Option]:
        options = []
        for key in self.keys:
            label = LABELS[key]
            value = getattr(self.filters, key)
            shown = ANY if value in (None, "") else str(value)
            if key == "ledger" and value:
                ledger = self.model.ledgers.get(value)
                shown = ledger.title_for(self.model.ctx) if ledger else value
            options.append(option(self.app, f"{label}：{shown}", id=key))
        options.append(Option("【应用筛选】", id=APPLY))
        return options

    def _redraw(self, highlight: int) -> None:
        option_list = self.query_one(OptionList)
        option_list.clear_options()
        option_list.add_options(self._options())
        option_list.highlighted = highlight

    def on_mount(self) -> None:
        self.query_one(OptionList).focus()

    def choices(self, key: str) -> list[tuple[str, str]]:
        model = self.model
        if key == "town":
            values = self.town_choices()
        elif key == "village":
            values = model.village_choices(self.filters.town)
        elif key == "school":
            values = model.choices("school")
        elif key == "key_group":
            values = list(st.KEY_GROUPS)
        elif key == "status":
            values = [s.label for s in self.app.workspace.statuses]
        elif key == "age":
            values = [str(a) for a in range(3, 19)]
        else:
            return [("", ANY)] + [(lid, f"{ledger.title_for(model.ctx)}") for lid, ledger in model.ledgers.items()]
        return [("", ANY)] + [(v, v) for v in values]

    def town_choices(self) -> list[str]:
        """The district's towns the operator sees, in the profile's order."""
        workspace = self.app.workspace
        district = workspace.profile.district
        mine = set(getattr(workspace.account, "towns", ()) or ())
        return [t for t in (district.town_names if district else []) if not mine or t in mine]

    def on_option_list_option_selected(self, event: OptionList.OptionSelected) -> None:
        key = event.option.id
        index = event.option_index
        if key == APPLY:
            self.action_apply()
            return

        def chosen(value: str | None) -> None:
            if value is None:
                return
            setattr(self.filters, key, (int(value) if key == "age" else value) if value else None)
            if key == "town" and self.filters.village and \
                    self.filters.village not in self.model.village_choices(self.filters.town):
                self.filters.village = None          # a village of another town: no child would be left
            self._redraw(index)

        current = getattr(self.filters, key)
        self.app.push_screen(PickerScreen(f"按{LABELS[key]}筛选", self.choices(key),
                                          "" if current is None else str(current)), chosen)

    def action_clear_one(self) -> None:
        option_list = self.query_one(OptionList)
        index = option_list.highlighted or 0
        keys = self.keys
        if index >= len(keys):
            return
        setattr(self.filters, keys[index], None)
        self._redraw(index)

    def action_clear_all(self) -> None:
        self.filters = Filters()
        self._redraw(0)

    def action_apply(self) -> None:
        self.dismiss(self.filters)

    def action_cancel(self) -> None:
        self.dismiss(None)
