"""One ingestion at a time, the one lock every ingestion takes: `kepu ingest`, the re-ingest API and a
staff publication alike.

Two levels, held together: a lock file in KEPU_DATA_DIR (flock: every process and thread on this host,
since each acquisition opens the file anew) and, with KEPU_REDIS_URL, a lock in Redis (every host).
While Redis cannot be reached only the file lock applies. A caller that must hold the lock across more
than the ingestion (a publication writes into knowledge/ first) takes it itself and passes the token to
``ingest(held=...)``, which then does not take it again."""

from __future__ import annotations

import fcntl
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from kepu.config import Settings
from kepu.ingest.errors import IngestBusy

log = logging.getLogger("kepu.ingest")

LOCK_FILE = "kepu.ingest.lock"
REDIS_KEY = "kepu:ingest-lock"
# An ingestion holds the Redis lock at most this long (a crashed job frees it after that).
SHARED_LOCK_S = 3600
# A job without a shared Redis client opens its own with these timeouts (a CLI ingestion).
OWN_CLIENT_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Held:
    """Proof that the caller holds the ingest lock (see ``IngestLock.hold``)."""

    lock: IngestLock


class IngestLock:
    def __init__(self, settings: Settings, redis_client: Any = None) -> None:
        """``redis_client``: the serving process's shared client (kepu.state.redis.RedisLink.client);
        without one, and with KEPU_REDIS_URL set, the lock opens its own client for each hold."""
        self.settings = settings
        self.redis_client = redis_client

    @contextmanager
    def hold(self) -> Iterator[Held]:
        """Hold the lock, or raise IngestBusy (a 409 on the web) naming who holds it."""
        with self._file(), self._shared():
            yield Held(self)

    @contextmanager
    def _file(self) -> Iterator[None]:
        data_dir = self.settings.data_dir
        data_dir.mkdir(parents=True, exist_ok=True)
        with open(data_dir / LOCK_FILE, "w") as fh:
            try:
                fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                raise IngestBusy("另一个导入任务正在运行，请等它结束后再试") from exc
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)

    @contextmanager
    def _shared(self) -> Iterator[None]:
        if not self.settings.redis_url:
            yield
            return
        import redis

        client = self.redis_client or redis.Redis.from_url(
            self.settings.redis_url,
            socket_timeout=OWN_CLIENT_TIMEOUT_S,
            socket_connect_timeout=OWN_CLIENT_TIMEOUT_S,
        )
        lock = client.lock(REDIS_KEY, timeout=SHARED_LOCK_S)
        try:
            acquired = lock.acquire(blocking=False)
        except (redis.RedisError, OSError) as exc:
            log.warning("redis unavailable, ingest lock is local only", extra={"error": str(exc)})
            acquired = None
        if acquired is False:
            raise IngestBusy("另一个导入任务正在运行（Redis 中的导入锁被占用），请等它结束后再试")
        try:
            yield
        finally:
            if acquired:
                try:
                    lock.release()
                except (redis.RedisError, OSError):
                    log.warning("could not release the ingest lock; it expires by itself")
            if client is not self.redis_client:
                client.close()
