"""Issue 17, collections per town on PostgreSQL: a document about a child (a task, a case, a placement …) is
stored in the child's town whoever writes it, so that the town's login role reads, counts and edits its own
and never another town's, and the district bureau's login reads every town's; documents follow a child moved
between towns. The operator's town is handed to the database too (row-level security narrowing)."""
from __future__ import annotations

import pytest

from kbtui.errors import RecordNotFound, StoreError
from kbtui.store.postgres import Narrowing, PgStore
from tests.helpers.store_backends import postgres_backend

CHENGTOU, SANGCUN = "城头镇", "桑村镇"
A, B = "370406201501010011", "370406201501010022"


@pytest.fixture
def district(pg_server, pg_database):
    backend = postgres_backend(pg_server, pg_database)
    backend.open().insert_many([
        {"id_number": A, "name": "甲", "town": CHENGTOU, "village": "新村"},
        {"id_number": B, "name": "乙", "town": SANGCUN, "village": "新村"},
    ], "区教育局")
    yield backend
    backend.close()


def test_each_towns_tasks_are_its_own_and_the_bureau_sees_them_all(district):
    chengtou, sangcun, bureau = district.open_town(CHENGTOU), district.open_town(SANGCUN), district.open()
    chengtou.collection("tasks").insert({"key": "2020:A:visit", "id_number": A, "state": "open"}, "cheng")
    sangcun.collection("tasks").insert({"key": "2020:B:visit", "id_number": B, "state": "open"}, "sang")
    # the bureau: both towns' tasks, counted, found and edited where they are
    tasks = bureau.collection("tasks")
    assert sorted(d["key"] for d in tasks.all()) == ["2020:A:visit", "2020:B:visit"] and len(tasks) == 2
    assert [d["key"] for d in tasks.find(id_number=B)] == ["2020:B:visit"]
    assert tasks.get("2020:A:visit")["state"] == "open"
    tasks.update("2020:A:visit", {"state": "done"}, "ju")
    assert chengtou.collection("tasks").get("2020:A:visit")["state"] == "done"      # not a copy at the district
    assert len(tasks) == 2
    # a town: its own only, in reading, counting and editing
    mine = sangcun.collection("tasks")
    assert [d["key"] for d in mine.all()] == ["2020:B:visit"] and len(mine) == 1
    assert mine.get("2020:A:visit") is None and mine.find(id_number=A) == []
    with pytest.raises((RecordNotFound, StoreError)):
        mine.update("2020:A:visit", {"state": "open"}, "sang")
    assert bureau.collection("tasks").get("2020:A:visit")["state"] == "done"


def test_a_case_the_bureau_opens_is_the_towns(district):
    bureau = district.open()
    bureau.collection("cases").insert({"key": "C1", "id_number": A, "status": "open"}, "ju")
    assert [d["key"] for d in district.open_town(CHENGTOU).collection("cases").all()] == ["C1"]
    assert district.open_town(SANGCUN).collection("cases").all() == []
    # upserted by the town, updated by the bureau: one document, in the town
    chengtou = district.open_town(CHENGTOU)
    chengtou.collection("cases").upsert("C2", {"id_number": A, "status": "open"}, "cheng")
    bureau.collection("cases").upsert("C2", {"status": "closed"}, "ju")
    assert chengtou.collection("cases").get("C2")["status"] == "closed"
    assert len(bureau.collection("cases")) == 2


def test_a_check_over_the_collection_sees_every_towns_documents(district):
    bureau, chengtou = district.open(), district.open_town(CHENGTOU)
    chengtou.collection("cases").insert({"key": "C1", "id_number": A, "status": "open"}, "cheng")

    def one_open_case(docs):
        if any(d.get("id_number") == A and d.get("status") == "open" for d in docs):
            raise StoreError("该儿童已有未结案卷")
    with pytest.raises(StoreError, match="已有未结案卷"):
        bureau.collection("cases").insert({"key": "C2", "id_number": A, "status": "open"}, "ju",
                                          check=one_open_case)


def test_documents_follow_a_child_moved_to_another_town(district):
    bureau = district.open()
    district.open_town(CHENGTOU).collection("tasks").insert({"key": "t", "id_number": A}, "cheng")
    bureau.update(A, {"town": SANGCUN}, "ju")
    assert [d["key"] for d in district.open_town(SANGCUN).collection("tasks").all()] == ["t"]
    assert district.open_town(CHENGTOU).collection("tasks").all() == []


def test_a_town_narrowing_is_applied_by_the_database(district):
    """A town admin working through the bureau's login (one data folder for the district) is narrowed to
    their town by the database as well: the unscoped store of that process sees their town only."""
    bureau = district.open()
    bureau.collection("tasks").insert_many([{"key": "ta", "id_number": A}, {"key": "tb", "id_number": B}], "ju")
    town = PgStore.open(district.spec, narrowing=Narrowing(towns=(CHENGTOU,)))
    district.opened.append(town)
    assert town.ids() == [A] and town.get(B) is None
    assert [d["key"] for d in town.collection("tasks").all()] == ["ta"]
    with pytest.raises(RecordNotFound):
        town.update(B, {"note": "x"}, "cheng")
    cadre = PgStore.open(district.spec, narrowing=Narrowing(towns=(SANGCUN,), villages=("新村",)))
    district.opened.append(cadre)
    assert cadre.ids() == [B]               # 桑村镇's 新村, not 城头镇's
