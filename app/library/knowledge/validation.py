"""Every rule of a knowledge base and its sources, reported as Problems with field paths."""

from app.library.knowledge.definitions import (
    KnowledgeBaseChanges,
    KnowledgeSourceKind,
    KnowledgeSourceSpec,
)
from app.library.urls import check_url
from app.platform import text
from app.platform.errors import Problem
from app.platform.text import Path, check_text

MAX_NAME = 200
MAX_DESCRIPTION = 1_000
MAX_SOURCES = 100
MAX_TITLE = 200
MAX_TEXT = 200_000


def check_name(name: str, path: Path) -> list[Problem]:
    return text.check_name(name, path, "Name", MAX_NAME)[1]


def stored_name(name: str) -> str:
    """The name as stored: NFC, without surrounding whitespace."""
    return text.check_name(name, (), "Name", MAX_NAME)[0]


def check_description(description: str | None, path: Path) -> list[Problem]:
    if description is not None and len(description) > MAX_DESCRIPTION:
        return [Problem(path, f"Description must be at most {MAX_DESCRIPTION} characters.")]
    return []


def check_changes(changes: KnowledgeBaseChanges) -> list[Problem]:
    problems = []
    if changes.name is not None:
        problems += check_name(changes.name, ("name",))
    return problems + check_description(changes.description, ("description",))


def check_sources(sources: list[KnowledgeSourceSpec], kept: int, path: Path) -> list[Problem]:
    """`sources` to add to a base that keeps `kept` others."""
    if kept + len(sources) > MAX_SOURCES:
        message = f"A knowledge base holds at most {MAX_SOURCES} sources."
        return [Problem(path, message)]
    problems = []
    for index, source in enumerate(sources):
        problems += check_source(source, (*path, str(index)))
    return problems


def check_source(source: KnowledgeSourceSpec, path: Path) -> list[Problem]:
    problems = check_text(source.title, (*path, "title"), "Title", MAX_TITLE)
    if source.kind is KnowledgeSourceKind.TEXT:
        if source.text is None:
            problems.append(Problem((*path, "text"), "A TEXT source needs its text."))
        else:
            problems += check_text(source.text, (*path, "text"), "Text", MAX_TEXT)
        if source.url is not None:
            message = "A TEXT source has no url: use a URL source for a page."
            problems.append(Problem((*path, "url"), message))
    else:
        if source.url is None:
            problems.append(Problem((*path, "url"), "A URL source needs its url."))
        else:
            problems += check_url(source.url, (*path, "url"))
        if source.text is not None:
            message = "A URL source's text is what fetching it finds: leave text null."
            problems.append(Problem((*path, "text"), message))
    return problems
