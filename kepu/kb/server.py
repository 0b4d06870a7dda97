"""The knowledge base on a Chroma server (``KEPU_CHROMA_URL``, started with ``chroma run``).

Per index version ``v…`` the server holds ``kepu-chunks-v…`` (the vectors, as in the embedded store)
and ``kepu-manifest-v…`` (the version's manifest — documents, chunks, plan structure, units — as
ordered pieces of JSON). ``kepu-current`` holds one record naming the version that serves. It is
written last, so a replica sees a version only once it is complete; the server is the single source of
truth from which every replica derives its lexical index and plan index.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

import numpy as np

from kepu.breaker import CircuitBreaker, breaker, close_if_open
from kepu.errors import KepuError, StoreUnavailableError
from kepu.kb.store import ChromaStore, VectorStore
from kepu.kb.versions import Manifest, new_version_name

log = logging.getLogger("kepu.kb.server")
T = TypeVar("T")

POINTER = "kepu-current"
POINTER_ID = "current"
CHUNKS = "kepu-chunks-"
MANIFEST = "kepu-manifest-"
# The manifest is stored in pieces of this many characters (one Chroma record each).
PIECE_CHARS = 200_000
# Pointer and manifest records are looked up by id; their vector means nothing but Chroma needs one.
_NO_VECTOR = [0.0]


def _guarded(method: Callable[..., T]) -> Callable[..., T]:
    """Errors talking to the server become StoreUnavailableError, whose message names the server."""

    @functools.wraps(method)
    def wrapper(self: ChromaServerCatalog, *args: Any, **kwargs: Any) -> T:
        try:
            return method(self, *args, **kwargs)
        except KepuError:
            raise
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma 服务器 {self.url} 出错或无法连接：{exc}") from exc

    return wrapper


def http_client(url: str, timeout_s: float) -> Any:
    import chromadb
    import httpx
    from chromadb.config import Settings as ChromaSettings

    parts = urlsplit(url)
    https = parts.scheme == "https"
    client = chromadb.HttpClient(
        host=parts.hostname or "127.0.0.1",
        port=parts.port or (443 if https else 80),
        ssl=https,
        settings=ChromaSettings(anonymized_telemetry=False),
    )
    # chromadb's HTTP session waits forever by default: a hung server would hang every question.
    session = getattr(getattr(client, "_server", None), "_session", None)
    if session is not None:
        session.timeout = httpx.Timeout(timeout_s)
    return client


class ServerChromaStore(ChromaStore):
    """A version's collection on the server. Searches go through a circuit breaker: after a failure
    the server is left alone for ``retry_s`` and callers get ``StoreUnavailableError`` at once."""

    def __init__(self, client: Any, name: str, embedder_id: str, breaker: CircuitBreaker, **kw: Any):
        super().__init__(None, embedder_id, client=client, name=name, **kw)
        self._breaker = breaker

    def search(self, vector: np.ndarray, k: int) -> list[tuple[str, float]]:
        try:
            return self._breaker.call(super().search, vector, k)  # type: ignore[no-any-return]
        except Exception as exc:
            raise StoreUnavailableError(f"Chroma 服务器暂时无法查询：{exc}") from exc


class ChromaServerCatalog:
    location_kind = "server"

    def __init__(self, url: str, timeout_s: float, retry_s: float) -> None:
        self.url = url
        self.timeout_s = timeout_s
        self._client: Any = None
        self.breaker = breaker("chroma", reset_s=max(retry_s, 0.1))

    @property
    def location(self) -> str:
        return self.url

    @property
    def client(self) -> Any:
        if self._client is None:
            try:
                self._client = http_client(self.url, self.timeout_s)
            except Exception as exc:
                raise StoreUnavailableError(f"无法连接 Chroma 服务器 {self.url}：{exc}") from exc
        return self._client

    def heartbeat(self) -> bool:
        try:
            self.client.heartbeat()
        except Exception:
            return False
        close_if_open(self.breaker)  # it answers again: let searches through without waiting
        return True

    @_guarded
    def current_version(self) -> str | None:
        col = self.client.get_or_create_collection(POINTER, embedding_function=None)
        got = col.get(ids=[POINTER_ID], include=["documents"])
        docs = got.get("documents") or []
        return docs[0] if docs and docs[0] else None

    @_guarded
    def load_manifest(self, version: str) -> Manifest:
        col = self.client.get_collection(MANIFEST + version, embedding_function=None)
        got = col.get(include=["documents"])
        pieces = sorted(zip(got["ids"], got.get("documents") or [], strict=True))
        return Manifest.from_json("".join(doc for _, doc in pieces))

    @_guarded
    def open_store(self, version: str, embedder_id: str) -> VectorStore:
        store = ServerChromaStore(self.client, CHUNKS + version, embedder_id, self.breaker)
        store.count()  # fetched once now: a search never has to ask for it
        return store

    def new_version(self) -> str:
        return new_version_name()

    @_guarded
    def create_store(self, version: str, embedder_id: str) -> VectorStore:
        return ServerChromaStore(self.client, CHUNKS + version, embedder_id, self.breaker, create=True)

    @_guarded
    def commit(self, version: str, manifest: Manifest) -> None:
        text = manifest.to_json()
        pieces = [text[i : i + PIECE_CHARS] for i in range(0, len(text), PIECE_CHARS)] or [""]
        col = self.client.get_or_create_collection(MANIFEST + version, embedding_function=None)
        col.upsert(
            ids=[f"piece-{i:05d}" for i in range(len(pieces))],
            embeddings=[_NO_VECTOR] * len(pieces),
            documents=pieces,
        )
        pointer = self.client.get_or_create_collection(POINTER, embedding_function=None)
        pointer.upsert(ids=[POINTER_ID], embeddings=[_NO_VECTOR], documents=[version])

    def abandon(self, version: str) -> None:
        for name in (CHUNKS + version, MANIFEST + version):
            try:
                self.client.delete_collection(name)
            except Exception:  # never created, or already gone
                log.debug("nothing to remove", extra={"collection": name})

    def _versions(self) -> list[str]:
        names = [c.name if hasattr(c, "name") else str(c) for c in self.client.list_collections()]
        found = {n[len(p) :] for n in names for p in (CHUNKS, MANIFEST) if n.startswith(p)}
        return sorted(found)

    @_guarded
    def prune(self, keep: int) -> list[str]:
        """Remove versions older than the current one beyond the newest ``keep``. Newer ones may be
        another ingestion still building, so they are left alone."""
        current = self.current_version()
        if current is None or keep <= 0:
            return []
        older = [v for v in self._versions() if v <= current]
        doomed = [v for v in older[:-keep] if v != current]
        for v in doomed:
            self.abandon(v)
        return doomed
