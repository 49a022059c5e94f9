"""The items of a large JSON object, parsed about a megabyte at a time.

A bulk insert line of the journal (~35 MB at 100,000 children) and a large store file (a collection of
~50,000 tasks: ~15 MB) parsed whole take seven to ten times their size in Python objects; verification
needs their records one after the other only. ``object_items`` parses the ``"key":value`` items between
``start`` and ``end`` (inside the object's braces) in chunks: a chunk ends after a ``}`` followed by ``,"``
(a bare ``"`` only ever starts or ends a string, so that is a place between two values); when the cut falls
inside a value its braces stay open, the chunk does not parse, and the cut moves on to the next such place.
"""
from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import orjson

CHUNK = 1 << 20


def object_items(buf: bytes, start: int, end: int, chunk: int = CHUNK) -> Iterator[tuple[str, Any]]:
    """(key, value) of the object whose items span ``buf[start:end]``; ValueError if they do not parse.
    Values must be objects (records), which is what makes ``},"`` a cut between two of them."""
    pos = start
    while pos < end:
        cut = min(pos + chunk, end)
        while True:
            if cut < end:
                found = buf.find(b'},"', cut - 1, end)
                cut = end if found < 0 else found + 1
            try:
                part = orjson.loads(b"{" + buf[pos:cut] + b"}")
            except orjson.JSONDecodeError:
                if cut >= end:
                    raise ValueError("the object's items do not parse") from None
                cut += 1
                continue
            break
        if not isinstance(part, dict):
            raise ValueError("the object's items do not parse")
        yield from part.items()
        pos = cut + 1                       # past the comma between two items


__all__ = ["CHUNK", "object_items"]
