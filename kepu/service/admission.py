"""Fair admission to the answer threads (issue 14, item 1): one client cannot stall every other user.

Answers run in ``answer_threads`` threads (more only adds contention on a few cores). Each client (its
address, client_key) may hold at most ``client_concurrency`` of them; its further questions wait in a
line of their own, outside the shared queue, so another user's question is never behind more than the
answers already running. A question that cannot get a thread within ``queue_deadline_s`` is answered
503 with Retry-After. How long questions wait is a metric (kepu_answer_queue_wait_seconds), and /readyz
says "degraded" while recent waits are long (``queue_degraded_s``).
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from typing import Any, TypeVar

import anyio
from anyio import to_thread

from kepu.errors import Overloaded

T = TypeVar("T")
# How far back /readyz looks at queue waits.
RECENT_WAIT_WINDOW_S = 30.0


class Admission:
    def __init__(
        self, threads: int, per_client: int, deadline_s: float, observe: Callable[[float], None]
    ) -> None:
        self._threads = anyio.CapacityLimiter(threads)
        self._per_client = per_client
        self._lines: dict[str, anyio.Semaphore] = {}
        self._deadline_s = deadline_s
        self._observe = observe
        self._recent: deque[tuple[float, float]] = deque(maxlen=1000)  # (when, waited)

    @property
    def limiter(self) -> anyio.CapacityLimiter:
        return self._threads

    def _line(self, client: str) -> anyio.Semaphore:
        line = self._lines.get(client)
        if line is None:
            line = self._lines[client] = anyio.Semaphore(self._per_client)
        return line

    async def run(self, client: str, fn: Callable[..., T], *args: Any) -> T:
        """Run ``fn(*args)`` in an answer thread once this client's turn comes; Overloaded when the
        wait (its own line, then the shared threads) passes the deadline."""
        started = time.monotonic()
        line = self._line(client)
        with anyio.move_on_after(self._deadline_s) as waiting:
            await line.acquire()
        if waiting.cancelled_caught:
            self._waited(started)
            raise Overloaded(self.retry_after_s())
        try:
            left = self._deadline_s - (time.monotonic() - started)
            with anyio.move_on_after(max(left, 0.0)) as waiting:
                await self._threads.acquire()
            self._waited(started)
            if waiting.cancelled_caught:
                raise Overloaded(self.retry_after_s())
            try:
                return await to_thread.run_sync(fn, *args)
            finally:
                self._threads.release()
        finally:
            line.release()
            if line.value == self._per_client and not line.statistics().tasks_waiting:
                self._lines.pop(client, None)  # nothing of this client left: forget its line

    def _waited(self, started: float) -> None:
        now = time.monotonic()
        waited = now - started
        self._observe(waited)
        self._recent.append((now, waited))

    def recent_wait_s(self) -> float:
        """The longest wait for an answer thread in the last RECENT_WAIT_WINDOW_S seconds."""
        since = time.monotonic() - RECENT_WAIT_WINDOW_S
        return max((w for t, w in self._recent if t >= since), default=0.0)

    def retry_after_s(self) -> int:
        return max(1, round(self._deadline_s / 2))
