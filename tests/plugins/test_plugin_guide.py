"""Every plugin example in docs/plugins.md works when dropped into a plugin folder, as a county would."""
import os

import pytest

from kbtui.services.workspace import Workspace
from tests.helpers.plugin_guide import EXAMPLES


def test_the_guide_has_examples():
    assert len(EXAMPLES) >= 4


@pytest.mark.parametrize("number", range(len(EXAMPLES)))
def test_guide_example_loads_and_registers(number, demo_dir, tmp_path):
    folder = tmp_path / "county"
    folder.mkdir()
    os.chmod(folder, 0o755)
    (folder / f"guide_example_{number}.py").write_text(EXAMPLES[number], encoding="utf-8")
    workspace = Workspace.open(demo_dir, "tester", [folder])
    workspace.fill_registries()
    name = f"guide_example_{number}"
    info = {p.name: p for p in workspace.plugins.plugins}[name]
    assert info.error is None, info.error
    assert not [w for w in workspace.warnings if name in w], workspace.warnings
    assert info.registers, f"example {number} registered nothing:\n{EXAMPLES[number]}"
