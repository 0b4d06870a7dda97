"""Errors of the answering side. Messages are Chinese because they reach users and operators."""

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
