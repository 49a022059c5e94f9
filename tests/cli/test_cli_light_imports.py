"""``kbtui --help`` and the command line's start load no heavy library (issue 18): openpyxl, python-calamine
and Textual are imported where they are used (``# heavy: imported where used``)."""
from __future__ import annotations

import subprocess
import sys

PROBE = """
import sys
from click.testing import CliRunner
from kbtui.cli import cli
result = CliRunner().invoke(cli, ["--help"])
assert result.exit_code == 0 and "命令" in result.output, result.output
print(" ".join(sorted(m for m in sys.modules if m.split(".")[0] in {"openpyxl", "python_calamine", "textual"}
                      or m.startswith(("kbtui.excel.writer", "kbtui.excel.cells", "kbtui.tui")))))
"""


def test_help_imports_no_heavy_library():
    out = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, check=True).stdout.split()
    assert out == [], f"imported by kbtui --help: {out[:10]}"


def test_the_excel_package_re_exports_nothing():
    """Its names are imported from the module that defines them (kbtui.api is the only re-export), so that
    ``kbtui.excel.errors`` costs nothing more than itself."""
    import kbtui.excel as excel

    assert not [name for name in vars(excel) if not name.startswith("__")
                and not type(vars(excel)[name]).__name__ == "module"]
