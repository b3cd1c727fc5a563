"""The BM25 engine: bm25s's sparse index over the chunks of the texts given, each chunk
searched with its source's title.

bm25s keeps, for each word, the BM25 weight of every chunk it occurs in (Lucene's variant,
k1 = 1.5, b = 0.75), so a query costs a few array reads and one sum over the chunks
that share a word with it. It is pure Python over numpy, with no server and no native
build beyond numpy.

Scores are BM25 divided by the best score the query could reach on this content: each of
its distinct words that the content uses weighs its IDF times (k1 + 1), the bound of BM25's
term-frequency part. That ratio lies in [0, 1), depends only on the query and the content,
and reads alike across knowledge bases: 0.4 is a chunk of average length holding each of
those words once. Words the content never uses ("when", "you" in most questions) change
no score: they would lower every chunk alike.
"""

import math
import sys
from collections.abc import Iterable

import bm25s
import numpy as np

from app.library.retrieval.chunking import chunk
from app.library.retrieval.engine import Hit, Passage, SourceText
from app.library.retrieval.tokens import tokens, tokens_of

K1 = 1.5
B = 0.75
# Scores are given to this many decimals: floats summed in another order must not differ.
DECIMALS = 6
# What a Python dict entry and a small str cost beyond their characters, roughly.
_ENTRY_BYTES = 120
_FLOAT_BYTES = 24
# Above zero: a chunk sharing no word with the query is no hit, however few the hits.
_SMALLEST = np.nextafter(np.float32(0), np.float32(1))


def _distinct(words: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(words))


class Bm25Index:
    def __init__(self, texts: list[SourceText]) -> None:
        self._passages: list[Passage] = []
        searched: list[str] = []
        for source in texts:
            for part in chunk(source.text):
                self._passages.append(Passage(source.source_id, part))
                searched.append(f"{source.title}\n{part.text}")
        corpus = tokens_of(searched)
        self._engine: bm25s.BM25 | None = None
        self._document_frequency: np.ndarray = np.zeros(0, dtype=np.int64)
        if any(corpus):  # bm25s divides by the average length: no words, no index
            engine = bm25s.BM25(k1=K1, b=B, method="lucene")
            engine.index(corpus, show_progress=False)
            # Column lengths of the word-by-chunk matrix: in how many chunks each word occurs.
            self._document_frequency = np.diff(engine.scores["indptr"])
            self._engine = engine
        chunks = len(self._passages)
        self._idf = [
            math.log(1 + (chunks - frequency + 0.5) / (frequency + 0.5))
            for frequency in self._document_frequency.tolist()
        ]
        self.size_bytes = self._estimate()

    def _estimate(self) -> int:
        size = sum(sys.getsizeof(p.chunk.text) + _ENTRY_BYTES for p in self._passages)
        if self._engine is not None:
            size += sum(array.nbytes for array in self._arrays())
            size += sum(sys.getsizeof(word) + _ENTRY_BYTES for word in self._engine.vocab_dict)
            size += sys.getsizeof(self._idf) + _FLOAT_BYTES * len(self._idf)
        return size

    def _arrays(self) -> list[np.ndarray]:
        assert self._engine is not None
        scores = self._engine.scores
        return [scores["data"], scores["indices"], scores["indptr"], self._document_frequency]

    def search(self, query: str, top_k: int) -> list[Hit]:
        engine = self._engine
        words = _distinct(tokens(query))
        if engine is None or not words:
            return []
        vocabulary: dict[str, int] = engine.vocab_dict
        known = [vocabulary[word] for word in words if word in vocabulary]
        if not known:
            return []
        best = (K1 + 1) * sum(self._idf[i] for i in known)
        raw = engine.get_scores_from_ids(known)
        # The top_k best by (score, then chunk order): a partition finds the k-th best score,
        # and only chunks scoring at least that are sorted.
        if top_k < len(raw):
            floor = np.partition(raw, len(raw) - top_k)[len(raw) - top_k]
            candidates = np.flatnonzero(raw >= max(floor, _SMALLEST))
        else:
            candidates = np.flatnonzero(raw > 0)
        order = candidates[np.lexsort((candidates, -raw[candidates]))][:top_k]
        return [
            Hit(self._passages[position], round(float(raw[position]) / best, DECIMALS))
            for position in order
        ]


def build(texts: list[SourceText]) -> Bm25Index:
    return Bm25Index(texts)
