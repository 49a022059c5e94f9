#!/usr/bin/env bash
# Try the district mode on one machine: a PostgreSQL server in a folder (started by the same code the tests
# use, kbtui.store.postgres.local: the system's initdb/pg_ctl, a Unix socket inside the folder, no TCP), a
# database "kbtui" with the kbtui schema, a login for the district bureau and one per town named here.
#   scripts/district-demo.sh [folder] [镇名=数据库用户 ...]
#   e.g. scripts/district-demo.sh ~/kbtui-pg 城头镇=kbtui_chengtou 桑村镇=kbtui_sangcun
# Stop the server:  scripts/district-demo.sh --stop [folder]
set -euo pipefail
cd "$(dirname "$0")/.."
PYTHON=${PYTHON:-$( [ -x .venv/bin/python ] && echo .venv/bin/python || echo python3 )}
if [ "${1:-}" = "--stop" ]; then
    exec "$PYTHON" - "${2:-$HOME/kbtui-district-pg}" <<'PY'
import sys
from pathlib import Path
from kbtui.store.postgres import local
bindir = local.find_bindir()
server = local.LocalServer(bindir, Path(sys.argv[1]).expanduser().resolve(), None)
if (server.base / "data").is_dir():
    server.user = server.data.owner() if server.data.owner() != "root" else None
    server.stop()
print(f"已停止 {server.base} 中的 PostgreSQL（删除该目录即删除全部数据）")
PY
fi
FOLDER=${1:-$HOME/kbtui-district-pg}
shift || true
exec "$PYTHON" - "$FOLDER" "$@" <<'PY'
import sys
from pathlib import Path
import psycopg
from kbtui.errors import StoreError
from kbtui.store.postgres import admin, local

folder = Path(sys.argv[1]).expanduser().resolve()
towns = dict(arg.split("=", 1) for arg in sys.argv[2:])
try:
    server = local.create(folder)
    with psycopg.connect(server.url(), autocommit=True) as conn:
        conn.execute('CREATE DATABASE kbtui')
    admin.install(server.url("kbtui"))
    admin.add_login(server.url("kbtui"), "kbtui_district", None)
    for town, role in towns.items():
        admin.add_login(server.url("kbtui"), role, [town])
except StoreError as err:
    sys.exit(f"错误：{err}")
print(f"PostgreSQL 已在 {folder} 中启动（只监听该目录下的套接字）。")
print(f"区县教育局：  kbtui --data-dir ~/区县 init --profile shanting-2019 --database '{server.url('kbtui', 'kbtui_district')}'")
for town, role in towns.items():
    print(f"{town}：  kbtui --data-dir ~/{town} init --profile shanting-2019 --database '{server.url('kbtui', role)}'")
print(f"停止：  scripts/district-demo.sh --stop {folder}")
PY
