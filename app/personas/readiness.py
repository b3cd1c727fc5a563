"""What publishing the draft would do, told before anyone presses publish.

Publishing asks the same question here, so readiness and publish never disagree.
"""

from dataclasses import dataclass

from app.library.catalog import Channel, load_catalog
from app.library.knowledge.definitions import KnowledgeBaseDefinition, KnowledgeSourceKind
from app.personas.documents import Persona, Production, Snapshot
from app.personas.references import pin, same_pins
from app.personas.templates import used_variables
from app.personas.validation import publish_problems
from app.platform.errors import ErrorCode, Problem
from app.platform.quoting import quoted
from app.platform.text import Path


@dataclass(frozen=True)
class Readiness:
    pinned: Snapshot  # the draft as publishing would pin it
    problems: list[Problem]  # what publishing would refuse with
    warnings: list[Problem]  # allowed, but probably a mistake

    @property
    def publishable(self) -> bool:
        return not self.problems


NOTHING_NEW = "The draft equals production: nothing to publish."


async def readiness(
    persona: Persona, serving: Production | None = None, where: str | None = None
) -> Readiness:
    """Publishing the draft into production, or into an environment serving `serving`."""
    draft = persona.draft
    pinned, problems = await pin(persona.workspace_id, draft)
    problems = publish_problems(draft, load_catalog()) + problems
    serving = persona.production if where is None else serving
    if (
        not problems
        and serving is not None
        and serving.digest == persona.draft_digest
        and same_pins(serving.snapshot, pinned)
    ):
        message = (
            NOTHING_NEW
            if where is None
            else f"The draft equals what {where} serves: nothing to publish."
        )
        problems = [Problem(("personaId",), message, ErrorCode.NOTHING_TO_PUBLISH)]
    return Readiness(pinned, problems, warnings(pinned))


def _templates(draft: Snapshot) -> list[str]:
    texts = []
    for voice in draft.voice_configurations.values():
        texts += [voice.prompt, voice.first_message or ""]
    if draft.chat_configuration is not None:
        texts.append(draft.chat_configuration.prompt)
    return texts


def _channel_warnings(
    draft: Snapshot, field: str, label: str, channels: list[list[Channel]]
) -> list[Problem]:
    configured = {
        Channel.VOICE: bool(draft.voice_configurations),
        Channel.CHAT: draft.chat_configuration is not None,
    }
    return [
        Problem(
            ("draft", field, str(index), "channels"),
            f"The {label} is attached for {channel}, which the persona has no configuration for.",
            ErrorCode.CHANNEL_NOT_CONFIGURED,
        )
        for index, attached in enumerate(channels)
        for channel in attached
        if not configured[channel]
    ]


def warnings(draft: Snapshot) -> list[Problem]:
    """Allowed but probably a mistake: unused variables, channels the persona lacks, empty
    bases, URL sources never fetched."""
    found: list[Problem] = []
    used = set().union(*(used_variables(text) for text in _templates(draft)))
    for index, variable in enumerate(draft.variables):
        if variable.name not in used:
            message = f"Variable {variable.name!r} is defined but no template uses it."
            path = ("draft", "variables", str(index), "name")
            found.append(Problem(path, message, ErrorCode.UNUSED_VARIABLE))
    found += _channel_warnings(draft, "tools", "tool", [a.channels for a in draft.tools])
    bases = draft.knowledge_bases
    found += _channel_warnings(
        draft, "knowledgeBases", "knowledge base", [a.channels for a in bases]
    )
    for index, base in enumerate(bases):
        path = ("draft", "knowledgeBases", str(index), "knowledgeBaseId")
        if base.definition is not None and not base.definition.sources:
            message = "The knowledge base has no sources: nothing to retrieve."
            found.append(Problem(path, message, ErrorCode.EMPTY_KNOWLEDGE_BASE))
        found += _unfetched(base.definition, path)
    return found


def _unfetched(definition: KnowledgeBaseDefinition | None, path: Path) -> list[Problem]:
    """A warning for each URL source never fetched: it yields no passages."""
    sources = definition.sources if definition is not None else []
    return [
        Problem(
            path,
            f"The URL source {quoted(source.title)} was never fetched, so it yields no "
            "passages: refreshKnowledgeSource fetches it.",
            ErrorCode.URL_SOURCE_NOT_FETCHED,
        )
        for source in sources
        if source.kind is KnowledgeSourceKind.URL and source.text_hash is None
    ]
