"""``--json`` output is written by orjson (issue 18) and is, byte for byte, what the standard library wrote."""
from __future__ import annotations

import dataclasses
import datetime as dt
import json

import pytest

from kbtui.cli.common import json_text
from kbtui.domain.escalation import Unit
from kbtui.domain.status import Kind


@dataclasses.dataclass
class Point:
    x: int


SAMPLES = [
    {"problems": [{"id_number": "50022420080901001X", "name": "方志强", "count": 3}], "count": 1},
    {"a": [1, 2.5, -0.0, 0.30000000000000004, None, True, False], "b": {"c": "中文\x1b\x7f\u2028\"\\"}},
    {1: "int key", None: "none key", 2.5: "float key"}, {True: "bool key", 0: "int key"},
    [dt.date(2024, 9, 1), dt.datetime(2024, 9, 1, 8, 30), dt.time(8, 30), Point(1)],
    {"kinds": list(Kind), "unit": list(Unit), Kind.PENDING: "enum key", "tuple": (1, (2, 3)), "set": {1}},
    2 ** 70, [2 ** 70], [], {}, "text", [[]], {"a": {}}, 12.0, 1e16, 1e300,
]


@pytest.mark.parametrize("data", SAMPLES)
def test_json_text_is_what_the_standard_library_writes(data):
    assert json_text(data) == json.dumps(data, ensure_ascii=False, indent=2, default=str)
