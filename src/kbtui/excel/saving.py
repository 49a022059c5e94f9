"""Putting a written workbook on disk: its properties, an atomic save (temporary file next to the target,
``os.replace``), and the clean-up of a half-written one (openpyxl's temporary files hold data)."""
from __future__ import annotations

import os
import tempfile
from pathlib import Path

from openpyxl import Workbook

from kbtui.excel.cells import clean_text
from kbtui.store.owner import keep_owner


def atomic_save(wb: Workbook, path: str | Path) -> Path:
    """Save to a temporary file next to ``path``, then move it into place."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{target.stem}.", suffix=".tmp.xlsx", dir=target.parent)
    try:
        try:
            keep_owner(tmp, fd)             # written as root into a data folder: its owner's
        finally:
            os.close(fd)
        wb.save(tmp)
        with open(tmp, "rb") as fh:
            os.fsync(fh.fileno())
        os.replace(tmp, target)
    except BaseException:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        raise
    return target


_PROPERTY_KEYS = ("creator", "title", "subject", "description", "keywords", "category",
                  "lastModifiedBy", "identifier", "version", "contentStatus")


def set_properties(wb: Workbook, title: str, properties: dict[str, str] | None = None) -> None:
    """The workbook's properties: kbtui as creator, ``title``, then ``properties`` (e.g.
    ``services.access.export_properties``: who exported what scope when); unknown keys are ignored."""
    props = wb.properties
    props.creator = "kbtui 控辍保学工作台"
    props.title = clean_text(title)
    for key, value in (properties or {}).items():
        if key in _PROPERTY_KEYS and value is not None:
            setattr(props, key, clean_text(str(value)))


def _discard_all(wb: Workbook) -> None:
    for ws in wb.worksheets:
        _discard(ws)


def _discard(ws) -> None:
    """Close a half-written write-only sheet and delete openpyxl's temporary file (it holds data)."""
    try:
        if ws._rows is not None:
            ws._rows.close()
        if ws._writer is not None:
            ws._writer.close()
            ws._writer.cleanup()
    except Exception:  # best effort: the caller's exception is what matters
        pass
