"""A contact's facts: checked, merged key by key in one atomic update, read as of a moment.

A merge is one pipeline update on the contact's document: it drops the keys past retention,
deletes the keys given as null, sets the others, and recomputes when the document expires
and when its first key does. Its filter holds the key limit, so a merge that would leave
more than MAX_FACTS keys matches nothing and changes nothing. Concurrent merges of one
contact never lose each other's keys: each applies to the document as the other left it.
"""

import math
import re
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo.errors import DuplicateKeyError

from app.memory.documents import ContactFacts
from app.memory.spaces import Place
from app.platform.errors import Problem
from app.platform.text import Path, check_free_text

MAX_FACTS = 100
MAX_FACT_TEXT = 1_000
KEY = re.compile(r"[a-z][a-z0-9_]{0,63}")
# BSON keeps integers in 64 bits; JSON has no such bound.
INT64 = range(-(2**63), 2**63)

Value = str | int | float | bool


class FactsFull(Exception):
    """The merge would leave the contact with more than MAX_FACTS keys."""


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


def _entries() -> dict[str, Any]:
    return {"$objectToArray": {"$ifNull": ["$facts", {}]}}


def _kept(now: datetime, deleted: list[str]) -> dict[str, Any]:
    """The stored entries still within retention and not deleted by this merge."""
    alive: dict[str, Any] = {"$gt": ["$$this.v.e", now]}
    cond = {"$and": [alive, {"$not": [{"$in": ["$$this.k", deleted]}]}]} if deleted else alive
    return {"$filter": {"input": _entries(), "cond": cond}}


def _bounds() -> dict[str, Any]:
    expiries = {"$map": {"input": _entries(), "in": "$$this.v.e"}}
    return {"$set": {"expires_at": {"$max": expiries}, "prunes_at": {"$min": expiries}}}


def _room(now: datetime, set_keys: list[str], deleted: list[str]) -> dict[str, Any]:
    # The keys the merge leaves: those kept, and those it sets, counted once.
    kept_keys = {"$map": {"input": _kept(now, deleted), "in": "$$this.k"}}
    left = {"$size": {"$setUnion": [kept_keys, set_keys]}}
    return {"$expr": {"$lte": [left, MAX_FACTS]}}


async def merge_facts(
    place: Place, facts: Mapping[str, Value | None], expires_at: datetime, now: datetime
) -> None:
    """Merge checked facts into the contact's; raises FactsFull, changing nothing."""
    if not facts:
        return
    changed = {key: value for key, value in facts.items() if value is not None}
    deleted = [key for key, value in facts.items() if value is None]
    # $literal: a value such as "$facts" is text, never a field path.
    given = {key: {"$literal": {"v": value, "e": expires_at}} for key, value in changed.items()}
    pipeline = [
        {"$set": {"facts": {"$mergeObjects": [{"$arrayToObject": _kept(now, deleted)}, given]}}},
        _bounds(),
    ]
    condition = {**place.query, **_room(now, list(changed), deleted)}
    collection = ContactFacts.get_pymongo_collection()
    try:
        await collection.update_one(condition, pipeline, upsert=True)
        return
    except DuplicateKeyError:
        # Another merge created the document first, or this one found no room: the filter
        # did not match an existing document, so the upsert tried to insert a second.
        pass
    result = await collection.update_one(condition, pipeline)
    if result.matched_count == 0:
        raise FactsFull()


def current(stored: Mapping[str, Any] | None, now: datetime) -> dict[str, Value]:
    """The facts of a stored document as of `now`: keys past retention are gone."""
    if not stored:
        return {}
    entries: Mapping[str, Mapping[str, Any]] = stored.get("facts") or {}
    return {key: entry["v"] for key, entry in sorted(entries.items()) if entry["e"] > now}


def prune_pipeline(now: datetime) -> list[dict[str, Any]]:
    """The update that drops keys past retention: what the sweep runs."""
    return [{"$set": {"facts": {"$arrayToObject": _kept(now, [])}}}, _bounds()]
