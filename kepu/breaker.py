"""Circuit breakers (pybreaker), built one way for every remote dependency: Redis, the Chroma server,
the embeddings endpoint, the reranker and the chat model.

A breaker lets calls through while they succeed. After ``fail_max`` consecutive failures it opens: for
``reset_s`` seconds every call fails at once with ``CircuitBreakerError``, then one call tries the
dependency again (half-open) and closes the circuit if it succeeds.

Importing this module imports pybreaker, which pulls in redis (~0.2 s): a module on a path that must
stay light (kepu/kb/embedders.py) imports it inside its functions."""

from __future__ import annotations

import logging
from typing import Any

import pybreaker
from pybreaker import CircuitBreaker, CircuitBreakerError

__all__ = ["CircuitBreaker", "CircuitBreakerError", "breaker", "close_if_open", "is_closed", "is_open"]


class _LogTransitions(pybreaker.CircuitBreakerListener):
    """Logs (as warnings) a breaker opening and closing; the half-open state is not logged."""

    def __init__(self, log: logging.Logger, on_open: str | None, on_close: str | None) -> None:
        self._log = log
        self._on_open = on_open
        self._on_close = on_close

    def state_change(self, cb: CircuitBreaker, old_state: Any, new_state: Any) -> None:
        if new_state.name == pybreaker.STATE_OPEN and self._on_open:
            self._log.warning(self._on_open)
        elif new_state.name == pybreaker.STATE_CLOSED and self._on_close:
            self._log.warning(self._on_close)


def breaker(
    name: str,
    *,
    reset_s: float,
    fail_max: int = 1,
    throw_new_error_on_trip: bool = True,
    log: logging.Logger | None = None,
    on_open: str | None = None,
    on_close: str | None = None,
) -> CircuitBreaker:
    """A breaker named ``name`` that opens after ``fail_max`` consecutive failures for ``reset_s``
    seconds (taken as given: a caller that wants a floor applies it).

    ``throw_new_error_on_trip`` is pybreaker's: True raises CircuitBreakerError from the call whose
    failure opens the circuit, False raises that failure as it is (its message says what went wrong).
    With ``log``, ``on_open`` / ``on_close`` are logged as warnings when the circuit opens / closes."""
    if (on_open or on_close) and log is None:
        raise ValueError("on_open and on_close need a log to be written to")
    listeners = [_LogTransitions(log, on_open, on_close)] if log is not None and (on_open or on_close) else []
    return CircuitBreaker(
        fail_max=fail_max,
        reset_timeout=reset_s,
        throw_new_error_on_trip=throw_new_error_on_trip,
        name=name,
        listeners=listeners,
    )


def is_open(b: CircuitBreaker) -> bool:
    """Whether calls fail at once (the reset time may have passed: the next call then tries again)."""
    return b.current_state == pybreaker.STATE_OPEN


def is_closed(b: CircuitBreaker) -> bool:
    """Whether the last call succeeded (neither open nor half-open)."""
    return b.current_state == pybreaker.STATE_CLOSED


def close_if_open(b: CircuitBreaker) -> bool:
    """The dependency answers again (a health probe succeeded): let calls through at once instead of
    waiting out the reset time. True when the circuit was open."""
    if not is_open(b):
        return False
    b.close()
    return True
