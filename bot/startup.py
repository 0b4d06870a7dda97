"""The one start-up step: settings -> embedder -> knowledge base -> Bot. Nothing loads at import time."""

from __future__ import annotations

import os

from pydantic import ValidationError

from bot.answer import Bot
from bot.config import Settings
from bot.errors import ConfigError
from bot.kb.base import KnowledgeBase
from bot.kb.embedders import Embedder, make_embedder


def load_settings(**overrides: object) -> Settings:
    os.environ.setdefault("ORT_DISABLE_TELEMETRY", "1")
    os.environ.setdefault("ANONYMIZED_TELEMETRY", "False")
    try:
        return Settings(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = "；".join(f"KEPU_{'_'.join(map(str, e['loc'])).upper()}：{e['msg']}" for e in exc.errors())
        raise ConfigError(f"配置有误：{problems}") from exc


def load_bot(settings: Settings, embedder: Embedder | None = None) -> Bot:
    from bot.llm import Generator
    from bot.memory import MemoryConversationStore

    embedder = embedder or make_embedder(settings)
    kb = KnowledgeBase.open(settings, embedder)
    generator = Generator(settings) if settings.llm_base_url else None
    memory = MemoryConversationStore(settings.memory_turns, settings.memory_ttl_s)
    return Bot(kb, embedder, settings, generator=generator, memory=memory)
