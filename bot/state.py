"""Shared state behind small interfaces: today in-process; Redis implements the same later."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from limits import parse, storage, strategies


@dataclass(frozen=True)
class RateDecision:
    allowed: bool
    retry_after_s: int


class RateLimiter(Protocol):
    def hit(self, key: str) -> RateDecision:
        """Count one request for ``key``; say whether it is allowed and, if not, when to retry."""
        ...


class MemoryRateLimiter:
    """Moving-window limit per key (the `limits` library, in-process storage)."""

    def __init__(self, rate: str) -> None:
        self._item = parse(rate)
        self._limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())

    def hit(self, key: str) -> RateDecision:
        import time

        if self._limiter.hit(self._item, key):
            return RateDecision(True, 0)
        stats = self._limiter.get_window_stats(self._item, key)
        return RateDecision(False, max(1, int(stats.reset_time - time.time()) + 1))
