"""ruff and mypy, configured in pyproject.toml, run as part of the suite so the README's test command
(and so CI) covers them. Both come with the test extra (``pip install -e '.[test]'``)."""
from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
LINTED = ["src", "plugins", "tests", "benchmarks", "scripts", "setup.py"]


def run_tool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", *args], cwd=ROOT, capture_output=True, text=True,
                          encoding="utf-8", timeout=300)


def test_ruff_finds_nothing():
    done = run_tool("ruff", "check", "--no-cache", "--output-format", "concise", *LINTED)
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_finds_nothing_in_domain_store_and_services(tmp_path):
    done = run_tool("mypy", "--cache-dir", str(tmp_path / "mypy"))     # files and settings: pyproject.toml
    assert done.returncode == 0, done.stdout + done.stderr


def test_mypy_covers_at_least_the_lower_layers():
    files = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["tool"]["mypy"]["files"]
    assert {"src/kbtui/domain", "src/kbtui/store", "src/kbtui/services"} <= set(files)
