"""Vectors of approved Q&A pairs' questions: computed at ingest into the embedding cache, read back when
a serving process builds its matcher (kepu/answering/faq.py). Both sides list the texts in one order."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from kepu.kb.embed_cache import EmbeddingCache
from kepu.kb.embedders import Embedder
from kepu.kb.types import FaqPair
from kepu.text import normalize


class _AsQueries:
    """An embedder whose passages are embedded as queries: pair questions are compared with user
    questions, question to question (e5's symmetric use). Its own cache key."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.id = f"{inner.id}+query"

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return np.vstack([self.inner.embed_query(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self.inner.embed_query(text)


def question_vectors(embedder: Embedder, cache_path: Path, texts: list[str]) -> tuple[np.ndarray, int]:
    """Query vectors of ``texts`` through the embedding cache, and how many had to be computed."""
    if not texts:
        return np.zeros((0, 0), dtype=np.float32), 0
    cache = EmbeddingCache(cache_path)
    try:
        hashes = [hashlib.sha256(t.encode("utf-8")).hexdigest()[:32] for t in texts]
        return cache.embed(_AsQueries(embedder), hashes, texts)  # type: ignore[arg-type]
    finally:
        cache.close()


def pair_rows(pairs: list[FaqPair]) -> list[tuple[int, str, bool]]:
    """(pair index, text normalised, negative?) for every question and negative question of
    ``pairs``, in one fixed order: the order their vectors are computed and cached in."""
    return [
        (i, normalize(t), neg)
        for i, p in enumerate(pairs)
        for t, neg in [*((q, False) for q in p.questions()), *((n, True) for n in p.negative)]
    ]


def pair_texts(pairs: list[FaqPair]) -> list[str]:
    """The texts of pair_rows, for computing their vectors at ingest."""
    return [t for _, t, _ in pair_rows(pairs)]
