"""The children, collections and journal in a PostgreSQL database (the district server), through psycopg 3.

``children.PgStore`` is the store (``store.repository.StoreBackend``), ``collections`` and ``journal`` its
parts, ``listen`` the LISTEN/NOTIFY of saves, ``connect`` URLs and connections (Chinese messages),
``admin`` the database's set-up (schema, login roles), ``local`` a server in a folder (tests, trying it).
"""
from kbtui.store.postgres.children import Narrowing, PgStore

__all__ = ["Narrowing", "PgStore"]
