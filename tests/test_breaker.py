"""kepu.breaker: one way to build the circuit breakers of every remote dependency, and the helpers
their callers share (with RedisLink.or_local, Redis or else local state). Nothing here depends on how fast the machine is: an open circuit is checked with
a reset time of a minute, and the one wait (for a reset time to pass) only has a lower bound."""

from __future__ import annotations

import logging
import time

import pytest
import redis

from kepu.answering.generative import Generator
from kepu.answering.rerank import Reranker
from kepu.breaker import CircuitBreaker, CircuitBreakerError, breaker, close_if_open, is_closed, is_open
from kepu.config import Settings
from kepu.kb.embedders import OpenAIEmbedder
from kepu.kb.server import ChromaServerCatalog
from kepu.state.redis import RedisLink

pytestmark = pytest.mark.unit


class Boom(Exception):
    pass


class Calls:
    """A guarded operation that fails or succeeds on demand, counting how often it ran."""

    def __init__(self) -> None:
        self.count = 0

    def fail(self) -> None:
        self.count += 1
        raise Boom("down")

    def ok(self) -> str:
        self.count += 1
        return "ok"


def test_it_opens_after_fail_max_failures_and_stays_open() -> None:
    b = breaker("t", fail_max=3, reset_s=60)
    calls = Calls()
    for _ in range(2):
        with pytest.raises(Boom):
            b.call(calls.fail)
        assert is_closed(b) and not is_open(b)
    with pytest.raises(CircuitBreakerError):  # the failure that opens it (throw_new_error_on_trip)
        b.call(calls.fail)
    assert is_open(b) and not is_closed(b)
    assert calls.count == 3
    for _ in range(5):  # open for reset_s: calls fail at once, the operation is not tried
        with pytest.raises(CircuitBreakerError):
            b.call(calls.ok)
    assert calls.count == 3 and is_open(b)


def test_a_success_resets_the_failure_count() -> None:
    b = breaker("t", fail_max=2, reset_s=60)
    calls = Calls()
    with pytest.raises(Boom):
        b.call(calls.fail)
    assert b.call(calls.ok) == "ok"
    with pytest.raises(Boom):
        b.call(calls.fail)
    assert is_closed(b)


def test_the_failure_that_opens_it_can_be_raised_as_it_is() -> None:
    b = breaker("t", reset_s=60, throw_new_error_on_trip=False)
    with pytest.raises(Boom):
        b.call(Calls().fail)
    assert is_open(b)
    with pytest.raises(CircuitBreakerError):
        b.call(Calls().ok)


def test_parameters_are_passed_as_given() -> None:
    b = breaker("rerank", fail_max=4, reset_s=0.05)
    assert isinstance(b, CircuitBreaker)
    assert (b.name, b.fail_max, b.reset_timeout) == ("rerank", 4, 0.05)  # no floor of its own
    assert b.listeners == ()


def test_after_reset_s_one_call_tries_again() -> None:
    b = breaker("t", reset_s=0.05)
    with pytest.raises(CircuitBreakerError):
        b.call(Calls().fail)
    time.sleep(0.2)  # at least the reset time; a slow machine only waits longer
    calls = Calls()
    assert b.call(calls.ok) == "ok" and calls.count == 1
    assert is_closed(b)


def test_close_if_open_lets_calls_through_at_once() -> None:
    b = breaker("t", reset_s=60)
    assert close_if_open(b) is False and is_closed(b)  # closed already: nothing to do
    with pytest.raises(CircuitBreakerError):
        b.call(Calls().fail)
    assert is_open(b)
    assert close_if_open(b) is True
    assert is_closed(b)
    calls = Calls()
    assert b.call(calls.ok) == "ok" and calls.count == 1


def test_transitions_are_logged_when_asked(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("kepu.test_breaker")
    b = breaker("t", reset_s=60, log=log, on_open="it went away", on_close="it is back")
    caplog.set_level(logging.WARNING, logger=log.name)
    with pytest.raises(CircuitBreakerError):
        b.call(Calls().fail)
    assert [(r.name, r.levelno, r.getMessage()) for r in caplog.records] == [
        (log.name, logging.WARNING, "it went away")
    ]
    caplog.clear()
    close_if_open(b)
    assert [r.getMessage() for r in caplog.records] == ["it is back"]
    caplog.clear()
    b.call(Calls().ok)  # closed and staying closed: nothing to say
    assert caplog.records == []


def test_only_the_transitions_given_are_logged(caplog: pytest.LogCaptureFixture) -> None:
    log = logging.getLogger("kepu.test_breaker")
    b = breaker("t", reset_s=60, log=log, on_open="it went away")
    caplog.set_level(logging.DEBUG, logger=log.name)
    with pytest.raises(CircuitBreakerError):
        b.call(Calls().fail)
    close_if_open(b)
    assert [r.getMessage() for r in caplog.records] == ["it went away"]


def test_nothing_is_logged_unless_asked(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    b = breaker("t", reset_s=60)
    with pytest.raises(CircuitBreakerError):
        b.call(Calls().fail)
    close_if_open(b)
    assert caplog.records == []


def test_messages_need_a_log() -> None:
    with pytest.raises(ValueError, match="log"):
        breaker("t", reset_s=60, on_open="it went away")


def _trips_with(b: CircuitBreaker) -> type[BaseException]:
    """What the call whose failure opens ``b`` raises (after fail_max - 1 earlier failures)."""
    for _ in range(b.fail_max - 1):
        with pytest.raises(Boom):
            b.call(Calls().fail)
    try:
        b.call(Calls().fail)
    except BaseException as exc:  # the point is which one
        assert is_open(b)
        return type(exc)
    raise AssertionError("the failing call did not raise")


def test_every_dependency_keeps_its_breaker() -> None:
    """The breakers the callers build (nothing here connects to anything)."""
    redis_link = RedisLink("redis://127.0.0.1:9", timeout_s=0.1, retry_s=0.0)
    assert (redis_link.breaker.fail_max, redis_link.breaker.reset_timeout) == (1, 0.1)  # floored
    assert RedisLink("redis://127.0.0.1:9", timeout_s=0.1, retry_s=5.0).breaker.reset_timeout == 5.0
    assert _trips_with(redis_link.breaker) is CircuitBreakerError

    chroma = ChromaServerCatalog("http://127.0.0.1:9", timeout_s=0.1, retry_s=0.01)
    assert (chroma.breaker.fail_max, chroma.breaker.reset_timeout) == (1, 0.1)  # floored
    assert ChromaServerCatalog("http://127.0.0.1:9", 0.1, 7.0).breaker.reset_timeout == 7.0
    assert _trips_with(chroma.breaker) is CircuitBreakerError

    embedder = OpenAIEmbedder("http://127.0.0.1:9/v1", "m", None, 1.0, breaker_reset_s=0.05)
    assert (embedder._breaker.fail_max, embedder._breaker.reset_timeout) == (1, 0.05)
    assert _trips_with(embedder._breaker) is Boom  # the failure itself says what went wrong
    assert embedder.status == "unavailable"

    reranker = Reranker("http://127.0.0.1:9", "m", breaker_reset_s=0.05)
    assert (reranker.breaker.name, reranker.breaker.fail_max, reranker.breaker.reset_timeout) == (
        "rerank",
        1,
        0.05,
    )
    assert _trips_with(reranker.breaker) is Boom
    reranker.close()

    settings = Settings(llm_base_url="http://127.0.0.1:9/v1", llm_breaker_failures=3, llm_breaker_reset_s=45)
    generator = Generator(settings)
    assert (generator.breaker.name, generator.breaker.fail_max, generator.breaker.reset_timeout) == (
        "llm",
        3,
        45,
    )
    assert _trips_with(generator.breaker) is CircuitBreakerError


def test_redis_logs_when_it_goes_and_comes_back(caplog: pytest.LogCaptureFixture) -> None:
    link = RedisLink("redis://127.0.0.1:9", timeout_s=0.1, retry_s=60.0)
    caplog.set_level(logging.WARNING, logger="kepu.redis")
    _trips_with(link.breaker)
    assert not link.available
    close_if_open(link.breaker)
    assert link.available
    assert [(r.name, r.getMessage()) for r in caplog.records] == [
        ("kepu.redis", "redis unavailable: serving from local state"),
        ("kepu.redis", "redis available again"),
    ]


def test_redis_or_local_falls_back_while_redis_cannot_be_used() -> None:
    link = RedisLink("redis://127.0.0.1:9", timeout_s=0.1, retry_s=60.0)  # nothing here connects
    calls = Calls()

    def on_redis(_r: object) -> str:
        calls.count += 1
        return "redis"

    def broken(_r: object) -> str:
        calls.count += 1
        raise redis.ConnectionError("refused")

    assert link.or_local(on_redis, lambda: "local") == "redis"
    assert link.or_local(broken, lambda: "local") == "local"
    assert not link.available and calls.count == 2
    assert link.or_local(on_redis, lambda: "local") == "local"  # open: Redis is not tried
    assert calls.count == 2
    close_if_open(link.breaker)
    assert link.or_local(on_redis, lambda: "local") == "redis"
