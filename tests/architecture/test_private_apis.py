"""The private names of Textual and openpyxl (and et_xmlfile, openpyxl's XML writer) that kbtui relies on,
where neither offers a public way, are still there and still of the shape the code uses.

``kbtui.tui.textual_private`` (bindings with an id, a node's bindings as remapped), ``kbtui.tui.textual_words``
(the palette's "No matches found" in Chinese, the header icon's tooltip) and ``kbtui.excel.data_rows`` (the fast
row writer) use them; pyproject.toml pins the versions they were tested with. After an upgrade, a failure
here names what changed: adapt those modules (or the slow public path takes over: ``slow_cells``), then move
the pin.
"""
from __future__ import annotations

import importlib
import inspect
import io
import sys
from importlib.metadata import version

import pytest

# name -> (module, dotted attribute path, parameters of a callable or None for any other value)
PRIVATE = {
    # Textual: bindings
    "textual.dom.DOMNode._bindings": ("textual.dom", "DOMNode.__init__", None),
    "textual.binding.BindingsMap._add_binding": ("textual.binding", "BindingsMap._add_binding", ["self", "binding"]),
    "textual.binding.BindingsMap.__iter__": ("textual.binding", "BindingsMap.__iter__", ["self"]),
    # Textual: the command palette's "No matches found"
    "textual.command.CommandPalette._start_no_matches_countdown": (
        "textual.command", "CommandPalette._start_no_matches_countdown", ["self", "search_value"]),
    "textual.command.CommandPalette._NO_MATCHES": ("textual.command", "CommandPalette._NO_MATCHES", None),
    "textual.command.CommandPalette._NO_MATCHES_COUNTDOWN": (
        "textual.command", "CommandPalette._NO_MATCHES_COUNTDOWN", None),
    "textual.command.CommandPalette._list_visible": ("textual.command", "CommandPalette._list_visible", None),
    # Textual: the header icon, found by its type name
    "textual.widgets._header.HeaderIcon": ("textual.widgets._header", "HeaderIcon", None),
    # openpyxl: the write-only sheet's row hook and writer
    "openpyxl.worksheet._write_only.WriteOnlyWorksheet._values_to_row": (
        "openpyxl.worksheet._write_only", "WriteOnlyWorksheet._values_to_row", ["self", "values", "row_idx"]),
    "openpyxl.worksheet._write_only.WriteOnlyWorksheet._get_writer": (
        "openpyxl.worksheet._write_only", "WriteOnlyWorksheet._get_writer", ["self"]),
    "openpyxl.worksheet._write_only.WriteOnlyWorksheet._writer": (
        "openpyxl.worksheet._write_only", "WriteOnlyWorksheet._writer", None),
    "openpyxl.worksheet._write_only.WriteOnlyWorksheet._rows": (
        "openpyxl.worksheet._write_only", "WriteOnlyWorksheet._rows", None),
    "openpyxl.worksheet._writer.WorksheetWriter.write_row": (
        "openpyxl.worksheet._writer", "WorksheetWriter.write_row", ["self", "xf", "row", "row_idx"]),
    "openpyxl.worksheet._writer.WorksheetWriter.close": ("openpyxl.worksheet._writer", "WorksheetWriter.close",
                                                         ["self"]),
    "openpyxl.worksheet._writer.WorksheetWriter.cleanup": ("openpyxl.worksheet._writer",
                                                           "WorksheetWriter.cleanup", ["self"]),
    # openpyxl: a cell's stored value and style array, the workbook's style list
    "openpyxl.cell.cell.Cell._value": ("openpyxl.cell.cell", "Cell.__slots__", None),
    "openpyxl.styles.styleable.StyleableObject._style": ("openpyxl.styles.styleable", "StyleableObject.__slots__",
                                                         None),
    "openpyxl.styles.styleable.StyleableObject.style_id": ("openpyxl.styles.styleable",
                                                           "StyleableObject.style_id", None),
    "openpyxl.workbook.workbook.Workbook._cell_styles": ("openpyxl.workbook.workbook", "Workbook.__init__", None),
    # et_xmlfile: the incremental writer's text output
    "et_xmlfile.xmlfile._IncrementalFileWriter": ("et_xmlfile.xmlfile", "_IncrementalFileWriter.__init__",
                                                  ["self", "output_file"]),
    # the standard library: how et_xmlfile escapes text (data_rows.row_xml escapes the same way)
    "xml.etree.ElementTree._escape_cdata": ("xml.etree.ElementTree", "_escape_cdata", ["text"]),
}


def _lookup(module: str, path: str):
    value = importlib.import_module(module)
    for part in path.split("."):
        value = getattr(value, part)
    return value


@pytest.mark.parametrize("name", PRIVATE)
def test_private_name_is_there_with_its_shape(name):
    module, path, parameters = PRIVATE[name]
    try:
        value = _lookup(module, path)
    except (ImportError, AttributeError) as err:
        pytest.fail(f"{name} is gone in {_release(module)} ({err}): adapt the code that uses it (see this "
                    f"test's docstring), then move the pin in pyproject.toml")
    if parameters is not None:
        found = list(inspect.signature(value).parameters)
        assert found == parameters, (f"{name} changed its signature in {_release(module)}: {found}, expected "
                                     f"{parameters}")


def _release(module: str) -> str:
    package = module.split(".")[0]
    if package == "xml":
        return f"Python {sys.version.split()[0]}"
    return f"{package} {version(package.replace('_', '-'))}"


def test_the_private_attributes_are_set_where_the_code_reads_them():
    """Attributes that exist only on instances (or in ``__slots__``): made for real and looked at."""
    from openpyxl import Workbook
    from openpyxl.cell.cell import Cell
    from openpyxl.styles import Font
    from textual.app import App
    from textual.binding import Binding, BindingsMap

    wb = Workbook(write_only=True)
    ws = wb.create_sheet()
    assert ws._writer is None and ws._rows is None, "openpyxl write-only sheet: _writer/_rows not None at first"
    ws._get_writer()
    assert ws._writer is not None, "openpyxl WriteOnlyWorksheet._get_writer() no longer sets _writer"
    ws._writer.close()
    ws._writer.cleanup()
    assert hasattr(wb._cell_styles, "add"), "openpyxl Workbook._cell_styles has no add()"
    cell = Cell(Workbook().active)
    assert "_value" in Cell.__slots__ and cell._value is None, "openpyxl Cell._value is gone"
    cell.font = Font(bold=True)
    assert cell._style is not None and wb._cell_styles.add(cell._style) >= 0, "openpyxl Cell._style is gone"

    from et_xmlfile import xmlfile

    with xmlfile(io.BytesIO()) as xf, xf.element("worksheet"):
        assert callable(getattr(xf, "_file", None)) and xf._element_stack, (
            "et_xmlfile's incremental writer lost _file (its text output) or _element_stack")

    app = App()
    assert isinstance(app._bindings, BindingsMap), "Textual DOMNode._bindings is no BindingsMap"
    app._bindings._add_binding(Binding("f9", "app.bell", "响铃", id="test.bell"))
    found = [(key, binding.id) for key, binding in app._bindings if binding.id == "test.bell"]
    assert found == [("f9", "test.bell")], "Textual BindingsMap: iteration no longer yields (key, Binding)"


def test_the_versions_in_use_are_the_pinned_ones():
    """The pins of pyproject.toml hold in this environment (so the checks above ran on the pinned versions)."""
    import tomllib
    from pathlib import Path

    from packaging.requirements import Requirement

    project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml").read_text(encoding="utf-8"))
    pins = {r.name: r for r in map(Requirement, project["project"]["dependencies"])}
    for name in ("textual", "openpyxl", "et-xmlfile"):
        assert pins[name].specifier.contains(version(name)), f"{name} {version(name)} is outside {pins[name]}"
        assert any(s.operator == "<" for s in pins[name].specifier), f"{name} is not pinned below a next minor"
