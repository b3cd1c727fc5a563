"""Source texts cut into passages of at most MAX_CHARS characters.

A chunk is as many whole paragraphs as fit; a paragraph too long for one is cut into as
many whole sentences as fit, a sentence too long into whole words, and a word too long
(a URL, a base64 blob) into slices. A part cut from a longer one is never packed with its
neighbours, so every chunk ends at the widest boundary there is. The result depends on the
text alone: the same text always gives the same chunks at the same offsets.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass

MAX_CHARS = 2_000

_PARAGRAPH_BREAK = re.compile(r"\n[^\S\n]*\n\s*")
# A sentence ends at . ! ? (and the Arabic question mark, CJK and full-width stops, the
# ellipsis), perhaps followed by closing quotes or brackets, where whitespace follows.
_SENTENCE_END = re.compile(
    "[.!?\u061f\u3002\uff01\uff1f\u2026]+[\"'\u201d\u2019\u00bb)\\]]*(?=\\s)"
)
_WORD = re.compile(r"\S+")

Span = tuple[int, int]


@dataclass(frozen=True)
class Chunk:
    start: int  # the character offset of `text` in the source text
    text: str


def _trimmed(text: str, start: int, end: int) -> Span | None:
    """The span without surrounding whitespace; None if nothing else is in it."""
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if start < end else None


def _paragraphs(text: str, start: int, end: int, limit: int) -> Iterator[Span]:
    at = start
    for found in _PARAGRAPH_BREAK.finditer(text, start, end):
        if (span := _trimmed(text, at, found.start())) is not None:
            yield span
        at = found.end()
    if (span := _trimmed(text, at, end)) is not None:
        yield span


def _sentences(text: str, start: int, end: int, limit: int) -> Iterator[Span]:
    at = start
    for found in _SENTENCE_END.finditer(text, start, end):
        if (span := _trimmed(text, at, found.end())) is not None:
            yield span
        at = found.end()
    if (span := _trimmed(text, at, end)) is not None:
        yield span


def _words(text: str, start: int, end: int, limit: int) -> Iterator[Span]:
    for found in _WORD.finditer(text, start, end):
        yield found.span()


def _pieces(text: str, start: int, end: int, limit: int) -> Iterator[Span]:
    """The last resort: slices of at most `limit` characters."""
    for at in range(start, end, limit):
        yield at, min(end, at + limit)


Splitter = Callable[[str, int, int, int], Iterator[Span]]
# Widest first: paragraphs, then sentences, then words, then plain slices.
_LEVELS: tuple[Splitter, ...] = (_paragraphs, _sentences, _words, _pieces)


def _spans(text: str, start: int, end: int, level: int, limit: int) -> Iterator[Span]:
    """Chunk spans of text[start:end], packing its parts at `level` while they fit."""
    packed: Span | None = None
    for part_start, part_end in _LEVELS[level](text, start, end, limit):
        if part_end - part_start > limit:
            if packed is not None:
                yield packed
                packed = None
            yield from _spans(text, part_start, part_end, level + 1, limit)
        elif packed is not None and part_end - packed[0] <= limit:
            packed = (packed[0], part_end)
        else:
            if packed is not None:
                yield packed
            packed = (part_start, part_end)
    if packed is not None:
        yield packed


def chunk(text: str, limit: int = MAX_CHARS) -> list[Chunk]:
    """The chunks of `text`, in order; whitespace between them belongs to none."""
    if not 1 <= limit <= MAX_CHARS:
        raise ValueError(f"limit must be 1 to {MAX_CHARS}")
    return [Chunk(start, text[start:end]) for start, end in _spans(text, 0, len(text), 0, limit)]
