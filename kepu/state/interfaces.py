"""The shared state's interfaces: what a serving process keeps between requests and shares with its
sibling replicas. ``kepu.state.local`` implements them in process, ``kepu.state.redis`` in Redis
(KEPU_REDIS_URL); ``kepu.state.shared`` picks one at start-up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol


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


class SessionStore(Protocol):
    """Staff sessions: random ids that expire on the server (the cookie holds nothing else). Each holds
    who logged in: a staff account's name, or staff_auth.TOKEN_PRINCIPAL for the admin token."""

    def create(self, who: str = "") -> str: ...

    def who(self, sid: str) -> str | None: ...

    def valid(self, sid: str) -> bool: ...

    def drop(self, sid: str) -> None: ...


class ContinuationStore(Protocol):
    """What is left of a long answer, per user, for 「更多」."""

    def put(self, user: str, parts: list[str]) -> None: ...

    def pop(self, user: str) -> tuple[str, int] | None:
        """The next part and how many remain after it, or None when nothing is left."""
        ...


class AnswerCache(Protocol):
    """Answers to repeated questions, as plain data (``Answer.to_cache()``). Callers put the index
    version in the key, so a new version never serves an answer computed from the old one."""

    def get(self, key: str) -> dict[str, Any] | None: ...

    def put(self, key: str, data: dict[str, Any]) -> None: ...


class FeedbackTargets(Protocol):
    """The answer a WeChat user's next 「有用」/「没用」 refers to (the last one they were sent)."""

    def put(self, user: str, answer_id: str) -> None: ...

    def pop(self, user: str) -> str | None: ...


class ConversationStore(Protocol):
    def last(self, session: str) -> str | None:
        """The last standalone question of the session, if it is still remembered."""
        ...

    def add(self, session: str, question: str) -> None: ...
