"""Bulk work (imports, demo building, loading a county's store) with the cyclic garbage collector paused.

Such work allocates millions of small containers (cells, dicts, journal entries) and no reference cycles;
the collector would otherwise run hundreds of passes over the growing heap (measured: it more than
doubles the time of a 100,000-row import).
"""
from __future__ import annotations

import contextlib
import functools
import gc


@contextlib.contextmanager
def paused_gc():
    """Pause the cyclic GC; when the outermost pause ends, what survived the bulk work (new records,
    indexes) is frozen, as ``ChildStore.refresh`` does after a load. Without that, the first collection
    after the pause walks every object the work allocated (0.1-0.2 s after a 100,000-row import), and
    full collections walk the records again now and then. Refcounting still frees them; only cyclic
    garbage made during the pause is left to the process's end."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.freeze()
            gc.enable()


def gc_paused(fn):
    """Decorator: run ``fn`` with the cyclic GC paused."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with paused_gc():
            return fn(*args, **kwargs)
    return wrapper
