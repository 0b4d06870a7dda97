"""The vector store contract and its Chroma implementation.

``kepu.kb`` is the only code that knows Chroma. One index version is one Chroma directory holding
one collection; the collection records which embedder built it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Protocol

import numpy as np

from kepu.errors import EmbedderMismatchError
from kepu.kb.types import Chunk

COLLECTION = "kepu-chunks"
# How many candidates Chroma's HNSW graph keeps while searching (its ef_search; Chroma's default is
# 100). At 100 the approximate search missed true neighbours in some builds of the same 485 e5 vectors
# (1 to 2 of 60 queries' top 40, in 4 of 12 builds, threads or not), so two ingests of the same
# library could rank differently: tests/test_cli.py::test_search_json once got item 16 before item 4.
# At 400 no build of 16 missed one (measured with a script rebuilding the collection from the e5
# index's vectors and comparing with exact cosine ranking); tests/test_store_contract.py's
# test_search_ranks_like_exact_cosine fails at 100 and passes at 400. A query over those 485 vectors
# took 0.91 ms (p50) at 100 and 0.96 ms at 400, in process on this 2-core machine. An index built
# before this setting keeps Chroma's default until the next ingest.
HNSW_SEARCH_EF = 400


class VectorStore(Protocol):
    """Dense storage of chunks.

    - ``add`` stores chunks with their vectors (ids are ``chunk_id``; adding an existing id replaces it).
    - ``delete`` removes chunks by id; unknown ids are ignored.
    - ``search`` returns up to ``k`` ``(chunk_id, cosine similarity)`` pairs, most similar first.
    - ``count`` is the number of stored chunks.
    - ``embedder_id`` is the embedder that built the store; it never changes after creation.
    """

    embedder_id: str

    def add(self, chunks: list[Chunk], vectors: np.ndarray) -> None: ...

    def delete(self, chunk_ids: list[str]) -> None: ...

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]: ...

    def count(self) -> int: ...


def persistent_client(path: Path) -> Any:
    import chromadb
    from chromadb.config import Settings as ChromaSettings

    return chromadb.PersistentClient(
        path=str(path), settings=ChromaSettings(anonymized_telemetry=False, allow_reset=False)
    )


def _metadata(chunk: Chunk) -> dict[str, str | int]:
    meta: dict[str, str | int] = {
        "source_id": chunk.source_id,
        "kind": chunk.kind,
        "hash": chunk.content_hash,
    }
    if chunk.item is not None:
        meta["item"] = chunk.item
    return meta


class ChromaStore:
    """One Chroma collection: in an embedded (PersistentClient) directory, or, given ``client``, on a
    Chroma server. Embeddings are always passed explicitly: Chroma's default embedding function would
    try to download a model."""

    def __init__(
        self,
        path: Path | None,
        embedder_id: str,
        *,
        create: bool = False,
        client: Any = None,
        name: str = COLLECTION,
    ) -> None:
        if client is None:
            if path is None:
                raise ValueError("an embedded store needs a path")
            client = persistent_client(path)
        self._client = client
        if create:
            self._col = self._client.get_or_create_collection(
                name,
                embedding_function=None,
                metadata={"hnsw:space": "cosine", "hnsw:search_ef": HNSW_SEARCH_EF, "embedder": embedder_id},
            )
        else:
            self._col = self._client.get_collection(name, embedding_function=None)
        built_by = (self._col.metadata or {}).get("embedder")
        if built_by != embedder_id:
            raise EmbedderMismatchError(
                f"索引由向量模型“{built_by}”构建，当前配置的是“{embedder_id}”；不能混用，请用当前模型重新运行 kepu ingest"
            )
        self.embedder_id = embedder_id
        self._count: int | None = None

    def add(self, chunks: list[Chunk], vectors: np.ndarray) -> None:
        for i in range(0, len(chunks), 1000):
            batch = chunks[i : i + 1000]
            self._col.upsert(
                ids=[c.chunk_id for c in batch],
                embeddings=np.asarray(vectors[i : i + 1000], dtype=np.float32),
                documents=[c.passage() for c in batch],
                metadatas=[_metadata(c) for c in batch],  # type: ignore[misc]
            )
        self._count = None

    def delete(self, chunk_ids: list[str]) -> None:
        if chunk_ids:
            self._col.delete(ids=chunk_ids)
            self._count = None

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        n = min(k, self.count())
        if n == 0:
            return []
        query = np.asarray(vector, dtype=np.float32).reshape(1, -1)
        res = self._col.query(query_embeddings=query, n_results=n, include=["distances"])
        ids = res["ids"][0]
        dists = (res.get("distances") or [[]])[0]
        return [(cid, 1.0 - float(d)) for cid, d in zip(ids, dists, strict=True)]

    def count(self) -> int:
        if self._count is None:
            self._count = int(self._col.count())
        return self._count
