"""Optional reranker: a cross-encoder behind the ``/rerank`` request that Xinference, Hugging Face TEI,
vLLM and Jina serve, asked whether a passage answers a question. Its score joins the answerability gate
(kepu/answering/extractive.py); it is never required: any failure means "no opinion" and the lexical gate decides."""

from __future__ import annotations

import logging
import math
from typing import Any

import httpx

from kepu.breaker import CircuitBreakerError, breaker
from kepu.config import Settings
from kepu.errors import UpstreamError

log = logging.getLogger("kepu.rerank")

# What an operator should check when the endpoint refuses a request.
_STATUS_HINTS = {
    401: "：请检查 KEPU_RERANK_API_KEY",
    403: "：请检查 KEPU_RERANK_API_KEY",
    404: "：请检查 KEPU_RERANK_BASE_URL 和 KEPU_RERANK_MODEL",
    422: "：请检查 KEPU_RERANK_MODEL 是否为重排序模型",
}


def rerank_url(base_url: str) -> str:
    """``{base_url}/rerank``, whether the base ends in ``/v1``, in ``/`` or already in ``/rerank``."""
    base = base_url.rstrip("/")
    return base if base.endswith("/rerank") else f"{base}/rerank"


def parse_scores(data: Any, n: int) -> list[float]:
    """Scores in the order of the documents sent, from either response shape:
    ``{"results": [{"index": i, "relevance_score": s}, …]}`` (Jina, Xinference, vLLM, Cohere) or TEI's
    bare ``[{"index": i, "score": s}, …]``; results may come in any order (usually best first).
    Raises ValueError unless every document has exactly one finite score."""
    rows = data.get("results") if isinstance(data, dict) else data
    if not isinstance(rows, list):
        raise ValueError("响应里没有 results 列表")
    scores: list[float | None] = [None] * n
    for row in rows:
        if not isinstance(row, dict):
            raise ValueError("results 的元素不是对象")
        index = row.get("index")
        score = row.get("relevance_score", row.get("score"))
        if not isinstance(index, int) or isinstance(index, bool) or not 0 <= index < n:
            raise ValueError(f"序号 {index!r} 不在 0 到 {n - 1} 之间")
        if not isinstance(score, int | float) or isinstance(score, bool) or not math.isfinite(score):
            raise ValueError(f"第 {index} 条的分数 {score!r} 不是数字")
        if scores[index] is not None:
            raise ValueError(f"第 {index} 条出现了两次")
        scores[index] = float(score)
    missing = [i for i, s in enumerate(scores) if s is None]
    if missing:
        raise ValueError(f"返回了 {n - len(missing)} 个分数，应为 {n} 个")
    return [s for s in scores if s is not None]


class Reranker:
    """One POST ``/rerank`` per call: one short try, never retried (it is on the serving path), through a
    circuit breaker that opens on one failure for ``breaker_reset_s`` (the gate then decides without it
    at once). ``score`` never raises: a failure is logged and answered with None."""

    def __init__(
        self,
        base_url: str,
        model: str,
        api_key: str | None = None,
        *,
        timeout_s: float = 2.0,
        breaker_reset_s: float = 10.0,
    ) -> None:
        for name, value in (("timeout_s", timeout_s), ("breaker_reset_s", breaker_reset_s)):
            if value <= 0:
                raise ValueError(f"{name} must be > 0, got {value}")
        self.url = rerank_url(base_url)
        self.model = model
        headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self._client = httpx.Client(timeout=timeout_s, headers=headers)
        self.timeout_s = timeout_s
        self.breaker = breaker("rerank", reset_s=breaker_reset_s, throw_new_error_on_trip=False)

    @classmethod
    def from_settings(cls, settings: Settings) -> Reranker | None:
        """The configured reranker, or None when KEPU_RERANK_BASE_URL is unset."""
        if not settings.rerank_base_url:
            return None
        return cls(
            settings.rerank_base_url,
            settings.rerank_model,
            settings.rerank_api_key,
            timeout_s=settings.rerank_timeout_s,
            breaker_reset_s=settings.rerank_breaker_reset_s,
        )

    def _request(self, query: str, documents: list[str]) -> list[float]:
        body = {
            "model": self.model,
            "query": query,
            "documents": documents,
            "return_documents": False,
            "texts": documents,  # TEI's name for the documents (the other servers ignore it)
        }
        try:
            resp = self._client.post(self.url, json=body)
        except httpx.TimeoutException as exc:
            raise UpstreamError(f"重排序服务（{self.url}）请求超时：最多等 {self.timeout_s:g} 秒") from exc
        except httpx.HTTPError as exc:
            raise UpstreamError(f"无法连接重排序服务（{self.url}）：{str(exc).rstrip('。.')}") from exc
        if resp.status_code >= 400:
            raise UpstreamError(
                f"重排序服务（{self.url}）返回错误 {resp.status_code}{_STATUS_HINTS.get(resp.status_code, '')}",
                status=resp.status_code,
                body=resp.text[:500],
            )
        try:
            return parse_scores(resp.json(), len(documents))
        except ValueError as exc:  # JSONDecodeError is a ValueError too
            raise UpstreamError(
                f"重排序服务（{self.url}）的响应无法识别：{exc}",
                status=resp.status_code,
                body=resp.text[:500],
            ) from exc

    def score(self, query: str, documents: list[str]) -> list[float] | None:
        """How well each document answers the query (in their order), or None when the reranker could
        not say: timeout, connection refused, an error status, an unreadable answer, or an open circuit."""
        if not documents:
            return []
        try:
            return self.breaker.call(self._request, query, documents)  # type: ignore[no-any-return]
        except CircuitBreakerError:
            log.info("rerank circuit open: the lexical gate decides alone")
        except UpstreamError as exc:
            log.warning("rerank failed: the lexical gate decides alone", extra={"error": str(exc)})
        except Exception as exc:  # never raised to the caller, whatever went wrong
            log.warning("rerank failed: the lexical gate decides alone", extra={"error": repr(exc)})
        return None

    def close(self) -> None:
        self._client.close()
