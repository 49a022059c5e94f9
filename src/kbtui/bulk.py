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
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def gc_paused(fn):
    """Decorator: run ``fn`` with the cyclic GC paused."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        with paused_gc():
            return fn(*args, **kwargs)
    return wrapper
