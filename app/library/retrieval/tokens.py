"""Words as the index and the query see them, script by script, word by word.

Every text is normalised first (NFKC, which also maps Arabic presentation forms to letters;
Arabic-Indic digits to ASCII ones; Arabic diacritics and tatweel removed; alef with hamza
above or below, with madda, and wasla read as a bare alef; case folded), then cut into
runs of one script each, so a knowledge base mixing languages needs no setting: Latin runs
are stemmed by the English Snowball stemmer, Arabic runs by the Arabic one, and words of
other scripts are kept as Unicode splits them.
The same text always gives the same tokens; their order does not matter to BM25.
"""

import re
import threading
import unicodedata

import Stemmer

# Harakat, Quranic marks, the superscript alef and tatweel: written or not, the same word.
_ARABIC_MARKS = re.compile(
    "[\u0610-\u061a\u064b-\u065f\u0670\u06d6-\u06dc\u06df-\u06e8\u06ea-\u06ed\u0640]"
)
_ALEF = "\u0627"
_FOLD = str.maketrans(
    {
        **dict.fromkeys("\u0623\u0625\u0622\u0671", _ALEF),  # hamza above, below, madda, wasla
        **{chr(0x0660 + digit): str(digit) for digit in range(10)},  # Arabic-Indic digits
        **{chr(0x06F0 + digit): str(digit) for digit in range(10)},  # Persian and Urdu ones
    }
)
_ARABIC_LETTERS = (
    "\u0621-\u063a\u0641-\u064a\u066e\u066f\u0671-\u06d3\u06d5\u06ee\u06ef\u06fa-\u06fc\u06ff"
    "\u0750-\u077f\u08a0-\u08c9"
)
_LATIN_LETTERS = "0-9a-z\u00aa\u00b5\u00ba\u00df-\u00f6\u00f8-\u024f\u1e00-\u1eff"
_ARABIC_RUN = re.compile(f"[{_ARABIC_LETTERS}]+")
# "and the ...", "so the ...": the Snowball stemmer takes off the article but not the
# conjunction before it, so it goes first (as light stemmers such as Larkey's do it).
_CONJUNCTIONS = ("\u0648\u0627\u0644", "\u0641\u0627\u0644")
_LATIN_RUN = re.compile(f"[{_LATIN_LETTERS}]+")
# Letters and digits of any other script; `_` and punctuation separate words.
_OTHER_RUN = re.compile(f"[^\\W_{_ARABIC_LETTERS}{_LATIN_LETTERS}]+")

# A stemmer is not safe to share between threads: indexes are built in worker threads
# while queries are read on the event loop. Its own cache is off: `_stemmed` stems each
# distinct word of a batch once, which a bounded cache thrashing on a large vocabulary
# would not.
_local = threading.local()


def _stemmer(language: str) -> Stemmer.Stemmer:
    stemmers: dict[str, Stemmer.Stemmer] | None = getattr(_local, "stemmers", None)
    if stemmers is None:
        stemmers = _local.stemmers = {}
    found = stemmers.get(language)
    if found is None:
        found = stemmers[language] = Stemmer.Stemmer(language, 0)
    return found


def _stemmed(language: str, texts: list[list[str]]) -> list[list[str]]:
    distinct = list({word for words in texts for word in words})
    stems = dict(zip(distinct, _stemmer(language).stemWords(distinct), strict=True))
    return [[stems[word] for word in words] for words in texts]


def _without_conjunction(word: str) -> str:
    return word[1:] if len(word) > 4 and word.startswith(_CONJUNCTIONS) else word


def normalised(text: str) -> str:
    folded = unicodedata.normalize("NFKC", text).casefold()
    return _ARABIC_MARKS.sub("", folded).translate(_FOLD)


def tokens_of(texts: list[str]) -> list[list[str]]:
    """The words of each text as the index keeps them: stemmed where a stemmer knows the
    script."""
    normal = [normalised(text) for text in texts]
    latin = _stemmed("english", [_LATIN_RUN.findall(text) for text in normal])
    # An ASCII text (most English ones) has no word of another script: two passes saved.
    arabic = _stemmed(
        "arabic",
        [
            [] if text.isascii() else [_without_conjunction(w) for w in _ARABIC_RUN.findall(text)]
            for text in normal
        ],
    )
    return [
        english + arabic_words + ([] if text.isascii() else _OTHER_RUN.findall(text))
        for english, arabic_words, text in zip(latin, arabic, normal, strict=True)
    ]


def tokens(text: str) -> list[str]:
    return tokens_of([text])[0]
