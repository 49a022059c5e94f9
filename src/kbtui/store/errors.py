"""The store's error messages (Chinese, shown to the operator as is); the error classes are ``kbtui.errors``."""
from __future__ import annotations

from pathlib import Path
from typing import Any

from kbtui.errors import StoreError
from kbtui.oserrors import os_error_reason


def stale_message(current: dict[str, Any]) -> str:
    who = current.get("_by") or "其他操作员"
    when = str(current.get("_at") or "").replace("T", " ")
    when_part = f"于 {when} " if when else ""
    return f"该记录已被 {who} {when_part}修改（当前版本 {current.get('_v')}），您的修改未保存，请核对后重新提交"


def write_failed(path: Path | str, err: OSError) -> StoreError:
    return StoreError(f"写入 {path} 失败：{os_error_reason(err)}（原文件未改动）")


def read_failed(path: Path | str, err: OSError) -> StoreError:
    return StoreError(f"读取 {path} 失败：{os_error_reason(err)}")
