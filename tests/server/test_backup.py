"""`persona-api backup` and `restore`, run as the real command against the session database."""

import gzip
import subprocess
import uuid
from datetime import UTC, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import httpx
from bson import Binary, Decimal128, Int64, ObjectId
from bson.codec_options import CodecOptions
from bson.raw_bson import RawBSONDocument
from pymongo import AsyncMongoClient, MongoClient
from pymongo.monitoring import CommandListener, CommandSucceededEvent

from app.platform.database import MongoDatabase
from app.platform.embedded import EmbeddedDatabase
from app.server.backup import backup
from tests.support.client import CREATE, READ, GraphQLClient
from tests.support.deployments import HISTORY, start, versions
from tests.support.memory import CONTACT_MEMORY, recorded, remembering_persona
from tests.support.processes import CLI, environment, graphql, serving

LIVE = """
query($id: ID!, $contactId: String) {
  liveConfiguration(personaId: $id, channel: VOICE, contactId: $contactId) {
    version name environment rolloutArm prompt
  }
}
"""
DEPLOYED = (
    "query($id: ID!) { persona(id: $id) { deployments { environment version { version } } } }"
)
LISTED = "{ personas(first: 10) { totalCount edges { node { id revision } } } }"

# Every BSON type JSON would lose or change.
EXOTIC = {
    "_id": ObjectId(),
    "at": datetime(2026, 1, 2, 3, 4, 5, 678000, tzinfo=UTC),
    "price": Decimal128(Decimal("19.990")),
    "blob": Binary(b"\x00\xff\x10", subtype=0),
    "uuid": Binary(uuid.uuid4().bytes, subtype=4),
    "big": Int64(7),
    "ratio": 0.1,
    "nested": {"list": [1, "two", None]},
}


def _cli(uri: str, name: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args],
        capture_output=True,
        text=True,
        env=environment(MONGODB_URI=uri, MONGODB_DATABASE=name),
        timeout=120,
    )


async def _seed(api: GraphQLClient) -> tuple[str, dict[str, Any]]:
    """Personas with versions, a rollout, and a contact's memory."""
    persona = await versions(api, 2)
    started = await start(api, persona["id"], 1, 30, note="canary")
    assert started["userErrors"] == [], started["userErrors"]
    remembering = await remembering_persona(api)
    await recorded(api, remembering, facts={"first_name": "Dana"})
    return persona["id"], remembering


def _queries(persona_id: str, remembering: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    return [
        (LISTED, {}),
        (READ, {"id": persona_id}),
        (DEPLOYED, {"id": persona_id}),
        (HISTORY, {"id": persona_id, "first": 20}),
        (LIVE, {"id": persona_id, "contactId": "+15550111"}),
        (LIVE, {"id": remembering["id"], "contactId": "+15550100"}),
        (CONTACT_MEMORY, {"contactId": "+15550100", "personaId": remembering["id"]}),
    ]


async def _indexes(database: MongoDatabase) -> dict[str, list[dict[str, Any]]]:
    names = await database.list_collection_names()
    return {
        name: sorted(
            [
                {k: v for k, v in index.items() if k != "ns"}
                async for index in await database[name].list_indexes()
            ],
            key=lambda index: str(index["name"]),
        )
        for name in sorted(names)
    }


async def _raw(database: MongoDatabase, name: str) -> list[bytes]:
    """The stored bytes of a collection's documents: equal bytes, equal BSON types."""
    raw = database.with_options(codec_options=CodecOptions(document_class=RawBSONDocument))
    return [bytes(document.raw) async for document in raw[name].find().sort("_id", 1)]


async def test_a_server_on_the_restored_database_answers_as_before(
    api: GraphQLClient,
    database: MongoDatabase,
    mongo_server: EmbeddedDatabase,
    mongo_client: AsyncMongoClient[dict[str, Any]],
    tmp_path: Path,
) -> None:
    persona_id, remembering = await _seed(api)
    await database["extras"].insert_one(EXOTIC)
    await database["bulk"].insert_many([{"n": n, "pad": "x" * 100} for n in range(2500)])
    queries = _queries(persona_id, remembering)
    before = [await api.execute(query, **variables) for query, variables in queries]
    archive = tmp_path / "backup.gz"

    made = _cli(mongo_server.uri, database.name, "backup", str(archive))
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith(f"wrote {archive}: ")
    assert archive.stat().st_mode & 0o777 == 0o600
    target = f"restored_{uuid.uuid4().hex[:8]}"
    restored = _cli(mongo_server.uri, target, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    copy = mongo_client[target]
    try:
        for name in await database.list_collection_names():
            assert await _raw(copy, name) == await _raw(database, name), name
        assert await copy["extras"].find_one() == {**EXOTIC, "blob": b"\x00\xff\x10"}
        assert await copy["bulk"].count_documents({}) == 2500
        indexes = await _indexes(copy)
        assert indexes == await _indexes(database)
        assert any("expireAfterSeconds" in index for index in indexes["conversations"])
        assert any(index.get("unique") for index in indexes["api_keys"])
        with serving(
            tmp_path / "serve", MONGODB_URI=mongo_server.uri, MONGODB_DATABASE=target
        ) as s:
            s.lines.append(f"    {api.key}")  # the same key opens the restored data
            async with httpx.AsyncClient(headers=s.headers, timeout=30) as http:
                after = [
                    (await http.post(f"{s.url}/graphql", json={"query": q, "variables": v})).json()
                    for q, v in queries
                ]
        assert not any("First start" in line for line in s.lines)
        assert after == before
        assert all("errors" not in answer for answer in after)
    finally:
        await mongo_client.drop_database(target)


async def test_restore_refuses_a_database_with_documents_unless_forced(
    mongo_server: EmbeddedDatabase, mongo_client: AsyncMongoClient[dict[str, Any]], tmp_path: Path
) -> None:
    database = mongo_client[f"notes_{uuid.uuid4().hex[:8]}"]
    await database["notes"].insert_one({"text": "kept"})
    archive = tmp_path / "notes.gz"
    assert _cli(mongo_server.uri, database.name, "backup", str(archive)).returncode == 0
    target = mongo_client[f"busy_{uuid.uuid4().hex[:8]}"]
    await target["other"].insert_one({"text": "already here"})
    try:
        refused = _cli(mongo_server.uri, target.name, "restore", str(archive))
        assert refused.returncode == 1
        assert refused.stderr.strip().splitlines() == [
            f"persona-api: database '{target.name}' is not empty (1 collections hold documents):"
            " restore into an empty one, or pass --force to drop what it holds"
        ]
        assert await target.list_collection_names() == ["other"]

        forced = _cli(mongo_server.uri, target.name, "restore", "--force", str(archive))
        assert forced.returncode == 0, forced.stderr
        assert await target.list_collection_names() == ["notes"]
        assert await target["notes"].find({}, {"_id": 0}).to_list() == [{"text": "kept"}]
    finally:
        await mongo_client.drop_database(target.name)
        await mongo_client.drop_database(database.name)


def _damaged(archive: Path, how: str) -> Path:
    data = archive.read_bytes()
    damaged = archive.with_name(f"{how}.gz")
    if how == "truncated":
        damaged.write_bytes(data[: len(data) // 2])
    elif how == "flipped":
        middle = len(data) // 2
        damaged.write_bytes(data[:middle] + bytes([data[middle] ^ 0xFF]) + data[middle + 1 :])
    elif how == "foreign":
        damaged.write_bytes(gzip.compress(b"hello\n"))
    else:  # a whole gzip stream whose content lost its last document and manifest
        content = gzip.decompress(data)
        damaged.write_bytes(gzip.compress(content[: len(content) - 200]))
    return damaged


async def test_a_damaged_archive_is_refused_having_written_nothing(
    database: MongoDatabase,
    mongo_server: EmbeddedDatabase,
    mongo_client: AsyncMongoClient[dict[str, Any]],
    tmp_path: Path,
) -> None:
    await database["rows"].insert_many([{"n": n, "text": uuid.uuid4().hex} for n in range(300)])
    archive = tmp_path / "rows.gz"
    assert _cli(mongo_server.uri, database.name, "backup", str(archive)).returncode == 0
    target = mongo_client[f"damaged_{uuid.uuid4().hex[:8]}"]
    try:
        for how in ("truncated", "flipped", "cut-content", "foreign"):
            refused = _cli(mongo_server.uri, target.name, "restore", str(_damaged(archive, how)))
            assert refused.returncode == 1, how
            (line,) = refused.stderr.strip().splitlines()
            assert line.startswith("persona-api: cannot restore "), line
            assert "Traceback" not in refused.stderr
            assert await target.list_collection_names() == [], how
        assert line.endswith("not a persona-api backup (no archive header)")
        # --force drops nothing before the archive has proved whole.
        await target["precious"].insert_one({"kept": True})
        forced = _cli(
            mongo_server.uri, target.name, "restore", "--force", str(_damaged(archive, "flipped"))
        )
        assert forced.returncode == 1
        assert await target["precious"].count_documents({}) == 1
    finally:
        await mongo_client.drop_database(target.name)


class _WriteAfterFirstRead(CommandListener):
    """Once the backup's first read is answered, another client writes what it must not see."""

    def __init__(self, uri: str, name: str) -> None:
        self.writer: MongoClient[dict[str, Any]] = MongoClient(uri)
        self.name = name
        self.done = False

    def started(self, event: Any) -> None:
        pass

    def succeeded(self, event: CommandSucceededEvent) -> None:
        if event.command_name == "find" and not self.done:
            self.done = True
            self.writer[self.name]["b_later"].insert_one({"written": "during the backup"})

    def failed(self, event: Any) -> None:
        pass


async def test_the_archive_is_one_point_in_time(
    mongo_server: EmbeddedDatabase, mongo_client: AsyncMongoClient[dict[str, Any]], tmp_path: Path
) -> None:
    database = mongo_client[f"snap_{uuid.uuid4().hex[:8]}"]
    await database["a_first"].insert_many([{"n": 1}, {"n": 2}])
    await database["b_later"].insert_one({"written": "before"})
    listener = _WriteAfterFirstRead(mongo_server.uri, database.name)
    client: MongoClient[RawBSONDocument] = MongoClient(
        mongo_server.uri, document_class=RawBSONDocument, event_listeners=[listener]
    )
    try:
        counts = backup(client[database.name], tmp_path / "snapshot.gz")
        assert await database["b_later"].count_documents({}) == 2  # the write did happen
    finally:
        client.close()
        listener.writer.close()
        await mongo_client.drop_database(database.name)
    assert listener.done
    assert counts == [{"name": "a_first", "count": 2}, {"name": "b_later", "count": 1}]


def test_the_embedded_database_backed_up_while_serving_and_restored_into_a_new_data_dir(
    tmp_path: Path,
) -> None:
    archive = tmp_path / "embedded.gz"
    with serving(tmp_path / "first") as first:
        made = graphql(first, CREATE, input={"name": "Embedded"})["createPersona"]["persona"]
        # Through the running server's database (its secantusd.uri), not a second daemon.
        backed = _data_dir_cli(tmp_path / "first", "backup", str(archive))
        assert backed.returncode == 0, backed.stderr
    restored = _data_dir_cli(tmp_path / "second", "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    with serving(tmp_path / "second") as second:
        second.lines.append(f"    {first.key}")
        found = graphql(
            second, "query($id: ID!) { persona(id: $id) { id revision } }", id=made["id"]
        )
    assert found == {"persona": {"id": made["id"], "revision": 1}}
    assert not any("First start" in line for line in second.lines)
    again = _data_dir_cli(tmp_path / "second", "restore", str(archive))
    assert again.returncode == 1
    assert "is not empty" in again.stderr


def _data_dir_cli(data_dir: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*CLI, *args, "--data-dir", str(data_dir)],
        capture_output=True,
        text=True,
        env=environment(),
        timeout=120,
    )
