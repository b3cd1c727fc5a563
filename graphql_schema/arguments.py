"""Arguments refused before anything reads them: GraphQL errors with code BAD_USER_INPUT.

Every string argument is bounded here or where it is parsed (locales, cursors) before any
parser or the database sees it, so a hostile value gets a clear refusal, not a masked bug.
"""

from graphql import GraphQLError

from app.memory.spaces import MAX_CONTACT_ID
from app.personas.pages import MAX_SEARCH
from app.platform.requestlog import current_request

BAD_USER_INPUT = "BAD_USER_INPUT"


def bad_user_input(message: str) -> GraphQLError:
    """A refused argument, with the request id as masked errors carry it."""
    extensions = {"code": BAD_USER_INPUT}
    if (info := current_request.get()) is not None:
        extensions["requestId"] = info.id
    return GraphQLError(message, extensions=extensions)


def search_text(search: str | None) -> str | None:
    """A `search` argument as given; a GraphQL error when it is too long to be a name's part."""
    if search is not None and len(search) > MAX_SEARCH:
        raise bad_user_input(f"search must be at most {MAX_SEARCH} characters.")
    return search


def contact_id(value: str) -> str:
    """A `contactId` argument as given; a GraphQL error outside 1..MAX_CONTACT_ID characters."""
    if not 1 <= len(value) <= MAX_CONTACT_ID:
        raise bad_user_input(f"contactId must be 1 to {MAX_CONTACT_ID} characters.")
    return value
