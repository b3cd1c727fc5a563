"""Newest-first pages of a workspace's documents at a cost that does not grow with it.

A page is read as ranges of `seq` (creation order within the workspace) on an index
that starts with the workspace: a range of n numbers holds at most n documents, so what
the database reads is bounded by the range, not by the workspace, even on a database
that gathers every index match before it sorts. Sparse ranges (deleted documents, a
filter few match) widen fourfold until the page is full or the range reaches seq 1.
"""

from collections.abc import Callable
from typing import Any

from pymongo.asynchronous.collection import AsyncCollection

MAX_PAGE = 100
_WIDEN = 4

Row = dict[str, Any]


async def seq_page(
    collection: AsyncCollection[Row],
    query: Row,
    keep: Callable[[Row], bool],
    first: int,
    upper: int,
) -> tuple[list[Row], bool]:
    """`first` rows matching `query` and `keep` with seq below `upper`, and whether more follow."""
    wanted = first + 1
    rows: list[Row] = []
    span = wanted
    while upper > 1 and len(rows) < wanted:
        lower = max(1, upper - span)
        window = {**query, "seq": {"$gte": lower, "$lt": upper}}
        found = await collection.find(window).sort("seq", -1).to_list()
        rows += [row for row in found if keep(row)]
        upper, span = lower, span * _WIDEN
    return rows[:first], len(rows) > first
