"""A local stand-in for WeChat's server API (token, customer-service messages, menus): the edge of the
system, reached through the real wechatpy client with a configurable base URL."""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request


def standin_app() -> FastAPI:
    app = FastAPI()
    app.state.token_calls = 0
    app.state.sent: list[dict[str, Any]] = []
    app.state.menus: list[dict[str, Any]] = []
    app.state.send_errors: list[int] = []  # errcodes to answer the next sends with

    @app.get("/cgi-bin/token")
    def token(appid: str, secret: str, grant_type: str) -> dict[str, Any]:
        app.state.token_calls += 1
        return {"access_token": f"TOKEN-{app.state.token_calls}", "expires_in": 7200}

    @app.post("/cgi-bin/message/custom/send")
    async def send(request: Request, access_token: str) -> dict[str, Any]:
        body = await request.json()
        if app.state.send_errors:
            code = app.state.send_errors.pop(0)
            return {"errcode": code, "errmsg": f"error {code}"}
        app.state.sent.append({"token": access_token, **body})
        return {"errcode": 0, "errmsg": "ok"}

    @app.post("/cgi-bin/menu/create")
    async def menu(request: Request, access_token: str) -> dict[str, Any]:
        app.state.menus.append(await request.json())
        return {"errcode": 0, "errmsg": "ok"}

    return app
