"""Run the real app under uvicorn on a free loopback port, in a background thread."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

import uvicorn

from kepu.channels.app import create_app
from kepu.config import Settings


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serve(settings: Settings, embedder) -> Iterator[str]:  # type: ignore[no-untyped-def]
    with serve_app(create_app(settings, embedder)) as url:
        yield url


@contextmanager
def serve_app(app, **options) -> Iterator[str]:  # type: ignore[no-untyped-def]
    """Any ASGI app under uvicorn on a free loopback port; the app is reachable as ``url`` inside.
    ``options`` are more uvicorn settings (``kepu.cli.serve_options`` for those of `kepu serve`)."""
    port = free_port()
    config = uvicorn.Config(app, host="127.0.0.1", port=port, **{"log_level": "warning", **options})
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.time() + 60
    while not server.started:
        if time.time() > deadline or not thread.is_alive():
            raise RuntimeError("uvicorn did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        server.force_exit = True  # hung stand-in requests (mode "hang") are not waited for
        thread.join(timeout=10)
