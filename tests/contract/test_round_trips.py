"""No N+1: a page of personas costs the same few database commands whatever its size."""

import asyncio
from typing import Any

from tests.conftest import CommandLog
from tests.support.client import UPDATE, GraphQLClient, chat_input, mutate, publish, voice_input

PERSONA_COUNT = 100
BATCH = 20
MAX_COMMANDS = 3

VOICE_AR = voice_input(
    locale="ar-AE", prompt="Speak Arabic.", voiceKey="omar-ar-ae-m", firstMessage="Marhaba!"
)

VOICE = "id key name provider locales gender"
MODEL = "id key name provider channels maxOutputTokens"
VOICE_CONFIGURATION = f"""
  locale prompt firstSpeaker firstMessage temperature maxDurationSeconds
  silenceTimeoutSeconds recording voice {{ {VOICE} }} model {{ {MODEL} }}
"""
CHAT_CONFIGURATION = f"prompt temperature maxTokens forwardToVoice model {{ {MODEL} }}"
SNAPSHOT = f"""
  name memory
  voiceConfigurations {{ {VOICE_CONFIGURATION} }}
  voiceConfiguration(locale: "ar-AE") {{ {VOICE_CONFIGURATION} }}
  chatConfiguration {{ {CHAT_CONFIGURATION} }}
"""
PERSONAS = f"""
query($first: Int, $after: String) {{
  personas(first: $first, after: $after) {{
    totalCount
    pageInfo {{ hasNextPage hasPreviousPage startCursor endCursor }}
    edges {{
      cursor
      node {{
        id status revision createdAt updatedAt
        draft {{ {SNAPSHOT} }}
        production {{ version publishedAt publishedBy note snapshot {{ {SNAPSHOT} }} }}
      }}
    }}
  }}
}}
"""

PUBLISH = """
mutation($input: PublishPersonaInput!) {
  publishPersona(input: $input) { version { version } userErrors { code message } }
}
"""


async def _create_many(api: GraphQLClient, publish: list[int]) -> list[dict[str, Any]]:
    """PERSONA_COUNT personas, oldest first; those at the `publish` indexes are published."""
    created: list[dict[str, Any]] = []
    for start in range(0, PERSONA_COUNT, BATCH):
        created += await asyncio.gather(
            *(
                api.create_persona(
                    name=f"Persona {i:03d}",
                    voiceConfigurations=[voice_input(), VOICE_AR],
                    chatConfiguration=chat_input(),
                )
                for i in range(start, start + BATCH)
            )
        )
    # Concurrent creates are numbered in the order they commit, not the order they were sent.
    listed = await api.data("{ personas(first: 100) { edges { node { id } } } }")
    newest_first = [edge["node"]["id"] for edge in listed["personas"]["edges"]]
    created.sort(key=lambda persona: -newest_first.index(persona["id"]))
    for index in publish:
        persona = created[index]
        payload = (
            await api.data(
                PUBLISH,
                input={"personaId": persona["id"], "expectedRevision": persona["revision"]},
            )
        )["publishPersona"]
        assert payload["userErrors"] == [], payload["userErrors"]
    return created


async def _measure(
    api: GraphQLClient, command_log: CommandLog, **variables: Any
) -> tuple[list[str], dict[str, Any]]:
    command_log.targets.clear()
    connection: dict[str, Any] = (await api.data(PERSONAS, **variables))["personas"]
    return _persona_commands(command_log), connection


def _persona_commands(command_log: CommandLog) -> list[str]:
    # The key's lookup comes and goes with its cache entry's second: not the page's cost.
    return [name for name, collection in command_log.targets if collection != "api_keys"]


def _check_page(connection: dict[str, Any], size: int, published: int) -> None:
    """The page really resolved every nested field, so the measure covers them."""
    edges = connection["edges"]
    assert len(edges) == size
    assert connection["totalCount"] == PERSONA_COUNT
    for edge in edges:
        draft = edge["node"]["draft"]
        assert [c["locale"] for c in draft["voiceConfigurations"]] == ["en-US", "ar-AE"]
        assert draft["voiceConfigurations"][0]["voice"]["key"] == "sara-en-us-f"
        assert draft["voiceConfigurations"][1]["model"]["maxOutputTokens"] > 0
        assert draft["voiceConfiguration"]["voice"]["key"] == "omar-ar-ae-m"
        assert draft["chatConfiguration"]["model"]["key"] == "gpt-4.1"
    productions = [e["node"]["production"] for e in edges if e["node"]["production"] is not None]
    assert len(productions) == published
    for production in productions:
        assert production["version"] == 1
        assert production["snapshot"]["voiceConfigurations"][1]["voice"]["key"] == "omar-ar-ae-m"
        assert production["snapshot"]["chatConfiguration"]["model"]["channels"] == ["CHAT"]


async def test_a_page_costs_the_same_commands_whatever_its_size(
    api: GraphQLClient, command_log: CommandLog
) -> None:
    # The newest persona is published, so production resolves on both pages.
    await _create_many(api, publish=[PERSONA_COUNT - 1])

    small_commands, small = await _measure(api, command_log, first=5)
    large_commands, large = await _measure(api, command_log, first=100)

    _check_page(small, 5, published=1)
    _check_page(large, 100, published=1)
    assert len(small_commands) <= MAX_COMMANDS, small_commands
    assert large_commands == small_commands


async def test_published_personas_cost_no_more_commands(
    api: GraphQLClient, command_log: CommandLog
) -> None:
    # Many productions on the large page: a per-persona read of production would show here.
    await _create_many(api, publish=[*range(0, PERSONA_COUNT, 10), 97, 98, 99])

    small_commands, small = await _measure(api, command_log, first=5)
    large_commands, large = await _measure(api, command_log, first=100)

    _check_page(small, 5, published=3)
    _check_page(large, 100, published=13)
    assert len(small_commands) <= MAX_COMMANDS, small_commands
    assert large_commands == small_commands


async def test_a_later_page_costs_no_more(api: GraphQLClient, command_log: CommandLog) -> None:
    await _create_many(api, publish=[PERSONA_COUNT - 1])

    first_commands, first_page = await _measure(api, command_log, first=40)
    after = first_page["pageInfo"]["endCursor"]
    next_commands, next_page = await _measure(api, command_log, first=60, after=after)

    _check_page(first_page, 40, published=1)
    _check_page(next_page, 60, published=0)
    assert next_page["pageInfo"]["hasNextPage"] is False
    # The first page also reads where the newest persona is; a later page starts at its cursor.
    assert len(next_commands) <= len(first_commands) <= MAX_COMMANDS, next_commands


VERSIONED_PAGE = """
query($first: Int) {
  personas(first: $first) {
    edges { node { id versions(first: 3) { totalCount edges { node { version note } } } } }
  }
}
"""


async def test_a_page_of_personas_with_their_versions_costs_one_query_for_all_versions(
    api: GraphQLClient, command_log: CommandLog
) -> None:
    created = await _create_many(api, publish=list(range(0, PERSONA_COUNT, 2)))
    # Among the newest 50, five have more versions than a page of three shows.
    for persona in created[-50::10]:
        for round in range(3):
            edit = {"id": persona["id"], "expectedRevision": persona["revision"]}
            persona = (await mutate(api, UPDATE, **edit, name=f"v{round}"))["persona"]
            await publish(api, persona)

    command_log.targets.clear()
    small = (await api.data(VERSIONED_PAGE, first=2))["personas"]["edges"]
    small_commands = _persona_commands(command_log)
    command_log.targets.clear()
    large = (await api.data(VERSIONED_PAGE, first=50))["personas"]["edges"]
    large_commands = _persona_commands(command_log)

    assert len(small) == 2
    assert len(large) == 50
    assert large_commands == small_commands, large_commands
    assert large_commands.count("find") <= MAX_COMMANDS
    counts = {edge["node"]["versions"]["totalCount"] for edge in large}
    assert counts == {0, 1, 4}
    for edge in large:
        versions = edge["node"]["versions"]
        listed = [node["node"]["version"] for node in versions["edges"]]
        total = versions["totalCount"]
        assert listed == list(range(total, max(0, total - 3), -1))
