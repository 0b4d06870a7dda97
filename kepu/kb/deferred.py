"""An embedder that loads its model the first time it is asked for a vector.

The one-shot CLI uses it: ``kepu ask "第32条由哪个单位负责？"`` is answered from the plan index and
never needs a vector, so it should not pay for loading the model. Serving processes load the model at
start-up instead (a first question should not wait for it)."""

from __future__ import annotations

import threading
from collections.abc import Callable

import numpy as np

from kepu.kb.embedders import Embedder


class DeferredEmbedder:
    def __init__(self, make: Callable[[], Embedder], embedder_id: str) -> None:
        self.id = embedder_id  # known without loading: the index checks it before any vector is made
        self._make = make
        self._loaded: Embedder | None = None
        self._lock = threading.Lock()

    @property
    def loaded(self) -> bool:
        return self._loaded is not None

    def _embedder(self) -> Embedder:
        with self._lock:
            if self._loaded is None:
                self._loaded = self._make()
                if self._loaded.id != self.id:
                    raise ValueError(f"deferred embedder id {self.id!r} != loaded {self._loaded.id!r}")
            return self._loaded

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        return self._embedder().embed_passages(texts)

    def embed_query(self, text: str) -> np.ndarray:
        return self._embedder().embed_query(text)
