"""The collector of a served process: what lives at start is frozen, new garbage still goes."""

import gc
import weakref
from collections.abc import Iterator

import pytest

from app.platform import collector


@pytest.fixture
def collector_restored() -> Iterator[None]:
    threshold = gc.get_threshold()
    yield
    gc.unfreeze()
    gc.set_threshold(*threshold)


class _Node:
    def __init__(self) -> None:
        self.itself = self  # a cycle: only the collector frees it


@pytest.mark.usefixtures("collector_restored")
def test_what_lives_at_start_is_left_out_of_collections_and_they_are_rarer() -> None:
    at_start = _Node()
    kept = weakref.ref(at_start)
    collector.settle()
    assert gc.get_threshold() == (collector.YOUNG, collector.OLDER, collector.OLDER)
    del at_start
    gc.collect()
    assert kept() is not None  # frozen: no collection looks at it any more


@pytest.mark.usefixtures("collector_restored")
def test_garbage_made_after_start_is_still_collected() -> None:
    collector.settle()
    made = _Node()
    gone = weakref.ref(made)
    del made
    assert gone() is not None  # a cycle: reference counting alone cannot free it
    gc.collect()
    assert gone() is None
