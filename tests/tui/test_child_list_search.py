"""ChildList's name search gives exactly ``services.children.search.matches`` (which it inlines)."""
from __future__ import annotations

import datetime as dt

from kbtui.domain.ledger import LedgerContext
from kbtui.services.children.child_list import ChildList
from kbtui.services.children.search import entry_for, matches

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


def test_row_of_finds_the_row_of_an_id_as_a_dict_would():
    """``row_of`` scans the ID blob instead of keeping an ID → row dict: same answers, including IDs that end
    another ID, an empty ID, an ID listed twice (the last row, as ``{id: row}`` gave) and unknown IDs."""
    ids = ["500224201501010011", "0011", "11", "", "500224201501010011X", "X", "500224201501010022", "11", ""]
    records = [{"id_number": i, "name": f"儿童{n}"} for n, i in enumerate(ids)]
    model = ChildList(records, LedgerContext(None, dt.date(2024, 9, 1)))   # type: ignore[arg-type]
    expected = {i: n for n, i in enumerate(ids)}
    for id_number in [*ids, "1", "011", "500224201501010033", "0022", "\n"]:
        assert model.row_of(id_number) == expected.get(id_number), id_number
    unique = ChildList([{"id_number": i} for i in ("1", "21", "321")],
                       LedgerContext(None, dt.date(2024, 9, 1)))   # type: ignore[arg-type]
    assert [unique.row_of(i) for i in ("1", "21", "321", "", "4321")] == [0, 1, 2, None, None]


def test_sorted_and_reversed_orders_are_kept_in_compact_ranks():
    names = ["王五", "李四", "张三", "赵六", "李四"]
    records = [{"id_number": f"50022420150101{n:03d}X", "name": name} for n, name in enumerate(names)]
    model = ChildList(records, LedgerContext(None, dt.date(2024, 9, 1)))   # type: ignore[arg-type]
    from kbtui.services.children.child_list import CORE_COLUMNS

    by_name = next(c for c in CORE_COLUMNS if c.id == "name")
    model.set_sort(by_name)
    assert model.query("") == sorted(range(5), key=lambda n: names[n])
    model.set_sort(by_name, reverse=True)
    assert model.query("") == sorted(range(5), key=lambda n: names[n], reverse=True)
    model.set_sort(None, reverse=True)
    assert model.query("") == [4, 3, 2, 1, 0]
    assert model.query("li") == [4, 1]
