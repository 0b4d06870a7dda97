"""The Bot that serves right now, swapped atomically when a new index version is ready."""

from __future__ import annotations

import asyncio
import logging
import threading

from anyio import to_thread

from kepu.answering.bot import Bot
from kepu.breaker import is_open
from kepu.config import Settings
from kepu.errors import IndexNotReadyError
from kepu.ingest.lock import IngestLock
from kepu.kb.catalog import IndexCatalog, open_catalog
from kepu.kb.embedders import Embedder
from kepu.service.startup import load_bot
from kepu.state.shared import SharedState

log = logging.getLogger("kepu.holder")

NOT_BUILT = "知识库索引尚未建立，请管理员先运行 kepu ingest"


class BotHolder:
    def __init__(self, settings: Settings, embedder: Embedder, shared: SharedState | None = None) -> None:
        self.settings = settings
        self.embedder = embedder
        self.shared = shared
        self.catalog: IndexCatalog = open_catalog(settings)
        self._bot: Bot | None = None
        # the one ingest lock (kepu/ingest/lock.py), through this process's Redis client when there is one
        link = shared.link if shared is not None else None
        self.ingest_lock = IngestLock(settings, link.client if link is not None else None)
        self._reload_lock = threading.Lock()
        self.store_ok = True  # the index store answered the last time it was asked (watcher, searches)
        # why no index serves, in words for the operator: the reason of the last failed load (an index
        # that exists but cannot be opened is not "not built yet")
        self.not_ready_reason = NOT_BUILT

    def load(self) -> Bot:
        """Open the current index version and start serving it; the previous Bot serves until then."""
        with self._reload_lock:
            try:
                bot = load_bot(self.settings, self.embedder, catalog=self.catalog, shared=self.shared)
            except IndexNotReadyError as exc:
                self.not_ready_reason = str(exc)
                raise
            self._bot = bot
        return bot

    def try_load(self) -> Bot | None:
        try:
            return self.load()
        except IndexNotReadyError as exc:
            log.warning("index not loaded", extra={"reason": str(exc)})
            return None

    def refresh(self) -> bool:
        """Switch to the current index version if it is not the one serving (another process or
        replica ingested). True when it switched. Raises when the catalog cannot be read."""
        try:
            current = self.catalog.current_version()
        except Exception:
            self.store_ok = False
            raise
        breaker = getattr(self.catalog, "breaker", None)  # searches that failed lately count too
        self.store_ok = breaker is None or not is_open(breaker)
        if current is None or (self._bot is not None and self._bot.kb.version == current):
            return False
        self.load()
        log.info("switched index version", extra={"version": current})
        return True

    @property
    def ready(self) -> bool:
        return self._bot is not None

    @property
    def bot(self) -> Bot:
        if self._bot is None:
            raise IndexNotReadyError(self.not_ready_reason)
        return self._bot


async def watch(holder: BotHolder, every_s: float) -> None:
    """Switch to a new index version when one appears (another replica or `kepu ingest` built it).
    The new version is opened completely before it serves, so no answer mixes two versions."""
    if every_s <= 0:
        return
    while True:
        await asyncio.sleep(every_s)
        try:
            await to_thread.run_sync(holder.refresh)
        except Exception as exc:  # the store is away: keep serving what is loaded, try again later
            log.warning("index check failed", extra={"error": str(exc)})
