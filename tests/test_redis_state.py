"""The shared-state interfaces against both implementations (in process, and a real redis-server),
and the Redis ones falling back to local state while Redis is down, then recovering."""

from __future__ import annotations

import asyncio
import time
import uuid
from pathlib import Path

import pytest

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
from kepu.state.redis import (
    RedisAnswerCache,
    RedisContinuationStore,
    RedisConversationStore,
    RedisFeedbackTargets,
    RedisLink,
    RedisNonceStore,
    RedisOnceStore,
    RedisRateLimiter,
    RedisSessionStore,
    RedisTokenStorage,
)
from tests.support.servers import RedisServer

pytestmark = pytest.mark.integration


@pytest.fixture(params=["memory", "redis"])
def kind(request) -> str:
    return request.param


@pytest.fixture
def link(kind, request) -> RedisLink | None:
    if kind == "memory":
        return None
    server = request.getfixturevalue("redis_server")
    return RedisLink(server.url, timeout_s=0.5, retry_s=0.5)


def _user() -> str:
    return uuid.uuid4().hex


def test_continuations_come_out_in_order_then_none(kind, link) -> None:
    store = LocalContinuationStore(60) if link is None else RedisContinuationStore(link, 60)
    user = _user()
    store.put(user, ["第二段", "第三段"])
    assert store.pop(user) == ("第二段", 1)
    assert store.pop(user) == ("第三段", 0)
    assert store.pop(user) is None
    store.put(user, ["甲"])
    store.put(user, [])  # a new short answer clears what was left
    assert store.pop(user) is None


def test_conversation_memory_keeps_the_last_question(kind, link) -> None:
    store = LocalConversationStore(2, 60) if link is None else RedisConversationStore(link, 2, 60)
    session = _user()
    assert store.last(session) is None
    store.add(session, "卫健委负责哪些工作？")
    store.add(session, "教育部负责哪些工作？")
    assert store.last(session) == "教育部负责哪些工作？"
    assert store.last(_user()) is None


def test_feedback_target_is_taken_once(kind, link) -> None:
    store = LocalFeedbackTargets(60) if link is None else RedisFeedbackTargets(link, 60)
    user = _user()
    assert store.pop(user) is None
    store.put(user, "answer-1")
    store.put(user, "answer-2")  # the latest answer is the one a 「有用」 refers to
    assert store.pop(user) == "answer-2"
    assert store.pop(user) is None


def test_rate_limit_counts_per_key(kind, link) -> None:
    limiter = LocalRateLimiter("3/minute") if link is None else RedisRateLimiter(link, "3/minute")
    key = _user()
    decisions = [limiter.hit(key) for _ in range(4)]
    assert [d.allowed for d in decisions] == [True, True, True, False]
    assert 1 <= decisions[-1].retry_after_s <= 61
    assert limiter.hit(_user()).allowed


def test_answer_cache_round_trip(kind, link) -> None:
    cache = LocalAnswerCache(10, 60) if link is None else RedisAnswerCache(link, 10, 60)
    key = f"v1:plain:{_user()}"
    assert cache.get(key) is None
    data = {"question": "问", "answer": "答", "mode": "structured", "citations": [], "route": "item"}
    cache.put(key, data)
    assert cache.get(key) == data


def test_once_store_computes_once_for_concurrent_callers(kind, link) -> None:
    store = LocalOnceStore(60) if link is None else RedisOnceStore(link, 60, claim_s=5)
    calls = 0

    async def compute() -> bytes:
        nonlocal calls
        calls += 1
        await asyncio.sleep(0.2)
        return f"回复{calls}".encode()

    async def main() -> list[bytes]:
        key = _user()
        first = await asyncio.gather(*(store.run_once(key, compute) for _ in range(3)))
        return [*first, await store.run_once(key, compute)]

    results = asyncio.run(main())
    assert calls == 1 and len(set(results)) == 1


def test_once_store_lets_a_retry_compute_after_a_failure(kind, link) -> None:
    store = LocalOnceStore(60) if link is None else RedisOnceStore(link, 60, claim_s=5)
    key = _user()

    async def fails() -> bytes:
        raise RuntimeError("boom")

    async def works() -> bytes:
        return b"ok"

    async def main() -> bytes:
        with pytest.raises(RuntimeError):
            await store.run_once(key, fails)
        return await store.run_once(key, works)

    assert asyncio.run(main()) == b"ok"


def test_two_processes_share_one_computation(redis_server) -> None:
    """Two replicas (two links, two owners) racing on one WeChat message: one computes, both reply."""
    a = RedisOnceStore(RedisLink(redis_server.url, 0.5, 0.5), 60, claim_s=5)
    b = RedisOnceStore(RedisLink(redis_server.url, 0.5, 0.5), 60, claim_s=5)
    calls: list[str] = []

    def compute_as(name: str):  # type: ignore[no-untyped-def]
        async def compute() -> bytes:
            calls.append(name)
            await asyncio.sleep(0.3)
            return f"由{name}计算".encode()

        return compute

    async def main() -> tuple[bytes, bytes]:
        key = _user()
        return tuple(await asyncio.gather(a.run_once(key, compute_as("a")), b.run_once(key, compute_as("b"))))  # type: ignore[return-value]

    first, second = asyncio.run(main())
    assert len(calls) == 1 and first == second


def test_token_storage_is_shared_between_replicas(redis_server) -> None:
    one = RedisTokenStorage(RedisLink(redis_server.url, 0.5, 0.5))
    two = RedisTokenStorage(RedisLink(redis_server.url, 0.5, 0.5))
    key = f"{_user()}_access_token"
    one.set(key, "TOKEN-1", 7200)
    assert two.get(key) == "TOKEN-1"
    two.delete(key)
    assert one.get(key) is None


def test_redis_down_falls_back_to_local_state_and_recovers(tmp_path: Path) -> None:
    server = RedisServer(tmp_path / "redis")
    server.start()
    try:
        link = RedisLink(server.url, timeout_s=0.3, retry_s=0.5)
        more = RedisContinuationStore(link, 60)
        limiter = RedisRateLimiter(link, "2/minute")
        once = RedisOnceStore(link, 60, claim_s=5)
        user = _user()
        assert link.ping() and limiter.hit(user).allowed

        server.stop()
        more.put(user, ["下一段"])  # Redis is gone: kept locally, no error
        assert more.pop(user) == ("下一段", 0)
        assert not link.available and not link.ping()  # the breaker is open: no timeout per call
        assert limiter.hit(user).allowed  # a fresh local window

        async def compute() -> bytes:
            return b"local"

        assert asyncio.run(once.run_once(_user(), compute)) == b"local"

        server.start()  # same port
        deadline = time.time() + 60  # generous: waits for the event (Redis back), not for a duration
        while not link.ping() and time.time() < deadline:
            time.sleep(0.1)
        assert link.available
        more.put(user, ["回来了"])
        assert link.run(lambda r: r.exists(f"kepu:more:{user}")) == 1  # stored in Redis again
    finally:
        server.terminate()


def test_a_second_ingestion_is_refused_while_the_shared_lock_is_held(
    redis_server, fresh_settings, embedder
) -> None:
    import redis

    from kepu.ingest.errors import IngestError
    from kepu.ingest.pipeline import ingest

    settings = fresh_settings.model_copy(update={"redis_url": redis_server.url})
    held = redis.Redis.from_url(redis_server.url).lock("kepu:ingest-lock", timeout=30)
    assert held.acquire(blocking=False)
    try:
        with pytest.raises(IngestError, match="另一个导入任务正在运行"):
            ingest(settings, embedder)
        assert not (settings.index_dir / "CURRENT").exists()
    finally:
        held.release()
    assert ingest(settings, embedder).changed


def test_replicas_count_one_rate_limit_together(redis_server) -> None:
    one = RedisRateLimiter(RedisLink(redis_server.url, 0.5, 0.5), "3/minute")
    two = RedisRateLimiter(RedisLink(redis_server.url, 0.5, 0.5), "3/minute")
    key = _user()
    assert [one.hit(key).allowed, two.hit(key).allowed, one.hit(key).allowed] == [True, True, True]
    assert not two.hit(key).allowed  # the fourth request, wherever it lands


def test_memory_follows_a_session_across_replicas(redis_server) -> None:
    one = RedisConversationStore(RedisLink(redis_server.url, 0.5, 0.5), 5, 60)
    two = RedisConversationStore(RedisLink(redis_server.url, 0.5, 0.5), 5, 60)
    session = _user()
    one.add(session, "卫健委负责哪些工作？")
    assert two.last(session) == "卫健委负责哪些工作？"


def test_a_signed_pair_is_honoured_with_one_body(kind, link) -> None:
    store = LocalNonceStore(60) if link is None else RedisNonceStore(link, 60)
    key = f"1700000000:{_user()}:sig"
    assert not store.conflicts(key, "body-a")
    assert not store.conflicts(key, "body-a")  # WeChat's retry of the same message
    assert store.conflicts(key, "body-b")  # the same signature with another body: a replay


def test_a_session_is_valid_until_dropped_and_ids_are_random(kind, link) -> None:
    store = LocalSessionStore(60) if link is None else RedisSessionStore(link, 60)
    a, b = store.create(), store.create()
    assert a != b and len(a) >= 40
    assert store.valid(a) and store.valid(b) and not store.valid("") and not store.valid("forged")
    store.drop(a)
    assert not store.valid(a) and store.valid(b)
    named = store.create("编辑甲")  # a staff account's session holds its name, shared by every replica
    assert store.who(named) == "编辑甲" and store.who(b) == "" and store.who("forged") is None


def test_a_failed_attempt_limit_can_be_checked_without_counting(kind, link) -> None:
    limiter = LocalRateLimiter("2/minute") if link is None else RedisRateLimiter(link, "2/minute")
    key = _user()
    assert limiter.check(key).allowed and limiter.check(key).allowed  # checking counts nothing
    assert limiter.hit(key).allowed and limiter.hit(key).allowed
    refused = limiter.check(key)
    assert not refused.allowed and refused.retry_after_s >= 1
