"""The early-warning list as a printable form (``kbtui risk export``), like the ledgers: ``excel.write_form``
with the title, 填报单位, 序号, frozen header and footer, numbers masked for the roles that may not see them
in exports, and the export journaled (``services.access.access.export_file``)."""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from kbtui.services.access import access
from kbtui.services.lookup import EscalationError
from kbtui.services.risk.risk import risk_list

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


@dataclass(frozen=True)
class _Column:
    header: str
    width: int
    key: str | None = None          # a masked field (ID and phone numbers) for roles that may not see them


COLUMNS = (
    _Column("序号", 6), _Column("村（社区）", 10), _Column("姓名", 8), _Column("性别", 5),
    _Column("身份证号", 20, "id_number"), _Column("就读学校", 14), _Column("年级", 7), _Column("班级", 6),
    _Column("预警等级", 7), _Column("评分", 6), _Column("预警因素（分）", 44), _Column("结对帮扶人", 10),
    _Column("政府线责任人", 10), _Column("教育线责任人", 10), _Column("监护人", 8),
    _Column("联系电话", 13, "guardian_phone"), _Column("已采取措施", 24),
)


def export_list(workspace: Workspace, path: str | Path, today: dt.date | None = None,
                **filters: Any) -> tuple[Path, int]:
    """Write the list as a printable form (title, 填报单位, 序号, frozen header, footer); returns (path, rows).
    ID and phone numbers are masked for roles that may not see them in exports; the export is journaled."""
    from kbtui.excel.errors import ExcelWriteError  # heavy: imported where used
    from kbtui.excel.writer import write_form  # heavy: imported where used

    path = Path(path)
    if path.suffix.lower() != ".xlsx":
        raise EscalationError(f"导出文件应以 .xlsx 结尾：{path}")
    found = risk_list(workspace, today, **filters)
    profile = workspace.campaign_profile
    title = f"{profile.township}{profile.year}年义务教育控辍保学辍学风险预警名单"
    where = "，".join(f"{label}：{filters[k]}" for k, label in (("town", "乡镇"), ("village", "村"), ("school", "学校"),
                                                                ("person", "责任人"), ("level", "等级"))
                     if filters.get(k))
    subtitle = (f"统计日期：{found.today:%Y年%m月%d日}　{found.summary()}　等级：{found.levels_text()}"
                + (f"　{where}" if where else ""))
    unit = profile.township + (filters.get("village") or filters.get("town") or "")

    def rows():
        for n, entry in enumerate(found.entries, 1):
            r = entry.record
            values = [n, r.get("village") or "", r.get("name") or "", r.get("sex") or "", r["id_number"],
                      r.get("school") or "", r.get("grade") or "", r.get("class_name") or "", entry.level,
                      entry.result.score, "；".join(f"{h.label}：{h.reason}（{h.points}）" for h in entry.result.hits),
                      entry.helper_name, r.get("responsible_gov") or "", r.get("responsible_edu") or "",
                      r.get("guardian") or "", r.get("guardian_phone") or "", entry.work_text()]
            yield access.mask_row(workspace, COLUMNS, values)

    notes = ("注：评分为各预警因素分数之和，因素、分数和等级界限见配置文件 [risk]（kbtui risk factors 列出）；"
             "缺课按上课日计（国家法定节假日、调休和本县校历，kbtui calendar show 可查）。",
             "预警名单随缺课、复学和走访情况变化：因素消除的儿童自动出列。")

    def write(properties: dict[str, str]) -> int:
        try:
            return write_form(path, title=title, subtitle=subtitle, unit=unit, date=found.today,
                              columns=[(c.header, c.width) for c in COLUMNS], rows=rows(), sheet_title="预警名单",
                              notes=notes, properties=properties)
        except ExcelWriteError as err:
            raise EscalationError(str(err)) from None

    rows_written = access.export_file(workspace, title, path, write, properties={"subject": "预警名单"},
                                      detail={"filters": {k: v for k, v in filters.items() if v}})
    return path, rows_written


def default_export_path(workspace: Workspace, today: dt.date | None = None) -> Path:
    today = today or dt.date.today()
    return workspace.folder("exports") / f"预警名单-{today:%Y%m%d}.xlsx"
