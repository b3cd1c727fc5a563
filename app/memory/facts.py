"""A contact's facts: a flat object of at most MAX_FACTS keys, checked, and read as of a moment
(app.memory.contacts merges them)."""

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from app.platform.errors import Problem
from app.platform.text import Path, check_free_text

MAX_FACTS = 100
MAX_FACT_TEXT = 1_000
KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
# BSON keeps integers in 64 bits; JSON has no such bound.
INT64 = range(-(2**63), 2**63)

Value = str | int | float | bool


def _check_value(value: object, path: Path) -> list[Problem]:
    if value is None or isinstance(value, bool):
        return []
    if isinstance(value, int | float):
        if isinstance(value, float) and not math.isfinite(value):
            return [Problem(path, "A fact's number must be finite.")]
        if isinstance(value, int) and value not in INT64:
            return [Problem(path, "A fact's integer must fit in 64 bits.")]
        return []
    if isinstance(value, str):
        if len(value) > MAX_FACT_TEXT:
            return [Problem(path, f"A fact's text must be at most {MAX_FACT_TEXT} characters.")]
        return check_free_text(value, path, "A fact")
    return [Problem(path, "A fact must be a string, a number, a boolean or null.")]


def check_facts(facts: object, path: Path) -> list[Problem]:
    """A flat object of at most MAX_FACTS keys; keys and values as the contract says."""
    if facts is None:
        return []
    if not isinstance(facts, dict):
        return [Problem(path, "facts must be a JSON object of keys and values.")]
    if len(facts) > MAX_FACTS:
        return [Problem(path, f"facts may hold at most {MAX_FACTS} keys.")]
    problems: list[Problem] = []
    for key, value in facts.items():
        if not KEY.fullmatch(key):
            # The key is not quoted: a fact key may be personal data.
            problems.append(Problem(path, "Fact keys must match ^[a-z][a-z0-9_]{0,63}$."))
            continue
        problems += _check_value(value, (*path, key))
    return problems


def current(stored: Mapping[str, Any] | None, now: datetime) -> dict[str, Value]:
    """The facts of a stored document as of `now`: keys past retention are gone."""
    if not stored:
        return {}
    entries: Mapping[str, Mapping[str, Any]] = stored.get("facts") or {}
    return {key: entry["v"] for key, entry in sorted(entries.items()) if entry["e"] > now}
