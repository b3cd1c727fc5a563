"""JSON decoding that a hostile client cannot turn into an exception or unbounded work, and
the encoding of answers.

`loads` accepts UTF-8 text only, refuses arrays and objects nested deeper than MAX_DEPTH before
decoding (the check is linear in the text and costs nothing for shallow bodies), and refuses
strings holding an unpaired UTF-16 surrogate ("\\ud800"), which JSON's escapes can spell but
which are no Unicode text: the database, the logs and every encoder would choke on them later.
"""

import json
import re
from itertools import accumulate

import orjson

MAX_DEPTH = 64

# The nesting depth as signed byte steps: +1 for an opening bracket, -1 for a closing one.
_STEPS = bytes.maketrans(b"[{]}", b"\x01\x01\xff\xff")
_NOT_BRACKETS = bytes(sorted(set(range(256)) - set(b"[]{}")))
# A \u escape of a UTF-16 surrogate: half of a pair, or a lone one.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")
_SURROGATE = re.compile("[\ud800-\udfff]")

Path = tuple[str | int, ...]


class UnsafeJson(ValueError):
    """Text that is not JSON this API accepts. `reason` never quotes the text."""

    def __init__(self, reason: str, path: Path = ()) -> None:
        super().__init__(reason)
        self.reason = reason
        self.path = path


def nesting_depth(data: bytes) -> int:
    """How deep arrays and objects nest in JSON text; brackets within strings are text."""
    # Once escaped backslashes and quotes are gone, each quote left opens or closes a string,
    # so every other piece between quotes lies outside strings. (In text that is not JSON
    # this may miscount after its first error, which the decoder never reads past.)
    unescaped = data.replace(b"\\\\", b"").replace(b'\\"', b"")
    outside = b"".join(unescaped.split(b'"')[::2])
    steps = outside.translate(_STEPS, _NOT_BRACKETS)
    return max(accumulate(memoryview(steps).cast("b")), default=0)


def _surrogate_at(value: object, path: Path) -> Path | None:
    """Where in a decoded value a string (or key) holds a surrogate, or None."""
    if isinstance(value, str):
        return path if _SURROGATE.search(value) else None
    items: list[tuple[str | int, object]] = []
    if isinstance(value, dict):
        for key, item in value.items():
            if _SURROGATE.search(key):
                return path
            items.append((key, item))
    elif isinstance(value, list):
        items = list(enumerate(value))
    for key, item in items:
        if (found := _surrogate_at(item, (*path, key))) is not None:
            return found
    return None


def loads(data: bytes | str) -> object:
    """The value of JSON text; UnsafeJson when it is not UTF-8, too deep, not JSON, or holds
    an unpaired surrogate."""
    raw = data if isinstance(data, bytes) else data.encode("utf-8", "surrogatepass")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise UnsafeJson("is not valid UTF-8") from None
    # Counting brackets is a fast upper bound of the depth; most bodies stop here.
    if raw.count(b"[") + raw.count(b"{") > MAX_DEPTH and nesting_depth(raw) > MAX_DEPTH:
        raise UnsafeJson(f"nests arrays and objects more than {MAX_DEPTH} deep")
    try:
        value = json.loads(text)
    except (ValueError, RecursionError):  # ValueError: also integers of over 4300 digits
        raise UnsafeJson("is not valid JSON") from None
    # Decoded pairs are one character, so any surrogate left in a string is unpaired.
    if _SURROGATE_ESCAPE.search(raw) and (path := _surrogate_at(value, ())) is not None:
        raise UnsafeJson("holds an unpaired UTF-16 surrogate (not Unicode text)", path)
    return value


def dumps(value: object) -> str:
    """Compact JSON text of a decoded value: orjson's, many times faster than the standard
    library's on a large answer; the standard library's for what orjson refuses (an integer
    past 64 bits, which a JSON scalar may hold)."""
    try:
        return orjson.dumps(value).decode()
    except TypeError:  # orjson.JSONEncodeError is one
        return json.dumps(value, separators=(",", ":"), ensure_ascii=False)
