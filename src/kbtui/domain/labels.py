"""Chinese names for what the code calls by internal names: record fields, the records of other
collections (tasks, cases, people …), journal actions, list kinds and coded values.

Every screen and command that shows a field key, an action or a stored code to a user goes through here
(``field_label``, ``action_label``, ``value_text``), so a user never reads ``key_groups``, ``assign``,
``done_at`` or ``open``. A key nobody named stays as it is (a plugin's own field): plugins may add theirs
to ``FIELD_LABELS``.
"""
from __future__ import annotations

import re
from typing import Any

from kbtui.domain.child import LABEL_OF

#: Names of the lists a township imports (``services.intake.sources``), as stored in a record's ``sources``.
SOURCE_LABELS: dict[str, str] = {
    "police": "户籍名单", "school": "学籍名单", "poverty": "防返贫监测名单", "disability": "残联名单",
    "civil": "民政名单", "ledger": "台账回填", "demo": "演示数据",
}

#: Field keys beyond the child's form fields (``domain.child.FIELDS``): record bookkeeping, the other
#: collections' documents, journal details. One meaning per key across collections.
FIELD_LABELS: dict[str, str] = {
    **LABEL_OF,
    # the child record, beyond the form
    "sources": "来源名单", "conflicts": "来源冲突", "conflicts_resolved": "已核实的冲突",
    "status_history": "核实记录", "check_level": "核查级别", "check_returned": "核查退回",
    "check_history": "核查记录", "evidence": "佐证材料", "surveyor": "排查人", "deferral_done": "是否办理缓学手续",
    "measure": "采取措施", "persuader": "劝返责任人", "disability_source": "残疾信息来源",
    "assessment": "专家评估", "placement": "安置方式", "home_delivery": "送教上门",
    "campaign_status": "各次排查的核实情况",
    "household_head": "户主", "relation": "与户主关系", "age": "年龄",
    "flag_orphan": "孤儿", "flag_no_carer": "事实无人抚养", "flag_left_behind": "留守儿童", "flag_migrant": "随迁子女",
    "flag_plight": "困境儿童", "flag_disabled": "是否残疾", "flag_dibao": "低保", "flag_tekun": "特困",
    # tasks
    "campaign": "排查工作", "kind": "类型", "state": "状态", "situation": "情况", "created": "创建时间",
    "gov": "政府线责任人", "edu": "教育线责任人", "done_at": "完成日期", "done_by": "完成人", "done_how": "完成方式",
    "visitors": "走访人", "due": "期限",
    # people and operators
    "role": "角色", "unit": "单位", "phone": "电话", "covers": "包保范围", "title": "原职务名称",
    "login": "系统用户名", "villages": "所管村", "schools": "所在学校",
    # cases, absences, escalation
    "opened_on": "立案日期", "opened_how": "立案方式", "ladder": "劝返流程", "support_plan": "帮扶措施",
    "attempts": "劝返记录", "rungs": "已到步骤", "legal_start": "依法控辍起始日", "documents": "法律文书",
    "returned_on": "复学日期", "return_school": "复学学校", "closed_on": "销号日期", "outcome": "结果",
    "start": "开始日期", "until": "截止日期", "days": "天数", "hours": "小时数", "excused": "请假",
    "recorded_on": "登记日期", "reported_by": "报告人", "rung": "步骤", "done_on": "完成日期",
    # disability
    "conclusion": "评估结论", "members": "专家委员会成员", "recommend": "建议安置", "review_date": "复评日期",
    "option": "安置方式", "plan": "安置方案", "teachers": "送教教师", "teacher": "送教教师", "periods": "课时",
    "content": "内容", "active": "有效", "fields": "其他内容", "flags": "标记",
    # spot checks
    "seed": "随机种子", "households": "抽取户数", "drawn_at": "抽取时间", "earlier": "排查结果", "match": "是否一致",
    # campaigns
    "year": "年度", "phases": "阶段", "visit_phase": "走访阶段", "current": "当前排查工作",
    # generic document parts
    "key": "编号", "date": "日期", "by": "经办人", "how": "方式", "result": "结果", "refused": "拒绝返校",
    "reason": "原因", "level": "级别", "at": "时间", "description": "说明", "path": "文件",
    # journal details (import, export, backup …)
    "file": "文件", "source": "名单类型", "sheet": "工作表", "counts": "人数", "rejects_file": "未导入工作簿",
    "ledger": "台账", "report": "报表", "what": "内容", "rows": "行数", "scope": "范围", "masked": "号码部分隐藏",
    "children": "儿童人数", "automatic": "自动", "operator": "操作员", "model": "分配方式", "row": "行",
    "conflict": "冲突处理", "subject": "主题", "exported_at": "导出时间", "from": "原值", "to": "新值",
    # import counts (services.intake.importer.ImportResult.counts)
    "imported": "新增", "updated": "更新", "unchanged": "无变化", "duplicates": "重复", "rejected": "未导入",
    "warned": "部分导入",
}

#: Collections (``store.collection(name)``) as a user calls their records.
COLLECTION_LABELS: dict[str, str] = {
    "tasks": "走访任务", "people": "人员", "cases": "案卷", "absences": "缺课记录", "placements": "安置记录",
    "assessments": "专家评估", "delivery_sessions": "送教记录", "spotchecks": "督查抽样",
    "spotcheck_results": "督查结果", "campaigns": "排查工作", "campaign_state": "当前排查工作",
    "escalation_actions": "劝返处置", "town_conflicts": "乡镇间重复登记",
}

#: Journal actions (``store`` ``action=``, ``make_entry``) → what was done.
ACTION_LABELS: dict[str, str] = {
    "insert": "新增", "add": "新增儿童", "update": "修改", "edit": "修改儿童信息", "import": "导入名单",
    "import.town_conflict": "记下重复户籍（另一乡镇的名单）",
    "ledger-import": "台账回填", "demo": "演示数据", "export": "导出", "backup": "备份", "restore": "恢复",
    "key.export": "导出签名密钥",
    "collection.insert": "新增记录", "collection.update": "修改记录", "collection.remove": "删除记录",
    "operators.add": "添加操作员", "operators.update": "修改操作员", "operators.remove": "删除操作员",
    "check.pass": "核查通过", "check.return": "核查退回", "assign": "分配责任人", "visit": "走访",
    "evidence": "佐证材料", "escalation": "劝返", "disability": "残疾信息", "assessment": "专家评估",
    "placement": "安置", "delivery_session": "送教上门", "campaign.switch": "切换排查工作",
    "resolve-conflict": "核实来源冲突", "tx.rollback": "撤销未完成的保存", "journal.key": "日志密钥",
    "store.migrate": "迁入区县数据库", "move.out": "迁往他镇",
}

#: Coded values a user would otherwise read as stored: field → code → Chinese.
VALUE_LABELS: dict[str, dict[str, str]] = {
    "state": {"open": "未完成", "done": "已完成", "late": "逾期"},
    "kind": {"visit": "走访"},
    "sources": SOURCE_LABELS,
    "source": {k: v for k, v in SOURCE_LABELS.items()},
}


#: Where a collection calls a field otherwise (a person's ``role`` is their 职务, an operator's their 角色).
COLLECTION_FIELD_LABELS: dict[str, dict[str, str]] = {"people": {"role": "职务"}}


def field_label(key: str, collection: str | None = None) -> str:
    """The Chinese name of a field (``key_groups`` → 重点群体); an unnamed key is returned as it is."""
    if collection:
        own = COLLECTION_FIELD_LABELS.get(collection, {}).get(key)
        if own:
            return own
    return FIELD_LABELS.get(key, key)


def action_label(action: str | None) -> str:
    return ACTION_LABELS.get(action or "", action or "")


def collection_label(name: str | None) -> str:
    return COLLECTION_LABELS.get(name or "", name or "")


def source_label(name: str | None) -> str:
    return SOURCE_LABELS.get(name or "", name or "")


EMPTY = "（空）"

#: Fields of a history entry worth showing in one line, in this order.
_ENTRY_KEYS = ("status", "level", "result", "date", "at", "how", "visitors", "by", "school", "reason", "note",
               "description")


def value_text(key: str, value: Any) -> str:
    """A stored value as a user reads it: codes by their Chinese names, lists with 、, yes/no, a history
    entry (a dict) as its main parts (``外地就读，2024-09-12，入户，走访人 王支书``)."""
    if value is None or value == "" or value == [] or value == {}:
        return EMPTY
    if isinstance(value, bool):
        return "是" if value else "否"
    codes = VALUE_LABELS.get(key, {})
    if isinstance(value, (list, tuple)):
        if value and all(isinstance(v, dict) for v in value):
            return f"{len(value)} 条，最近一条：{entry_text(value[-1])}"
        return "、".join(codes.get(str(v), str(v)) for v in value)
    if isinstance(value, dict):
        return entry_text(value)
    text = str(value)
    if _TIMESTAMP.match(text):
        return text.replace("T", " ")
    return codes.get(text, text)


_TIMESTAMP = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}")


def entry_text(entry: dict) -> str:
    """One history entry or sub-document in a line: its main parts first, field names where they help."""
    parts = []
    for key in (*_ENTRY_KEYS, *(k for k in entry if k not in _ENTRY_KEYS)):
        value = entry.get(key)
        if value in (None, "", [], {}) or str(key).startswith("_"):
            continue
        shown = value_text(key, value) if not isinstance(value, dict) else "…"
        parts.append(shown if key in ("status", "level", "result", "date", "at", "how") else
                     f"{field_label(key)} {shown}")
    return "，".join(parts) or EMPTY


def change_text(key: str, old: Any, new: Any, collection: str | None = None) -> str:
    """``字段：旧 → 新``; for a list that grew (a history), only what was added."""
    label = field_label(key, collection)
    if isinstance(new, list) and isinstance(old, (list, type(None))) and new[: len(old or [])] == (old or []) \
            and len(new) > len(old or []) and all(isinstance(v, dict) for v in new):
        added = new[len(old or []):]
        return f"{label}：增加 {len(added)} 条（{entry_text(added[-1])}）"
    return f"{label}：{value_text(key, old)} → {value_text(key, new)}"
