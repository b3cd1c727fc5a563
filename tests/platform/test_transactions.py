"""Transactions under contention: retried, bounded, and answered as data or a userError."""

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import pymongo
import pytest
from pymongo.asynchronous.client_session import AsyncClientSession
from pymongo.errors import DuplicateKeyError, PyMongoError

from app.access.principal import Role
from app.platform.database import MongoDatabase, is_unavailable
from app.platform.errors import DomainError, ErrorCode, InvalidInput, Problem
from app.platform.transactions import Contended, run_transaction
from tests.conftest import ClientFactory
from tests.release.publishing import create, publishable
from tests.support.client import (
    CREATE,
    DELETE,
    PUBLISH,
    READ,
    UPDATE,
    GraphQLClient,
    object_id,
    stored,
)

WRITERS = 30
ROUNDS = 3
# Each writer edits and publishes until the persona is gone; the cap only bounds a broken run.
MAX_STEPS = 200
# The delete goes out once the writers are well under way, so it lands in their midst.
ANSWERS_BEFORE_DELETE = 2 * WRITERS
WRITER_CODES = {"NOT_FOUND", "REVISION_MISMATCH", "NOTHING_TO_PUBLISH"}


@asynccontextmanager
async def held(
    database: MongoDatabase, collection: str, key: Any
) -> AsyncIterator[AsyncClientSession]:
    """A transaction holding an uncommitted write on one document, aborted at the end."""
    async with database.client.start_session() as session:
        await session.start_transaction()
        await database[collection].update_one(
            {"_id": key}, {"$set": {"held": True}}, session=session
        )
        try:
            yield session
        finally:
            if session.in_transaction:
                await session.abort_transaction()


# ---- the helper's own API ------------------------------------------------------


async def test_a_conflicting_transaction_runs_again_and_commits_once(
    database: MongoDatabase,
) -> None:
    things = database["things"]
    await things.insert_one({"_id": 1, "n": 0})
    calls = 0

    async with held(database, "things", 1) as other:

        async def bump(session: AsyncClientSession) -> int:
            nonlocal calls
            calls += 1
            if calls == 2:  # the other writer finishes between the attempts
                await other.commit_transaction()
            await things.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=session)
            return calls

        assert await run_transaction(database.client, bump) == 2

    assert await things.find_one({"_id": 1}) == {"_id": 1, "n": 1, "held": True}


async def test_conflicts_past_the_attempts_are_contended_and_write_nothing(
    database: MongoDatabase,
) -> None:
    things = database["things"]
    await things.insert_one({"_id": 1, "n": 0})
    calls = 0

    async def bump(session: AsyncClientSession) -> None:
        nonlocal calls
        calls += 1
        await things.insert_one({"_id": 100 + calls}, session=session)
        await things.update_one({"_id": 1}, {"$inc": {"n": 1}}, session=session)

    async with held(database, "things", 1):
        with pytest.raises(Contended) as refused:
            await run_transaction(database.client, bump, path=("thing",), attempts=3)

    assert calls == 3
    assert [(p.path, p.code) for p in refused.value.problems] == [
        (("thing",), ErrorCode.REVISION_MISMATCH)
    ]
    assert await things.find({}).to_list() == [{"_id": 1, "n": 0}]


async def test_a_domain_error_aborts_and_reaches_the_caller_unchanged(
    database: MongoDatabase,
) -> None:
    refusal = InvalidInput([Problem(("name",), "No.")])
    calls = 0

    async def refuse(session: AsyncClientSession) -> None:
        nonlocal calls
        calls += 1
        await database["things"].insert_one({"_id": 1}, session=session)
        raise refusal

    with pytest.raises(DomainError) as raised:
        await run_transaction(database.client, refuse)

    assert raised.value is refusal
    assert calls == 1
    assert await database["things"].count_documents({}) == 0


async def test_an_error_that_is_not_transient_is_not_retried(database: MongoDatabase) -> None:
    await database["things"].insert_one({"_id": 1})
    calls = 0

    async def duplicate(session: AsyncClientSession) -> None:
        nonlocal calls
        calls += 1
        await database["things"].insert_one({"_id": 2}, session=session)
        await database["things"].insert_one({"_id": 1}, session=session)

    with pytest.raises(DuplicateKeyError):
        await run_transaction(database.client, duplicate)

    assert calls == 1
    assert await database["things"].find({}).to_list() == [{"_id": 1}]


async def test_a_commit_the_request_has_no_time_left_for_is_the_outage_not_a_conflict(
    database: MongoDatabase,
) -> None:
    # The outage's short limit (app.platform.outage) spent before the commit: every commit
    # attempt fails at once, unconfirmed, which ten retries used to turn into Contended.
    calls = 0

    async def outlast(session: AsyncClientSession) -> None:
        nonlocal calls
        calls += 1
        await database["things"].insert_one({"_id": 1}, session=session)
        await asyncio.sleep(0.6)

    with pytest.raises(PyMongoError) as raised, pymongo.timeout(0.5):
        await run_transaction(database.client, outlast)

    assert is_unavailable(raised.value), raised.value
    assert calls == 1
    assert await database["things"].count_documents({}) == 0


async def test_a_callback_may_end_the_transaction_itself(database: MongoDatabase) -> None:
    async def change_mind(session: AsyncClientSession) -> str:
        await database["things"].insert_one({"_id": 1}, session=session)
        await session.abort_transaction()
        return "aborted"

    assert await run_transaction(database.client, change_mind) == "aborted"
    assert await database["things"].count_documents({}) == 0


# ---- through the API -----------------------------------------------------------


async def test_a_delete_held_up_past_its_attempts_is_a_user_error_and_changes_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    persona = await create(api, **publishable())
    before = await stored(database)
    async with held(database, "personas", object_id(persona["id"])):
        body = await api.execute(DELETE, input={"id": persona["id"]})

    assert "errors" not in body, body["errors"]
    payload = body["data"]["deletePersona"]
    assert payload["deletedId"] is None
    assert [(e["code"], e["field"]) for e in payload["userErrors"]] == [
        ("REVISION_MISMATCH", ["id"])
    ]
    assert await stored(database) == before
    assert (await api.data(READ, id=persona["id"]))["persona"] is not None


async def test_a_create_held_up_past_its_attempts_is_a_user_error_and_creates_nothing(
    api: GraphQLClient, database: MongoDatabase
) -> None:
    async with held(database, "workspaces", api.principal.workspace_id):
        body = await api.execute(CREATE, input={"name": "Sales"})

    assert "errors" not in body, body["errors"]
    payload = body["data"]["createPersona"]
    assert payload["persona"] is None
    assert [e["code"] for e in payload["userErrors"]] == ["REVISION_MISMATCH"]
    assert await database["personas"].count_documents({}) == 0
    workspace = await database["workspaces"].find_one({"_id": api.principal.workspace_id})
    assert workspace is not None
    assert workspace.get("persona_count", 0) == 0


class Answers:
    """Every response body the writers got; `under_way` once there are enough of them."""

    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.under_way = asyncio.Event()

    def record(self, body: dict[str, Any]) -> Any:
        """The one top-level field's value, or None when the body holds GraphQL errors."""
        self.bodies.append(body)
        if len(self.bodies) >= ANSWERS_BEFORE_DELETE:
            self.under_way.set()
        if "errors" in body:
            return None
        (value,) = body["data"].values()
        return value


async def _writer(client: GraphQLClient, name: str, persona_id: str, answers: Answers) -> None:
    """Rename and publish, from fresh reads, until the persona is gone."""
    for step in range(MAX_STEPS):
        persona = answers.record(await client.execute(READ, id=persona_id))
        if persona is None:
            return
        rename = {
            "id": persona_id,
            "expectedRevision": persona["revision"],
            "name": f"{name} {step}",
        }
        updated = answers.record(await client.execute(UPDATE, input=rename))
        if updated is None or updated["persona"] is None:
            continue
        publish = {"personaId": persona_id, "expectedRevision": updated["persona"]["revision"]}
        answers.record(await client.execute(PUBLISH, input=publish))


async def _delete_when_under_way(
    client: GraphQLClient, persona_id: str, answers: Answers
) -> dict[str, Any]:
    await answers.under_way.wait()
    return await client.execute(DELETE, input={"id": persona_id})


async def test_a_delete_racing_30_writers_deletes_and_every_answer_is_data_or_a_user_error(
    client_for: ClientFactory, database: MongoDatabase
) -> None:
    editor = await client_for(Role.EDITOR)
    writers = [await client_for(Role.PUBLISHER) for _ in range(WRITERS)]

    for _ in range(ROUNDS):
        persona_id = (await create(editor, **publishable()))["id"]
        answers = Answers()

        deleted, *_ = await asyncio.gather(
            _delete_when_under_way(editor, persona_id, answers),
            *(
                _writer(client, f"Writer {n}", persona_id, answers)
                for n, client in enumerate(writers)
            ),
        )

        assert "errors" not in deleted, deleted["errors"]
        assert deleted["data"]["deletePersona"] == {"deletedId": persona_id, "userErrors": []}
        assert [body["errors"] for body in answers.bodies if "errors" in body] == []
        for body in answers.bodies:
            (payload,) = body["data"].values()
            for error in (payload or {}).get("userErrors", []):
                assert error["code"] in WRITER_CODES, payload
        assert (await editor.data(READ, id=persona_id))["persona"] is None
        key = object_id(persona_id)
        assert await database["personas"].find_one({"_id": key}) is None
        assert await database["persona_versions"].count_documents({"persona_id": key}) == 0
        workspace = await database["workspaces"].find_one({"_id": editor.principal.workspace_id})
        assert workspace is not None
        assert workspace["persona_count"] == 0
