"""Cursor pagination shared by every connection."""

from collections.abc import Callable, Sequence
from typing import Protocol, Self, TypeVar

import strawberry

from app.platform.pages import MAX_PAGE
from graphql_schema.arguments import bad_user_input


class Edge(Protocol):
    cursor: str


@strawberry.type
class PageInfo:
    has_next_page: bool
    has_previous_page: bool
    start_cursor: str | None
    end_cursor: str | None

    @classmethod
    def of(cls, edges: Sequence[Edge], has_next: bool, has_previous: bool) -> Self:
        return cls(
            has_next_page=has_next,
            has_previous_page=has_previous,
            start_cursor=edges[0].cursor if edges else None,
            end_cursor=edges[-1].cursor if edges else None,
        )


def page_size(first: int | None) -> int:
    """`first` as given, 20 when null; a GraphQL error outside 0..MAX_PAGE."""
    first = 20 if first is None else first
    if not 0 <= first <= MAX_PAGE:
        raise bad_user_input(f"first must be between 0 and {MAX_PAGE}.")
    return first


T = TypeVar("T")


def after_cursor(after: str | None, decode: Callable[[str], T | None]) -> T | None:
    """The position an `after` argument names; a GraphQL error for a cursor not made by us."""
    if after is None:
        return None
    position = decode(after)
    if position is None:
        raise bad_user_input("after is not a cursor returned by this API.")
    return position
