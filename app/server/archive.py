"""The backup archive format: a gzip stream of tagged BSON records, a manifest last.

Inside the gzip stream: the MAGIC line, then records, each one tag byte followed by one BSON
document (which carries its own little-endian int32 length):

    H  {format, version, database, created_at}
    C  {name, options, indexes}: a collection (create options, list_indexes specs); its
       documents follow
    D  one stored document, the database's own bytes, never decoded
    M  {collections: [{name, count}], sha256}: the last record; sha256 is of every
       uncompressed byte before it

A reader trusts nothing before the manifest: gzip's CRC, the SHA-256 and the counts together
tell a truncated or altered archive from a whole one.
"""

import gzip
import hashlib
import zlib
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import IO, Any

import bson

MAGIC = b"persona-api-backup\n"
FORMAT = "persona-api-backup"
VERSION = 1
# The server's own document limit, with room for the record's framing.
_MAX_RECORD = 16 * 1024 * 1024 + 16 * 1024


class ArchiveError(Exception):
    """The archive is not a whole backup this version can read."""


class ArchiveWriter:
    """Writes records to a binary stream, hashing them for the manifest."""

    def __init__(self, stream: IO[bytes], database: str) -> None:
        self._stream = gzip.GzipFile(fileobj=stream, mode="wb", compresslevel=6)
        self._hash = hashlib.sha256()
        self._counts: list[dict[str, Any]] = []
        self._write(MAGIC)
        header = {"format": FORMAT, "version": VERSION, "database": database}
        self._record(b"H", bson.encode({**header, "created_at": datetime.now(UTC)}))

    def _write(self, data: bytes | memoryview) -> None:
        self._hash.update(data)
        self._stream.write(data)

    def _record(self, tag: bytes, document: bytes | memoryview) -> None:
        self._write(tag)
        self._write(document)

    def collection(self, name: str, options: dict[str, Any], indexes: list[Any]) -> None:
        self._counts.append({"name": name, "count": 0})
        self._record(b"C", bson.encode({"name": name, "options": options, "indexes": indexes}))

    def document(self, raw: bytes | memoryview) -> None:
        self._counts[-1]["count"] += 1
        self._record(b"D", raw)

    def finish(self) -> list[dict[str, Any]]:
        """Write the manifest and close the gzip stream (not the stream under it)."""
        manifest = {"collections": self._counts, "sha256": self._hash.hexdigest()}
        self._stream.write(b"M" + bson.encode(manifest))
        self._stream.close()
        return self._counts


class _Reader:
    def __init__(self, stream: IO[bytes]) -> None:
        self._stream = stream
        self.hash = hashlib.sha256()

    def read_upto(self, size: int) -> bytes:
        return self._stream.read(size)

    def read(self, size: int) -> bytes:
        data = self._stream.read(size)
        if len(data) != size:
            raise ArchiveError("the archive is truncated")
        return data

    def document(self) -> bytes:
        prefix = self.read(4)
        length = int.from_bytes(prefix, "little")
        if not 5 <= length <= _MAX_RECORD:
            raise ArchiveError("the archive is corrupt (a record has an impossible length)")
        return prefix + self.read(length - 4)


def records(path: Path) -> Iterator[tuple[bytes, bytes]]:
    """Each (tag, BSON bytes) of the archive at `path`, the manifest checked at the end.

    Records are yielded as they are read: a caller writing them somewhere must read the
    whole archive once before (see `verify`), as only the end proves the archive whole.
    """
    try:
        with gzip.open(path, "rb") as stream:
            yield from _records(_Reader(stream))  # type: ignore[arg-type]
    except (EOFError, gzip.BadGzipFile, zlib.error) as exc:
        raise ArchiveError(f"the archive is truncated or corrupt ({exc})") from None


def _records(reader: _Reader) -> Iterator[tuple[bytes, bytes]]:
    magic = reader.read_upto(len(MAGIC))
    if magic != MAGIC:
        raise ArchiveError("not a persona-api backup (no archive header)")
    reader.hash.update(magic)
    counts: list[dict[str, Any]] = []
    while True:
        tag = reader.read(1)
        if tag == b"M":
            _check_manifest(bson.decode(reader.document()), counts, reader.hash.hexdigest())
            if reader.read_upto(1):
                raise ArchiveError("the archive is corrupt (data after the manifest)")
            yield tag, b""
            return
        if tag not in (b"H", b"C", b"D"):
            raise ArchiveError("the archive is corrupt (an unknown record)")
        document = reader.document()
        reader.hash.update(tag + document)
        if tag == b"H":
            _check_header(bson.decode(document))
        elif tag == b"C":
            counts.append({"name": bson.decode(document)["name"], "count": 0})
        elif not counts:
            raise ArchiveError("the archive is corrupt (a document outside any collection)")
        else:
            counts[-1]["count"] += 1
        yield tag, document


def _check_header(header: dict[str, Any]) -> None:
    if header.get("format") != FORMAT or header.get("version") != VERSION:
        found = f"{header.get('format')} version {header.get('version')}"
        raise ArchiveError(f"unsupported archive ({found}; this version reads {VERSION})")


def _check_manifest(manifest: dict[str, Any], counts: list[dict[str, Any]], digest: str) -> None:
    if manifest.get("sha256") != digest:
        raise ArchiveError("the archive is corrupt (its checksum does not match)")
    if manifest.get("collections") != counts:
        raise ArchiveError("the archive is corrupt (its counts do not match the manifest)")


def verify(path: Path) -> dict[str, int]:
    """Read the whole archive: its collections and document counts, or an ArchiveError."""
    counts: dict[str, int] = {}
    current = ""
    for tag, document in records(path):
        if tag == b"C":
            current = bson.decode(document)["name"]
            counts[current] = 0
        elif tag == b"D":
            counts[current] += 1
    return counts
