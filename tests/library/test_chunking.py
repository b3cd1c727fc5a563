"""Passages: at most 2,000 characters, cut at the widest boundary there is, with offsets."""

import itertools
import random

import pytest

from app.library.retrieval.chunking import MAX_CHARS, Chunk, chunk


def _assert_faithful(text: str, chunks: list[Chunk], limit: int = MAX_CHARS) -> None:
    """Each chunk is the source at its offset, within the limit, in order, covering every
    non-blank character exactly once."""
    covered = 0
    for part in chunks:
        assert 1 <= len(part.text) <= limit
        assert text[part.start : part.start + len(part.text)] == part.text
        assert part.text == part.text.strip()
        assert part.start >= covered
        assert text[covered : part.start].strip() == ""
        covered = part.start + len(part.text)
    assert text[covered:].strip() == ""


def test_short_paragraphs_are_packed_into_chunks_that_end_at_paragraph_ends() -> None:
    paragraphs = [f"Paragraph {n}. " + "word " * 60 for n in range(40)]
    text = "\n\n".join(p.strip() for p in paragraphs)
    chunks = chunk(text)
    _assert_faithful(text, chunks)
    assert len(chunks) > 1
    for part in chunks:
        assert part.text.startswith("Paragraph")
        end = part.start + len(part.text)
        assert text[end : end + 2] in ("\n\n", "")  # never inside a paragraph
    # As many whole paragraphs as fit: adding the next one would pass the limit.
    for part, following in itertools.pairwise(chunks):
        assert following.start + len(following.text.split("\n\n")[0]) - part.start > MAX_CHARS


def test_a_long_paragraph_is_cut_at_sentence_ends() -> None:
    sentences = [f"Sentence {n} says {'much ' * 20}here." for n in range(50)]
    text = "Intro.\n\n" + " ".join(sentences) + "\n\nOutro."
    chunks = chunk(text)
    _assert_faithful(text, chunks)
    assert [chunks[0].text, chunks[-1].text] == ["Intro.", "Outro."]
    for part in chunks[1:-1]:
        assert part.text.startswith("Sentence")
        assert part.text.endswith("here.")


def test_sentences_end_at_arabic_and_other_stops_and_closing_quotes() -> None:
    text = 'He said "Stop!" Then left? Yes. Ok… هل أنت هنا؟ نعم。 Done'
    assert [c.text for c in chunk(text, 16)] == [
        'He said "Stop!"',
        "Then left? Yes.",
        "Ok… هل أنت هنا؟",
        "نعم。 Done",
    ]


def test_a_sentence_longer_than_the_limit_is_cut_at_word_ends() -> None:
    text = " ".join(f"w{n:04d}" for n in range(1_000))  # one sentence, 5,999 characters
    chunks = chunk(text)
    _assert_faithful(text, chunks)
    # 333 words of six characters with their spaces fit in 2,000, less the last space.
    assert [len(part.text) for part in chunks] == [1_997, 1_997, 1_997, 5]
    assert chunks[-1] == Chunk(5_994, "w0999")


def test_a_word_longer_than_the_limit_is_sliced() -> None:
    blob = "x" * 4_500
    text = f"See {blob} there."
    chunks = chunk(text)
    _assert_faithful(text, chunks)
    assert [c.text for c in chunks] == ["See", "x" * 2_000, "x" * 2_000, "x" * 500, "there."]
    assert [c.start for c in chunks] == [0, 4, 2_004, 4_004, 4_505]


def test_blank_and_empty_texts_have_no_chunks() -> None:
    assert chunk("") == []
    assert chunk(" \n\n\t ") == []
    assert chunk("  one  ") == [Chunk(2, "one")]


def test_offsets_count_characters_not_bytes() -> None:
    text = "مرحبا بكم.\n\nSecond paragraph, in English."
    chunks = chunk(text, 20)
    assert [(c.start, c.text) for c in chunks] == [
        (0, "مرحبا بكم."),
        (12, "Second paragraph, in"),
        (33, "English."),
    ]


def test_any_text_is_cut_faithfully_and_always_the_same_way() -> None:
    rng = random.Random(16)
    alphabet = ["word", "كلمة", ".", "?", "؟", "!", " ", " ", " ", "\n", "\n\n", "x" * 300]
    for _ in range(50):
        text = "".join(rng.choice(alphabet) for _ in range(rng.randrange(0, 3_000)))
        limit = rng.choice([1, 7, 80, 500, MAX_CHARS])
        chunks = chunk(text, limit)
        _assert_faithful(text, chunks, limit)
        assert chunk(text, limit) == chunks


def test_the_limit_is_at_most_two_thousand() -> None:
    with pytest.raises(ValueError, match="limit"):
        chunk("text", MAX_CHARS + 1)
