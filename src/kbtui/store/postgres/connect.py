"""Database URLs and connections, with a Chinese message for every way they go wrong (never a traceback).

A URL is a libpq one (``postgresql://用户@主机:端口/数据库?sslmode=verify-full``). The password is not put in
profile files: it comes from the URL only if given there, else from ``KBTUI_DATABASE_PASSWORD``, else from
libpq's own ``~/.pgpass`` (0600).
"""
from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import psycopg
from psycopg import conninfo, errors
from psycopg.rows import TupleRow
from psycopg_pool import ConnectionPool, PoolTimeout

from kbtui.errors import StoreError
from kbtui.store.backends import url_password_as

PASSWORD_ENV = "KBTUI_DATABASE_PASSWORD"
SCHEMES = ("postgresql", "postgres")
CONNECT_TIMEOUT_S = 10
LOCK_TIMEOUT = "60s"                 # like the file store's LOCK_TIMEOUT_S: a clear message instead of a hang
EXAMPLE = "postgresql://用户名@服务器地址:5432/数据库名"


def is_database_url(text: str) -> bool:
    return urlsplit(text).scheme in SCHEMES


def masked(url: str) -> str:
    """The URL without its password, for messages and the journal."""
    try:
        return url_password_as(url, "***")
    except ValueError:
        return "（无法解析的地址）"


def connection_params(url: str, password_env: str = PASSWORD_ENV) -> dict[str, Any]:
    """The URL as libpq parameters (the password from ``password_env`` when the URL has none); StoreError in
    Chinese when it is not a PostgreSQL URL."""
    shown = masked(url)
    if not is_database_url(url):
        raise StoreError(f"数据库地址 {shown} 不正确：应以 postgresql:// 开头，形如 {EXAMPLE}")
    try:
        params = conninfo.conninfo_to_dict(url)
    except psycopg.ProgrammingError as err:
        raise StoreError(f"数据库地址 {shown} 不正确（{_first_line(err)}），应形如 {EXAMPLE}") from None
    port = str(params.get("port") or "")
    if port and not all(p.isdigit() for p in port.split(",")):
        raise StoreError(f"数据库地址 {shown} 不正确：端口“{port}”应是数字，应形如 {EXAMPLE}")
    if not params.get("dbname"):
        raise StoreError(f"数据库地址 {shown} 没有写数据库名，应形如 {EXAMPLE}")
    if "password" not in params and os.environ.get(password_env):
        params["password"] = os.environ[password_env]
    params.setdefault("connect_timeout", str(CONNECT_TIMEOUT_S))
    params.setdefault("application_name", "kbtui")
    return params


def _first_line(err: BaseException) -> str:
    return (str(err).strip().splitlines() or [type(err).__name__])[0]


def unreachable(url: str, err: BaseException, password_env: str = PASSWORD_ENV) -> StoreError:
    """Why the database at ``url`` cannot be used, in the words an operator can act on."""
    shown = masked(url)
    text = str(err)
    low = text.lower()
    if "password authentication failed" in low or "no password supplied" in low:
        why = f"用户名或密码不对（密码可放在环境变量 {password_env} 或 ~/.pgpass 中）"
    elif "role" in low and "does not exist" in low:
        why = "数据库中没有这个用户（请数据库管理员用 kbtui 的建库脚本创建）"
    elif "database" in low and "does not exist" in low:
        why = "服务器上没有这个数据库"
    elif "no pg_hba.conf entry" in low:
        why = "服务器不允许从本机以该用户连接（pg_hba.conf）"
    elif "timeout" in low or "timed out" in low:
        why = f"{CONNECT_TIMEOUT_S} 秒内没有连上服务器（网络不通或服务器太忙）"
    elif ("could not connect" in low or "connection refused" in low or "no such file" in low
          or "could not translate host name" in low or "resolve host" in low or "name or service not known" in low):
        why = "连不上数据库服务器（服务器未启动，或地址、端口不对）"
    elif "ssl" in low:
        why = "加密连接（SSL）建立失败，请检查服务器证书与 sslmode 设置"
    elif "too many" in low and "connections" in low:
        why = "服务器的连接数已满，请稍后再试"
    else:
        why = "连接失败"
    return StoreError(f"无法使用数据库 {shown}：{why}（{_first_line(err)}）")


def connect(url: str, password_env: str = PASSWORD_ENV, **kwargs: Any) -> psycopg.Connection:
    """One connection, or StoreError saying in Chinese why not."""
    params = connection_params(url, password_env)
    try:
        return psycopg.connect(**params, **kwargs)
    except psycopg.Error as err:
        raise unreachable(url, err, password_env) from None


def one_row(cursor: psycopg.Cursor[TupleRow]) -> TupleRow:
    """The row of a query that always gives one (a function's result, a count)."""
    row = cursor.fetchone()
    if row is None:
        raise StoreError("数据库查询没有返回应有的结果，操作未完成")
    return row


def _configure(conn: psycopg.Connection) -> None:
    conn.execute(f"SET lock_timeout = '{LOCK_TIMEOUT}'")
    conn.commit()


def open_pool(url: str, *, max_size: int = 4) -> ConnectionPool:
    """A small pool of connections to ``url``, after one connection tried directly (its failure is the
    Chinese message; a pool would only time out). The database must hold the kbtui schema."""
    params = connection_params(url)
    with connect(url) as probe:
        installed = one_row(probe.execute("SELECT to_regclass('kbtui.children') IS NOT NULL"))[0]
    if not installed:
        raise StoreError(f"数据库 {masked(url)} 还不是 kbtui 数据库（没有 kbtui 的数据表）："
                         "请先由数据库管理员用 kbtui init --database 建立")
    pool = ConnectionPool(kwargs=params, min_size=1, max_size=max_size, open=False, configure=_configure,
                          check=ConnectionPool.check_connection, name="kbtui")
    try:
        pool.open(wait=True, timeout=CONNECT_TIMEOUT_S)
    except PoolTimeout as err:
        pool.close()
        raise unreachable(url, err) from None
    return pool


@contextlib.contextmanager
def friendly(url: str, doing: str) -> Iterator[None]:
    """Database errors raised inside turned into StoreError in Chinese (``doing``: what was being done); the
    store's own StoreErrors pass through."""
    try:
        yield
    except StoreError:
        raise
    except PoolTimeout as err:
        raise unreachable(url, err) from None
    except errors.LockNotAvailable:
        raise StoreError(f"{doing}未完成：该记录正被其他操作员写入（等待超过 {LOCK_TIMEOUT}），请稍后再试") from None
    except errors.InsufficientPrivilege as err:
        if "row-level security" in str(err):
            raise StoreError(f"{doing}未完成：涉及的记录不在本账号可管理的乡镇范围内，数据库拒绝写入") from None
        raise StoreError(f"{doing}未完成：数据库拒绝了本账号的这项操作（{_first_line(err)}）") from None
    except psycopg.OperationalError as err:
        raise StoreError(f"{doing}未完成：与数据库 {masked(url)} 的连接中断（{_first_line(err)}），"
                         "本次修改未保存，请检查网络后重试") from None
    except psycopg.Error as err:
        raise StoreError(f"{doing}未完成：数据库报错（{_first_line(err)}），本次修改未保存") from None
