"""Name search as every page serves it: folded text and the index of its short pieces."""

import unicodedata

GRAM_SIZES = (1, 2, 3)


def folded(text: str) -> str:
    """Text as search compares it: case-folded, without accents."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def search_grams(text: str) -> list[str]:
    """Every 1-, 2- and 3-character piece of the folded text.

    A query of up to three characters is a substring exactly when it is one of these; a
    longer one can only be a substring where its first three characters are one.
    """
    text = folded(text)
    pieces = {text[i : i + n] for n in GRAM_SIZES for i in range(len(text) - n + 1)}
    return sorted(pieces)


def first_gram(search: str) -> str:
    """The piece of a search that picks candidates from the search index."""
    return folded(search)[: GRAM_SIZES[-1]]
