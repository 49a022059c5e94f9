"""Every plugin example in docs/plugins.md works when dropped into a plugin folder, as a county would."""
import os
import re
from pathlib import Path

import pytest

from kbtui.services.workspace import Workspace

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
EXAMPLES = [block for block in re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
            if "@kbtui.hookimpl" in block and "import kbtui" in block and not re.search(r"^\s+\.\.\.$", block, re.M)]


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
