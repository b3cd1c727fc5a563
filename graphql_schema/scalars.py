"""Custom scalars. Locale is checked by the resolvers, so mutations can report it as a userError."""

from typing import NewType

import strawberry

from app.library.locales import InvalidLocale, canonical_locale
from graphql_schema.arguments import bad_user_input


def _parse_locale(value: object) -> str:
    if not isinstance(value, str):
        raise bad_user_input("Locale must be a string such as 'en-US'.")
    return value


Locale = NewType("Locale", str)

LOCALE_SCALAR = strawberry.scalar(
    name="Locale",
    description='BCP 47 language tag, e.g. "en-US", "ar-AE"; invalid tags are rejected',
    specified_by_url="https://www.rfc-editor.org/rfc/bcp/bcp47.txt",
    serialize=str,
    parse_value=_parse_locale,
)


def query_locale(value: str | None) -> str | None:
    """The canonical form of a locale argument of a query; a GraphQL error when malformed."""
    if value is None:
        return None
    try:
        return canonical_locale(value)
    except InvalidLocale as exc:
        raise bad_user_input(f"{exc}.") from None
