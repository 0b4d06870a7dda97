"""Prometheus metrics, one registry per app (so several apps in one process do not collide)."""

from __future__ import annotations

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest

_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0)


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter(
            "kepu_http_requests", "HTTP requests", ["route", "method", "status"], registry=self.registry
        )
        self.latency = Histogram(
            "kepu_http_request_seconds",
            "HTTP request latency",
            ["route"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.answers = Histogram(
            "kepu_answer_seconds",
            "Time to answer a question, by answer mode",
            ["mode", "channel"],
            buckets=_BUCKETS,
            registry=self.registry,
        )
        self.refusals = Counter(
            "kepu_refusals", "Questions the bot declined", ["reason"], registry=self.registry
        )
        self.errors = Counter("kepu_errors", "Unhandled errors", ["route"], registry=self.registry)
        self.rate_limited = Counter(
            "kepu_rate_limited", "Requests refused by the rate limit", registry=self.registry
        )

        self.queue_wait = Histogram(
            "kepu_answer_queue_wait_seconds",
            "How long a question waited for an answer thread (its client's line, then the shared pool)",
            buckets=(0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 4, 8, 16),
            registry=self.registry,
        )
        self.insights_dropped = Gauge(
            "kepu_insights_dropped_records",
            "Question records the insights recorder dropped since start (queue full or database errors)",
            registry=self.registry,
        )
        self.dependency_up = Gauge(
            "kepu_dependency_up",
            "Whether a shared service answers as this replica last saw it (1) or not (0): "
            "redis, chroma, embedder",
            ["dependency"],
            registry=self.registry,
        )

    def render(self) -> bytes:
        return generate_latest(self.registry)
