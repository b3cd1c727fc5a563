"""Prompts and first messages as Liquid templates: checked at write, rendered at call start.

One strict environment: a variable the values do not hold is an error at render, never
an empty string. Templates cannot include others (there is nothing to include), and a
template that loops or grows without bound is stopped by the resource limits.
"""

from collections.abc import Mapping
from functools import lru_cache

from liquid import BoundTemplate, Environment, StrictUndefined
from liquid.exceptions import LiquidError

from app.platform.errors import DomainError, ErrorCode, Problem
from app.platform.text import Path

# Distinct template texts kept compiled: each persona version has at most a few dozen.
TEMPLATE_CACHE_SIZE = 2_048
# Renders kept, keyed by the template and the values it reads, when those are plain: the same
# prompt for every call of a persona costs a lookup. Few, since a prompt may be 32,000 characters.
RENDER_CACHE_SIZE = 256
_PLAIN = (str, int, float, bool, type(None))
# Quoted from the library's message, which may quote the template: no more than this.
MAX_QUOTE = 100


class _PromptEnvironment(Environment):
    # A prompt is at most 32,000 characters; these bound what a loop can make of it.
    loop_iteration_limit = 10_000
    output_stream_limit = 256 * 1024
    local_namespace_limit = 256 * 1024


ENVIRONMENT = _PromptEnvironment(undefined=StrictUndefined)
# Without a loader these could only fail at render; unknown tags are refused at write.
for _tag in ("include", "render"):
    del ENVIRONMENT.tags[_tag]


class OpenMapping(dict[str, object]):
    """Values whose keys nobody can know in advance (a contact's facts): a key missing
    reads as nil, so `default` and `if` work on it, where the strict environment would fail."""

    def __missing__(self, key: str) -> None:
        return None


class RenderFailed(DomainError):
    """A template that parsed could not render with these values (undefined, too big ...)."""

    def __init__(self, message: str) -> None:
        super().__init__([Problem((), message, ErrorCode.INVALID_TEMPLATE)])


def _quoted(error: LiquidError) -> str:
    text = str(error.message or type(error).__name__)
    return text if len(text) <= MAX_QUOTE else text[: MAX_QUOTE - 1] + "…"


def _described(error: LiquidError) -> str:
    context = error.context()
    where = f" on line {context[0]}" if context else ""
    return f"Template error{where}: {_quoted(error)}."


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def compiled(text: str) -> BoundTemplate:
    """The parsed template; raises LiquidError. Errors are not cached, templates are."""
    return ENVIRONMENT.from_string(text)


def check_template(text: str, path: Path) -> list[Problem]:
    """A syntax error, or a filter the environment lacks, as INVALID_TEMPLATE at `path`."""
    try:
        template = compiled(text)
        filters = template.filter_names(include_partials=False)
    except LiquidError as error:
        return [Problem(path, _described(error), ErrorCode.INVALID_TEMPLATE)]
    unknown = sorted(name for name in filters if name not in ENVIRONMENT.filters)
    if unknown:
        names = ", ".join(repr(name[:MAX_QUOTE]) for name in unknown[:5])
        message = f"Unknown template filter: {names}."
        return [Problem(path, message, ErrorCode.INVALID_TEMPLATE)]
    return []


def used_variables(text: str) -> set[str]:
    """The root names the template reads from its values.

    Names the template makes itself (assign, capture, increment, loop variables) are not
    among them. A template that does not parse uses nothing: check_template reports it.
    """
    try:
        return set(compiled(text).global_variables(include_partials=False))
    except LiquidError:
        return set()


@lru_cache(maxsize=TEMPLATE_CACHE_SIZE)
def _reads(text: str) -> frozenset[str] | None:
    """The names a template's render depends on; None if it may depend on more (the date
    filter reads the clock for "now"), or if it does not parse."""
    try:
        if "date" in compiled(text).filter_names(include_partials=False):
            return None
    except LiquidError:
        return None
    return frozenset(used_variables(text))


Read = tuple[tuple[str, type, object], ...]


def _memo_key(text: str, values: Mapping[str, object]) -> Read | None:
    reads = _reads(text)
    if reads is None:
        return None
    # The type too: True == 1 == 1.0 as keys, but they render "true", "1" and "1.0".
    read = tuple(sorted((n, type(values[n]), values[n]) for n in reads if n in values))
    return read if all(isinstance(value, _PLAIN) for *_, value in read) else None


@lru_cache(maxsize=RENDER_CACHE_SIZE)
def _rendered(text: str, read: Read) -> str:
    return compiled(text).render(**{name: value for name, _, value in read})


def render(text: str, values: Mapping[str, object]) -> str:
    """The template filled in; RenderFailed says why it cannot be, without quoting it."""
    try:
        if (read := _memo_key(text, values)) is not None:
            return _rendered(text, read)
        return compiled(text).render(**values)
    except LiquidError as error:
        raise RenderFailed(_described(error)) from None
