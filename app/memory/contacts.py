"""The contact's document, changed by one atomic update per record.

A record's update is one pipeline on the contact's document: it drops the fact keys and the
recent conversations past retention, deletes the keys given as null, sets the others, puts
the conversation among the newest MAX_RECENT, and recomputes when the document expires and
when its first entry does. A record that would leave more than MAX_FACTS keys changes
nothing, which the answered document shows (the limit is not in the filter: the embedded
database serves no filter holding `$expr` from an index). Concurrent records of
one contact never lose each other's keys: each applies to the document as the other left it,
and the same record applied twice leaves what it left once.
"""

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from pymongo import ReturnDocument
from pymongo.errors import DuplicateKeyError

from app.memory.documents import Contact, Conversation
from app.memory.facts import MAX_FACTS, Value
from app.memory.spaces import Place
from app.personas.memory_policy import RECALL_CONVERSATIONS

# Conversations a contact's document keeps for call starts: as many as a policy may recall.
MAX_RECENT = RECALL_CONVERSATIONS[1]
_PLACE_FIELDS = ("workspace_id", "space", "contact")
ATTEMPTS = 3
_NEWEST_FIRST = {"ended_at": -1, "_id": -1}


class FactsFull(Exception):
    """The record would leave the contact with more than MAX_FACTS keys."""


def _facts() -> dict[str, Any]:
    return {"$objectToArray": {"$ifNull": ["$facts", {}]}}


def _kept_facts(now: datetime, deleted: list[str]) -> dict[str, Any]:
    """The stored facts still within retention and not deleted by this record."""
    alive: dict[str, Any] = {"$gt": ["$$this.v.e", now]}
    cond = {"$and": [alive, {"$not": [{"$in": ["$$this.k", deleted]}]}]} if deleted else alive
    return {"$arrayToObject": {"$filter": {"input": _facts(), "cond": cond}}}


def _kept_recent(now: datetime, replaced: object = None) -> dict[str, Any]:
    """The recent conversations still within retention, but the one this record replaces."""
    recent = {"$ifNull": ["$recent", []]}
    alive: dict[str, Any] = {"$gt": ["$$this.expires_at", now]}
    if replaced is not None:
        # A record remembered twice (a retry finishing a first cut short) is kept once.
        alive = {"$and": [alive, {"$ne": ["$$this._id", replaced]}]}
    return {"$filter": {"input": recent, "cond": alive}}


def _bounds() -> dict[str, Any]:
    expiries = {
        "$concatArrays": [
            {"$map": {"input": _facts(), "in": "$$this.v.e"}},
            {"$map": {"input": {"$ifNull": ["$recent", []]}, "in": "$$this.expires_at"}},
        ]
    }
    return {"$set": {"expires_at": {"$max": expiries}, "prunes_at": {"$min": expiries}}}


def recent_entry(conversation: Conversation) -> dict[str, Any]:
    """A conversation as the contact's document keeps it."""
    stored = conversation.model_dump(by_alias=True, exclude={"idempotency_key", "recorded_at"})
    return {key: value for key, value in stored.items() if key not in _PLACE_FIELDS}


def _record(
    now: datetime, given: dict[str, Any], deleted: list[str], entry: dict[str, Any]
) -> list[dict[str, Any]]:
    facts = {"$mergeObjects": [_kept_facts(now, deleted), given]}
    newest = {"$concatArrays": [_kept_recent(now, entry["_id"]), [{"$literal": entry}]]}
    recent = {"$slice": [{"$sortArray": {"input": newest, "sortBy": _NEWEST_FIRST}}, MAX_RECENT]}
    fits = {"$lte": [{"$size": {"$objectToArray": "$merging"}}, MAX_FACTS]}
    return [
        {"$set": {"merging": facts}},
        {
            "$set": {
                "facts": {"$cond": [fits, "$merging", "$facts"]},
                "recent": {"$cond": [fits, recent, "$recent"]},
            }
        },
        {"$unset": "merging"},
        _bounds(),
    ]


async def remember(
    place: Place,
    conversation: Conversation,
    facts: Mapping[str, Value | None],
    facts_expire: datetime,
    now: datetime,
) -> None:
    """Merge checked facts and keep the conversation among the newest; raises FactsFull,
    changing nothing."""
    changed = {key: value for key, value in facts.items() if value is not None}
    deleted = [key for key, value in facts.items() if value is None]
    # $literal: a value such as "$facts" is text, never a field path.
    given = {key: {"$literal": {"v": value, "e": facts_expire}} for key, value in changed.items()}
    pipeline = _record(now, given, deleted, recent_entry(conversation))
    collection = Contact.get_pymongo_collection()
    # The filter is the contact's identity alone, which its unique index serves. Two records
    # creating the document at once: one insert fails on that index (or, on the embedded
    # database, answers no document), and is done again, which is safe: a record applied twice
    # leaves what it left once.
    after = None
    for attempt in range(ATTEMPTS):
        try:
            after = await collection.find_one_and_update(
                place.query,
                pipeline,
                projection={"facts": 1},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            if attempt == ATTEMPTS - 1:
                raise
        if after is not None:
            break
    else:
        after = await collection.find_one(place.query, {"facts": 1})
    # Refused, the facts are as they were, so a key it sets is missing: a record over the limit
    # sets at least one key the contact did not have. Applied, every key it sets is there.
    kept = (after or {}).get("facts") or {}
    if any(key not in kept for key in changed):
        raise FactsFull()


def prune_pipeline(now: datetime) -> list[dict[str, Any]]:
    """The update that drops entries past retention: what the sweep runs."""
    kept = {"facts": _kept_facts(now, []), "recent": _kept_recent(now)}
    return [{"$set": kept}, _bounds()]
