"""Bulk work (imports, loads) runs with the cyclic GC paused and freezes what it leaves alive."""
from __future__ import annotations

import gc

from kbtui.bulk import gc_paused


def test_bulk_work_pauses_the_collector_and_freezes_what_survived():
    @gc_paused
    def build():
        assert not gc.isenabled()
        return [{"n": [i]} for i in range(1000)]     # containers the collector tracks

    before = gc.get_freeze_count()
    kept = build()
    assert gc.isenabled() and gc.get_freeze_count() >= before + len(kept)
    gc.unfreeze()
