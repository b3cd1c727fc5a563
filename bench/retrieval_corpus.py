"""The retrieval rows' knowledge: English-like sources and questions, the same for the same seed.

Words follow Zipf's law as English does: about a hundred real function and common words
take most of the running text ("the", "of", "and" in nearly every chunk, so their posting
lists are long, as in a real knowledge base), and a long tail of made-up but pronounceable
words carries the topics. Questions mix the common words with two or three words of the
tail's middle, which a few dozen chunks each contain. Both the API's knowledge base and
the baseline's index are made from `sources(...)`, so they hold the same text.
"""

import itertools
import random
from dataclasses import dataclass

SEED = "persona-bench-retrieval"
SOURCES = 100
CHARACTERS = 5_000_000  # in all, spread evenly over the sources
QUERIES = 200

_COMMON = (
    "the of and to a in is that for it as was with be by on not he this are or his from at"
    " which but have an they you were her she there one all we their been has when who will"
    " more no if out so said what up its about into than them can only other new some could"
    " time these two may then do first any my now such like our over man me even most made"
    " after also did many before must through back years where much your way well down should"
    " because each just those people how too little state good very make world still own see"
    " work long get here between both life being under never day same another know while last"
    " might us great old year off come since against go came right used take three"
)
COMMON = _COMMON.split()
_ONSETS = ("b", "c", "d", "f", "g", "h", "l", "m", "n", "p", "r", "s", "t", "v", "br", "st")
_VOWELS = ("a", "e", "i", "o", "u", "ai", "ea", "ou")
_CODAS = ("", "n", "r", "s", "t", "l", "nd", "st", "ck")
TAIL = 30_000  # made-up words after the common ones
_QUESTIONS = (
    "what does the {0} say about {1}",
    "how do I {0} the {1} with {2}",
    "when is {0} used for {1} and {2}",
    "why would the {0} need {1}",
    "where can we find {0} or {1} in the {2}",
    "{0} {1} {2}",
    "is there a {0} for {1}",
)


@dataclass(frozen=True)
class Source:
    title: str
    text: str


def _syllable(rng: random.Random) -> str:
    return rng.choice(_ONSETS) + rng.choice(_VOWELS) + rng.choice(_CODAS)


def vocabulary(rng: random.Random) -> list[str]:
    """The common words, then TAIL distinct made-up ones; a word's rank is its place here."""
    words = list(dict.fromkeys(COMMON))
    seen = set(words)
    while len(words) < len(COMMON) + TAIL:
        word = "".join(_syllable(rng) for _ in range(rng.randint(2, 3)))
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


def _zipf(size: int) -> list[float]:
    """Cumulative Zipf-Mandelbrot weights, rank^-1 shifted by 2.7, as fitted to English."""
    return list(itertools.accumulate(1.0 / (rank + 2.7) for rank in range(1, size + 1)))


def _sentence(rng: random.Random, words: list[str], weights: list[float]) -> str:
    chosen = rng.choices(words, cum_weights=weights, k=rng.randint(8, 22))
    return " ".join(chosen).capitalize() + "."


def _text(rng: random.Random, words: list[str], weights: list[float], characters: int) -> str:
    paragraphs: list[str] = []
    size = 0
    while size < characters:
        sentences = [_sentence(rng, words, weights) for _ in range(rng.randint(3, 8))]
        paragraphs.append(" ".join(sentences))
        size += len(paragraphs[-1]) + 2
    text = "\n\n".join(paragraphs)[:characters]
    # Exactly `characters` long, and ending in a letter or stop, not in whitespace.
    return text[:-1] + "." if text[-1].isspace() else text


def sources(count: int = SOURCES, characters: int = CHARACTERS, seed: str = SEED) -> list[Source]:
    """`count` TEXT sources of `characters // count` characters each."""
    rng = random.Random(seed)
    words = vocabulary(rng)
    weights = _zipf(len(words))
    each = characters // count
    return [
        Source(f"Handbook {i + 1}: {words[len(COMMON) + i]}", _text(rng, words, weights, each))
        for i in range(count)
    ]


def queries(count: int = QUERIES, seed: str = SEED) -> list[str]:
    """Questions of common words and two or three of the tail's middle ranks."""
    rng = random.Random(f"{seed}/queries")
    words = vocabulary(random.Random(seed))
    middle = words[len(COMMON) + 200 : len(COMMON) + 5_000]
    return [
        rng.choice(_QUESTIONS).format(*rng.sample(middle, 3)) + rng.choice(("?", "", "."))
        for _ in range(count)
    ]
