"""Fixtures of the TUI tests: a folder with a county plugin adding a screen, a panel, a column, a command."""
from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.helpers.tui import PLUGIN


@pytest.fixture
def plugin_dir(tmp_path: Path) -> Path:
    folder = tmp_path / "county-plugins"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / "county_tui.py").write_text(PLUGIN, encoding="utf-8")
    return folder
