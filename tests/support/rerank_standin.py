"""A local ``/rerank`` server standing in for a self-hosted reranker (Xinference, Hugging Face TEI, vLLM,
Jina) that misbehaves on demand. Served at both ``/rerank`` and ``/v1/rerank``.

Each document's score is ``app.state.score_for(query, document)`` (0.9 for every document unless a
test sets it). ``app.state.mode`` chooses the answer:

- ``jina``: ``{"results": [{"index", "relevance_score"}, …]}``, best first (as Jina, Xinference, vLLM);
- ``tei``: TEI's bare ``[{"index", "score"}, …]``, best first;
- ``shuffled``: the jina shape in an order that is neither the documents' nor the scores';
- ``low``: the jina shape with every score 0.01;
- ``short``: the jina shape, one result missing;
- ``hang``: no answer until ``app.state.release`` is set (or HANG_S has passed);
- ``error500``: answers 500;
- ``garbage``: answers 200 with text that is not JSON.

``app.state.requests`` records every request as ``{"path", "headers", "body"}``.
"""

from __future__ import annotations

import asyncio
import threading
import time
from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, PlainTextResponse

# A hung request gives up after this long even if nobody releases it (tests release it when done).
HANG_S = 30.0


def default_score(query: str, document: str) -> float:
    return 0.9


def standin_reranker() -> FastAPI:
    app = FastAPI()

    def reset() -> None:
        app.state.mode = "jina"
        app.state.score_for = default_score
        app.state.requests = []
        old = getattr(app.state, "release", None)
        if old is not None:
            old.set()  # a request still hanging from the last test gives up now
        app.state.release = threading.Event()

    app.state.reset = reset
    reset()

    async def hang() -> None:
        release = app.state.release
        deadline = time.monotonic() + HANG_S
        while not release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    async def rerank(request: Request) -> Any:
        body = await request.json()
        app.state.requests.append({"path": request.url.path, "headers": dict(request.headers), "body": body})
        mode = app.state.mode
        if mode == "hang":
            await hang()
            return JSONResponse({"error": "released"}, status_code=503)
        if mode == "error500":
            return JSONResponse({"error": "boom"}, status_code=500)
        if mode == "garbage":
            return PlainTextResponse("<html>502 Bad Gateway</html>")
        docs = body["documents"]
        scores = [0.01 if mode == "low" else app.state.score_for(body["query"], d) for d in docs]
        ranked = sorted(range(len(docs)), key=lambda i: -scores[i])
        if mode == "shuffled":
            ranked = ranked[1:] + ranked[:1]  # neither input order nor best first
        if mode == "short":
            ranked = ranked[:-1]
        if mode == "tei":
            return [{"index": i, "score": scores[i]} for i in ranked]
        results = [{"index": i, "relevance_score": scores[i]} for i in ranked]
        return {"id": "r1", "model": body.get("model"), "results": results, "usage": {"total_tokens": 1}}

    app.post("/rerank")(rerank)
    app.post("/v1/rerank")(rerank)
    return app
