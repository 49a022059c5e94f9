"""What only the PostgreSQL store has: scope enforced by the database (row-level security by town from the
login role, narrowing by village/school), the app role not owning the tables, the journal append-only with a
trigger refusing forks and a key the app cannot read, LISTEN/NOTIFY on save, a writer killed inside its
transaction, and Chinese messages for bad or unreachable URLs."""
from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg
import pytest

from kbtui.errors import StoreError
from kbtui.store.postgres import Narrowing, PgStore
from kbtui.store.postgres import connect as C
from tests.helpers.store_backends import postgres_backend

REPO = Path(__file__).resolve().parents[2]
CHENGTOU, SANGCUN = "城头镇", "桑村镇"
A, B, C2 = "370406201501010011", "370406201501010022", "370406201501010033"


@pytest.fixture
def district(pg_server, pg_database):
    backend = postgres_backend(pg_server, pg_database)
    bureau = backend.open()
    bureau.insert_many([
        {"id_number": A, "name": "甲", "town": CHENGTOU, "village": "东村", "school": "城头小学"},
        {"id_number": B, "name": "乙", "town": CHENGTOU, "village": "西村", "school": "城头中学"},
        {"id_number": C2, "name": "丙", "town": SANGCUN, "village": "东村", "school": "桑村小学"},
    ], "区教育局")
    yield backend
    backend.close()


def _town(backend, town: str, **kwargs) -> PgStore:
    return backend.open_town(town, **kwargs)


def test_a_town_role_sees_and_writes_only_its_town(district):
    town = _town(district, CHENGTOU)
    assert sorted(town.ids()) == [A, B] and town.get(C2) is None
    assert town.count_by("town") == {(CHENGTOU,): 2}
    with pytest.raises(StoreError, match="不在本数据库账号可管理的乡镇范围内"):
        town.update(A, {"town": SANGCUN}, "镇管理员")
    with pytest.raises(StoreError, match="不在本账号可管理的乡镇范围内|不在本数据库账号可管理的乡镇范围内"):
        town.insert({"id_number": "370406201501010044", "name": "丁", "town": SANGCUN}, "镇管理员")
    # what it cannot see it cannot write either, not even by its ID
    with pytest.raises(StoreError, match="找不到"):
        town.update(C2, {"note": "x"}, "镇管理员")
    # the journal: its own chain and the district's, never another town's
    assert set(town.journal.position()) == {CHENGTOU}
    assert all(e.get("chain") in (CHENGTOU, "") for e in town.journal.entries())
    assert town.journal.verify()[0]
    # documents about a child it cannot see are invisible too
    district_tasks = district.open().collection("tasks", town=SANGCUN)
    district_tasks.insert({"key": "k1", "id_number": C2}, "区教育局")
    assert town.collection("tasks", town=SANGCUN).all() == []


def test_the_bureau_moves_a_child_between_towns_and_both_chains_say_so(district):
    bureau, town = district.open(), _town(district, CHENGTOU)
    bureau.update(A, {"town": SANGCUN}, "区教育局")
    assert town.refresh() and A not in town
    sangcun = _town(district, SANGCUN)
    assert A in sangcun
    left = [e for e in town.journal.entries(record=A)]
    assert [e["action"] for e in left] == ["insert", "move.out"] and left[-1]["detail"] == {"to_town": SANGCUN}
    assert bureau.journal.verify()[0]


def test_narrowing_inside_the_town_is_applied_by_the_database(district):
    cadre = _town(district, CHENGTOU, narrowing=Narrowing(villages=("东村",)))
    assert cadre.ids() == [A]
    teacher = _town(district, CHENGTOU, narrowing=Narrowing(schools=("城头中学",)))
    assert teacher.ids() == [B]


def test_the_app_role_owns_nothing_cannot_rewrite_the_journal_nor_read_the_key(district):
    url = district.town_spec(CHENGTOU)
    with C.connect(url, autocommit=True) as conn:
        owners = {r[0] for r in conn.execute(
            "SELECT tableowner FROM pg_tables WHERE schemaname IN ('kbtui', 'kbtui_private')")}
        assert owners == {"kbtui_owner"}
        for statement in ("UPDATE kbtui.journal SET body = body", "DELETE FROM kbtui.journal",
                          "TRUNCATE kbtui.journal", "DELETE FROM kbtui.children",
                          "SELECT key FROM kbtui_private.journal_key",
                          "UPDATE kbtui.login_scope SET towns = NULL",
                          "UPDATE kbtui.journal_head SET seq = 0"):
            with pytest.raises(psycopg.errors.InsufficientPrivilege):
                conn.execute(statement)
        # a forged line that does not follow the head is refused by the trigger, signed or not
        with pytest.raises(psycopg.Error, match="journal fork"):
            conn.execute("INSERT INTO kbtui.journal (chain, seq, prev, hash, ts, operator, action, body)"
                         " VALUES (%s, 7, 'x', encode(sha256('{}'), 'hex'), 't', 'o', 'a', '{}')", (CHENGTOU,))
        # COPY FROM straight into children is refused under row-level security
        with pytest.raises(psycopg.Error, match="row-level security"):
            with conn.cursor().copy("COPY kbtui.children (id_number, v, seq, doc) FROM STDIN") as copy:
                copy.write_row(("370406201501010055", 1, 0, "{}"))


def test_a_line_appended_by_the_owner_without_the_trigger_fails_verification(district):
    with district.superuser() as conn:
        conn.execute("ALTER TABLE kbtui.journal DISABLE TRIGGER journal_chain")
        head = conn.execute("SELECT seq, hash FROM kbtui.journal_head WHERE chain = %s", (CHENGTOU,)).fetchone()
        body = '{"action":"update","record":"x"}'
        conn.execute("INSERT INTO kbtui.journal (chain, seq, prev, hash, mac, ts, operator, action, body)"
                     " VALUES (%s, %s, %s, encode(sha256(convert_to(%s, 'UTF8')), 'hex'), 'forged', 't', 'o', 'a', %s)",
                     (CHENGTOU, head[0] + 1, head[1], body, body))
    ok, seq, message = district.open().journal.verify()
    assert not ok and "签名与密钥不符" in message


def test_a_save_is_notified_to_an_open_list(district):
    town = _town(district, CHENGTOU)
    listener = town.listener()
    try:
        assert listener.wait(0.05) == []
        other = _town(district, CHENGTOU)
        other.update(A, {"note": "走访过"}, "村干部")
        district.open().update(C2, {"note": "别镇"}, "区教育局")      # another town: not this list's business
        chains = listener.wait(30)
        assert chains == [CHENGTOU]
        assert town.refresh() and town.get(A)["note"] == "走访过"
    finally:
        listener.close()


BLOCKED_WRITER = r"""
import sys
from tests.helpers.store_backends import open_spec
store = open_spec(sys.argv[1])
print("ready", flush=True)
store.insert_many([{"id_number": f"37040620160101{k:04d}", "name": "新", "town": "城头镇"} for k in range(50)], "w")
print("ack", flush=True)
"""


def test_a_writer_killed_inside_its_transaction_leaves_nothing(district):
    """The writer is held by a table lock at its last statement (the bulk records, after its journal line
    and its children rows), killed there; the server rolls its transaction back."""
    before = district.open().journal.position()
    with district.superuser() as holder:
        holder.execute("BEGIN")
        holder.execute("LOCK TABLE kbtui.journal_bulk IN ACCESS EXCLUSIVE MODE")
        proc = subprocess.Popen([sys.executable, "-c", BLOCKED_WRITER, district.spec],
                                stdout=subprocess.PIPE, text=True, cwd=REPO)
        try:
            assert proc.stdout.readline().strip() == "ready"
            while not holder.execute("SELECT count(*) FROM pg_locks l JOIN pg_class c ON c.oid = l.relation"
                                     " WHERE c.relname = 'journal_bulk' AND NOT l.granted").fetchone()[0]:
                assert proc.poll() is None
                time.sleep(0.05)
            inside = holder.execute("SELECT pid, query, wait_event_type FROM pg_stat_activity"
                                    " WHERE application_name = 'kbtui' AND state = 'active'").fetchall()
            assert [(q.split(" (")[0], w) for _pid, q, w in inside] == [("INSERT INTO kbtui.journal_bulk", "Lock")]
        finally:
            proc.send_signal(signal.SIGKILL)
            proc.wait(timeout=30)
        holder.execute("ROLLBACK")
    assert proc.stdout.read() == ""
    after = district.open()
    assert len(after) == 3 and after.journal.position() == before
    assert after.journal.verify()[0]
    with district.superuser() as conn:
        assert conn.execute("SELECT count(*) FROM kbtui.journal_bulk").fetchone()[0] == 2   # the setup's (one per town)


@pytest.mark.parametrize("url, words", [
    ("mysql://u@h/db", "应以 postgresql:// 开头"),
    ("postgresql://u@h:notaport/db", "不正确"),
    ("postgresql:///?host=/tmp", "没有写数据库名"),
    ("postgresql://kbtui@/nodb?host=/nonexistent-socket-dir", "连不上数据库服务器"),
])
def test_bad_or_unreachable_urls_say_why_in_chinese(url, words):
    with pytest.raises(StoreError, match=words) as failed:
        PgStore.open(url)
    assert "Traceback" not in str(failed.value)


def test_a_password_is_never_shown(monkeypatch):
    shown = C.masked("postgresql://kbtui:s3cret@db.example:5432/district")
    assert shown == "postgresql://kbtui:***@db.example:5432/district"
    monkeypatch.setenv(C.PASSWORD_ENV, "fromenv")
    assert C.connection_params("postgresql://kbtui@db.example/district")["password"] == "fromenv"


def test_wrong_role_missing_database_and_an_uninitialised_one(pg_server, pg_database):
    with pytest.raises(StoreError, match="数据库中没有这个用户"):
        PgStore.open(pg_server.url("postgres", "nobody_here"))
    with pytest.raises(StoreError, match="服务器上没有这个数据库"):
        PgStore.open(pg_server.url("no_such_db"))
    with pytest.raises(StoreError, match="还不是 kbtui 数据库"):
        PgStore.open(pg_database)


def test_a_role_without_towns_is_told_so(district, pg_server):
    with district.superuser() as conn:
        conn.execute("CREATE ROLE kbtui_nowhere LOGIN IN ROLE kbtui_app")
    try:
        dbname = psycopg.conninfo.conninfo_to_dict(district.admin_url)["dbname"]
        with pytest.raises(StoreError, match="没有分配任何乡镇"):
            PgStore.open(pg_server.url(dbname, "kbtui_nowhere"))
    finally:
        with district.superuser() as conn:
            conn.execute("DROP ROLE kbtui_nowhere")


def test_a_nul_character_is_refused_with_the_field_named(district):
    with pytest.raises(StoreError, match="“note”含有空字符"):
        district.open().update(A, {"note": "a\x00b"}, "区教育局")
