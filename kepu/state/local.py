"""The shared-state interfaces (``kepu.state.interfaces``) in process: one replica, no Redis."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

from cachetools import TTLCache
from limits import parse, storage, strategies

from kepu.state.interfaces import RateDecision


class LocalRateLimiter:
    """Moving-window limit per key (the `limits` library, in-process storage)."""

    def __init__(self, rate: str) -> None:
        self._item = parse(rate)
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def hit(self, key: str) -> RateDecision:

        if self._limiter.hit(self._item, key):
            return RateDecision(True, 0)
        return self._refused(key)

    def check(self, key: str) -> RateDecision:
        return RateDecision(True, 0) if self._limiter.test(self._item, key) else self._refused(key)

    def _refused(self, key: str) -> RateDecision:
        import time

        stats = self._limiter.get_window_stats(self._item, key)
        return RateDecision(False, max(1, int(stats.reset_time - time.time()) + 1))


class LocalNonceStore:
    """In-process, TTL-bounded and size-bounded (cachetools.TTLCache)."""

    def __init__(self, ttl_s: float, max_entries: int = 100_000) -> None:
        self._seen: TTLCache[str, str] = TTLCache(maxsize=max_entries, ttl=ttl_s)

    def conflicts(self, key: str, digest: str) -> bool:
        first = self._seen.setdefault(key, digest)
        return first != digest


class LocalSessionStore:
    def __init__(self, ttl_s: float, max_sessions: int = 10_000) -> None:
        self._ids: TTLCache[str, str] = TTLCache(maxsize=max_sessions, ttl=ttl_s)

    def create(self, who: str = "") -> str:
        sid = secrets.token_urlsafe(32)
        self._ids[sid] = who
        return sid

    def who(self, sid: str) -> str | None:
        return self._ids.get(sid) if sid else None

    def valid(self, sid: str) -> bool:
        return self.who(sid) is not None

    def drop(self, sid: str) -> None:
        self._ids.pop(sid, None)


class LocalOnceStore:
    """In-process, TTL-bounded and size-bounded (cachetools.TTLCache)."""

    def __init__(self, ttl_s: float, max_entries: int = 10_000) -> None:
        self._cache: TTLCache[str, asyncio.Future[bytes]] = TTLCache(maxsize=max_entries, ttl=ttl_s)

    async def run_once(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        existing = self._cache.get(key)
        if existing is not None:
            return await asyncio.shield(existing)
        future: asyncio.Future[bytes] = asyncio.get_running_loop().create_future()
        self._cache[key] = future
        try:
            result = await compute()
        except BaseException as exc:
            self._cache.pop(key, None)  # a failed attempt may be retried
            future.set_exception(exc)
            future.exception()  # retrieved: nobody else may be waiting
            raise
        future.set_result(result)
        return result


class LocalContinuationStore:
    def __init__(self, ttl_s: float, max_users: int = 50_000) -> None:
        self._cache: TTLCache[str, list[str]] = TTLCache(maxsize=max_users, ttl=ttl_s)
        self._lock = threading.Lock()

    def put(self, user: str, parts: list[str]) -> None:
        with self._lock:
            if parts:
                self._cache[user] = list(parts)
            else:
                self._cache.pop(user, None)

    def pop(self, user: str) -> tuple[str, int] | None:
        with self._lock:
            parts = self._cache.pop(user, None)
            if not parts:
                return None
            head, rest = parts[0], parts[1:]
            if rest:
                self._cache[user] = rest
            return head, len(rest)


class LocalAnswerCache:
    def __init__(self, size: int, ttl_s: float) -> None:
        self._cache: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=max(size, 1), ttl=ttl_s)
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._cache.get(key)

    def put(self, key: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._cache[key] = data


class LocalFeedbackTargets:
    def __init__(self, ttl_s: float, max_users: int = 50_000) -> None:
        self._cache: TTLCache[str, str] = TTLCache(maxsize=max_users, ttl=ttl_s)
        self._lock = threading.Lock()

    def put(self, user: str, answer_id: str) -> None:
        with self._lock:
            self._cache[user] = answer_id

    def pop(self, user: str) -> str | None:
        with self._lock:
            return self._cache.pop(user, None)


class LocalConversationStore:
    """In-process: bounded in turns per session, in sessions, and in time."""

    def __init__(self, turns: int, ttl_s: float, max_sessions: int = 50_000) -> None:
        self._turns = turns
        self._cache: TTLCache[str, deque[str]] = TTLCache(maxsize=max_sessions, ttl=ttl_s)
        self._lock = threading.Lock()

    def last(self, session: str) -> str | None:
        with self._lock:
            turns = self._cache.get(session)
            return turns[-1] if turns else None

    def add(self, session: str, question: str) -> None:
        with self._lock:
            turns = self._cache.get(session) or deque(maxlen=self._turns)
            turns.append(question)
            self._cache[session] = turns  # re-set: the time-to-live starts again
