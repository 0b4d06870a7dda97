"""The state a serving process shares with its sibling replicas, built once at start-up: in Redis when
KEPU_REDIS_URL is set, in process otherwise (the same interfaces either way)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from kepu.config import Settings
from kepu.state.interfaces import (
    AnswerCache,
    ContinuationStore,
    ConversationStore,
    FeedbackTargets,
    NonceStore,
    OnceStore,
    RateLimiter,
    SessionStore,
)
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

# A replica that claimed a WeChat message and died frees it after the reply budget plus this margin.
CLAIM_MARGIN_S = 2.0


@dataclass
class SharedState:
    once: OnceStore  # WeChat dedupe and in-flight coordination
    more: ContinuationStore  # 「更多」
    feedback: FeedbackTargets  # what a WeChat 「有用」/「没用」 refers to
    conversations: ConversationStore  # follow-up questions (the last question of each session)
    api_limiter: RateLimiter  # /api/* per client
    wechat_limiter: RateLimiter  # WeChat per user
    answers: AnswerCache | None  # None: the answer cache is off
    token_storage: Any  # wechatpy SessionStorage: the access token
    nonces: NonceStore  # WeChat (timestamp, nonce) pairs inside the replay window
    sessions: SessionStore  # staff sessions (/admin)
    auth_failures: RateLimiter  # failed admin logins and tokens, per address
    link: Any = None  # the RedisLink, when Redis is configured

    def redis_status(self) -> str:
        """ "off" (not configured), "ok", or "unavailable" (serving from local state)."""
        if self.link is None:
            return "off"
        return "ok" if self.link.ping() else "unavailable"


def build_shared(settings: Settings) -> SharedState:
    s = settings
    if not s.redis_url:
        from wechatpy.session.memorystorage import MemoryStorage

        return SharedState(
            once=LocalOnceStore(s.wechat_dedupe_ttl_s),
            more=LocalContinuationStore(s.wechat_more_ttl_s),
            feedback=LocalFeedbackTargets(s.wechat_more_ttl_s),
            conversations=LocalConversationStore(s.memory_turns, s.memory_ttl_s),
            api_limiter=LocalRateLimiter(s.rate_limit),
            wechat_limiter=LocalRateLimiter(s.wechat_user_rate),
            answers=LocalAnswerCache(s.answer_cache_size, s.answer_cache_ttl_s)
            if s.answer_cache_size
            else None,
            token_storage=MemoryStorage(),
            nonces=LocalNonceStore(s.wechat_replay_window_s * 2),
            sessions=LocalSessionStore(s.admin_session_ttl_s),
            auth_failures=LocalRateLimiter(s.admin_fail_rate),
        )
    from kepu.state import redis as rs

    link = rs.RedisLink(s.redis_url, s.redis_timeout_s, s.shared_retry_s)
    return SharedState(
        once=rs.RedisOnceStore(link, s.wechat_dedupe_ttl_s, s.wechat_budget_s + CLAIM_MARGIN_S),
        more=rs.RedisContinuationStore(link, s.wechat_more_ttl_s),
        feedback=rs.RedisFeedbackTargets(link, s.wechat_more_ttl_s),
        conversations=rs.RedisConversationStore(link, s.memory_turns, s.memory_ttl_s),
        api_limiter=rs.RedisRateLimiter(link, s.rate_limit),
        wechat_limiter=rs.RedisRateLimiter(link, s.wechat_user_rate),
        answers=rs.RedisAnswerCache(link, s.answer_cache_size, s.answer_cache_ttl_s)
        if s.answer_cache_size
        else None,
        token_storage=rs.RedisTokenStorage(link),
        nonces=rs.RedisNonceStore(link, s.wechat_replay_window_s * 2),
        sessions=rs.RedisSessionStore(link, s.admin_session_ttl_s),
        auth_failures=rs.RedisRateLimiter(link, s.admin_fail_rate),
        link=link,
    )
