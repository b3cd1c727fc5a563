"""Opaque global ids ("Persona:<objectid>", base64url) and page cursors."""

import base64
import binascii
import re

from beanie import PydanticObjectId
from bson.errors import InvalidId

# Ours are far shorter; a longer text is not decoded at all.
MAX_ID = 200
# Positions are BSON int64s: ASCII digits only (str.isdigit also takes "²"), up to 2**63 - 1.
_NUMBER = re.compile(r"[0-9]{1,19}")
_MAX_NUMBER = 2**63 - 1


def encode(kind: str, key: str) -> str:
    return base64.urlsafe_b64encode(f"{kind}:{key}".encode()).decode().rstrip("=")


def decode(global_id: str) -> tuple[str, str] | None:
    """(kind, key) of a global id, or None when it is not one of ours."""
    if len(global_id) > MAX_ID:
        return None
    padded = global_id + "=" * (-len(global_id) % 4)
    try:
        text = base64.urlsafe_b64decode(padded.encode("ascii")).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    kind, sep, key = text.partition(":")
    return (kind, key) if sep and kind and key else None


def decode_object_id(global_id: str, kind: str) -> PydanticObjectId | None:
    decoded = decode(global_id)
    if decoded is None or decoded[0] != kind:
        return None
    try:
        return PydanticObjectId(decoded[1])
    except (InvalidId, TypeError):
        return None


def persona_id(object_id: PydanticObjectId | None) -> str:
    return encode("Persona", str(object_id))


def _decode_number(value: str, kind: str) -> int | None:
    decoded = decode(value)
    if decoded is None or decoded[0] != kind or not _NUMBER.fullmatch(decoded[1]):
        return None
    number = int(decoded[1])
    return number if number <= _MAX_NUMBER else None


def cursor(seq: int) -> str:
    return encode("cursor", str(seq))


def decode_cursor(value: str) -> int | None:
    """The `seq` a page cursor names; None for anything else (old ObjectId cursors too)."""
    return _decode_number(value, "cursor")


def version_cursor(version: int) -> str:
    return encode("version", str(version))


def decode_version_cursor(value: str) -> int | None:
    return _decode_number(value, "version")
