"""Embeddings cached by (embedder, content hash) in SQLite, so unchanged text is never embedded twice."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import numpy as np

from kepu.kb.embedders import Embedder


class EmbeddingCache:
    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(str(path))
        self._db.execute(
            "CREATE TABLE IF NOT EXISTS emb (embedder TEXT, hash TEXT, vec BLOB, PRIMARY KEY (embedder, hash))"
        )

    def embed(self, embedder: Embedder, hashes: list[str], texts: list[str]) -> tuple[np.ndarray, int]:
        """Vectors for texts (in order) and how many had to be computed."""
        found: dict[str, np.ndarray] = {}
        for i in range(0, len(hashes), 500):
            batch = hashes[i : i + 500]
            marks = ",".join("?" * len(batch))
            rows = self._db.execute(
                f"SELECT hash, vec FROM emb WHERE embedder = ? AND hash IN ({marks})", [embedder.id, *batch]
            )
            for h, blob in rows:
                found[h] = np.frombuffer(blob, dtype=np.float32)
        missing = [i for i, h in enumerate(hashes) if h not in found]
        if missing:
            vecs = embedder.embed_passages([texts[i] for i in missing])
            with self._db:
                self._db.executemany(
                    "INSERT OR REPLACE INTO emb VALUES (?, ?, ?)",
                    [
                        (embedder.id, hashes[i], vecs[j].astype(np.float32).tobytes())
                        for j, i in enumerate(missing)
                    ],
                )
            for j, i in enumerate(missing):
                found[hashes[i]] = vecs[j]
        if not hashes:
            return np.zeros((0, 0), dtype=np.float32), 0
        return np.vstack([found[h] for h in hashes]), len(missing)

    def close(self) -> None:
        self._db.close()
