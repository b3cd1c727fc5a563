"""`persona-api backup FILE` and `persona-api restore FILE`: the whole database, one archive.

The documents are read in one transaction with snapshot read concern: on SecantusDB (and on
a MongoDB replica set) every read of it sees the database as of its first read, so the archive
is one point in time. Snapshot sessions would not do: SecantusDB accepts their read concern
but does not pin their reads. The catalog cannot be read inside a transaction; it is read
before and after, and a backup during which it changed is refused.
"""

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import bson
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import MongoClient
from pymongo.database import Database
from pymongo.errors import OperationFailure, PyMongoError
from pymongo.read_concern import ReadConcern

from app.platform.embedded import EmbeddedDatabase
from app.platform.settings import Settings
from app.server import archive, keys_cli

RawDatabase = Database[RawBSONDocument]
_BATCH_DOCUMENTS = 1000
_BATCH_BYTES = 8 * 1024 * 1024
# NoSuchTransaction, TransactionTooOld, TransactionExceededLifetimeLimitSeconds.
_TRANSACTION_ENDED = {251, 225, 290}


class BackupError(Exception):
    """A backup or restore could not be made; nothing half-done is left behind."""


def add_commands(commands: "argparse._SubParsersAction[argparse.ArgumentParser]") -> None:
    backup = commands.add_parser("backup", help="write the whole database to an archive")
    backup.add_argument("file", type=Path, help="the archive to write (gzip)")
    restore = commands.add_parser("restore", help="load an archive into an empty database")
    restore.add_argument("file", type=Path, help="an archive written by `backup`")
    restore.add_argument("--force", action="store_true", help="drop what the database holds first")
    for command in (backup, restore):
        command.add_argument("--data-dir", type=Path, default=None, help="embedded database home")


@contextmanager
def _database(settings: Settings) -> Iterator[RawDatabase]:
    """MONGODB_URI, else the embedded database a running `serve` holds, else a fresh one."""
    embedded = None
    uri = settings.mongodb_uri or keys_cli._address_of_running(settings)
    if uri is None:
        embedded = EmbeddedDatabase(settings.data_dir)
        embedded.start()
        uri = embedded.uri
    timeout = round(keys_cli.TIMEOUT_SECONDS * 1000)
    client: MongoClient[RawBSONDocument] = MongoClient(
        uri, document_class=RawBSONDocument, serverSelectionTimeoutMS=timeout
    )
    try:
        yield client[settings.mongodb_database]
    except PyMongoError as exc:
        # Never the URI: it may hold a password.
        raise BackupError(
            f"the database failed: {type(exc).__name__}: {_first_line(exc)}"
        ) from None
    finally:
        client.close()
        if embedded is not None:
            embedded.stop()


def _first_line(exc: Exception) -> str:
    return str(exc).split(", full error:")[0].splitlines()[0][:200]


def _catalog(database: RawDatabase) -> list[dict[str, Any]]:
    """Each collection (never system ones) with its create options and index specs."""
    plain = database.client.get_database(database.name, codec_options=CodecOptions())
    catalog = []
    for info in plain.list_collections(filter={"type": "collection"}):
        name = info["name"]
        if name.startswith("system."):
            continue
        # No "ns": the collection restored into names it.
        indexes = [
            {k: v for k, v in index.items() if k != "ns"} for index in plain[name].list_indexes()
        ]
        catalog.append({"name": name, "options": info.get("options", {}), "indexes": indexes})
    return sorted(catalog, key=lambda entry: entry["name"])


def backup(database: RawDatabase, path: Path) -> list[dict[str, Any]]:
    """Write the archive to `path` (via a temporary file beside it); its collection counts."""
    catalog = _catalog(database)
    partial = path.with_name(f".{path.name}.partial")
    try:
        # Owner-only: it holds personal data and the hashes of every API key.
        partial.unlink(missing_ok=True)  # a mode is set only on creation
        descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(descriptor, "wb") as stream:
            writer = archive.ArchiveWriter(stream, database.name)
            try:
                _documents(database, catalog, writer)
            except OperationFailure as exc:
                if exc.code not in _TRANSACTION_ENDED:
                    raise
                raise BackupError(
                    "the database ended the backup's snapshot transaction (it outlived"
                    " transactionLifetimeLimitSeconds, 60 s by default): raise that limit,"
                    " or back up with mongodump or the provider's snapshots"
                ) from None
            if _catalog(database) != catalog:
                raise BackupError("collections or indexes changed during the backup: run it again")
            counts = writer.finish()
            stream.flush()
            os.fsync(stream.fileno())
        partial.replace(path)
    finally:
        partial.unlink(missing_ok=True)
    return counts


def _documents(
    database: RawDatabase, catalog: list[dict[str, Any]], writer: archive.ArchiveWriter
) -> None:
    with (
        database.client.start_session() as session,
        session.start_transaction(read_concern=ReadConcern("snapshot")),
    ):
        for entry in catalog:
            writer.collection(entry["name"], entry["options"], entry["indexes"])
            for document in database[entry["name"]].find({}, session=session):
                writer.document(document.raw)


def _holding_documents(database: RawDatabase) -> list[str]:
    names = database.list_collection_names(filter={"type": "collection"})
    return sorted(n for n in names if database[n].find_one({}, projection={"_id": 1}))


def restore(database: RawDatabase, path: Path, *, force: bool) -> dict[str, int]:
    """Load the archive into `database`, which must hold no documents unless `force`."""
    counts = archive.verify(path)  # the whole archive is read before anything is written
    held = _holding_documents(database)
    if held and not force:
        raise BackupError(
            f"database '{database.name}' is not empty ({len(held)} collections hold documents):"
            " restore into an empty one, or pass --force to drop what it holds"
        )
    for name in database.list_collection_names():
        if not name.startswith("system."):
            database.drop_collection(name)
    try:
        _load(database, path)
    except BaseException:
        for name in counts:  # a failure leaves the target empty, not half-restored
            database.drop_collection(name)
        raise
    return counts


def _load(database: RawDatabase, path: Path) -> None:
    entry: dict[str, Any] | None = None
    batch: list[RawBSONDocument] = []
    size = 0
    for tag, document in archive.records(path):
        if tag == b"D":
            batch.append(RawBSONDocument(document))
            size += len(document)
            if len(batch) < _BATCH_DOCUMENTS and size < _BATCH_BYTES:
                continue
        if entry is not None and batch:
            database[entry["name"]].insert_many(batch, bypass_document_validation=True)
        batch, size = [], 0
        if tag in (b"C", b"M") and entry is not None:
            _create_indexes(database, entry)
        if tag == b"C":
            entry = bson.decode(document)
            database.create_collection(entry["name"], **entry["options"])


def _create_indexes(database: RawDatabase, entry: dict[str, Any]) -> None:
    # After the documents, as mongorestore does: one build per index rather than per insert.
    specs = [spec for spec in entry["indexes"] if spec["name"] != "_id_"]
    if specs:
        database.command({"createIndexes": entry["name"], "indexes": specs})


def run(args: argparse.Namespace, settings: Settings) -> None:
    path: Path = args.file
    try:
        with _database(settings) as database:
            if args.command == "backup":
                counts = backup(database, path)
                total = sum(entry["count"] for entry in counts)
                print(f"wrote {path}: {len(counts)} collections, {total} documents")
            else:
                restored = restore(database, path, force=args.force)
                total = sum(restored.values())
                print(
                    f"restored {len(restored)} collections, {total} documents"
                    f" into database '{database.name}'"
                )
    except archive.ArchiveError as exc:
        raise BackupError(f"cannot restore {path}: {exc}") from None
    except OSError as exc:
        raise BackupError(f"{path}: {exc.strerror or exc}") from None
