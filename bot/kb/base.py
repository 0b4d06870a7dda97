"""Open the current index version: manifest, vector store, lexical index and plan index, together."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.errors import IndexNotReadyError, KepuError
from bot.kb.catalog import IndexCatalog, open_catalog
from bot.kb.embedders import Embedder
from bot.kb.lexical import LexicalIndex
from bot.kb.plan_index import PlanIndex
from bot.kb.store import VectorStore
from bot.kb.types import Chunk
from bot.kb.versions import Manifest
from bot.text import Tokenizer


@dataclass
class KnowledgeBase:
    manifest: Manifest
    store: VectorStore
    chunks: list[Chunk]  # in lexical-index order
    lexical: LexicalIndex
    plan_index: PlanIndex
    tokenizer: Tokenizer
    # every chunk of a document, in order (derived: never passed in, so copies rebuild their own)
    by_source: dict[str, list[Chunk]] = field(default_factory=dict, init=False)

    def __post_init__(self) -> None:
        for chunk in self.chunks:
            self.by_source.setdefault(chunk.source_id, []).append(chunk)

    @property
    def version(self) -> str:
        return self.manifest.version

    @classmethod
    def open(
        cls, settings: Settings, embedder: Embedder, catalog: IndexCatalog | None = None
    ) -> KnowledgeBase:
        """Open the current version: from the local index directory, or — with KEPU_CHROMA_URL — from
        the Chroma server, deriving the lexical and plan indexes from what the server holds."""
        catalog = catalog or open_catalog(settings)
        try:
            version = catalog.current_version()
            if version is None:
                raise IndexNotReadyError(f"还没有建立索引（{catalog.location}）：请先运行 kepu ingest")
            manifest = catalog.load_manifest(version)
            store = catalog.open_store(version, embedder.id)
        except KepuError:
            raise
        except Exception as exc:  # the Chroma server is down or answered with an error
            raise IndexNotReadyError(f"无法从 {catalog.location} 读取索引：{exc}") from exc
        plan_index = PlanIndex(manifest.plans, manifest.units)
        tokenizer = Tokenizer(settings.cache_dir / "jieba", plan_index.user_words())
        chunks = list(manifest.chunks.values())
        analyse = tokenizer.index_tokens if settings.lexical_pairs else tokenizer.tokens
        lexical = LexicalIndex([analyse(c.passage()) for c in chunks])
        return cls(manifest, store, chunks, lexical, plan_index, tokenizer)
