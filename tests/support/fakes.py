"""In-process fakes for unit tests of routing, composing, dialog, API shape and WeChat protocol.

``HashEmbedder`` implements the real ``Embedder`` interface without a model: the vector of a text is
its character unigrams and bigrams hashed into ``DIM`` buckets, plus a fixed component shared by every
text. The shared component gives it e5's geometry — unrelated Chinese texts sit at about
``BASELINE`` cosine, identical texts at 1.0, and texts sharing half their characters in between —
so the answer path's thresholds (fitted on e5, where unrelated text scores 0.80-0.85) see numbers
in the range they were fitted for. It is deterministic (blake2b, no seed, no state) and costs
microseconds, so a test that only needs *some* dense ranking does not load a model.

It is not a stand-in for e5's understanding of paraphrases: tests of retrieval quality, thresholds
and the eval sets keep the real model (the ``embedder`` fixture).
"""

from __future__ import annotations

import hashlib
import re

import numpy as np

DIM = 384
# cos(unrelated) = SHARED² / (SHARED² + 1): 4 / 5 = 0.80, the bottom of e5's range for unrelated text.
SHARED = 2.0
BASELINE = SHARED**2 / (SHARED**2 + 1)
_CJK_OR_WORD_RE = re.compile(r"[\u4e00-\u9fff]|[a-z0-9]+")


def _features(text: str) -> list[str]:
    chars = _CJK_OR_WORD_RE.findall(text.lower())
    return chars + [a + b for a, b in zip(chars, chars[1:], strict=False)]


def _bucket(feature: str) -> int:
    digest = hashlib.blake2b(feature.encode("utf-8"), digest_size=8).digest()
    return int.from_bytes(digest, "little") % (DIM - 1) + 1  # bucket 0 is the shared component


class HashEmbedder:
    """Deterministic, model-free embedder with e5-like cosine geometry (see the module docstring)."""

    id = "fake:hash-bigrams-384"

    def __init__(self) -> None:
        self.calls = 0  # how many texts were embedded: lets a test see that nothing was

    def _vector(self, text: str) -> np.ndarray:
        self.calls += 1
        v = np.zeros(DIM, dtype=np.float32)
        for f in _features(text):
            v[_bucket(f)] += 1.0
        norm = float(np.linalg.norm(v))
        if norm:
            v /= norm
        v[0] = SHARED
        return v / np.linalg.norm(v)

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, DIM), dtype=np.float32)
        return np.vstack([self._vector(t) for t in texts])

    def embed_query(self, text: str) -> np.ndarray:
        return self._vector(text)
