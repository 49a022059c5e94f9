"""`pip install .` (a real wheel, not an editable install) ships the stock plugins and the profiles."""
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "-q",
                    "-w", str(work / "dist"), str(ROOT)], check=True, capture_output=True)
    wheel = next((work / "dist").glob("kbtui-*.whl"))
    target = work / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target),
                    str(wheel)], check=True, capture_output=True)
    return target


def run_installed(target: Path, *args: str, cwd: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "PYTHONPATH": str(target), "KBTUI_DISABLE_PLUGINS": ""}
    return subprocess.run([sys.executable, *args], env=env, cwd=cwd, capture_output=True, text=True)


def test_wheel_has_no_generic_top_level_packages(installed):
    assert not (installed / "plugins").exists()
    assert not (installed / "config").exists()
    assert (installed / "kbtui_plugins").is_dir() and (installed / "kbtui_config").is_dir()


def test_installed_kbtui_lists_stock_plugins_and_finds_profiles(installed, tmp_path):
    where = run_installed(installed, "-c", "import kbtui; print(kbtui.__file__)", cwd=tmp_path)
    assert where.stdout.strip().startswith(str(installed)), where
    data = tmp_path / "data"
    init = run_installed(installed, "-m", "kbtui", "--data-dir", str(data), "init", "--profile", "yundou-2022",
                         cwd=tmp_path)
    assert init.returncode == 0, init.stderr
    listed = run_installed(installed, "-m", "kbtui", "--data-dir", str(data), "plugins", "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    plugins = json.loads(listed.stdout)["plugins"]
    stock = [p for p in plugins if p["origin"] == "内置"]
    assert stock and all(p["location"].startswith("kbtui_plugins.") for p in stock)
    assert all(p["error"] is None for p in stock), stock
