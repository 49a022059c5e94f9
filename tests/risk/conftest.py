"""The 鹿角 2025 class with its September and October attendance sheets, shared by the risk tests."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.helpers.risk import township_with_sheets


@pytest.fixture(scope="module")
def sheets_base(tmp_path_factory) -> Path:
    """``township_with_sheets``, built once per test module. Tests must not change it: use ``sheets_data``."""
    return township_with_sheets(tmp_path_factory.mktemp("sheets"))


@pytest.fixture
def sheets_data(sheets_base: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(sheets_base, target)
    return target
