"""The gate of every service: who works in a workspace and whether their role may do an action.

``operator_of(workspace)`` is the working ``Operator`` (None for code put together around a raw store),
``require(workspace, action)`` raises ``AccessDenied`` unless the role may do ``action`` (``roles.READ`` …),
and ``raw_store(workspace)`` is the unscoped store for admin-only code (backups, the audit journal).
"""
from __future__ import annotations

from typing import TYPE_CHECKING

from kbtui.domain import roles as R
from kbtui.services.access.operators import AccessDenied, Operator
from kbtui.services.access.scope import ScopedStore
from kbtui.store import ChildStore

if TYPE_CHECKING:
    from kbtui.services.workspace import Workspace


def operator_of(workspace: Workspace) -> Operator | None:
    return getattr(workspace, "account", None)


def require(workspace: Workspace, action: str, what: str = "") -> Operator | None:
    """Raise AccessDenied unless the workspace's operator may do ``action`` (``roles.READ`` …)."""
    operator = operator_of(workspace)
    if operator is None:
        if not isinstance(getattr(workspace, "store", None), ScopedStore):
            return None        # put together by code around a raw store (it has every file anyway)
        raise AccessDenied("未确定操作员，拒绝操作")
    if not operator.role_info.may(action):
        doing = what or R.ACTION_LABELS.get(action, action)
        raise AccessDenied(f"您的角色（{operator.role}）不能{doing}")
    return operator


def allowed(workspace: Workspace, action: str) -> bool:
    """May the workspace's operator do ``action``? (``require`` without the exception.)"""
    try:
        require(workspace, action)
    except AccessDenied:
        return False
    return True


def raw_store(workspace: Workspace) -> ChildStore:
    """The unscoped store of a workspace (admin-only code: backups, the audit journal)."""
    raw = getattr(workspace, "raw_store", None)
    if raw is not None:
        return raw
    store = workspace.store
    return store.raw if isinstance(store, ScopedStore) else store

