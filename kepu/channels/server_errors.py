"""An unexpected error while handling a request is a 500 with a Chinese message, logged and counted
in kepu_errors, and the keep-alive connection stays open (issue 14).

Starlette's outermost error middleware sends its 500 and then re-raises, and uvicorn closes a
connection whose application raised: the client's next request on it failed. This middleware sits
inside, answers the 500 itself and does not re-raise. An error after the response has started (a
stream) cannot become a 500; it is re-raised and the connection closes, as it must."""

from __future__ import annotations

import logging
from collections.abc import Callable

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from kepu.channels.body_limit import send_json

log = logging.getLogger("kepu.app")

MESSAGE = "服务器内部错误，请稍后再试"


class ServerErrorMiddleware:
    def __init__(self, app: ASGIApp, count: Callable[[str], None]) -> None:
        self.app = app
        self.count = count  # called with the route template (a bounded label) of each unexpected error

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception:
            log.exception("unhandled error", extra={"path": str(scope.get("path", ""))})
            self.count(getattr(scope.get("route"), "path", "unmatched"))
            if started:
                raise
            await send_json(send, 500, {"detail": MESSAGE})
