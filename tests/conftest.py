"""Shared fixtures: data folders made the way users make them (through the CLI)."""
from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from kbtui.cli import cli
from tests.helpers.access import configure
from tests.helpers.pg_server import pg_database, pg_server  # noqa: F401  (the PostgreSQL fixtures)
from tests.helpers.store_backends import district, store_backend  # noqa: F401  (both backends; a district database)
from tests.helpers.tui import SEED, SMALL

os.environ.setdefault("KBTUI_DISABLE_PLUGINS", "")


def run_cli(*args: str, input: str | None = None, data_dir: Path | None = None, operator: str = "tester"):
    """Run ``kbtui`` with global options in front; returns click's Result."""
    prefix = ["--operator", operator]
    if data_dir is not None:
        prefix = ["--data-dir", str(data_dir)] + prefix
    return CliRunner().invoke(cli, [*prefix, *args], input=input, catch_exceptions=False)


@pytest.fixture
def empty_workspace_dir(tmp_path: Path) -> Path:
    data = tmp_path / "data"
    result = run_cli("init", "--profile", "shuangshan-2024", data_dir=data)
    assert result.exit_code == 0, result.output
    return data


@pytest.fixture(scope="session")
def demo_dir(tmp_path_factory) -> Path:
    """A 1,500-child demo township, built once per test session. Tests must not modify it."""
    data = tmp_path_factory.mktemp("demo") / "data"
    result = run_cli("demo", "--no-tui", "--seed", "7", data_dir=data)
    assert result.exit_code == 0, result.output
    return data


@pytest.fixture
def demo_copy(demo_dir: Path, tmp_path: Path) -> Path:
    """A private copy of the demo data folder that a test may change."""
    import shutil

    target = tmp_path / "demo"
    shutil.copytree(demo_dir, target)
    return target


@pytest.fixture(scope="session")
def small_demo(tmp_path_factory) -> Path:
    """A 300-child demo (seed 7), built once. Tests must not change it: use ``tui_data``."""
    data = tmp_path_factory.mktemp("tui-demo") / "data"
    result = run_cli("demo", "--no-tui", "--seed", str(SEED), "--children", str(SMALL), data_dir=data)
    assert result.exit_code == 0, result.output
    return data


@pytest.fixture
def tui_data(small_demo: Path, tmp_path: Path) -> Path:
    target = tmp_path / "data"
    shutil.copytree(small_demo, target)
    return target


@pytest.fixture
def scoped(tui_data: Path) -> Path:
    configure(tui_data)
    return tui_data
