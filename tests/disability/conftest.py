"""The data folder of the placement tests: three disabled children of 周家村 on the 鹿角 2024 profile."""
from __future__ import annotations

from pathlib import Path

import pytest

from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.disability import KID, KID2, KID3


@pytest.fixture
def data(tmp_path: Path) -> Path:
    root = tmp_path / "lj"
    assert run_cli("init", "--profile", "lujiao-2024", data_dir=root).exit_code == 0
    ws = Workspace.open(root, "tester")
    base = {"village": "周家村", "sources": ["police"], "key_groups": ["残疾"], "responsible_edu": "周老师"}
    ws.store.insert_many([
        {**base, "id_number": KID, "name": "王小明", "birth_date": "2013-05-01", "disability_category": "智力",
         "disability_grade": "二级", "student_no": "G" + KID, "school": "鹿角中心校"},
        {**base, "id_number": KID2, "name": "李小红", "birth_date": "2012-03-02", "disability_category": "肢体",
         "disability_grade": "一级"},
        {**base, "id_number": KID3, "name": "赵小刚", "birth_date": "2014-07-09", "disability_category": "多重",
         "disability_grade": "一级"},
    ], "tester")
    return root
