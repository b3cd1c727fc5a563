"""Checks every text input shares, and the field paths problems are reported at.

Two kinds of text: names, which people pick things by in lists and logs and which must
therefore look like what they are (`check_name`), and free text such as prompts and notes,
which may hold anything a person can type (`check_free_text`).
"""

import unicodedata

from app.platform.errors import Problem

Path = tuple[str, ...]

NUL = "\x00"
# Overrides, embeddings and isolates reorder the text around them: "Front desk \u202egnp.exe"
# displays as "Front desk exe.png". The marks U+200E, U+200F and U+061C are allowed: they
# reorder nothing beyond the neutral characters next to them, and a name mixing Hebrew or
# Arabic with Latin, digits or punctuation needs them to display in its writer's order.
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")
# Letters by category, yet rendered as nothing: the Hangul fillers and the braille blank.
BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0\u2800")
# Letters, numbers, punctuation and symbols draw something; marks need a base, and format
# characters (zero-width space, joiners, word joiner, BOM), separators, private-use and
# unassigned code points may draw nothing at all.
VISIBLE_CATEGORIES = frozenset("LNPS")


def _has_surrogate(value: str) -> bool:
    # A Python string holds a surrogate only when it is unpaired: JSON pairs become one character.
    return any("\ud800" <= char <= "\udfff" for char in value)


def _is_visible(char: str) -> bool:
    return unicodedata.category(char)[0] in VISIBLE_CATEGORIES and char not in BLANK_LETTERS


def check_text(value: str, path: Path, label: str, limit: int) -> list[Problem]:
    """A required free text: not blank, at most `limit` characters, and `check_free_text`."""
    if not value.strip():
        return [Problem(path, f"{label} must not be empty.")]
    if len(value) > limit:
        return [Problem(path, f"{label} must be at most {limit} characters.")]
    return check_free_text(value, path, label)


def check_free_text(value: str, path: Path, label: str) -> list[Problem]:
    """Any text a person can type: everything but NUL and unpaired surrogates.

    NUL ends strings in C and in many logs and terminals downstream; a lone surrogate is no
    character at all and cannot be encoded as UTF-8.
    """
    if _has_surrogate(value):
        return [Problem(path, f"{label} must not contain unpaired surrogates.")]
    if NUL in value:
        return [Problem(path, f"{label} must not contain a NUL character.")]
    return []


def check_name(value: str, path: Path, label: str, max_length: int) -> tuple[str, list[Problem]]:
    """The name as it must be stored (NFC, without surrounding whitespace), and its problems.

    A name must show at least one visible character and hold no control character, line or
    paragraph separator, or bidirectional override, embedding or isolate. Store the returned
    value only when there are no problems.
    """
    if _has_surrogate(value):
        return value, [Problem(path, f"{label} must not contain unpaired surrogates.")]
    # NFC first, so that the length and every later rule see what will be stored and two
    # spellings of one name ("é" and "e" + U+0301) are one name.
    name = unicodedata.normalize("NFC", value).strip()
    if NUL in name:
        return name, [Problem(path, f"{label} must not contain a NUL character.")]
    if not name:
        return name, [Problem(path, f"{label} must not be empty.")]
    if len(name) > max_length:
        return name, [Problem(path, f"{label} must be at most {max_length} characters.")]
    problems: list[Problem] = []
    categories = {unicodedata.category(char) for char in name}
    if categories & {"Cc", "Zl", "Zp"}:
        message = f"{label} must not contain control characters or line breaks."
        problems.append(Problem(path, message))
    if not BIDI_CONTROLS.isdisjoint(name):
        message = f"{label} must not contain bidirectional override, embedding or isolate controls."
        problems.append(Problem(path, message))
    if not any(_is_visible(char) for char in name):
        problems.append(Problem(path, f"{label} must contain at least one visible character."))
    return name, problems
