"""A PostgreSQL server in a folder, from the system's binaries (initdb + pg_ctl): for the tests, CI and trying
the district mode on one machine.

PostgreSQL refuses to run as root, so when we are root the cluster is made and run as an unprivileged account
(``nobody`` unless ``KBTUI_PG_USER`` names another) through ``subprocess.run(user=…)``; that account owns only
the cluster folder (0700). The server listens on a Unix socket inside that folder and nowhere else (no TCP),
with password-less ``trust`` limited to that socket: only root and the account reach it.
"""
from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

from kbtui.errors import StoreError

BINDIR_ENV = "KBTUI_PG_BINDIR"        # where initdb/pg_ctl are, when not in /usr/lib/postgresql/<n>/bin
USER_ENV = "KBTUI_PG_USER"            # the account the server runs as when started by root
SUPERUSER = "postgres"


def find_bindir() -> Path | None:
    """The folder holding initdb and pg_ctl: ``KBTUI_PG_BINDIR``, else the newest Debian/Ubuntu
    ``/usr/lib/postgresql/<major>/bin``, else what ``pg_config --bindir`` says; None when there is none."""
    given = os.environ.get(BINDIR_ENV)
    if given:
        return Path(given) if (Path(given) / "initdb").is_file() else None
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                   key=lambda p: int(Path(p).parts[-3]) if Path(p).parts[-3].isdigit() else 0)
    if found:
        return Path(found[-1]).parent
    pg_config = shutil.which("pg_config")
    if pg_config:
        out = subprocess.run([pg_config, "--bindir"], capture_output=True, text=True, check=False).stdout.strip()
        if out and (Path(out) / "initdb").is_file():
            return Path(out)
    return None


@dataclass
class LocalServer:
    bindir: Path
    base: Path                  # the cluster's folder: data/, sock/, log
    user: str | None            # the account it runs as (None: the current one)

    @property
    def data(self) -> Path:
        return self.base / "data"

    @property
    def socket_dir(self) -> Path:
        return self.base / "sock"

    def url(self, dbname: str = "postgres", role: str = SUPERUSER) -> str:
        """A libpq URL reaching this server over its socket."""
        return f"postgresql://{quote(role)}@/{quote(dbname)}?host={quote(str(self.socket_dir), safe='/')}"

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """One of the server's binaries, as the account that owns the cluster."""
        kwargs: dict = {"capture_output": True, "text": True, "check": False}
        if self.user:
            kwargs["user"] = self.user
            kwargs["env"] = {**os.environ, "HOME": str(self.base)}
            kwargs["cwd"] = str(self.base)
        result = subprocess.run([str(self.bindir / args[0]), *args[1:]], **kwargs)
        if check and result.returncode != 0:
            raise StoreError(f"PostgreSQL 命令 {args[0]} 执行失败：{(result.stderr or result.stdout).strip()}")
        return result

    def start(self) -> None:
        self.run("pg_ctl", "-D", str(self.data), "-l", str(self.base / "log"), "-w", "-s", "start")

    def stop(self, mode: str = "fast") -> None:
        self.run("pg_ctl", "-D", str(self.data), "-m", mode, "-w", "-s", "stop", check=False)

    def running(self) -> bool:
        return self.run("pg_ctl", "-D", str(self.data), "status", check=False).returncode == 0

    def remove(self) -> None:
        """Stop the server and delete its folder."""
        self.stop()
        shutil.rmtree(self.base, ignore_errors=True)


def create(base: Path | None = None, *, bindir: Path | None = None, durable: bool = True,
           settings: dict[str, str] | None = None) -> LocalServer:
    """initdb a new cluster in ``base`` (a new temporary folder if None) and start it.

    ``durable=False`` (tests only) turns fsync off: a crash of the machine may lose the cluster, which for a
    throwaway test server does not matter."""
    bindir = bindir or find_bindir()
    if bindir is None:
        raise StoreError("找不到 PostgreSQL 程序（initdb、pg_ctl）：请安装 postgresql-15 和 postgresql-contrib，"
                         f"或用环境变量 {BINDIR_ENV} 指明它们所在的文件夹")
    if base is None:
        # short: a Unix socket path must stay under ~100 bytes
        base = Path(tempfile.mkdtemp(prefix="kbtui-pg-"))
    else:
        base.mkdir(parents=True, exist_ok=False)
    user = (os.environ.get(USER_ENV) or "nobody") if os.geteuid() == 0 else None
    server = LocalServer(bindir, base, user)
    server.socket_dir.mkdir()
    if user:
        account = pwd.getpwnam(user)
        for path in (base, server.socket_dir):
            os.chown(path, account.pw_uid, account.pw_gid)
    os.chmod(base, 0o700)
    server.run("initdb", "-D", str(server.data), "-U", SUPERUSER, "--auth=trust", "-E", "UTF8",
               "--locale=C.UTF-8", "--no-sync")
    options = {"listen_addresses": "''", "unix_socket_directories": f"'{server.socket_dir}'",
               "max_connections": "100", "shared_buffers": "128MB"}
    if not durable:
        options.update(fsync="off", synchronous_commit="off", full_page_writes="off")
    options.update(settings or {})
    conf = server.data / "postgresql.auto.conf"
    with open(conf, "a", encoding="utf-8") as fh:
        fh.writelines(f"{key} = {value}\n" for key, value in options.items())
    server.start()
    return server
