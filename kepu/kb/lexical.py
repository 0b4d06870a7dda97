"""BM25 over jieba tokens (bm25s). Rebuilt from the manifest's chunks when an index version loads."""

from __future__ import annotations

import logging
import math

import bm25s
import numpy as np

logging.getLogger("bm25s").setLevel(logging.WARNING)  # bm25s sets DEBUG on import


class LexicalIndex:
    def __init__(self, token_lists: list[list[str]]) -> None:
        self._n = len(token_lists)
        self._df: dict[str, int] = {}
        for toks in token_lists:
            for tok in set(toks):
                self._df[tok] = self._df.get(tok, 0) + 1
        self._vocab = set(self._df)
        self._bm25 = bm25s.BM25()
        if self._n:
            # bm25s needs at least one token per document
            self._bm25.index([toks or ["\u2205"] for toks in token_lists], show_progress=False)

    def idf(self, token: str) -> float:
        """Inverse document frequency; a token the index never saw gets the highest value."""
        return math.log((self._n + 1) / (self._df.get(token, 0) + 0.5))

    def scores(self, tokens: list[str]) -> np.ndarray:
        toks = [t for t in tokens if t in self._vocab]
        if not self._n or not toks:
            return np.zeros(self._n, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(toks), dtype=np.float32)

    def search(self, tokens: list[str], k: int) -> list[tuple[int, float]]:
        scores = self.scores(tokens)
        if not len(scores):
            return []
        order = np.argsort(-scores)[:k]
        return [(int(i), float(scores[i])) for i in order if scores[i] > 0]
