"""Open the current index version: manifest, vector store, lexical index and plan index, together."""

from __future__ import annotations

from dataclasses import dataclass, field

from bot.config import Settings
from bot.errors import IndexNotReadyError
from bot.kb.embedders import Embedder
from bot.kb.lexical import LexicalIndex
from bot.kb.plan_index import PlanIndex
from bot.kb.store import ChromaStore, VectorStore
from bot.kb.types import Chunk
from bot.kb.versions import IndexLayout, Manifest
from bot.text import Tokenizer


@dataclass
class KnowledgeBase:
    manifest: Manifest
    store: VectorStore
    chunks: list[Chunk]  # in lexical-index order
    lexical: LexicalIndex
    plan_index: PlanIndex
    tokenizer: Tokenizer
    by_source: dict[str, list[Chunk]] = field(default_factory=dict)  # every chunk of a document, in order

    def __post_init__(self) -> None:
        for chunk in self.chunks:
            self.by_source.setdefault(chunk.source_id, []).append(chunk)

    @property
    def version(self) -> str:
        return self.manifest.version

    @classmethod
    def open(cls, settings: Settings, embedder: Embedder) -> KnowledgeBase:
        layout = IndexLayout(settings.index_dir)
        version = layout.current_version()
        if version is None:
            raise IndexNotReadyError(f"还没有建立索引（{settings.index_dir}）：请先运行 kepu ingest")
        manifest = layout.load_manifest(version)
        store = ChromaStore(layout.version_dir(version) / "chroma", embedder.id)
        plan_index = PlanIndex(manifest.plans, manifest.units)
        tokenizer = Tokenizer(settings.cache_dir / "jieba", plan_index.user_words())
        chunks = list(manifest.chunks.values())
        analyse = tokenizer.index_tokens if settings.lexical_pairs else tokenizer.tokens
        lexical = LexicalIndex([analyse(c.passage()) for c in chunks])
        return cls(manifest, store, chunks, lexical, plan_index, tokenizer)
