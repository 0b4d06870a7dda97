"""Where index versions live: a local directory (embedded Chroma, the default) or a Chroma server.

Both implement ``IndexCatalog``. A version is built beside the current one (``new_version`` ->
``create_store`` -> ``commit``) and becomes current only when complete; ``commit`` switches the
pointer last, atomically, so a reader sees the old version or the new one, never a mixture.
"""

from __future__ import annotations

from typing import Protocol

from kepu.config import Settings
from kepu.kb.store import VectorStore
from kepu.kb.versions import IndexLayout, Manifest


class IndexCatalog(Protocol):
    location_kind: str  # "embedded" or "server"

    @property
    def location(self) -> str:
        """Where the versions live, for messages (a directory or a URL)."""
        ...

    def current_version(self) -> str | None: ...

    def load_manifest(self, version: str) -> Manifest: ...

    def open_store(self, version: str, embedder_id: str) -> VectorStore: ...

    def heartbeat(self) -> bool:
        """Whether the store can be reached right now."""
        ...

    def new_version(self) -> str: ...

    def create_store(self, version: str, embedder_id: str) -> VectorStore: ...

    def commit(self, version: str, manifest: Manifest) -> None: ...

    def abandon(self, version: str) -> None: ...

    def prune(self, keep: int) -> list[str]: ...


def open_catalog(settings: Settings) -> IndexCatalog:
    if settings.chroma_url:
        from kepu.kb.server import ChromaServerCatalog

        return ChromaServerCatalog(settings.chroma_url, settings.chroma_timeout_s, settings.shared_retry_s)
    return IndexLayout(settings.index_dir)
