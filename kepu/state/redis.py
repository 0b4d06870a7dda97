"""The shared-state interfaces of ``kepu.state.local`` and ``kepu.answering.followups`` in Redis (KEPU_REDIS_URL), for
several replicas. Every store keeps its in-process twin: while Redis cannot be reached the replica
serves from local state (degraded: nothing shared, nothing lost that matters) and goes back to Redis
when it answers again. A circuit breaker keeps a dead Redis from costing a timeout per request."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
import time
import uuid
from collections.abc import Awaitable, Callable
from typing import Any, TypeVar

import redis
from limits import parse, strategies
from limits.storage import RedisStorage as LimitsRedisStorage
from wechatpy.session import SessionStorage
from wechatpy.session.memorystorage import MemoryStorage
from wechatpy.session.redisstorage import RedisStorage as WeChatRedisStorage

from kepu.breaker import CircuitBreakerError, breaker, close_if_open, is_open
from kepu.state.interfaces import RateDecision
from kepu.state.local import (
    LocalAnswerCache,
    LocalContinuationStore,
    LocalConversationStore,
    LocalFeedbackTargets,
    LocalNonceStore,
    LocalOnceStore,
    LocalRateLimiter,
    LocalSessionStore,
)

log = logging.getLogger("kepu.redis")
T = TypeVar("T")
PREFIX = "kepu:"


def _bytes(value: Any) -> bytes:
    """redis-py returns bytes (no decode_responses); str only if a caller configured otherwise."""
    return value.encode("utf-8") if isinstance(value, str) else bytes(value)


class RedisDown(Exception):
    """Redis could not be used for this call; the caller falls back to local state."""


class RedisLink:
    """One connection pool and one circuit breaker, shared by every Redis store of a process."""

    def __init__(self, url: str, timeout_s: float, retry_s: float) -> None:
        self.url = url
        self.client = redis.Redis.from_url(
            url, socket_timeout=timeout_s, socket_connect_timeout=timeout_s, health_check_interval=30
        )
        self.breaker = breaker(
            "redis",
            reset_s=max(retry_s, 0.1),
            log=log,
            on_open="redis unavailable: serving from local state",
            on_close="redis available again",
        )

    def run(self, fn: Callable[[redis.Redis], T]) -> T:
        try:
            return self.breaker.call(fn, self.client)  # type: ignore[no-any-return]
        except (CircuitBreakerError, redis.RedisError, OSError) as exc:
            raise RedisDown(str(exc)) from exc

    def or_local(self, fn: Callable[[redis.Redis], T], local: Callable[[], T]) -> T:
        """``fn`` on Redis, or ``local()`` (the in-process twin) when Redis cannot be used for this call.
        Only ``fn`` runs inside the breaker: a store that works on Redis' answer (decodes it, falls back
        when it is empty) keeps its own try/except, so that work never counts as a Redis failure."""
        try:
            return self.run(fn)
        except RedisDown:
            return local()

    def ping(self) -> bool:
        """Whether Redis answers now; a success also lets the stores use it again at once."""
        try:
            self.client.ping()
        except (redis.RedisError, OSError):
            return False
        close_if_open(self.breaker)
        return True

    @property
    def available(self) -> bool:
        return not is_open(self.breaker)


class RedisRateLimiter:
    """The same moving-window limit as LocalRateLimiter, counted in Redis across replicas."""

    def __init__(self, link: RedisLink, rate: str) -> None:
        self._link = link
        self._item = parse(rate)
        storage = LimitsRedisStorage(link.url, connection_pool=link.client.connection_pool)
        self._limiter = strategies.MovingWindowRateLimiter(storage)
        self._local = LocalRateLimiter(rate)

    def hit(self, key: str) -> RateDecision:
        try:
            if self._link.run(lambda _r: self._limiter.hit(self._item, key)):
                return RateDecision(True, 0)
            stats = self._link.run(lambda _r: self._limiter.get_window_stats(self._item, key))
        except RedisDown:
            return self._local.hit(key)
        return RateDecision(False, max(1, int(stats.reset_time - time.time()) + 1))

    def check(self, key: str) -> RateDecision:
        try:
            if self._link.run(lambda _r: self._limiter.test(self._item, key)):
                return RateDecision(True, 0)
            stats = self._link.run(lambda _r: self._limiter.get_window_stats(self._item, key))
        except RedisDown:
            return self._local.check(key)
        return RateDecision(False, max(1, int(stats.reset_time - time.time()) + 1))


class RedisSessionStore:
    """SessionStore shared by every replica (a staff member's next request may reach another one)."""

    def __init__(self, link: RedisLink, ttl_s: int) -> None:
        self._link = link
        self._ttl = ttl_s
        self._local = LocalSessionStore(ttl_s)

    def create(self, who: str = "") -> str:
        sid = secrets.token_urlsafe(32)

        def store(r: redis.Redis) -> str:
            r.set(f"{PREFIX}session:{sid}", who, ex=self._ttl)
            return sid

        return self._link.or_local(store, lambda: self._local.create(who))

    def who(self, sid: str) -> str | None:
        if not sid:
            return None
        try:
            value = self._link.run(lambda r: r.get(f"{PREFIX}session:{sid}"))
        except RedisDown:
            return self._local.who(sid)
        if value is None:
            return None
        return value.decode() if isinstance(value, bytes) else str(value)

    def valid(self, sid: str) -> bool:
        return self.who(sid) is not None

    def drop(self, sid: str) -> None:
        self._local.drop(sid)
        with contextlib.suppress(RedisDown):
            self._link.run(lambda r: r.delete(f"{PREFIX}session:{sid}"))


class RedisContinuationStore:
    """「更多」: the rest of a long answer, per user, as a Redis list with a time-to-live."""

    def __init__(self, link: RedisLink, ttl_s: int) -> None:
        self._link = link
        self._ttl = ttl_s
        self._local = LocalContinuationStore(ttl_s)

    def put(self, user: str, parts: list[str]) -> None:
        key = f"{PREFIX}more:{user}"

        def write(r: redis.Redis) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.delete(key)
            if parts:
                pipe.rpush(key, *parts)
                pipe.expire(key, self._ttl)
            pipe.execute()

        self._link.or_local(write, lambda: self._local.put(user, parts))

    def pop(self, user: str) -> tuple[str, int] | None:
        key = f"{PREFIX}more:{user}"

        def take(r: redis.Redis) -> tuple[Any, int]:
            pipe = r.pipeline(transaction=True)
            pipe.lpop(key)
            pipe.llen(key)
            head, left = pipe.execute()
            return head, int(left)

        try:
            head, left = self._link.run(take)
        except RedisDown:
            return self._local.pop(user)
        if head is None:
            return self._local.pop(user)  # what was stored while Redis was away
        return _bytes(head).decode("utf-8"), left


class RedisConversationStore:
    """The last questions of each session, as a capped Redis list with a time-to-live."""

    def __init__(self, link: RedisLink, turns: int, ttl_s: int) -> None:
        self._link = link
        self._turns = turns
        self._ttl = ttl_s
        self._local = LocalConversationStore(turns, ttl_s)

    def last(self, session: str) -> str | None:
        try:
            value = self._link.run(lambda r: r.lindex(f"{PREFIX}memory:{session}", -1))
        except RedisDown:
            return self._local.last(session)
        return _bytes(value).decode("utf-8") if value is not None else self._local.last(session)

    def add(self, session: str, question: str) -> None:
        key = f"{PREFIX}memory:{session}"

        def write(r: redis.Redis) -> None:
            pipe = r.pipeline(transaction=True)
            pipe.rpush(key, question)
            pipe.ltrim(key, -self._turns, -1)
            pipe.expire(key, self._ttl)
            pipe.execute()

        self._link.or_local(write, lambda: self._local.add(session, question))


class RedisNonceStore:
    """NonceStore shared by every replica: SET NX with the replay window as expiry."""

    def __init__(self, link: RedisLink, ttl_s: int) -> None:
        self._link = link
        self._ttl = ttl_s
        self._local = LocalNonceStore(ttl_s)

    def conflicts(self, key: str, digest: str) -> bool:
        name = f"{PREFIX}nonce:{key}"

        def check(r: redis.Redis) -> bool:
            if r.set(name, digest, nx=True, ex=self._ttl):
                return False
            raw = r.get(name)
            return raw is not None and _bytes(raw) != digest.encode()

        return self._link.or_local(check, lambda: self._local.conflicts(key, digest))


class RedisAnswerCache:
    def __init__(self, link: RedisLink, size: int, ttl_s: int) -> None:
        self._link = link
        self._ttl = ttl_s
        self._local = LocalAnswerCache(size, ttl_s)

    def get(self, key: str) -> dict[str, Any] | None:
        try:
            raw = self._link.run(lambda r: r.get(f"{PREFIX}answer:{key}"))
        except RedisDown:
            return self._local.get(key)
        return json.loads(raw) if raw is not None else None

    def put(self, key: str, data: dict[str, Any]) -> None:
        text = json.dumps(data, ensure_ascii=False)
        self._link.or_local(
            lambda r: r.set(f"{PREFIX}answer:{key}", text, ex=self._ttl),
            lambda: self._local.put(key, data),
        )


class RedisFeedbackTargets:
    """The answer each WeChat user's next 「有用」/「没用」 refers to, whichever replica sent it."""

    def __init__(self, link: RedisLink, ttl_s: int) -> None:
        self._link = link
        self._ttl = ttl_s
        self._local = LocalFeedbackTargets(ttl_s)

    def put(self, user: str, answer_id: str) -> None:
        self._link.or_local(
            lambda r: r.set(f"{PREFIX}feedback:{user}", answer_id, ex=self._ttl),
            lambda: self._local.put(user, answer_id),
        )

    def pop(self, user: str) -> str | None:
        try:
            value = self._link.run(lambda r: r.getdel(f"{PREFIX}feedback:{user}"))
        except RedisDown:
            return self._local.pop(user)
        return _bytes(value).decode("utf-8") if value is not None else self._local.pop(user)


# How often a replica waiting for another replica's reply looks for it.
ONCE_POLL_S = 0.02


class RedisOnceStore:
    """WeChat retries across replicas: the first replica to claim a message computes the reply; a
    retry that lands anywhere else waits for that reply and returns the same bytes.

    The claim is ``SET NX`` with a time-to-live of ``claim_s`` (a replica that dies while computing
    frees the message after that); the reply is kept for ``ttl_s``. A waiter that sees the claim
    vanish without a reply (the computation failed) claims the message itself.
    """

    def __init__(self, link: RedisLink, ttl_s: int, claim_s: float) -> None:
        self._link = link
        self._ttl = ttl_s
        self._claim_ms = int(claim_s * 1000)
        self._local = LocalOnceStore(ttl_s)
        self.owner = uuid.uuid4().hex  # this process

    async def run_once(self, key: str, compute: Callable[[], Awaitable[bytes]]) -> bytes:
        reply_key, claim_key = f"{PREFIX}once:{key}:reply", f"{PREFIX}once:{key}:claim"
        try:
            while True:
                found = self._link.run(lambda r: r.get(reply_key))
                if found is not None:
                    return _bytes(found)
                claimed = self._link.run(lambda r: r.set(claim_key, self.owner, nx=True, px=self._claim_ms))
                if claimed:
                    break
                while self._link.run(lambda r: r.exists(claim_key)):
                    await asyncio.sleep(ONCE_POLL_S)
                    found = self._link.run(lambda r: r.get(reply_key))
                    if found is not None:
                        return _bytes(found)
        except RedisDown:
            return await self._local.run_once(key, compute)
        try:
            result = await compute()
        except BaseException:
            with contextlib.suppress(RedisDown):
                self._link.run(lambda r: r.delete(claim_key))  # let a retry compute it
            raise
        try:
            self._link.run(lambda r: r.set(reply_key, result, ex=self._ttl))
        except RedisDown:
            log.warning("reply not shared: redis unavailable")
        return result


class RedisTokenStorage(SessionStorage):
    """wechatpy's session storage (the access token and its expiry) in Redis, so replicas share one
    token instead of each fetching its own — WeChat invalidates the previous token on every fetch."""

    def __init__(self, link: RedisLink) -> None:
        self._link = link
        self._redis = WeChatRedisStorage(link.client, prefix=f"{PREFIX}wechatpy")
        self._local = MemoryStorage()

    def get(self, key: str, default: Any = None) -> Any:
        return self._link.or_local(
            lambda _r: self._redis.get(key, default), lambda: self._local.get(key, default)
        )

    def set(self, key: str, value: Any, ttl: int | None = None) -> None:
        self._link.or_local(
            lambda _r: self._redis.set(key, value, ttl), lambda: self._local.set(key, value, ttl)
        )

    def delete(self, key: str) -> None:
        self._link.or_local(lambda _r: self._redis.delete(key), lambda: self._local.delete(key))
