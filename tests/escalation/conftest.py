"""The data folder of the escalation tests: three pupils of 双城区第一小学 on the 双城 2020 profile."""
from pathlib import Path

import pytest

from kbtui.services.workspace import Workspace
from tests.conftest import run_cli
from tests.helpers.escalation import KID, KID2, KID3


@pytest.fixture
def data(request, tmp_path: Path) -> Path:
    """A 双城 data folder with three pupils: its own store, or (a module parametrising ``data`` indirectly
    with ``postgresql``) a district database on the session's throwaway server."""
    root = tmp_path / "sc"
    database: tuple[str, ...] = ()
    if getattr(request, "param", "tinydb") == "postgresql":
        from tests.helpers.store_backends import postgres_backend

        backend = postgres_backend(request.getfixturevalue("pg_server"), request.getfixturevalue("pg_database"))
        request.addfinalizer(backend.close)
        database = ("--database", backend.spec)
    assert run_cli("init", "--profile", "shuangcheng-2020", *database, data_dir=root).exit_code == 0
    ws = Workspace.open(root, "tester")
    base = {"town": "双城镇", "village": "双城镇", "school": "双城区第一小学", "grade": "四年级", "class_name": "2班",
            "guardian_phone": "13800000000", "responsible_edu": "张老师", "responsible_gov": "村支书刘"}
    ws.store.insert_many([
        {**base, "id_number": KID, "name": "王小明", "sex": "男", "guardian": "王建国"},
        {**base, "id_number": KID2, "name": "李小红", "sex": "女", "guardian": "李桂英"},
        {**base, "id_number": KID3, "name": "赵小刚", "sex": "男", "guardian": "赵德明"},
    ], "tester")
    return root
