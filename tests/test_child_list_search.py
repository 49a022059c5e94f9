"""ChildList's name search gives exactly ``services.search.matches`` (which it inlines)."""
from __future__ import annotations

import datetime as dt

from kbtui.domain.ledger import LedgerContext
from kbtui.services.child_list import ChildList
from kbtui.services.search import entry_for, matches

NAMES = ["张三", "张珊", "章子怡", "李重庆", "欧阳娜娜", "王小明", "", "Zhang Wei", "张 三", "吕布", "绿绿"]
QUERIES = ["张", "zs", "zhang", "zha", "ZHA", "san", "chongqing", "zhong", "oyn", "ouyang", "yangna", "lv", "lü",
           "w", "wei", "zhang wei", "小明", "x", "xiaom", " zs ", "qing", "nana"]


def test_name_search_equals_matches(tmp_path):
    records = [{"id_number": f"50022420150101{n:03d}X", "name": name} for n, name in enumerate(NAMES * 3)]
    model = ChildList(records, LedgerContext(None, dt.date(2024, 9, 1)))   # type: ignore[arg-type]
    for query in QUERIES:
        q = query.strip()
        expected = [n for n, r in enumerate(records) if matches(entry_for(r), q)]
        assert model.search(query) == expected, query
