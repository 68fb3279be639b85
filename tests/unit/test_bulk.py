"""The collector pause around bulk work: nests, survives errors, and never leaves the collector off."""
from __future__ import annotations

import gc

import pytest

from core.bulk import collector_paused


def test_the_pause_nests_and_the_outermost_restarts_the_collector() -> None:
    assert gc.isenabled()

    @collector_paused()
    def work(depth: int) -> None:
        assert not gc.isenabled()
        if depth:
            work(depth - 1)
        assert not gc.isenabled(), "an inner pause ending must not restart the collector mid-run"

    work(3)
    assert gc.isenabled()


def test_an_error_in_the_work_still_restarts_the_collector() -> None:
    with pytest.raises(KeyError), collector_paused():
        raise KeyError("boom")
    assert gc.isenabled()


def test_a_collector_someone_else_turned_off_stays_off() -> None:
    gc.disable()
    try:
        with collector_paused():
            pass
        assert not gc.isenabled()
    finally:
        gc.enable()
