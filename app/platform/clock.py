"""The one clock: UTC, at the precision the database keeps."""

from datetime import UTC, datetime


def utcnow() -> datetime:
    # BSON dates keep milliseconds; truncating here makes a fresh document equal its stored copy.
    now = datetime.now(UTC)
    return now.replace(microsecond=now.microsecond // 1000 * 1000)
