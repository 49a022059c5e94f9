"""The 双山 township of the checking-permission tests: lists imported, a village cadre as operator."""
from __future__ import annotations

from pathlib import Path

import pytest

from tests.helpers.imports import init_data, run
from tests.helpers.township_books import children, police_book, pupils, school_book


@pytest.fixture
def township(tmp_path: Path) -> Path:
    data = init_data(tmp_path)
    run(data, "import", "police", str(police_book(tmp_path / "派出所户籍名单.xlsx")))
    run(data, "import", "school", str(school_book(tmp_path / "双山小学学籍.xlsx")))
    listed = {c.id_number for c in pupils()}
    for child in children():
        if child.id_number not in listed and child.village == "高峰村" and 7 <= child.age <= 15:
            run(data, "visit", child.id_number, "--status", "外地就读", "--school", "广东东莞长安中学")
    run(data, "operators", "add", "wangzs", "--role", "村干部", "--name", "王支书", "--village", "高峰村")
    return data
