"""Stored memory: one document per conversation (the history), one per contact and memory
space (what a call start reads), and a receipt per erasure.

Contacts are stored by the sha256 of their id, never the id itself: lookups need only the
hash, and an erasure receipt names the same hash.
"""

from datetime import datetime
from typing import Any, ClassVar

from beanie import Document, PydanticObjectId
from pydantic import Field
from pymongo import ASCENDING, DESCENDING, IndexModel

from app.library.catalog import Channel
from app.platform.clock import utcnow

_KEYED = [("workspace_id", ASCENDING), ("persona_id", ASCENDING)]


class Conversation(Document):
    workspace_id: PydanticObjectId
    space: str
    contact: str
    persona_id: PydanticObjectId
    version: int
    channel: Channel
    resolution_id: str | None = None
    summary: str
    ended_at: datetime
    expires_at: datetime
    idempotency_key: str | None = None
    recorded_at: datetime = Field(default_factory=utcnow)

    class Settings:
        name = "conversations"
        indexes: ClassVar = [
            # The cap per contact and space, newest first; erasure of one space.
            IndexModel(
                [
                    ("workspace_id", ASCENDING),
                    ("space", ASCENDING),
                    ("contact", ASCENDING),
                    ("ended_at", DESCENDING),
                    ("_id", DESCENDING),
                ],
                name="recall",
            ),
            # Erasure across every memory space of the workspace.
            IndexModel([("workspace_id", ASCENDING), ("contact", ASCENDING)], name="contact"),
            # Deleted by the database once past retention where it honours TTL; swept too.
            IndexModel([("expires_at", ASCENDING)], name="retention", expireAfterSeconds=0),
            # A retried record is found by its key; keyed records are unique per persona.
            # Two indexes, as the embedded database plans no query on a partial index (and
            # Beanie keeps one index per set of field names: the lookup's ends with _id).
            IndexModel([*_KEYED, ("idempotency_key", ASCENDING), ("_id", ASCENDING)], name="keyed"),
            IndexModel(
                [*_KEYED, ("idempotency_key", ASCENDING)],
                name="idempotency",
                unique=True,
                partialFilterExpression={"idempotency_key": {"$type": "string"}},
            ),
        ]


class Contact(Document):
    """What is remembered of one contact in one memory space, as a call start reads it: the
    latest value of each fact key, and the newest conversations (a copy of at most
    MAX_RECENT of them, so that recall is one read however long the history)."""

    workspace_id: PydanticObjectId
    space: str
    contact: str
    # key -> {"v": value, "e": expires at (its last change plus the retention of the version
    # that changed it)}
    facts: dict[str, dict[str, Any]] = Field(default_factory=dict)
    # Conversations as stored, newest first, without the fields this document holds.
    recent: list[dict[str, Any]] = Field(default_factory=list)
    # When its last entry expires (the database deletes the document then) and its first does
    # (the sweep prunes it then).
    expires_at: datetime | None = None
    prunes_at: datetime | None = None

    class Settings:
        name = "contacts"
        indexes: ClassVar = [
            IndexModel(
                [("workspace_id", ASCENDING), ("space", ASCENDING), ("contact", ASCENDING)],
                name="identity",
                unique=True,
            ),
            IndexModel([("workspace_id", ASCENDING), ("contact", ASCENDING)], name="contact"),
            IndexModel([("expires_at", ASCENDING)], name="retention", expireAfterSeconds=0),
            IndexModel([("prunes_at", ASCENDING)], name="prune"),
        ]


class ErasureReceipt(Document):
    workspace_id: PydanticObjectId
    seq: int
    contact_id_sha256: str
    persona_id: PydanticObjectId | None = None
    conversations_deleted: int
    facts_deleted: int
    erased_at: datetime
    erased_by: str

    class Settings:
        name = "erasure_receipts"
        indexes: ClassVar = [
            IndexModel([("workspace_id", ASCENDING), ("seq", DESCENDING)], name="page"),
        ]
