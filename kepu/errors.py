"""The one error tree of kepu: every error it raises on purpose is a KepuError. Operator and settings
errors (ConfigError), outages (IndexNotReadyError, UpstreamError …), and requests the service refuses
(RequestRejected, carrying their HTTP status); ingestion's branch is kepu/ingest/errors.py. Messages are
Chinese because they reach users and operators, and name the bad value and what would be valid."""

from __future__ import annotations


class KepuError(Exception):
    """Base of every error kepu raises on purpose; its message is safe to show a user."""


class ConfigError(KepuError):
    """A setting has a bad value: the message names the setting and what would be valid."""


class IndexNotReadyError(KepuError):
    """No index has been built yet, or the current one cannot be opened."""


class EmbedderMismatchError(KepuError):
    """The index was built by another embedder than the one configured; mixing them is refused."""


class UpstreamError(KepuError):
    """An upstream service (embeddings endpoint, LLM) failed; carries its status and body."""

    def __init__(self, message: str, *, status: int | None = None, body: str | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.body = body


class StoreUnavailableError(IndexNotReadyError):
    """The Chroma server cannot be reached (or answered with an error); dense search is skipped."""


class EmbedderUnavailableError(UpstreamError):
    """The embeddings endpoint cannot embed a question right now: it timed out, refused the connection
    or answered with an error, or its circuit is open after a recent failure. Like a Chroma outage,
    dense search is skipped and answers degrade to what the words of the question settle."""


class StaffError(KepuError):
    """A staff account request that cannot be carried out: the message names the account or value and
    what would be valid."""


class RequestRejected(KepuError):
    """A request the service will not carry out as sent. ``status`` is the HTTP status a web channel
    answers with; when ``retry_after_s`` is set the client may try again after that many seconds."""

    status = 400

    def __init__(self, message: str, *, retry_after_s: int | None = None) -> None:
        super().__init__(message)
        self.retry_after_s = retry_after_s


class QuestionRejected(RequestRejected):
    """A question that cannot be answered as sent: empty, too long, or with characters that are no text."""

    status = 422


class RateLimited(RequestRejected):
    """Too many requests from one client: try again later."""

    status = 429

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"请求太频繁了，请{retry_after_s}秒后再试。", retry_after_s=retry_after_s)


class Overloaded(RequestRejected):
    """No answer thread within the queue deadline: the service is busy, try again later."""

    status = 503

    def __init__(self, retry_after_s: int) -> None:
        super().__init__(f"服务器正忙，请 {retry_after_s} 秒后再试", retry_after_s=retry_after_s)
