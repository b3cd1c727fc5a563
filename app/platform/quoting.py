"""How messages quote what a client sent: never more than about 100 characters of it.

A refused 900 KB locale must not come back whole in its error, nor land whole in a log.
"""

QUOTED_CHARACTERS = 100
# A library's message (jsonschema's, say) can quote any part of the input it refused.
MESSAGE_CHARACTERS = 300


def quoted(value: str) -> str:
    """`value` quoted as repr quotes it, cut to its first QUOTED_CHARACTERS when longer."""
    if len(value) <= QUOTED_CHARACTERS:
        return repr(value)
    return f"{value[:QUOTED_CHARACTERS]!r}… ({len(value)} characters)"


def clipped(message: str, limit: int = MESSAGE_CHARACTERS) -> str:
    """A message that may quote input, cut to `limit` characters when longer."""
    if len(message) <= limit:
        return message
    return message[:limit] + "…"
