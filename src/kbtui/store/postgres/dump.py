"""A district database copied out and back in with PostgreSQL's own pg_dump / pg_restore (``kbtui backup`` /
``kbtui restore`` on the database store).

**Who.** Both need the database administrator's login (the *admin URL*: ``--admin-url``,
``KBTUI_DATABASE_ADMIN_URL`` or ``[store] admin_url``; its password from the URL, ``KBTUI_DATABASE_ADMIN_PASSWORD``
or ``~/.pgpass``). A backup needs a superuser or a member of ``kbtui_owner`` (it reads every row, past
row-level security, and the journal key); a restore a superuser (it creates, renames and fills databases).
The application's login roles can do neither, by design: they see their towns only and never the key.

**The tools.** pg_dump and pg_restore of the server's major version: ``KBTUI_PG_BINDIR``, else
``/usr/lib/postgresql/<major>/bin`` (Debian/Ubuntu, server or client package), else the ones on PATH. Another
version, or none, is a Chinese message before anything is written.

**A dump** (``dump``) is of the schemas ``kbtui`` and ``kbtui_private`` (custom format), taken in an exported
REPEATABLE READ snapshot in which the chains' heads and the counts are read too: dump and manifest are one
moment. The journal key's row is left out (``--exclude-table-data``): who holds a backup cannot sign; the key
signs the backup's manifest instead (``DatabaseState.key``, never written to the archive).

**A restore** (``restore``) never fills the database in use. It creates a new database on the same server
(``kbtui_restoring_<pid>_<random>``), loads the dump into it (``pg_restore --single-transaction``), puts the
key back (the target database's own, or the one given; with none a new key and every line signed again with
it, said in the report), keeps the target's login scopes (the server's login roles, not the backup's),
verifies it (every chain, every row against the journal: ``check.check_rows``; counts and heads against the
manifest), and only then swaps it in: in one transaction the current database is renamed
``<name>_before_restore_<time>`` (kept: nothing is lost; the administrator drops it once satisfied) and the
new one takes its name. A failure or a kill at any point leaves the current database as it was; a staging
database a killed restore left is dropped by the next restore.
"""
from __future__ import annotations

import contextlib
import datetime as dt
import functools
import os
import re
import secrets
import shutil
import subprocess
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

import psycopg
from psycopg import sql
from psycopg.conninfo import make_conninfo

from kbtui.errors import StoreError
from kbtui.store import signing
from kbtui.store.backends import ADMIN_URL_ENV
from kbtui.store.consistency import CHANGED, MISSING
from kbtui.store.postgres.check import check_rows
from kbtui.store.postgres.connect import connect, connection_params, friendly, masked, one_row, unreachable
from kbtui.store.postgres.journal import verify_chain
from kbtui.store.postgres.local import BINDIR_ENV
from kbtui.store.storage import pid_alive

ADMIN_PASSWORD_ENV = "KBTUI_DATABASE_ADMIN_PASSWORD"
STAGING_PREFIX = "kbtui_restoring_"
KEPT_SUFFIX = "_before_restore_"
SCHEMAS = ("kbtui", "kbtui_private")
KEY_TABLE = "kbtui_private.journal_key"
SWAP_ATTEMPTS = 5
MAINTENANCE_DBS = ("postgres", "template1")


class DumpError(StoreError):
    """A database that cannot be dumped or restored (message in Chinese)."""


P = ParamSpec("P")
T = TypeVar("T")


def _database_errors(doing: str) -> Callable[[Callable[P, T]], Callable[P, T]]:
    """Any database error of the decorated step (its first argument: the URL) as a Chinese StoreError."""
    def wrap(step: Callable[P, T]) -> Callable[P, T]:
        @functools.wraps(step)
        def run(*args: P.args, **kwargs: P.kwargs) -> T:
            with friendly(str(args[0]), doing):
                return step(*args, **kwargs)
        return run
    return wrap


@dataclass
class DatabaseState:
    """What a dump holds, read in its snapshot (the manifest records it; ``key`` signs the manifest)."""
    name: str
    server_major: int
    schema: str
    children: int
    documents: int
    chains: dict[str, list[Any]]          # chain -> [seq, hash] of its head
    key: bytes

    @property
    def entries(self) -> int:
        return sum(int(seq) for seq, _hash in self.chains.values())

    def as_manifest(self) -> dict[str, Any]:
        return {"name": self.name, "server_major": self.server_major, "schema": self.schema,
                "children": self.children, "documents": self.documents, "chains": self.chains}


@dataclass
class RestoredDatabase:
    name: str                             # the database restored (the target's name)
    kept: str | None                      # what the database it replaced is called now (None: there was none)
    children: int
    documents: int
    entries: int
    notes: list[str] = field(default_factory=list)


# --------------------------------------------------------------------------- connecting as the administrator

def admin_connect(url: str, dbname: str | None = None, **kwargs: Any) -> psycopg.Connection:
    """A connection with the administrator's login (to ``dbname`` instead of the URL's database if given)."""
    if dbname is None:
        return connect(url, ADMIN_PASSWORD_ENV, **kwargs)
    params = {**connection_params(url, ADMIN_PASSWORD_ENV), "dbname": dbname}
    try:
        return psycopg.connect(**params, **kwargs)
    except psycopg.Error as err:
        raise unreachable(url, err, ADMIN_PASSWORD_ENV) from None


def _maintenance(url: str) -> psycopg.Connection:
    """A connection to the server outside the database being restored (CREATE / RENAME DATABASE)."""
    last: StoreError | None = None
    for name in MAINTENANCE_DBS:
        try:
            return admin_connect(url, name, autocommit=True)
        except StoreError as err:
            last = err
    assert last is not None
    raise last


def _role_problem(conn: psycopg.Connection, url: str, doing: str, *, restore: bool) -> str | None:
    """Why the login of ``conn`` may not ``doing`` (None: it may)."""
    superuser, owner, app = one_row(conn.execute(
        "SELECT r.rolsuper, pg_has_role(current_user, 'kbtui_owner', 'USAGE'),"
        " pg_has_role(current_user, 'kbtui_app', 'MEMBER')"
        " FROM pg_roles r WHERE r.rolname = current_user"
        if _role_exists(conn, "kbtui_owner") else
        "SELECT r.rolsuper, false, false FROM pg_roles r WHERE r.rolname = current_user"))
    if superuser or (owner and not restore):
        return None
    user = one_row(conn.execute("SELECT current_user"))[0]
    need = ("数据库管理员（超级用户）" if restore else "数据库管理员（超级用户，或 kbtui_owner 的成员）")
    if app:
        return (f"{doing}需要{need}的账号，{masked(url)} 的用户 {user} 是 kbtui 的应用账号（kbtui_app 的成员）："
                "它只能读写本账号范围内的数据、读不到签名密钥，不能备份或恢复整个数据库。请数据库管理员提供管理员账号的"
                f"地址（--admin-url 或环境变量 {ADMIN_URL_ENV}，密码放在 {ADMIN_PASSWORD_ENV} 或 ~/.pgpass 中）")
    return f"{doing}需要{need}的账号，{masked(url)} 的用户 {user} 权限不够"


def _role_exists(conn: psycopg.Connection, role: str) -> bool:
    return conn.execute("SELECT 1 FROM pg_roles WHERE rolname = %s", (role,)).fetchone() is not None


def _is_kbtui_database(conn: psycopg.Connection) -> bool:
    return bool(one_row(conn.execute("SELECT to_regclass('kbtui.children') IS NOT NULL"))[0])


def read_key(conn: psycopg.Connection) -> bytes | None:
    row = conn.execute(f"SELECT key FROM {KEY_TABLE} WHERE id = 1").fetchone()
    return bytes(row[0]) if row else None


# --------------------------------------------------------------------------- the tools

def server_major(conn: psycopg.Connection) -> int:
    return int(one_row(conn.execute("SELECT current_setting('server_version_num')::int / 10000"))[0])


def find_tool(name: str, major: int) -> Path:
    """pg_dump / pg_restore of PostgreSQL ``major``, or DumpError in Chinese (missing, another version)."""
    given = os.environ.get(BINDIR_ENV)
    candidates = [Path(given) / name] if given else [Path(f"/usr/lib/postgresql/{major}/bin/{name}")]
    if not given and shutil.which(name):
        candidates.append(Path(str(shutil.which(name))))
    found = [c for c in candidates if c.is_file() and os.access(c, os.X_OK)]
    if not found:
        where = f"（环境变量 {BINDIR_ENV} 指明的 {given}）" if given else ""
        raise DumpError(f"找不到 PostgreSQL {major} 的 {name}{where}：请安装 postgresql-client-{major}，"
                        f"或用环境变量 {BINDIR_ENV} 指明它所在的文件夹；未做任何改动")
    tool = found[0]
    version = tool_major(tool)
    if version != major:
        raise DumpError(f"{tool} 是 PostgreSQL {version or '未知版本'} 的，数据库服务器是 PostgreSQL {major}：{name} "
                        f"必须与服务器的主版本相同。请安装 postgresql-client-{major}，或用环境变量 {BINDIR_ENV} 指明"
                        "它所在的文件夹；未做任何改动")
    return tool


def tool_major(tool: Path) -> int | None:
    try:
        out = subprocess.run([str(tool), "--version"], capture_output=True, text=True, check=False, timeout=30).stdout
    except (OSError, subprocess.SubprocessError):
        return None
    match = re.search(r"\(PostgreSQL\)\s+(\d+)", out)
    return int(match.group(1)) if match else None


def _tool_env(url: str, dbname: str | None = None) -> tuple[str, dict[str, str]]:
    """(conninfo without the password, environment with it as PGPASSWORD): never on a command line."""
    params = connection_params(url, ADMIN_PASSWORD_ENV)
    if dbname is not None:
        params["dbname"] = dbname
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
    password = params.pop("password", None)
    if password:
        env["PGPASSWORD"] = str(password)
    return make_conninfo(**{k: str(v) for k, v in params.items()}), env


def _run_tool(args: list[str], env: dict[str, str], doing: str) -> None:
    try:
        result = subprocess.run(args, capture_output=True, text=True, env=env, check=False)
    except OSError as err:
        raise DumpError(f"{doing}失败：无法运行 {args[0]}（{err.strerror or err}）") from None
    if result.returncode != 0:
        lines = [ln for ln in (result.stderr or result.stdout).strip().splitlines() if ln.strip()]
        raise DumpError(f"{doing}失败：{Path(args[0]).name} 报错（{lines[0] if lines else result.returncode}）")


# --------------------------------------------------------------------------- dumping

def _owner_session(url: str, doing: str) -> psycopg.Connection:
    """A connection to a kbtui database with a login that may read all of it (DumpError saying why not)."""
    conn = admin_connect(url)
    try:
        problem = _role_problem(conn, url, doing, restore=False)
        if problem:
            raise DumpError(problem)
        if not _is_kbtui_database(conn):
            raise DumpError(f"数据库 {masked(url)} 中没有 kbtui 的数据表，无法{doing}")
    except BaseException:
        conn.close()
        raise
    return conn


@_database_errors("备份数据库")
def dump(url: str, target: Path) -> DatabaseState:
    """pg_dump the kbtui schemas of the database of ``url`` (the administrator's) into ``target``."""
    with _owner_session(url, "备份数据库") as conn:
        tool = find_tool("pg_dump", server_major(conn))
        conn.rollback()             # the snapshot's transaction starts here
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ READ ONLY")
        snapshot = one_row(conn.execute("SELECT pg_export_snapshot()"))[0]
        state = _state(conn)
        conninfo, env = _tool_env(url)
        args = [str(tool), "--format=custom", "--no-password", "--lock-wait-timeout=60s", f"--snapshot={snapshot}",
                *[f"--schema={s}" for s in SCHEMAS], f"--exclude-table-data={KEY_TABLE}", "-f", str(target),
                "-d", conninfo]
        _run_tool(args, env, "备份数据库")
        conn.rollback()
    return state


def _state(conn: psycopg.Connection) -> DatabaseState:
    key = read_key(conn)
    if key is None:
        raise DumpError("数据库中没有日志签名密钥（kbtui_private.journal_key），无法签名备份")
    chains = {c: [int(s), h] for c, s, h in conn.execute(
        "SELECT chain, seq, hash FROM kbtui.journal_head ORDER BY chain")}
    return DatabaseState(
        name=one_row(conn.execute("SELECT current_database()"))[0], server_major=server_major(conn),
        schema=str(one_row(conn.execute("SELECT coalesce((SELECT value::text FROM kbtui.meta"
                                        " WHERE key = 'schema'), '')"))[0]),
        children=int(one_row(conn.execute("SELECT count(*) FROM kbtui.children"))[0]),
        documents=int(one_row(conn.execute("SELECT count(*) FROM kbtui.collections"))[0]),
        chains=chains, key=key)


# --------------------------------------------------------------------------- restoring

@dataclass
class Target:
    """The database a restore goes to, as it is now."""
    name: str
    exists: bool
    kbtui: bool                   # holds kbtui's tables
    key: bytes | None             # its journal key
    children: int = 0


@_database_errors("恢复数据库")
def inspect_target(url: str) -> Target:
    """The target database of ``url``: whether it is there, holds kbtui data and its key; the login checked."""
    name = str(connection_params(url, ADMIN_PASSWORD_ENV).get("dbname"))
    with _maintenance(url) as server:
        problem = _role_problem(server, url, "恢复数据库", restore=True)
        if problem:
            raise DumpError(problem)
        exists = server.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone() is not None
    if not exists:
        return Target(name, False, False, None)
    with admin_connect(url) as conn:
        if not _is_kbtui_database(conn):
            return Target(name, True, False, None)
        children = int(one_row(conn.execute("SELECT count(*) FROM kbtui.children"))[0])
        return Target(name, True, True, read_key(conn), children)


@_database_errors("恢复数据库")
def restore(url: str, dump_file: Path, key: bytes | None, expected: dict[str, Any], target: Target,
            before_swap: Callable[[], None] = lambda: None) -> RestoredDatabase:
    """Load ``dump_file`` into a new database, verify it against ``expected`` (the manifest's ``database``) and
    swap it in for the target's (see the module's docstring). ``before_swap`` runs once all is verified, just
    before the swap (the caller moves the restored data folder into place)."""
    with _maintenance(url) as server:
        major = server_major(server)
        if int(expected.get("server_major") or major) > major:
            raise DumpError(f"备份来自 PostgreSQL {expected.get('server_major')}，本服务器是 PostgreSQL {major}："
                            "不能恢复到更旧版本的服务器")
        tool = find_tool("pg_restore", major)
        remove_stale_staging(server)
        staging = f"{STAGING_PREFIX}{os.getpid()}_{secrets.token_hex(4)}"
        _create_like(server, staging, target)
    try:
        notes = _load(url, tool, dump_file, staging, key, target)
        restored = _verify(url, staging, expected)
        restored.notes = notes + restored.notes
        restored.name = target.name
        before_swap()
        restored.kept = _swap(url, staging, target)
    except BaseException:
        with contextlib.suppress(StoreError, psycopg.Error), _maintenance(url) as server:
            _drop(server, staging)
        raise
    return restored


def _create_like(server: psycopg.Connection, staging: str, target: Target) -> None:
    """A new empty database with the target's owner, encoding, locale, access rights and settings."""
    ident = sql.Identifier(staging)
    if not target.exists:
        server.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0 ENCODING 'UTF8'").format(ident))
        return
    owner, collate, ctype, acl, oid = one_row(server.execute(
        "SELECT pg_get_userbyid(datdba), datcollate, datctype, datacl::text[], oid FROM pg_database"
        " WHERE datname = %s", (target.name,)))
    server.execute(sql.SQL("CREATE DATABASE {} OWNER {} TEMPLATE template0 ENCODING 'UTF8' LC_COLLATE {}"
                           " LC_CTYPE {}").format(ident, sql.Identifier(owner), sql.Literal(collate),
                                                  sql.Literal(ctype)))
    if acl is not None:
        server.execute(sql.SQL("REVOKE ALL ON DATABASE {} FROM PUBLIC").format(ident))
        for grantee, privilege in server.execute(
                "SELECT CASE WHEN a.grantee = 0 THEN 'PUBLIC' ELSE pg_get_userbyid(a.grantee) END, a.privilege_type"
                " FROM pg_database d, aclexplode(d.datacl) a WHERE d.datname = %s", (target.name,)).fetchall():
            who = sql.SQL("PUBLIC") if grantee == "PUBLIC" else sql.Identifier(grantee)
            server.execute(sql.SQL("GRANT {} ON DATABASE {} TO {}").format(sql.SQL(privilege), ident, who))
    for role, settings in server.execute(
            "SELECT CASE WHEN setrole = 0 THEN NULL ELSE pg_get_userbyid(setrole) END, setconfig"
            " FROM pg_db_role_setting WHERE setdatabase = %s", (oid,)).fetchall():
        for setting in settings or []:
            name, _, value = setting.partition("=")
            if role is None:
                server.execute(sql.SQL("ALTER DATABASE {} SET {} = {}").format(
                    ident, sql.SQL(name), sql.Literal(value)))
            else:
                server.execute(sql.SQL("ALTER ROLE {} IN DATABASE {} SET {} = {}").format(
                    sql.Identifier(role), ident, sql.SQL(name), sql.Literal(value)))


_PREPARE = """
CREATE EXTENSION IF NOT EXISTS pgcrypto;
DO $$ BEGIN
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kbtui_owner') THEN CREATE ROLE kbtui_owner NOLOGIN; END IF;
  IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = 'kbtui_app') THEN CREATE ROLE kbtui_app NOLOGIN; END IF;
END $$;
ALTER DEFAULT PRIVILEGES FOR ROLE kbtui_owner REVOKE EXECUTE ON FUNCTIONS FROM PUBLIC;
"""


def _load(url: str, tool: Path, dump_file: Path, staging: str, key: bytes | None, target: Target) -> list[str]:
    """The dump into the staging database, with its key and the target's login scopes."""
    notes: list[str] = []
    with admin_connect(url, staging, autocommit=True) as conn:
        conn.execute(_PREPARE)
    conninfo, env = _tool_env(url, staging)
    _run_tool([str(tool), "--no-password", "--exit-on-error", "--single-transaction", "-d", conninfo,
               str(dump_file)], env, "把备份装入新数据库")
    scopes: list[tuple[str, Any]] = []
    if target.kbtui:
        with admin_connect(url) as live:
            scopes = live.execute("SELECT role, towns FROM kbtui.login_scope ORDER BY role").fetchall()
    with admin_connect(url, staging) as conn:
        if key is None:
            conn.execute(f"INSERT INTO {KEY_TABLE} VALUES (1, gen_random_bytes(32))")
            conn.execute("SET LOCAL search_path = kbtui, kbtui_private, public")
            conn.execute("UPDATE kbtui.journal SET mac = kbtui_private.sign("
                         "(SELECT key FROM kbtui_private.journal_key), 'line', hash)")
            conn.execute("UPDATE kbtui.journal_head SET mac = kbtui_private.head_mac(chain, seq, hash)")
            notes.append("恢复时没有原数据库的签名密钥：只核对了备份文件的校验值、日志的哈希链和数据与日志是否一致，"
                         "无法证明备份没有被改动过；新数据库生成了新的签名密钥，日志已用它重新签名")
        else:
            conn.execute(f"INSERT INTO {KEY_TABLE} VALUES (1, %s)", (key,))
        if target.kbtui:
            conn.execute("DELETE FROM kbtui.login_scope")
            with conn.cursor() as cur:
                cur.executemany("INSERT INTO kbtui.login_scope VALUES (%s, %s)", scopes)
    return notes


def _verify(url: str, staging: str, expected: dict[str, Any]) -> RestoredDatabase:
    """What ``audit verify`` checks, on the staging database (as the administrator seeing every town, in a
    transaction rolled back at the end), and the counts and heads against the manifest."""
    def refuse(why: str) -> None:
        raise DumpError(f"恢复后的数据库校验未通过：{why}。备份已损坏或被改动过，现有数据库未改动")

    with admin_connect(url, staging) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        conn.execute("INSERT INTO kbtui.login_scope VALUES (session_user, NULL)"
                     " ON CONFLICT (role) DO UPDATE SET towns = NULL")
        heads = {c: [int(s), h] for c, s, h in conn.execute("SELECT chain, seq, hash FROM kbtui.journal_head")}
        want = {c: [int(v[0]), v[1]] for c, v in (expected.get("chains") or {}).items()}
        if heads != want:
            refuse(f"日志链头与备份清单记载的不同（{_heads_text(heads)}；清单记载 {_heads_text(want)}）")
        for chain in sorted(heads):
            ok, _seq, message, _lines = verify_chain(conn, chain)
            if not ok:
                refuse(message)
        rows = check_rows(conn)
        if rows.problems:
            kinds = {CHANGED: "与日志不符", MISSING: "缺失"}
            first = rows.problems[0]
            refuse(f"{first.file} 中编号 {first.record} 的记录{kinds.get(first.kind, '在日志中没有记载')}"
                   f"（共 {len(rows.problems)} 处不符）")
        if rows.children != expected.get("children"):
            refuse(f"恢复后有 {rows.children} 名儿童，备份清单记载 {expected.get('children')} 名")
        if rows.documents != expected.get("documents"):
            refuse(f"恢复后有 {rows.documents} 条其他记录，备份清单记载 {expected.get('documents')} 条")
        conn.rollback()
    return RestoredDatabase("", None, rows.children, rows.documents, sum(s for s, _h in heads.values()))


def _heads_text(heads: dict[str, list[Any]]) -> str:
    return "、".join(f"{c or '区县'} {v[0]} 条" for c, v in sorted(heads.items())) or "没有日志"


def _swap(url: str, staging: str, target: Target) -> str | None:
    """Rename the target out of the way (kept) and the staging database to its name, in one transaction."""
    kept = None
    if target.exists:
        stamp = dt.datetime.now().strftime("%Y%m%d%H%M%S")
        kept = f"{target.name[:63 - len(KEPT_SUFFIX) - len(stamp)]}{KEPT_SUFFIX}{stamp}"
    with _maintenance(url) as server:
        server.autocommit = False
        for attempt in range(SWAP_ATTEMPTS):
            try:
                with server.transaction():
                    if kept is not None:
                        server.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity"
                                       " WHERE datname = %s AND pid <> pg_backend_pid()", (target.name,))
                        server.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                            sql.Identifier(target.name), sql.Identifier(kept)))
                    server.execute(sql.SQL("ALTER DATABASE {} RENAME TO {}").format(
                        sql.Identifier(staging), sql.Identifier(target.name)))
                return kept
            except psycopg.errors.ObjectInUse:
                if attempt == SWAP_ATTEMPTS - 1:
                    raise DumpError(f"数据库 {target.name} 一直有连接无法断开（其他操作员的 kbtui 或别的程序），"
                                    "未能换上恢复的数据库；现有数据库未改动，请稍后再试") from None
    return kept


def _drop(server: psycopg.Connection, name: str) -> None:
    server.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def remove_stale_staging(server: psycopg.Connection) -> list[str]:
    """Staging databases of restores that were killed (their process gone, nobody connected): dropped."""
    removed = []
    for (name,) in server.execute("SELECT datname FROM pg_database WHERE datname LIKE %s",
                                  (STAGING_PREFIX.replace("_", r"\_") + "%",)).fetchall():
        tag = name[len(STAGING_PREFIX):].split("_")
        if tag and tag[0].isdigit() and pid_alive(int(tag[0])):
            continue
        if server.execute("SELECT 1 FROM pg_stat_activity WHERE datname = %s", (name,)).fetchone():
            continue            # still being filled (a pg_restore whose kbtui was killed, or another host's)
        with contextlib.suppress(psycopg.Error):
            server.execute(sql.SQL("DROP DATABASE {}").format(sql.Identifier(name)))
            removed.append(name)
    return removed


def key_file_key(path: Path) -> bytes:
    """The key in a key file given with ``--key`` (``kbtui store export-key`` writes one)."""
    key = signing.JournalKey(Path(path)).load()
    if key is None:
        raise DumpError(f"密钥文件 {path} 不存在")
    return key


@_database_errors("导出签名密钥")
def database_key(url: str) -> bytes:
    """The journal key of the database of ``url`` (the administrator's), for ``kbtui store export-key``."""
    with _owner_session(url, "导出签名密钥") as conn:
        key = read_key(conn)
    if key is None:
        raise DumpError("数据库中没有日志签名密钥")
    return key
