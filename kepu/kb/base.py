"""Open the current index version: manifest, vector store, lexical index and plan index, together."""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from functools import cached_property
from typing import TYPE_CHECKING

from kepu.config import Settings
from kepu.errors import IndexNotReadyError, KepuError
from kepu.kb.catalog import IndexCatalog, open_catalog
from kepu.kb.embedders import Embedder
from kepu.kb.plan_index import PlanIndex
from kepu.kb.types import Chunk
from kepu.kb.versions import Manifest

if TYPE_CHECKING:
    from kepu.kb.lexical import LexicalIndex
    from kepu.kb.store import VectorStore
    from kepu.text import Tokenizer


class KnowledgeBase:
    """One index version. The plan index is built at once (every structured answer needs it); the
    vector store, the tokenizer and the lexical index are built by ``open`` too, unless it is asked to
    defer them (``lazy=True``, the one-shot CLI), in which case each is built the first time it is
    used: a structured question then never loads jieba, bm25s or Chroma."""

    def __init__(
        self,
        manifest: Manifest,
        chunks: list[Chunk],
        plan_index: PlanIndex,
        *,
        store: Callable[[], VectorStore],
        tokenizer: Callable[[], Tokenizer],
        lexical: Callable[[Tokenizer], LexicalIndex],
    ) -> None:
        self.manifest = manifest
        self.chunks = chunks  # in lexical-index order
        self.plan_index = plan_index
        self._make_store, self._make_tokenizer, self._make_lexical = store, tokenizer, lexical
        self._lock = threading.Lock()  # first use may come from two request threads at once
        # every chunk of a document, in order
        self.by_source: dict[str, list[Chunk]] = {}
        for chunk in self.chunks:
            self.by_source.setdefault(chunk.source_id, []).append(chunk)

    @cached_property
    def store(self) -> VectorStore:
        with self._lock:
            return self._make_store()

    @cached_property
    def tokenizer(self) -> Tokenizer:
        with self._lock:
            return self._make_tokenizer()

    @cached_property
    def lexical(self) -> LexicalIndex:
        tokenizer = self.tokenizer
        with self._lock:
            return self._make_lexical(tokenizer)

    def load(self) -> KnowledgeBase:
        """Build everything now (a serving process does this at start-up, not on its first question)."""
        _ = self.store, self.lexical
        return self

    def with_manifest(self, manifest: Manifest) -> KnowledgeBase:
        """The same indexes under another manifest (tests: an index version with another name)."""
        other = copy.copy(self)
        other.manifest = manifest
        return other

    @property
    def version(self) -> str:
        return self.manifest.version

    @classmethod
    def open(
        cls,
        settings: Settings,
        embedder: Embedder,
        catalog: IndexCatalog | None = None,
        *,
        lazy: bool = False,
    ) -> KnowledgeBase:
        """Open the current version: from the local index directory, or — with KEPU_CHROMA_URL — from
        the Chroma server, deriving the lexical and plan indexes from what the server holds."""
        catalog = catalog or open_catalog(settings)
        try:
            version = catalog.current_version()
            if version is None:
                raise IndexNotReadyError(f"还没有建立索引（{catalog.location}）：请先运行 kepu ingest")
            manifest = catalog.load_manifest(version)
        except KepuError:
            raise
        except Exception as exc:  # the Chroma server is down or answered with an error
            raise _unreadable(catalog, exc) from exc
        plan_index = PlanIndex(manifest.plans, manifest.units)

        def store() -> VectorStore:
            try:
                return catalog.open_store(version, embedder.id)
            except KepuError:
                raise
            except Exception as exc:
                raise _unreadable(catalog, exc) from exc

        def tokenizer() -> Tokenizer:
            from kepu.kb import reuse

            return reuse.tokenizer(settings.cache_dir / "jieba", plan_index.user_words())

        def lexical(tok: Tokenizer) -> LexicalIndex:
            from kepu.kb import reuse

            passages = [c.passage() for c in chunks]
            return reuse.lexical(tok, plan_index.user_words(), settings.lexical_pairs, passages)

        chunks = list(manifest.chunks.values())
        kb = cls(manifest, chunks, plan_index, store=store, tokenizer=tokenizer, lexical=lexical)
        return kb if lazy else kb.load()


def _unreadable(catalog: IndexCatalog, exc: Exception) -> IndexNotReadyError:
    """The index exists but cannot be opened: say why, and what to do when it is read-only (the
    embedded Chroma writes even to open an index)."""
    message = f"无法从 {catalog.location} 读取索引：{exc}"
    if isinstance(exc, PermissionError) or "readonly" in str(exc).lower().replace(" ", ""):
        message += f"。索引目录是只读的：请让运行 kepu 的用户可以写 {catalog.location}"
    return IndexNotReadyError(message)
