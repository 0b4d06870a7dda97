"""Shared state behind small interfaces, in-process here; ``kepu.state.redis`` implements the same
interfaces in Redis for several replicas (KEPU_REDIS_URL)."""

from __future__ import annotations

import asyncio
import secrets
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol

from cachetools import TTLCache
from limits import parse, storage, strategies


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_s: int


class RateLimiter(Protocol):
    def hit(self, key: str) -> RateDecision:
        """Count one request for ``key``; say whether it is allowed and, if not, when to retry."""
        ...

    def check(self, key: str) -> RateDecision:
        """Whether ``key`` is still under the limit, without counting anything."""
        ...


class MemoryRateLimiter:
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


class OnceStore(Protocol):
    """Runs a computation once per key for a while (WeChat retries): later callers with the same key get
    the same result, and callers that arrive while it runs wait for it."""

    async def run_once(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes: ...


class NonceStore(Protocol):
    """Signed (timestamp, nonce) pairs seen inside the replay window, with a digest of the body each
    came with. In plaintext mode WeChat's signature does not cover the body, so a captured signature
    could carry any message for the whole window: a pair is honoured with one body only."""

    def conflicts(self, key: str, digest: str) -> bool:
        """True when ``key`` was seen with another body; records it otherwise (a retry of the same
        body is not a conflict)."""
        ...


class MemoryNonceStore:
    """In-process, TTL-bounded and size-bounded (cachetools.TTLCache)."""

    def __init__(self, ttl_s: float, max_entries: int = 100_000) -> None:
        self._seen: TTLCache[str, str] = TTLCache(maxsize=max_entries, ttl=ttl_s)

    def conflicts(self, key: str, digest: str) -> bool:
        first = self._seen.setdefault(key, digest)
        return first != digest


class SessionStore(Protocol):
    """Staff sessions: random ids that expire on the server (the cookie holds nothing else). Each holds
    who logged in: a staff account's name, or staff_auth.TOKEN_PRINCIPAL for the admin token."""

    def create(self, who: str = "") -> str: ...

    def who(self, sid: str) -> str | None: ...

    def valid(self, sid: str) -> bool: ...

    def drop(self, sid: str) -> None: ...


class MemorySessionStore:
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


class ContinuationStore(Protocol):
    """What is left of a long answer, per user, for 「更多」."""

    def put(self, user: str, parts: list[str]) -> None: ...

    def pop(self, user: str) -> tuple[str, int] | None:
        """The next part and how many remain after it, or None when nothing is left."""
        ...


class MemoryOnceStore:
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


class MemoryContinuationStore:
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


class AnswerCache(Protocol):
    """Answers to repeated questions, as plain data (``Answer.to_cache()``). Callers put the index
    version in the key, so a new version never serves an answer computed from the old one."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, data: dict[str, Any]) -> None: ...


class MemoryAnswerCache:
    def __init__(self, size: int, ttl_s: float) -> None:
        self._cache: TTLCache[str, dict[str, Any]] = TTLCache(maxsize=max(size, 1), ttl=ttl_s)
        self._lock = threading.Lock()

    def get(self, key: str) -> dict[str, Any] | None:
        with self._lock:
            return self._cache.get(key)

    def put(self, key: str, data: dict[str, Any]) -> None:
        with self._lock:
            self._cache[key] = data


class FeedbackTargets(Protocol):
    """The answer a WeChat user's next 「有用」/「没用」 refers to (the last one they were sent)."""

    def put(self, user: str, answer_id: str) -> None: ...

    def pop(self, user: str) -> str | None: ...


class MemoryFeedbackTargets:
    def __init__(self, ttl_s: float, max_users: int = 50_000) -> None:
        self._cache: TTLCache[str, str] = TTLCache(maxsize=max_users, ttl=ttl_s)
        self._lock = threading.Lock()

    def put(self, user: str, answer_id: str) -> None:
        with self._lock:
            self._cache[user] = answer_id

    def pop(self, user: str) -> str | None:
        with self._lock:
            return self._cache.pop(user, None)
