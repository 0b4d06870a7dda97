"""The Bot that serves right now, swapped atomically when a new index version is ready."""

from __future__ import annotations

import threading

from bot.answer import Bot
from bot.config import Settings
from bot.errors import IndexNotReadyError
from bot.kb.embedders import Embedder
from bot.startup import load_bot


class BotHolder:
    def __init__(self, settings: Settings, embedder: Embedder) -> None:
        self.settings = settings
        self.embedder = embedder
        self._bot: Bot | None = None
        self.ingest_lock = threading.Lock()

    def load(self) -> Bot:
        """Open the current index version and start serving it; the previous Bot serves until then."""
        bot = load_bot(self.settings, self.embedder)
        self._bot = bot
        return bot

    def try_load(self) -> Bot | None:
        try:
            return self.load()
        except IndexNotReadyError:
            return None

    @property
    def ready(self) -> bool:
        return self._bot is not None

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise IndexNotReadyError("知识库索引尚未建立，请管理员先运行 kepu ingest")
        return self._bot
