"""Contact ids, summaries and facts are personal data: no log line holds them, whatever the
outcome of the request."""

import logging

import pytest
from starlette.applications import Starlette

from app.access.principal import Role
from app.platform.logs import quiet_driver
from tests.conftest import ClientFactory
from tests.support.client import GraphQLClient
from tests.support.memory import (
    CONTACT_MEMORY,
    forget,
    live_memory,
    record,
    recorded,
    remembering_persona,
)

CONTACT = "+15559876543"
SECRETS = (CONTACT, "Mentioned a divorce", "favourite_colour", "ultramarine")


async def _every_memory_request(
    api: GraphQLClient, runtime: GraphQLClient, viewer: GraphQLClient
) -> None:
    persona = await remembering_persona(api)
    facts = {"favourite_colour": "ultramarine"}
    summary = "Mentioned a divorce."
    await recorded(runtime, persona, contactId=CONTACT, summary=summary, facts=facts)
    refused = await record(runtime, persona, contactId=CONTACT, summary=" ", facts={"A": 1})
    assert refused["userErrors"]
    too_long = await record(runtime, persona, contactId=CONTACT * 30, summary=summary)
    assert too_long["userErrors"]
    await live_memory(runtime, persona, contact_id=CONTACT)
    await runtime.data(CONTACT_MEMORY, contactId=CONTACT, personaId=persona["id"])
    await live_memory(viewer, persona, contact_id=CONTACT)  # a FORBIDDEN field
    await forget(api, CONTACT)


async def test_no_log_line_holds_contact_ids_summaries_or_facts(
    app: Starlette,
    api: GraphQLClient,
    client_for: ClientFactory,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    quiet_driver(logging.DEBUG)  # as serve configures its logs, whatever their level
    async with app.router.lifespan_context(app):
        runtime = await client_for(Role.RUNTIME)
        viewer = await client_for(Role.VIEWER)
        await _every_memory_request(api, runtime, viewer)

    logging.getLogger("pymongo").setLevel(logging.NOTSET)
    assert any(record.name == "app.requests" for record in caplog.records)
    for line in caplog.records:
        written = f"{line.getMessage()} {vars(line)}"
        for secret in SECRETS:
            assert secret not in written, (secret, line.name)
