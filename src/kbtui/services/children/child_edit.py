"""Editing one child from a form: validate every field, fill birth date and sex from the ID, save.

The form hands the text of each field; ``validate`` returns the typed changes and, per field, a Chinese
message for each value that cannot be saved. Nothing is saved while any message remains. A save that
lost a race with another operator raises the store's ``StaleEditError`` (``.current`` is their version).
"""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from kbtui.domain import status as st
from kbtui.domain.child import FIELDS, TOWN, Record, display, form_fields
from kbtui.domain.controls import strip_controls
from kbtui.domain.idcard import IdNumberError, birth_date_of, normalize_id, sex_of
from kbtui.domain.normalize import NormalizeError, normalize_phone, normalize_sex, parse_date

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace

LIST_SPLIT = re.compile(r"[、,，;；\s]+")
DISABILITY_CATEGORIES = ("视力", "听力", "言语", "肢体", "智力", "精神", "多重")
DISABILITY_GRADES = ("一级", "二级", "三级", "四级")
EDITABLE = tuple(f.key for f in (*FIELDS, TOWN))


@dataclass
class Validation:
    changes: dict[str, Any] = field(default_factory=dict)     # field → new value (only changed fields)
    errors: dict[str, str] = field(default_factory=dict)      # field → Chinese message
    filled: dict[str, str] = field(default_factory=dict)      # fields derived from the ID number (text)

    @property
    def ok(self) -> bool:
        return not self.errors


def fields_of(workspace: Workspace) -> tuple:
    """The form's fields in this workspace (a district's children carry their town)."""
    return form_fields(workspace.profile.district is not None)


def form_values(record: Record) -> dict[str, str]:
    """The text of every field as the form shows it."""
    return {key: display(record, key) for key in EDITABLE}


def choices(workspace: Workspace, key: str) -> list[str]:
    """Allowed values of a choice field (for completion in the form), or [] for free text."""
    if key == "sex":
        return ["男", "女"]
    if key == "status":
        return [s.label for s in workspace.statuses if s.kind != st.Kind.PENDING]
    if key == "family_type":
        return list(st.FAMILY_TYPES)
    if key == "key_groups":
        return list(st.KEY_GROUPS)
    if key == "disability_category":
        return list(DISABILITY_CATEGORIES)
    if key == "disability_grade":
        return list(DISABILITY_GRADES)
    if key == "status_reason":
        return list(st.DROPOUT_REASONS)
    if key == "village":
        return list(workspace.profile.villages)
    if key == "town":
        district = workspace.profile.district
        return district.town_names if district else []
    if key == "school":
        return list(workspace.profile.schools)
    return []


def id_facts(text: str) -> dict[str, str]:
    """Birth date and sex read from an ID number ({} when the number is not valid)."""
    try:
        number = normalize_id(text)
    except IdNumberError:
        return {}
    return {"id_number": number, "birth_date": birth_date_of(number).isoformat(), "sex": sex_of(number)}


def _one(workspace: Workspace, key: str, text: str) -> Any:
    """The stored value of one field's text; raises ValueError with a Chinese message."""
    text = strip_controls(text).strip()
    if key == "key_groups":
        items = [p for p in LIST_SPLIT.split(text) if p]
        unknown = [p for p in items if p not in st.KEY_GROUPS]
        if unknown:
            raise ValueError(f"“{'、'.join(unknown)}”不是重点群体，可填：{'、'.join(st.KEY_GROUPS)}")
        return list(dict.fromkeys(items))
    if not text:
        if key in ("name",):
            raise ValueError("姓名不能为空")
        return ""
    if key == "id_number":
        return normalize_id(text)
    if key == "birth_date":
        born = parse_date(text)
        if born > dt.date.today():
            raise ValueError(f"出生日期 {born} 晚于今天")
        return born.isoformat()
    if key == "sex":
        return normalize_sex(text)
    if key == "guardian_phone":
        return normalize_phone(text)
    if key == "town":
        district = workspace.profile.district
        if district is None:
            return text
        town = district.canonical_town(text)
        if town is None:
            raise ValueError(f"“{text}”不是{district.name}的乡镇（街道），可填：{'、'.join(district.town_names)}")
        return town
    if key == "status":
        situation = workspace.statuses.get(text)
        if situation is None:
            raise ValueError(f"“{text}”不是已登记的核实情况（可按 → 补全，或在走访录入中按 0 选择）")
        if situation.kind == st.Kind.PENDING:
            raise ValueError(f"“{text}”是系统按名单推定的情况，不能作为核实结果填写")
        return text
    allowed = {"family_type": st.FAMILY_TYPES, "disability_category": DISABILITY_CATEGORIES,
               "disability_grade": DISABILITY_GRADES}.get(key)
    if allowed and text not in allowed:
        raise ValueError(f"“{text}”不在可选范围内：{'、'.join(allowed)}")
    return text


def validate(workspace: Workspace, record: Record | None, values: dict[str, str]) -> Validation:
    """Check the form's text against the record (None for a new child)."""
    result = Validation()
    base = record or {}
    typed: dict[str, Any] = {}
    for key, text in values.items():
        if key not in EDITABLE:
            continue
        try:
            typed[key] = _one(workspace, key, text)
        except (ValueError, IdNumberError, NormalizeError) as err:
            result.errors[key] = str(err)
    if record is None and "id_number" not in result.errors and not typed.get("id_number"):
        result.errors["id_number"] = "身份证号不能为空"
    number = typed.get("id_number")
    if record is not None and number and number != record.get("id_number"):
        result.errors["id_number"] = "身份证号是记录的主键，不能在此修改；如录错请新增正确记录后删除本条"
    if number and "id_number" not in result.errors:
        facts = id_facts(number)
        for key in ("birth_date", "sex"):
            if not typed.get(key):
                typed[key] = facts[key]
                result.filled[key] = facts[key]
            elif key not in result.errors and typed[key] != facts[key]:
                label = "出生日期" if key == "birth_date" else "性别"
                result.errors[key] = f"{label}“{typed[key]}”与身份证号不符（应为{facts[key]}）"
    for key, value in typed.items():
        if key in result.errors:
            continue
        old = base.get(key)
        if (old in (None, "", []) and value in ("", [])) or old == value:
            continue
        result.changes[key] = value
    return result


def save_child(workspace: Workspace, original: Record, values: dict[str, str]) -> tuple[Validation, Record | None]:
    """Validate and save an edit of ``original`` (the record as the form loaded it).

    Only the fields the operator changed against ``original`` are written. Returns (validation, saved
    record or None when refused). Raises ``StaleEditError`` when someone else saved the record since
    (``.attempted`` holds the operator's changes, ``.current`` their version).
    """
    check = validate(workspace, original, values)
    if not check.ok:
        return check, None
    if not check.changes:
        return check, original
    saved = workspace.store.update(original["id_number"], check.changes, workspace.operator,
                                   expected_version=original.get("_v"), action="edit")
    return check, saved


def create_child(workspace: Workspace, values: dict[str, str]) -> tuple[Validation, Record | None]:
    """Validate and store a new child (refused if the ID number exists)."""
    check = validate(workspace, None, values)
    if check.ok and check.changes.get("id_number") in workspace.store:
        check.errors["id_number"] = "该身份证号的儿童已在名单中"
    if not check.ok:
        return check, None
    return check, workspace.store.insert(dict(check.changes), workspace.operator, action="add")


def overwrite(workspace: Workspace, id_number: str, changes: dict[str, Any], current_version: int) -> Record:
    """After a conflict the operator chose their own values: save them over the version now stored."""
    return workspace.store.update(id_number, changes, workspace.operator, expected_version=current_version,
                                  action="edit", detail={"conflict": "overwrote"})


def differences(mine: dict[str, Any], theirs: Record, original: Record) -> list[tuple[str, str, str, str]]:
    """Fields that differ between my changes and their record: (key, original, mine, theirs) as text."""
    rows = []
    keys = [f.key for f in form_fields(True) if f.key in mine or theirs.get(f.key) != original.get(f.key)]
    for key in keys:
        my_value = display(mine, key) if key in mine else display(original, key)
        their_value = display(theirs, key)
        if my_value != their_value:
            rows.append((key, display(original, key), my_value, their_value))
    return rows
