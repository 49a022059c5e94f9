"""Which store a data folder uses, and opening it: the embedded TinyDB store in the folder (the default), or a
PostgreSQL database (the district server) named by the folder's ``meta.json`` (``"store": {"url": …}``, written
by ``kbtui init --database``), by ``[store] url`` in its ``profile.toml``, or by ``KBTUI_DATABASE_URL``.

With a database the folder still holds the profile, operators, exports, rejects and attachments; the children,
collections and journal live in the database. The password is never written to the folder: it comes from
``KBTUI_DATABASE_PASSWORD`` or libpq's ``~/.pgpass`` (``store.postgres.connect``).
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from kbtui.errors import StoreError
from kbtui.store.children import ChildStore

URL_ENV = "KBTUI_DATABASE_URL"
ADMIN_URL_ENV = "KBTUI_DATABASE_ADMIN_URL"     # the administrator's login: backups and restores of a database
META_KEY = "store"                  # meta.json: {"store": {"url": "postgresql://…"}}
TINYDB, POSTGRESQL = "tinydb", "postgresql"


def url_password_as(url: str, shown: str | None) -> str:
    """``url`` with its password replaced by ``shown`` (None: no password at all); a URL without one as is."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    login = (parts.username or "") + ("" if shown is None else f":{shown}")
    return urlunsplit((parts.scheme, f"{login}@{host}" if login else host, parts.path, parts.query, parts.fragment))


def database_name(url: str) -> str:
    """The database a URL names (its path)."""
    return unquote(urlsplit(url).path.lstrip("/"))


def url_with_database(url: str, dbname: str) -> str:
    """``url`` naming the database ``dbname`` instead (same login, host and options)."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + quote(dbname), parts.query, parts.fragment))


def without_password(url: str) -> str:
    """``url`` with no password in it (what is written to the data folder)."""
    return url_password_as(url, None)


def folder_url(meta: dict[str, Any], profile_store: dict[str, Any] | None = None) -> str | None:
    """The database URL the data folder itself names (meta.json, else the profile's ``[store] url``)."""
    for source in ((meta or {}).get(META_KEY), profile_store):
        url = (source or {}).get("url") if isinstance(source, dict) else None
        if isinstance(url, str) and url.strip():
            return url.strip()
    return None


def database_url(root: Path, meta: dict[str, Any], profile_store: dict[str, Any] | None = None) -> str | None:
    """The database a data folder uses (None: its own TinyDB store). ``KBTUI_DATABASE_URL`` overrides the
    folder's URL (another host or login for the same district database) but never turns a TinyDB folder into
    a database one: that would show an empty or another township's data, so it is refused."""
    named = folder_url(meta, profile_store)
    env = (os.environ.get(URL_ENV) or "").strip()
    if env and named is None:
        if (Path(root) / "store").is_dir() or (Path(root) / "journal").is_dir():
            raise StoreError(f"数据目录 {root} 的数据存放在本目录中（不使用数据库），但设置了环境变量 {URL_ENV}："
                             f"请取消该变量（unset {URL_ENV}），或先用 kbtui store migrate 把数据迁入数据库")
        return env
    return env or named


def admin_url(profile_store: dict[str, Any] | None = None) -> str | None:
    """The database administrator's URL for backups (``KBTUI_DATABASE_ADMIN_URL``, else the profile's
    ``[store] admin_url``); None when neither names one."""
    env = (os.environ.get(ADMIN_URL_ENV) or "").strip()
    named = (profile_store or {}).get("admin_url")
    return env or (named.strip() if isinstance(named, str) and named.strip() else None)


def backend_kind(store: Any) -> str:
    """``tinydb`` or ``postgresql``: for the few services that work differently (backup, audit)."""
    raw = getattr(store, "raw", store)
    return TINYDB if isinstance(raw, ChildStore) else POSTGRESQL


def open_backend(root: Path, meta: dict[str, Any], *, profile_store: dict[str, Any] | None = None,
                 load: bool = True, lazy: bool = False) -> Any:
    """The store of a data folder (``store.repository.StoreBackend``): a StoreError in Chinese for a database
    that is named wrongly, unreachable or not set up for kbtui."""
    url = database_url(root, meta, profile_store)
    if url is None:
        return ChildStore.open(root, load=load, lazy=lazy)
    from kbtui.store.postgres import PgStore  # heavy: imported where used (psycopg, only in district mode)

    return PgStore.open(url, load=load)
