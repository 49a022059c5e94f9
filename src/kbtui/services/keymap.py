"""Key remapping: ``<data folder>/keys.toml`` maps binding ids to keys, applied when the TUI starts.

Example ``keys.toml``::

    "nav.children" = "f3"
    "app.help" = "f1,question_mark"

Every binding of the TUI has an id (shown on the 帮助 screen). A malformed file or an unknown id is a
warning in Chinese, never a crash: the default keys stay in force.
"""
from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

KEYS_FILE = "keys.toml"
_KEY = re.compile(r"^[a-z0-9_+\-]+$")


@dataclass
class Keymap:
    keys: dict[str, str] = field(default_factory=dict)
    warnings: list[str] = field(default_factory=list)
    path: Path | None = None


def load_keymap(root: Path, known_ids: set[str] | None = None) -> Keymap:
    """Read ``root/keys.toml``; unknown ids (when ``known_ids`` is given) and bad values become warnings."""
    path = Path(root) / KEYS_FILE
    result = Keymap(path=path)
    if not path.exists():
        return result
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, tomllib.TOMLDecodeError) as err:
        result.warnings.append(f"按键配置 {path} 无法读取，已使用默认按键：{err}")
        return result
    for binding_id, value in _flatten(data).items():
        if not isinstance(value, str) or not value.strip():
            result.warnings.append(f"按键配置 {path} 中“{binding_id}”的值应为按键名（如 \"f3\"），已忽略")
            continue
        keys = ",".join(k.strip().lower() for k in value.split(",") if k.strip())
        if not all(_KEY.match(k) for k in keys.split(",")):
            result.warnings.append(f"按键配置 {path} 中“{binding_id}”的按键“{value}”写法不对，已忽略")
            continue
        if known_ids is not None and binding_id not in known_ids:
            result.warnings.append(f"按键配置 {path} 中没有名为“{binding_id}”的功能（见帮助界面），已忽略")
            continue
        result.keys[binding_id] = keys
    return result


def _flatten(data: dict, prefix: str = "") -> dict[str, object]:
    """``[nav] children = "f3"`` is the same as ``"nav.children" = "f3"``."""
    flat: dict[str, object] = {}
    for key, value in data.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(_flatten(value, name + "."))
        else:
            flat[name] = value
    return flat
