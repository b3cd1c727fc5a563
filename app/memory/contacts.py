"""The contact's document, changed by one atomic update per record.

A record's update is one pipeline on the contact's document: it drops the fact keys and the
recent conversations past retention, deletes the keys given as null, sets the others, puts
the conversation among the newest MAX_RECENT, and recomputes when the document expires and
when its first entry does. A record that would leave more than MAX_FACTS keys changes
nothing but a flag, which the answered document shows (the limit is not in the filter: the
embedded database serves no filter holding `$expr` from an index). Concurrent records of
one contact never lose each other's keys: each applies to the document as the other left it.
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


def _kept_recent(now: datetime) -> dict[str, Any]:
    recent = {"$ifNull": ["$recent", []]}
    return {"$filter": {"input": recent, "cond": {"$gt": ["$$this.expires_at", now]}}}


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
    newest = {"$concatArrays": [_kept_recent(now), [{"$literal": entry}]]}
    recent = {"$slice": [{"$sortArray": {"input": newest, "sortBy": _NEWEST_FIRST}}, MAX_RECENT]}
    fits = {"$lte": [{"$size": {"$objectToArray": "$merging"}}, MAX_FACTS]}
    return [
        {"$set": {"merging": facts}},
        {
            "$set": {
                "facts": {"$cond": [fits, "$merging", "$facts"]},
                "recent": {"$cond": [fits, recent, "$recent"]},
                "full": {"$not": [fits]},
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
    # creating the document at once: one insert fails on that index, and is done again.
    for attempt in range(2):
        try:
            after = await collection.find_one_and_update(
                place.query,
                pipeline,
                projection={"full": 1},
                upsert=True,
                return_document=ReturnDocument.AFTER,
            )
            break
        except DuplicateKeyError:
            if attempt:
                raise
    if after is not None and after.get("full"):
        raise FactsFull()


def prune_pipeline(now: datetime) -> list[dict[str, Any]]:
    """The update that drops entries past retention: what the sweep runs."""
    kept = {"facts": _kept_facts(now, []), "recent": _kept_recent(now)}
    return [{"$set": kept}, _bounds()]
