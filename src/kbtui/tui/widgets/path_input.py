"""Paths in the TUI: completion in an Input (the suggestion completes the file or folder name, → accepts
it), and a path shown so that its file name is not broken across lines."""
from __future__ import annotations

import os
from pathlib import Path

from textual.suggester import Suggester

from kbtui.user_paths import suggested_names, suggestible


class PathSuggester(Suggester):
    """Suggest the first entry of the typed folder whose name starts with what was typed.

    Folders get a trailing ``/``; only entries ending in one of ``suffixes`` (and folders) are offered, and
    only where the operator may name files (``user_paths.suggestible``: kbtui runs as the service account,
    which must not show them the data folder's files, nor under sudo a folder they could not list).
    """

    def __init__(self, suffixes: tuple[str, ...] = (), base: Path | None = None) -> None:
        super().__init__(use_cache=False, case_sensitive=True)
        self.suffixes = tuple(s.lower() for s in suffixes)
        self.base = base

    async def get_suggestion(self, value: str) -> str | None:
        return complete_path(value, self.suffixes, self.base)


def complete_path(value: str, suffixes: tuple[str, ...] = (), base: Path | None = None) -> str | None:
    if not value:
        return None
    expanded = os.path.expanduser(value)
    folder, prefix = os.path.split(expanded)
    root = Path(folder or ".")
    if not root.is_absolute() and base is not None:
        root = base / root
    if not suggestible(root):       # the data folder's own files, or (under sudo) not the operator's to list
        return None
    try:
        names = suggested_names(root, sorted(os.listdir(root)))
    except OSError:
        return None
    for name in names:
        if not name.startswith(prefix) or name.startswith(".") and not prefix.startswith("."):
            continue
        full = root / name
        is_dir = full.is_dir()
        if not is_dir and suffixes and not name.lower().endswith(suffixes):
            continue
        if name == prefix and not is_dir:
            continue
        return value[: len(value) - len(prefix)] + name + ("/" if is_dir else "")
    return None


def path_lines(path: str | os.PathLike) -> str:
    """``name`` on its own line and ``在 folder/`` on the next: a long path wrapped in a narrow terminal (or
    a notice) broke inside the file name, since Chinese text may break at any character."""
    path = Path(path)
    return f"{path.name}\n在 {path.parent}{os.sep}"
