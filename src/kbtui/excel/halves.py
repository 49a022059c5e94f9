"""Reading one large .xlsx sheet on two cores.

python-calamine parses a sheet's XML without holding the GIL, but one sheet on one thread: most of a
100,000-row import's reading time is that one parse, while the server's second core waits. For a large
sheet the XML is cut in two at a ``<row>`` boundary; each half is wrapped into a small in-memory
workbook (the same workbook part, styles and shared strings: numbers, dates and texts read the same), kept
in memory, and parsed on its own thread, the second half being unzipped while the first one parses. The two grids are
joined at their rows' own positions (``<row r="…">``).

Anything unexpected (a prefixed namespace, rows without positions, a sheet calamine places differently,
any error) gives ``None``: the caller then parses the sheet whole, as before. So does a half in which
``limits.looks_far`` finds a cell it must count (the caller's whole check counts them): each half is
looked at before it is parsed, the second one while the first one parses.
"""
from __future__ import annotations

import contextlib
import functools
import os
import posixpath
import re
import tempfile
import zipfile
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any
from xml.etree import ElementTree

from kbtui.excel.limits import looks_far

#: Sheets whose XML is smaller than this are parsed whole: splitting them saves too little.
MIN_SPLIT_BYTES = 4_000_000

_SHEET_DATA, _SHEET_DATA_END = b"<sheetData>", b"</sheetData>"
_ROW_AT = re.compile(rb'<row\s[^>]*?(?<![\w:])r="(\d+)"')
_KEEP_PARTS = ("/sharedStrings", "/styles")   # workbook relationships whose parts change how cells read
_FIXED_PARTS = frozenset({"xl/styles.xml", "xl/sharedstrings.xml"})


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return os.cpu_count() or 1


def _rels(archive: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """A part's relationships: id → (type, target path inside the archive)."""
    folder, name = posixpath.split(part)
    rels_path = posixpath.join(folder, "_rels", name + ".rels")
    found = {}
    for rel in ElementTree.fromstring(archive.read(rels_path)):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(posixpath.join(folder, target))
        found[rel.get("Id", "")] = (rel.get("Type", ""), path)
    return found


def workbook_parts(archive: zipfile.ZipFile, index: int, name: str) -> tuple[str, list[str]]:
    """(the sheet's part, the other parts a half needs) for the workbook's ``index``-th sheet."""
    workbook = next(path for kind, path in _rels(archive, "").values() if kind.endswith("/officeDocument"))
    sheets = [el for el in ElementTree.fromstring(archive.read(workbook)).iter() if el.tag.endswith("}sheet")]
    sheet = sheets[index]
    if sheet.get("name") != name:
        raise ValueError("sheet order differs from calamine's")
    rel_id = next(v for k, v in sheet.attrib.items() if k.endswith("}id"))
    rels = _rels(archive, workbook)
    folder, base = posixpath.split(workbook)
    keep = ["[Content_Types].xml", "_rels/.rels", workbook, posixpath.join(folder, "_rels", base + ".rels")]
    keep += [path for kind, path in rels.values() if kind.endswith(_KEEP_PARTS) and path in archive.NameToInfo]
    # calamine opens styles and shared strings by their usual names, whatever the relationships say
    keep += [part for part in archive.NameToInfo if part.lower() in _FIXED_PARTS]
    return rels[rel_id][1], list(dict.fromkeys(keep))


@functools.cache
def in_memory() -> bool:
    """Whether in-memory files work here (no memfd off Linux; it may be blocked in a container)."""
    if not hasattr(os, "memfd_create") or not os.path.isdir("/proc/self/fd"):
        return False
    try:
        os.close(os.memfd_create("kbtui-probe", os.MFD_CLOEXEC))
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _scratch(folder: str | None, name: str) -> Iterator[Path]:
    """A file for one half. In memory where Linux offers it (``memfd``, ``folder`` None): the list's
    personal data never reaches the disk and nothing is left behind if the process is killed. Else in
    ``folder``, a private (0700) temporary folder, deleted as soon as the half is parsed."""
    if folder is None:
        fd = os.memfd_create(name, os.MFD_CLOEXEC)
        try:
            yield Path(f"/proc/self/fd/{fd}")
        finally:
            os.close(fd)
        return
    path = Path(folder, name)
    try:
        yield path
    finally:
        path.unlink(missing_ok=True)


def parse_half(common: dict[str, bytes], member: str, pieces: list, index: int, scratch):
    """Write a half as a workbook of its own (uncompressed: nothing to unzip again) and parse it. The
    pieces are let go once written: the parse reads the file, not memory."""
    from python_calamine import CalamineWorkbook

    with scratch as path:
        with zipfile.ZipFile(path, "w", zipfile.ZIP_STORED) as out:
            for part, data in common.items():
                out.writestr(part, data)
            with out.open(member, "w", force_zip64=True) as fh:
                for piece in pieces:
                    fh.write(piece)
        pieces.clear()
        return CalamineWorkbook.from_path(str(path)).get_sheet_by_index(index)


def read_in_halves(path: Path, index: int, name: str,
                   min_bytes: int | None = None) -> tuple[list[list[Any]], list] | None:
    """The grid (as ``to_python(skip_empty_area=False)`` gives it) and merged ranges of the workbook's
    ``index``-th sheet, parsed in two halves on two threads; ``None`` if the sheet is small, the machine
    has one core, or anything about the file is unexpected."""
    if _cores() < 2:
        return None
    try:
        with zipfile.ZipFile(path) as archive:
            member, keep = workbook_parts(archive, index, name)
            size = archive.getinfo(member).file_size
            if size < (MIN_SPLIT_BYTES if min_bytes is None else min_bytes):
                return None
            common = {part: archive.read(part) for part in keep}
            with contextlib.ExitStack() as stack:      # on leaving: the threads end, then the folder goes
                folder = None if in_memory() else stack.enter_context(tempfile.TemporaryDirectory(prefix="kbtui-"))
                pool = stack.enter_context(ThreadPoolExecutor(2, thread_name_prefix="kbtui-xlsx"))
                fh = stack.enter_context(archive.open(member))

                first = fh.read(size // 2)
                start = first.find(_SHEET_DATA)
                if start < 0 or not first[:200].lstrip().startswith((b"<?xml", b"<worksheet")):
                    return None
                row_at = last_row_start(first, start)
                if row_at is None:
                    return None
                cut = row_at.start()
                if looks_far(first, start, cut):            # the first half, before it is parsed
                    return None
                view = memoryview(first)
                closing = _SHEET_DATA_END + b"</worksheet>"
                one = pool.submit(parse_half, common, member, [view[:cut], closing], index,
                                  _scratch(folder, "kbtui-half-1.xlsx"))
                rest = fh.read()                      # unzipped while the first half parses
                if rest.rfind(_SHEET_DATA_END) < 0 or looks_far(first[cut:] + rest[:4096], 0, len(first) - cut) \
                        or looks_far(rest):                 # the second half, while the first one parses
                    one.result()
                    return None
                two = pool.submit(parse_half, common, member, [view[:start + len(_SHEET_DATA)], view[cut:], rest],
                                  index, _scratch(folder, "kbtui-half-2.xlsx"))
                del view, first, rest
                return _join(one, two, int(row_at.group(1)) - 1)
    except BaseException as err:      # a panic inside calamine too: the whole parse says what is wrong
        if not isinstance(err, Exception) and type(err).__name__ != "PanicException":
            raise
        return None


def last_row_start(xml: bytes, after: int) -> re.Match[bytes] | None:
    """The last ``<row r="…">`` tag wholly inside ``xml`` (the read may end in the middle of one)."""
    end = len(xml)
    for _ in range(2):
        cut = xml.rfind(b"<row ", after, end)
        if cut < 0:
            return None
        found = _ROW_AT.match(xml, cut)
        if found is not None:
            return found
        end = cut
    return None


def _join(first: Future, second: Future, second_row: int) -> tuple[list[list[Any]], list] | None:
    """Both halves' grids as one, each row at its own position; ``None`` if calamine placed them unlike
    a whole parse would."""
    one = first.result()
    grid = one.to_python(skip_empty_area=False)      # the first half's rows, from A1, while the second parses
    two = second.result()
    if two.start is None:
        return None if one.end is None else (grid, two.merged_cell_ranges)
    (top, left), (_bottom, right) = two.start, two.end
    height = len(grid)
    if top < second_row or second_row < height:
        return None                                   # rows out of order, or positions calamine made up
    width = max(len(grid[0]) if grid else 0, right + 1)
    if grid and len(grid[0]) < width:
        for row in grid:
            row.extend([""] * (width - len(row)))
    grid.extend([""] * width for _ in range(top - height))
    rest = two.to_python(skip_empty_area=True)
    if left or right + 1 < width:
        pad_left, pad_right = [""] * left, [""] * (width - right - 1)
        rest = [pad_left + row + pad_right for row in rest]
    grid.extend(rest)
    return grid, two.merged_cell_ranges
