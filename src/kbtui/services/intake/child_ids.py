"""A child named by an operator in a command: the full ID number, or the masked form the lists show to
roles that do not see full numbers (``500224********1234``, issue 19 point 4). A 县复核 reading
``kbtui review --list`` can then pass one child by what the list shows: the masked form stands for the
one child in the operator's scope it fits; when several fit, a Chinese message lists them (masked, with
name and village) and nothing is done."""
from __future__ import annotations

from typing import TYPE_CHECKING, Any

from kbtui.domain.masking import fits_masked, mask_id_number
from kbtui.errors import StoreError

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


class ChildIdError(StoreError):
    """A masked ID number that names no child, or several, in the operator's scope (Chinese)."""


def is_masked(text: str) -> bool:
    return "*" in text


def resolve(workspace: Workspace, text: str) -> str:
    """The full ID number ``text`` stands for: itself unless masked; else the one child in scope it fits."""
    text = str(text).strip()
    if not is_masked(text):
        return text
    found = [i for i in workspace.store.ids() if fits_masked(text, i)]
    if len(found) == 1:
        return found[0]
    if not found:
        raise ChildIdError(f"没有与“{text}”相符的儿童（在您的范围内）：请核对号码，或写完整的身份证号")
    shown = []
    for id_number in sorted(found)[:10]:
        record = workspace.store.get(id_number) or {}
        place = f"{record.get('village') or ''}{record.get('group') or ''}"
        where = f"，{place}" if place else ""
        shown.append(f"{record.get('name') or '（无姓名）'}（{mask_id_number(id_number)}{where}）")
    more = f"等 {len(found)} 名" if len(found) > len(shown) else f"{len(found)} 名"
    raise ChildIdError(f"“{text}”对应{more}儿童：{'、'.join(shown)}。请写完整的身份证号（可在界面中打开该儿童查看），"
                       f"未做任何修改")


def resolve_all(workspace: Workspace, values: Any) -> Any:
    """``resolve`` for one value, or each of a tuple or list (kept as such); anything else as it is."""
    if isinstance(values, str):
        return resolve(workspace, values)
    if isinstance(values, (tuple, list)):
        return type(values)(resolve(workspace, v) if isinstance(v, str) else v for v in values)
    return values
