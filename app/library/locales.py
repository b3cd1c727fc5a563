"""BCP 47 locale tags: validation and canonical form, through langcodes."""

import functools
import re

import langcodes

from app.platform.quoting import quoted

# Far above any real tag ("zh-Hant-TW-u-nu-hanidec" is 23), and short enough for langcodes,
# whose parser recurses once per subtag.
MAX_LOCALE = 64
# langcodes also accepts "en_US"; the contract speaks BCP 47, whose only separator is "-".
_TAG_SHAPE = re.compile(r"^[A-Za-z]{2,8}(-[A-Za-z0-9]{1,8})*$")


class InvalidLocale(ValueError):
    """The text is not a well-formed, known BCP 47 language tag."""


# langcodes takes tens of microseconds a tag, and every call start names one: the few tags in
# use are remembered (what raises is not kept, so a bad tag costs what it did).
@functools.lru_cache(maxsize=1024)
def canonical_locale(tag: str) -> str:
    """The canonical spelling of a BCP 47 tag ("en-us" -> "en-US"); raises InvalidLocale."""
    if len(tag) > MAX_LOCALE:
        raise InvalidLocale(f"{quoted(tag)} is not a language tag: over {MAX_LOCALE} characters")
    if not _TAG_SHAPE.match(tag):
        raise InvalidLocale(f"{quoted(tag)} is not a BCP 47 language tag")
    try:
        if not langcodes.tag_is_valid(tag):
            raise InvalidLocale(f"{quoted(tag)} is not a valid BCP 47 language tag")
        return str(langcodes.standardize_tag(tag))
    except (ValueError, LookupError) as exc:
        raise InvalidLocale(f"{quoted(tag)} is not a valid BCP 47 language tag") from exc


def language_of(tag: str) -> str:
    return tag.split("-", 1)[0].lower()
