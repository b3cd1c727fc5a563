"""retrieveKnowledge searches a version's knowledge bases exactly as it pinned them."""

from typing import Any

from app.library.retrieval.cache import indexes
from tests.support.client import UPDATE, GraphQLClient, errors_of, mutate, publish
from tests.support.library import ADD_SOURCES, DELETE_KB, REMOVE_SOURCE, SET_KNOWLEDGE_BASES
from tests.support.retrieval import base_of, published_with, retrieve, search, source

PARKING = ("Parking", "Free parking is in the underground garage on Cedar Street.")
HOURS = ("Opening hours", "We are open from 9:00 to 17:00, Monday to Friday.")
PRICES = ("Parking prices", "Parking in the garage costs 2 dollars an hour after 18:00.")


async def _edit_after_publishing(api: GraphQLClient, base: dict[str, Any]) -> None:
    """Add a source about parking, then remove the one there was."""
    added = await api.ok(
        ADD_SOURCES,
        "addKnowledgeSources",
        input={"knowledgeBaseId": base["id"], "expectedRevision": 1, "sources": [source(*PRICES)]},
    )
    parking = base["sources"][0]["id"]
    removal = {"knowledgeBaseId": base["id"], "expectedRevision": 2, "sourceId": parking}
    await api.ok(REMOVE_SOURCE, "removeKnowledgeSource", input=removal)
    assert added["knowledgeBase"]["revision"] == 2


async def test_editing_a_base_after_publishing_changes_nothing_retrieved(
    api: GraphQLClient,
) -> None:
    base = await base_of(api, "Front desk", PARKING, HOURS)
    persona, version = await published_with(api, {"knowledgeBaseId": base["id"]})
    before = await retrieve(api, persona, version, "parking garage")
    assert [p["title"] for p in before] == ["Parking"]
    assert before[0]["knowledgeBaseId"] == base["id"]
    await _edit_after_publishing(api, base)
    assert await retrieve(api, persona, version, "parking garage") == before
    # The base as it is now has the new source and not the old one.
    now = await search(api, base, "parking garage")
    assert [p["title"] for p in now] == ["Parking prices"]
    # A version published after the edit retrieves the base as it then was.
    renamed = {"id": persona["id"], "expectedRevision": persona["revision"], "name": "Renamed"}
    edited = (await api.ok(UPDATE, "updatePersona", input=renamed))["persona"]
    republished = await publish(api, edited)
    assert republished["userErrors"] == []
    newer = republished["version"]["version"]
    assert [p["title"] for p in await retrieve(api, persona, newer, "parking garage")] == [
        "Parking prices"
    ]
    assert await retrieve(api, persona, version, "parking garage") == before


async def test_deleting_a_base_after_publishing_changes_nothing_retrieved(
    api: GraphQLClient,
) -> None:
    base = await base_of(api, "Front desk", PARKING, HOURS)
    persona, version = await published_with(api, {"knowledgeBaseId": base["id"]})
    before = await retrieve(api, persona, version, "parking on Monday")
    assert len(before) == 2
    detach = {"personaId": persona["id"], "expectedRevision": persona["revision"]}
    await api.ok(
        SET_KNOWLEDGE_BASES, "setPersonaKnowledgeBases", input={**detach, "knowledgeBases": []}
    )
    assert errors_of(await mutate(api, DELETE_KB, id=base["id"])) == []
    assert await retrieve(api, persona, version, "parking on Monday") == before
    # Indexes are derived: rebuilt from the texts the database keeps, they find the same.
    indexes.clear()
    assert await retrieve(api, persona, version, "parking on Monday") == before


async def test_only_the_bases_attached_to_the_channel_are_searched(api: GraphQLClient) -> None:
    voice = await base_of(api, "Voice FAQ", PARKING)
    chat = await base_of(api, "Chat FAQ", ("Parking by chat", "Parking is free for visitors."))
    persona, version = await published_with(
        api,
        {"knowledgeBaseId": voice["id"], "channels": ["VOICE"]},
        {"knowledgeBaseId": chat["id"], "channels": ["CHAT"]},
    )
    by_voice = await retrieve(api, persona, version, "parking", channel="VOICE")
    by_chat = await retrieve(api, persona, version, "parking", channel="CHAT")
    assert [p["knowledgeBaseId"] for p in by_voice] == [voice["id"]]
    assert [p["knowledgeBaseId"] for p in by_chat] == [chat["id"]]
    unattached, only = await published_with(api, name="No knowledge")
    assert await retrieve(api, unattached, only, "parking") == []


async def test_passages_of_several_bases_are_ranked_together(api: GraphQLClient) -> None:
    first = await base_of(api, "First", PARKING, HOURS)
    second = await base_of(api, "Second", PRICES)
    persona, version = await published_with(
        api, {"knowledgeBaseId": first["id"]}, {"knowledgeBaseId": second["id"]}
    )
    passages = await retrieve(api, persona, version, "parking garage prices")
    assert [(p["knowledgeBaseId"], p["title"]) for p in passages] == [
        (second["id"], "Parking prices"),
        (first["id"], "Parking"),
    ]
    scores = [p["score"] for p in passages]
    assert scores == sorted(scores, reverse=True)


async def test_top_k_defaults_to_the_largest_of_the_attachments(api: GraphQLClient) -> None:
    many = [(f"Parking {n}", f"Parking note number {n} about the garage.") for n in range(8)]
    small = await base_of(api, "Small", *many[:4])
    large = await base_of(api, "Large", *many[4:])
    persona, version = await published_with(
        api,
        {"knowledgeBaseId": small["id"], "topK": 2},
        {"knowledgeBaseId": large["id"], "topK": 3, "channels": ["VOICE"]},
    )
    assert len(await retrieve(api, persona, version, "parking", channel="VOICE")) == 3
    # On chat only the small base is attached, with its topK.
    chat = await retrieve(api, persona, version, "parking", channel="CHAT")
    assert len(chat) == 2
    assert {p["knowledgeBaseId"] for p in chat} == {small["id"]}
    assert len(await retrieve(api, persona, version, "parking", topK=7)) == 7
    assert len(await retrieve(api, persona, version, "parking", topK=50)) == 8
