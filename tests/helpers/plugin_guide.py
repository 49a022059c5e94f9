"""The plugin examples of docs/plugins.md, as the guide shows them."""
from __future__ import annotations

import re
from pathlib import Path

GUIDE = Path(__file__).resolve().parents[2] / "docs" / "plugins.md"
BLOCKS = re.findall(r"```python\n(.*?)```", GUIDE.read_text(encoding="utf-8"), re.S)
# the examples that are whole plugins (no elided bodies)
EXAMPLES = [block for block in BLOCKS
            if "@kbtui.hookimpl" in block and "import kbtui" in block and not re.search(r"^\s+\.\.\.$", block, re.M)]
