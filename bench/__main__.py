"""Benchmarks, printed as ratios against a baseline measured in the same run.

The baseline for reading a page is the raw driver fetching the same 100 documents:
the ratio says what the GraphQL layer (parsing, validation, resolving, JSON) costs
on top of the database, independent of how busy this machine is.
"""

import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import httpx

from app.access import Principal, Role
from app.asgi import create_app
from app.database import bind, connect
from app.documents import ChatConfiguration, Persona, VoiceConfiguration
from app.embedded import EmbeddedDatabase
from app.keys import issue_key, workspace_named
from app.personas import NewPersona, create_persona
from app.publishing import publish_persona
from app.settings import Settings

PAGE_QUERY = """{ personas(first: 100) { totalCount edges { node { id status revision
  draft { name voiceConfigurations { locale prompt voice { key name locales }
  model { key maxOutputTokens } } chatConfiguration { prompt model { key } } }
  production { version snapshot { name } } } } } }"""

ROUNDS = 30


async def _median(call: Callable[[], Awaitable[object]]) -> float:
    await call()
    samples = []
    for _ in range(ROUNDS):
        start = time.perf_counter()
        await call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def _persona(index: int) -> NewPersona:
    voices = tuple(
        VoiceConfiguration(
            locale=locale,
            prompt="p" * 400,
            voice_key=voice,
            model_key="gpt-4o-mini",
            first_message="Hello",
        )
        for locale, voice in (("en-US", "sara-en-us-f"), ("ar-AE", "layla-ar-ae-f"))
    )
    chat = ChatConfiguration(prompt="c" * 400, model_key="gpt-4.1")
    return NewPersona(name=f"Persona {index}", voice_configurations=voices, chat_configuration=chat)


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, EmbeddedDatabase(Path(tmp)) as server:
        client = connect(server.uri)
        database = client["bench"]
        await bind(database)
        workspace = await workspace_named("bench")
        assert workspace.id is not None
        issued = await issue_key(workspace.id, "bench", Role.ADMIN)
        actor = Principal(workspace.id, Role.ADMIN, "bench")
        for index in range(100):
            persona = await create_persona(actor, _persona(index))
            assert persona.id is not None
            if index % 2 == 0:
                await publish_persona(actor, persona.id, persona.revision, None)
        app = create_app(Settings(), database)
        transport = httpx.ASGITransport(app=app)
        headers = {"Authorization": f"Bearer {issued.secret}"}
        async with httpx.AsyncClient(
            transport=transport, base_url="http://bench", headers=headers
        ) as http:

            async def graphql_page() -> object:
                response = await http.post("/graphql", json={"query": PAGE_QUERY})
                assert "errors" not in response.json()
                return response

            async def raw_page() -> object:
                return await Persona.get_pymongo_collection().find().limit(100).to_list()

            baseline = await _median(raw_page)
            measured = await _median(graphql_page)
        await client.close()
    print(f"personas(first: 100), nested: {measured * 1000:.1f} ms median")
    print(f"raw driver fetch of 100 documents (baseline): {baseline * 1000:.1f} ms median")
    print(f"ratio graphql/baseline: {measured / baseline:.1f}x")


if __name__ == "__main__":
    asyncio.run(main())
