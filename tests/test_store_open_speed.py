"""Opening a county-sized store (100,000 children over ~170 village shards) takes at most 1.5 s."""
from __future__ import annotations

import time
from pathlib import Path

import orjson
import pytest

from kbtui.store import ChildStore
from kbtui.store.layout import children_dir, ensure_layout

FIELDS = ["name", "sex", "birth_date", "ethnicity", "group", "household_address", "current_address",
          "guardian", "guardian_phone", "family_type", "disability_category", "disability_grade",
          "disability_certificate", "school", "grade", "class_name", "student_no", "enrollment_status",
          "status", "status_reason", "note", "responsible_gov", "responsible_edu"]


@pytest.mark.slow
def test_open_100k_under_1_5_s(tmp_path: Path):
    n, shards = 100_000, 170
    ensure_layout(tmp_path)
    per = n // shards + 1
    for s in range(shards):
        village = f"第{s:03d}村"
        table = {}
        for j in range(per):
            i = s * per + j
            if i >= n:
                break
            rec = {f: f"{f}值{i % 97}" for f in FIELDS}
            rec.update({"id_number": f"5{i:017d}", "village": village, "key_groups": ["留守儿童"],
                        "_v": 1, "_by": "导入", "_at": "2024-09-01T10:00:00"})
            table[str(j + 1)] = rec
        (children_dir(tmp_path) / f"{village}.json").write_bytes(orjson.dumps({"_default": table}))

    best = float("inf")
    for _ in range(2):
        t = time.perf_counter()
        store = ChildStore.open(tmp_path)
        best = min(best, time.perf_counter() - t)
        assert len(store) == n
    assert best <= 1.5, f"open took {best:.2f} s"
    t = time.perf_counter()
    assert store.refresh() is False
    assert time.perf_counter() - t < 0.1
